"""Reconciliation, the dispensing log with its audited CSV export, and the biennial inventory report."""

from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.sessions import custody


def _session_with_waste(stocked, staff, make_patient, make_session):
    patient = make_patient(care_team=[staff["nurse"], staff["prescriber"]], last_name="Ledgerly")
    session = make_session(patient)
    custody.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="37.5", user=staff["nurse"])
    custody.record_administration(session=session, lot_id=stocked.pk, dose_mg="37.5", user=staff["nurse"])
    return session


def test_reconciliation_shows_open_then_balanced(stocked, staff, make_patient, make_session, client_as):
    session = _session_with_waste(stocked, staff, make_patient, make_session)
    client = client_as(staff["prescriber"])
    html = client.get(reverse("inventory:reconciliation")).content.decode()
    assert "Open: 462.5 mg held" in html
    custody.waste(
        actor=staff["nurse"],
        witness=staff["prescriber"],
        witness_password="demo-password-1",
        lot=stocked,
        quantity_mcg=462_500,
        reason="remainder",
        session=session,
    )
    html = client.get(reverse("inventory:reconciliation")).content.decode()
    assert "All sessions balanced" in html and "Ledgerly" in html


def test_log_csv_export_is_audited_and_lists_the_entries(
    stocked, staff, make_patient, make_session, client_as
):
    from ketamine_clinic.audit.models import AuditEvent

    _session_with_waste(stocked, staff, make_patient, make_session)
    today = timezone.localdate().isoformat()
    response = client_as(staff["director"]).get(
        reverse("inventory:log"), {"start": today, "end": today, "format": "csv"}
    )
    assert response["Content-Type"] == "text/csv"
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("entry,occurred_at,kind")
    assert [line.split(",")[2] for line in lines[1:]] == ["received", "drawn", "administered"]
    assert "37.5" in lines[3]
    assert AuditEvent.objects.filter(action="export", user=staff["director"]).exists()


def test_bad_date_range_is_a_form_error_not_a_crash(staff, client_as, db):
    response = client_as(staff["nurse"]).get(
        reverse("inventory:log"), {"start": "2026-02-10", "end": "2026-02-01"}
    )
    assert response.status_code == 200 and "must not be after" in response.content.decode()
    response = client_as(staff["nurse"]).get(reverse("inventory:log"), {"start": "not-a-date", "end": "x"})
    assert response.status_code == 200


def test_inventory_report_counts_containers_as_of_a_moment(
    stocked, staff, make_patient, make_session, client_as
):
    import datetime as dt

    _session_with_waste(stocked, staff, make_patient, make_session)
    client = client_as(staff["director"])
    now = timezone.localtime()
    csv_now = client.get(
        reverse("inventory:report"), {"as_of": now.strftime("%Y-%m-%dT%H:%M"), "format": "csv"}
    )
    row = csv_now.content.decode().strip().splitlines()[1].split(",")
    assert row[-3:] == [
        "3",
        "0",
        "1500",
    ]  # 3 sealed vials left in the safe; the drawn vial is with the session
    before = (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    html = client.get(reverse("inventory:report"), {"as_of": before}).content.decode()
    assert "No stock at that moment" in html
