"""The SPRAVATO REMS Patient Monitoring Form as a PDF a clinic can fax or upload (ReportLab, no system libraries).

Laid out in the form's own sections and order, from ``services.rems.form_for_output``; what is still blank is
printed as "(missing)" so an unsigned draft can never pass for a complete form."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ketamine_clinic.core.administration import rems_form as core_rems

MISSING = "(missing)"


def _yn(value) -> str:
    return MISSING if value is None else ("Yes" if value else "No")


def _text(value) -> str:
    return MISSING if value in (None, "") else str(value)


def _bp(value) -> str:
    return f"{value['text']} mmHg" if value else MISSING


def _sections(v: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    meds = v.get("concomitant_medications")
    med_rows = [(label, MISSING if meds is None else _yn(meds.get(key))) for key, label in core_rems.CONCOMITANT_CLASSES]
    return [
        ("Patient information", [
            ("First name", _text(v.get("patient_first_name"))),
            ("Last name", _text(v.get("patient_last_name"))),
            ("Birthdate", _text(v.get("patient_birth_date"))),
            ("Sex", _text(v.get("patient_sex"))),
            ("First treatment", _yn(v.get("first_treatment"))),
            ("Enrolled in the SPRAVATO REMS", _yn(v.get("enrolled"))),
        ]),
        ("Concomitant medication (may cause sedation or blood pressure changes)", med_rows + [
            ("Confirmed by", _text(v.get("concomitant_confirmed_by"))),
        ]),
        ("Healthcare provider conducting patient monitoring", [
            ("Name", _text(v.get("provider_name"))),
            ("Telephone", _text(v.get("provider_phone"))),
            ("Email", _text(v.get("provider_email"))),
        ]),
        ("Healthcare setting", [
            ("Name", _text(v.get("setting_name"))),
            ("Address", _text(v.get("setting_address"))),
            ("REMS setting number", _text(v.get("setting_rems_id"))),
        ]),
        ("Treatment session (administration and monitoring)", [
            ("Treatment date", _text(v.get("treatment_date"))),
            ("Dose administered", _text(v.get("dose_box"))),
            ("Lot number", _text(v.get("lot_number"))),
            ("Total time (first device to completion of monitoring)",
             MISSING if v.get("total_minutes") is None else f"{v['total_minutes']} minutes"),
            ("REMS evaluation: ready to leave at (minutes from start of administration)",
             MISSING if v.get("evaluation_minutes") is None else f"{v['evaluation_minutes']} minutes"),
        ]),
        ("Monitoring of vital signs", [
            ("Acceptable prior to administration", _yn(v.get("vitals_acceptable_before"))),
            ("Acceptable prior to treatment session completion", _yn(v.get("vitals_acceptable_at_completion"))),
            ("Blood pressure prior to administration", _bp(v.get("bp_before"))),
            ("Blood pressure 40 minutes post-administration", _bp(v.get("bp_after_40_min"))),
            ("Blood pressure prior to treatment session completion", _bp(v.get("bp_at_completion"))),
        ]),
        ("Adverse events", [
            ("Sedation", _yn(v.get("sedation"))),
            ("Dissociation", _yn(v.get("dissociation"))),
            ("Respiratory depression", _yn(v.get("respiratory_depression"))),
            ("Serious adverse event", _yn(v.get("serious_adverse_event"))),
            ("Description", v.get("serious_adverse_event_detail") or "-"),
        ]),
    ]


def render(v: dict) -> bytes:
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=LETTER, leftMargin=0.7 * inch, rightMargin=0.7 * inch, topMargin=0.6 * inch,
        bottomMargin=0.6 * inch, title="SPRAVATO REMS Patient Monitoring Form", author=v.get("setting_name") or "",
    )
    story = [
        Paragraph("SPRAVATO® REMS Patient Monitoring Form (outpatient)", styles["Title"]),
        Paragraph(
            f"Session {v['session_id']}, MRN {v.get('patient_mrn', '')}. Submit within "
            f"{core_rems.SUBMIT_WITHIN_DAYS} days of the treatment (due {v.get('due_on') or '-'}). "
            + ("Signed with the session note." if v.get("signed") else "DRAFT: the session note is not signed."),
            styles["Normal"],
        ),
        Spacer(1, 8),
    ]
    for title, rows in _sections(v):
        story.append(Paragraph(title, styles["Heading3"]))
        table = Table([[Paragraph(escape(a), styles["Normal"]), Paragraph(escape(b), styles["Normal"])] for a, b in rows],
                      colWidths=[3.6 * inch, 3.4 * inch])
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ]))
        story.append(table)
    if v.get("missing"):
        story += [Spacer(1, 8), Paragraph(escape("Missing: " + "; ".join(v["missing"])), styles["Normal"])]
    doc.build(story)
    return buffer.getvalue()
