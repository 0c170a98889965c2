"""The audit log stays complete and readable: a self-refreshing dashboard panel is recorded the first time and
whenever what it shows a person changes, not on every refresh; the director's page shows each row's detail and
exports the filtered log as CSV (audited, cells that a spreadsheet would run as formulas neutralised)."""

import csv
import io

import pytest

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.outcomes import services

PANEL = "/outcomes/urgent-tasks/panel/"


def _panel_rows(user, panel):
    return AuditEvent.objects.filter(user=user, action="list", detail__panel=panel).order_by("id")


@pytest.mark.django_db
def test_an_unchanged_panel_refresh_adds_no_row_and_a_change_does(staff, client_as, make_patient):
    prescriber = client_as(staff["prescriber"])
    for _ in range(3):
        assert prescriber.get(PANEL).status_code == 200
    first = list(_panel_rows(staff["prescriber"], "urgent tasks"))
    assert [row.detail for row in first] == [{"panel": "urgent tasks", "tasks": []}]

    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], phase="induction")
    services.record_measure_response(patient=patient, instrument="phq9", answers=[0] * 8 + [2], user=staff["nurse"])
    for _ in range(2):
        prescriber.get(PANEL)
    rows = list(_panel_rows(staff["prescriber"], "urgent tasks"))
    assert len(rows) == 2 and rows[1].detail["tasks"] != [] and rows[1].patient is None
    # Another person's first look is theirs to record.
    client_as(staff["director"]).get(PANEL)
    assert _panel_rows(staff["director"], "urgent tasks").count() == 1


@pytest.mark.django_db
def test_the_sessions_board_panel_is_recorded_once_while_unchanged(staff, client_as):
    nurse = client_as(staff["nurse"])
    for _ in range(3):
        assert nurse.get("/sessions/board/panel/").status_code == 200
    assert _panel_rows(staff["nurse"], "sessions board").count() == 1


@pytest.mark.django_db
def test_the_log_page_shows_details_and_exports_csv(staff, client_as, make_patient):
    from django.test import Client

    Client().post("/login/", {"username": "=HYPERLINK(\"http://x.invalid\")", "password": "wrong-password-1"})
    patient = make_patient(care_team=[staff["nurse"]], last_name="Audited")
    client_as(staff["nurse"]).patch(f"/api/patients/{patient.pk}", {"phone": "(202) 555-0199"},
                                    content_type="application/json")
    director = client_as(staff["director"])
    page = director.get("/audit/").content.decode()
    assert "fields: phone" in page and "Export CSV" in page

    response = director.get("/audit/", {"patient": patient.mrn, "format": "csv"})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows and {r["patient_mrn"] for r in rows} == {patient.mrn}
    assert any(r["action"] == "update" and '"phone"' in r["detail"] for r in rows)
    export = AuditEvent.objects.filter(action="export", user=staff["director"]).get()
    assert export.detail["patient"] == patient.mrn and export.detail["rows"] == len(rows)

    failed = list(csv.DictReader(io.StringIO(director.get("/audit/", {"action": "login_failed",
                                                                        "format": "csv"}).content.decode())))
    assert failed and all(not r["detail"].startswith("=") for r in failed)
    typed = [r for r in failed if "HYPERLINK" in r["detail"]]
    assert typed and typed[0]["detail"].startswith("{")  # JSON text, never a formula cell


def test_csv_cells_that_start_a_formula_are_neutralised():
    from ketamine_clinic.csv_export import write_csv

    out = io.StringIO()
    write_csv(out, ["a", "b", "c"], [["=1+1", "-2", "plain"], [3, "@x", None], ["-37.5", "-1+2", "+x"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["a", "b", "c"], ["'=1+1", "-2", "plain"],
                                                             ["3", "'@x", ""], ["-37.5", "'-1+2", "'+x"]]
