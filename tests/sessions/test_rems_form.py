"""The SPRAVATO REMS Patient Monitoring Form: filled from a completed esketamine session, answered by the nurse,
the evaluation answer confirmed by the prescriber, the note locked only when complete, the PDF readable, the
submission recorded against the 7-day deadline."""

import dataclasses
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.clinic import services as clinic_services
from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.sessions import services
from ketamine_clinic.sessions.models import DissociationScore, DosingSession, RemsForm, SessionNote
from ketamine_clinic.sessions.services import rems

NASAL = DoseRule("fixed_mg", 56, 56, 84, drug="esketamine")


@pytest.fixture
def setting(staff):
    site = clinic_services.current_site()
    clinic_services.update_site(staff["director"], site, name="Synthetic Ketamine Clinic",
                                address="1 Test Street\nSpringfield, NY 10001", phone="+1 212 555 0100",
                                email="clinic@example.org")
    clinic_services.record_rems_certification(staff["director"], site, "HCS-12345", timezone.localdate())
    staff["nurse"].email = "nurse@example.org"
    staff["nurse"].save(update_fields=["email"])
    return site


@pytest.fixture
def completed(patient, staff, helpers, setting):
    """An esketamine session of 56 mg that started 150 minutes ago and was discharged at 130 minutes."""
    nurse = staff["nurse"]
    helpers.consent_and_eligibility(patient, staff["prescriber"], route="intranasal")
    session = DosingSession.objects.create(
        patient=patient, route="intranasal", scheduled_for=timezone.now() - dt.timedelta(minutes=170),
        dose_rule=dataclasses.asdict(NASAL), nurse=nurse,
    )
    start = timezone.now() - dt.timedelta(minutes=150)
    helpers.stock_lot("intranasal")
    helpers.ready_pre_dose(session, nurse, at=start - dt.timedelta(minutes=12))
    helpers.confirm_dose(session, nurse, dose_mg=56, now=start - dt.timedelta(minutes=2))
    services.transition(session, "dosing", user=nurse, version=session.version, now=start)
    services.transition(session, "monitoring", user=nurse, version=session.version, now=start + dt.timedelta(minutes=5))
    for minutes, values in ((40, {"sbp": 160, "dbp": 98, "hr": 84}), (100, {"sbp": 124, "dbp": 79, "hr": 70}),
                            (125, {"sbp": 122, "dbp": 78, "hr": 68, "spo2": 98, "rr": 14})):
        services.record_reading(session, user=nurse, idempotency_key=helpers.key(), values=values,
                                taken_at=start + dt.timedelta(minutes=minutes))
    for minutes, total in ((20, 18), (70, 0)):
        services.add_entry(DissociationScore, session, user=nurse, idempotency_key=helpers.key(),
                           taken_at=start + dt.timedelta(minutes=minutes), total=total)
    services.transition(session, "ready_for_discharge", user=nurse, version=session.version,
                        now=start + dt.timedelta(minutes=126))
    services.save_discharge_checklist(
        session, {"alert_and_oriented": True, "steady_gait": True, "nausea_controlled": True, "escort_present": True},
        user=nurse,
    )
    services.transition(session, "discharged", user=nurse, version=session.version,
                        now=start + dt.timedelta(minutes=130))
    session.refresh_from_db()
    return session


def _answer(session, nurse, **overrides):
    data = {"concomitant": [], "vitals_acceptable_before": True, "vitals_acceptable_at_completion": True,
            "sedation": False, "dissociation": True, "respiratory_depression": False, "serious_adverse_event": False}
    data.update(overrides)
    return rems.save_answers(session, data, user=nurse)


def test_the_record_fills_the_form(completed, patient, staff):
    v = rems.values(completed)
    assert v["patient_last_name"] == patient.last_name
    assert v["patient_birth_date"] == patient.date_of_birth.isoformat()
    assert v["first_treatment"] is True and v["enrolled"] is True
    assert v["provider_name"] == staff["nurse"].display_name() and v["provider_email"] == "nurse@example.org"
    assert v["provider_phone"] == "+1 212 555 0100"
    assert v["setting_name"] == "Synthetic Ketamine Clinic" and "Springfield" in v["setting_address"]
    assert v["dose_box"] == "56 mg" and v["lot_number"] == "T-esketamine-28"
    assert v["total_minutes"] == 130
    assert v["bp_before"]["text"] == "126/80"  # the baseline of ready_pre_dose (GOOD_BASELINE)
    assert v["bp_after_40_min"]["text"] == "160/98"
    assert v["bp_at_completion"]["text"] == "122/78"
    # Nothing answered yet: the clinicians' fields are what is missing, and only they.
    assert rems.missing(completed) == [
        "concomitant medications confirmed by the nurse",
        "REMS evaluation answer confirmed by the prescriber",
        "vital signs acceptable before administration (yes/no)",
        "vital signs acceptable before completion (yes/no)",
        "sedation (yes/no)", "dissociation (yes/no)", "respiratory depression (yes/no)",
        "serious adverse events (yes/no)",
    ]


def test_the_chart_suggests_the_answers(completed):
    charted = rems.charted_answers(completed)
    assert charted["dissociation"] == {"suggested": True, "evidence": "CADSS up to 18"}
    assert charted["sedation"]["suggested"] is False
    assert charted["respiratory_depression"]["suggested"] is False
    hint = rems.suggestion(completed)
    # Vitals are back within 20% of baseline from the 100-minute reading; CADSS is 0 from 70 minutes.
    assert hint.vitals_recovered_min == pytest.approx(100)
    assert hint.dissociation_resolved_min == pytest.approx(70)
    assert hint.minutes >= 100 and hint.minutes % 5 == 0


def test_signing_waits_for_a_complete_form(completed, staff):
    nurse, prescriber = staff["nurse"], staff["prescriber"]
    note = services.generate_note(completed, user=nurse)
    with pytest.raises(ValidationError, match="REMS Patient Monitoring Form is incomplete: concomitant medications"):
        services.sign_note(note, user=prescriber)
    assert not SessionNote.objects.get(pk=note.pk).is_signed
    _answer(completed, nurse)
    with pytest.raises(ValidationError, match="REMS evaluation answer confirmed by the prescriber"):
        services.sign_note(note, user=prescriber)
    with pytest.raises(PermissionDenied):
        rems.confirm_evaluation(completed, 95, user=nurse)
    rems.confirm_evaluation(completed, 105, user=prescriber)
    signed = services.sign_note(note, user=prescriber)
    assert signed.is_signed
    form = RemsForm.objects.get(session=completed)
    assert form.signed_values["evaluation_minutes"] == 105 and form.signed_values["lot_number"] == "T-esketamine-28"
    assert form.evaluation_suggested_minutes == rems.suggestion(completed).minutes
    # Locked: no more answers once signed.
    with pytest.raises(ValidationError, match="locked"):
        _answer(completed, nurse, sedation=True)


def test_a_serious_adverse_event_needs_its_description(completed, staff):
    _answer(completed, staff["nurse"], serious_adverse_event=True)
    assert "a description of the serious adverse event" in rems.missing(completed)
    _answer(completed, staff["nurse"], serious_adverse_event=True, serious_adverse_event_detail="Syncope at 30 min")
    assert "a description of the serious adverse event" not in rems.missing(completed)


def test_bad_answers_are_refused_by_field(completed, staff):
    with pytest.raises(ValidationError) as err:
        rems.save_answers(completed, {"concomitant": ["cannabis"], "sedation": "maybe"}, user=staff["nurse"])
    assert set(err.value.message_dict) == {"concomitant", "sedation"}
    with pytest.raises(ValidationError, match="between 1 and 1440"):
        rems.confirm_evaluation(completed, 0, user=staff["prescriber"])


def _sign(session, staff):
    _answer(session, staff["nurse"], concomitant=["benzodiazepine"])
    rems.confirm_evaluation(session, 110, user=staff["prescriber"])
    services.sign_note(services.generate_note(session, user=staff["nurse"]), user=staff["prescriber"])


def test_the_pdf_holds_the_lot_and_blood_pressures(completed, staff, client_as):
    _sign(completed, staff)
    answer = client_as(staff["nurse"]).get(reverse("sessions:rems_pdf", args=[completed.pk]))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    # Words as read off the pages (a line may wrap anywhere, with the length of the session number or MRN).
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages).split())
    for expected in ("T-esketamine-28", "126/80", "160/98", "122/78", "56 mg", "110 minutes", "Signed with the session note"):
        assert expected in text
    assert AuditEvent.objects.filter(action="export", patient=completed.patient, detail__rems_form_pdf=completed.pk).exists()


def test_submission_is_recorded_after_signing(completed, staff):
    nurse = staff["nurse"]
    with pytest.raises(ValidationError, match="Sign the session note first"):
        rems.record_submission(completed, user=nurse, submitted_on=timezone.localdate(), confirmation="R-1")
    _sign(completed, staff)
    with pytest.raises(ValidationError, match="future"):
        rems.record_submission(completed, user=nurse, submitted_on=timezone.localdate() + dt.timedelta(days=1),
                               confirmation="R-1")
    with pytest.raises(ValidationError, match="confirmation number"):
        rems.record_submission(completed, user=nurse, submitted_on=timezone.localdate(), confirmation=" ")
    assert [r["session"] for r in rems.forms_due(nurse)] == [completed]
    rems.record_submission(completed, user=nurse, submitted_on=timezone.localdate(), confirmation="R-1")
    assert rems.forms_due(nurse) == []
    out = rems.form_for_output(completed)
    assert out["submitted_on"] == timezone.localdate().isoformat() and out["submission_confirmation"] == "R-1"


def test_pages_and_api(completed, staff, client_as, patient):
    nurse, prescriber = client_as(staff["nurse"]), client_as(staff["prescriber"])
    page = nurse.get(reverse("sessions:rems_form", args=[completed.pk])).content.decode()
    assert "160/98" in page and "T-esketamine-28" in page and "cannot be signed until" in page
    # A refused answer keeps the page, with the error, and saves nothing.
    bad = nurse.post(reverse("sessions:rems_evaluation", args=[completed.pk]), {"evaluation_minutes": "95"})
    assert bad.status_code == 403
    answer = nurse.post(reverse("sessions:rems_answers", args=[completed.pk]), {
        "concomitant": ["opioid"], "vitals_acceptable_before": "yes", "vitals_acceptable_at_completion": "yes",
        "sedation": "no", "dissociation": "yes", "respiratory_depression": "no", "serious_adverse_event": "no",
    })
    assert answer.status_code == 302
    assert RemsForm.objects.get(session=completed).concomitant["opioid"] is True
    typo = prescriber.post(reverse("sessions:rems_evaluation", args=[completed.pk]), {"evaluation_minutes": "abc"})
    assert typo.status_code == 400 and "abc" in typo.content.decode()
    prescriber.post(reverse("sessions:rems_evaluation", args=[completed.pk]), {"evaluation_minutes": "100"})
    api = prescriber.get(f"/api/sessions/{completed.pk}/rems-form").json()
    assert api["evaluation_minutes"] == 100 and api["missing"] == [] and api["suggestion"]["is_hint"] is True
    due = nurse.get(reverse("sessions:rems_due")).content.decode()
    assert patient.mrn in due and "7 days left" in due
    assert nurse.get("/api/sessions/rems-forms/due").json()[0]["days_left"] == 7


def test_patients_and_other_routes_have_no_form(completed, patient, staff, client_as, make_patient):
    iv = DosingSession.objects.create(patient=patient, route="iv", scheduled_for=timezone.now())
    assert client_as(staff["nurse"]).get(reverse("sessions:rems_form", args=[iv.pk])).status_code == 404
    me = make_patient(care_team=[staff["prescriber"]], with_login=True)
    own = DosingSession.objects.create(patient=me, route="intranasal", scheduled_for=timezone.now())
    assert client_as(me.user).get(reverse("sessions:rems_form", args=[own.pk])).status_code in (302, 403)
    assert client_as(me.user).get(f"/api/sessions/{own.pk}/rems-form").status_code == 403
    outsider = make_patient(care_team=[staff["prescriber"]])
    theirs = DosingSession.objects.create(patient=outsider, route="intranasal", scheduled_for=timezone.now())
    assert client_as(staff["nurse"]).get(f"/api/sessions/{theirs.pk}/rems-form").status_code == 404


def test_export_rems_writes_one_pdf_per_session_and_an_index(completed, staff, tmp_path, capsys):
    import csv
    import subprocess

    from ketamine_clinic.cli import main

    _sign(completed, staff)
    day = timezone.localtime(completed.dosing_started_at).date().isoformat()
    out = tmp_path / "rems"
    assert main(["export", "rems", "--as", staff["nurse"].username, "--start", day, "--end", day, "-o", str(out)]) == 0
    index = list(csv.DictReader(open(out / "index.csv", encoding="utf-8")))
    assert [row["session_id"] for row in index] == [str(completed.pk)]
    assert index[0]["lot_number"] == "T-esketamine-28" and index[0]["signed"] == "yes" and index[0]["missing"] == ""
    text = " ".join(subprocess.run(["pdftotext", str(out / index[0]["file"]), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "T-esketamine-28" in text and "160/98 mmHg" in text
    # The range is checked, the role is checked, and nothing is written for a refusal.
    assert main(["export", "rems", "--as", staff["nurse"].username, "--start", day, "--end", "2026-02-30",
                 "-o", str(tmp_path / "bad")]) == 2
    assert main(["export", "rems", "--as", staff["front_desk"].username, "--start", day, "--end", day,
                 "-o", str(tmp_path / "desk")]) == 2
    assert not (tmp_path / "bad").exists() and not (tmp_path / "desk").exists()
    assert "may not read REMS forms" in capsys.readouterr().err


def test_verify_finds_a_note_signed_around_the_form_and_a_dose_without_enrolment(completed, staff):
    from ketamine_clinic.assessment.models import RemsEnrolment
    from ketamine_clinic.sessions.invariants import session_violations

    def rems_problems():
        return [v.message for v in session_violations(sessions=DosingSession.objects.filter(pk=completed.pk))
                if v.area == "rems"]

    assert rems_problems() == []
    note = services.generate_note(completed, user=staff["nurse"])
    SessionNote.objects.filter(pk=note.pk).update(signed_by=staff["prescriber"], signed_at=timezone.now())  # a side door
    assert rems_problems() == ["the note is signed but the REMS monitoring form was never completed."]
    RemsEnrolment.objects.filter(patient=completed.patient).delete()
    assert "esketamine was given to a patient not enrolled in the SPRAVATO REMS." in rems_problems()


def test_a_low_saturation_is_charted_evidence_of_respiratory_depression(completed, staff, helpers):
    from ketamine_clinic.sessions.models import VitalsReading

    assert rems.charted_answers(completed)["respiratory_depression"]["suggested"] is False
    # The reading as it would have been charted at 55 minutes (the session has ended: written as a row).
    VitalsReading.objects.create(session=completed, entered_by=staff["nurse"], idempotency_key=helpers.key(),
                                 taken_at=completed.dosing_started_at + dt.timedelta(minutes=55),
                                 sbp=120, dbp=78, hr=70, spo2=89, rr=8)
    assert rems.charted_answers(completed)["respiratory_depression"] == {
        "suggested": True, "evidence": "low SpO2 or respiratory rate charted"}
