"""``ketamine-clinic export``: the controlled-substance log, the inventory and the audit log as CSV, run as a
named staff member whose role must allow it; every export audited; bad arguments exit 2 and write nothing."""

import csv
import io

import pytest
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.cli import main
from ketamine_clinic.sessions import custody


@pytest.fixture
def dosed(stocked, staff, make_patient, make_session):
    session = make_session(make_patient(care_team=[staff["nurse"]], mrn="EXP001"))
    custody.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    custody.record_administration(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    return session


def _csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_inventory_log_matches_the_ledger_and_is_audited(dosed, staff, capsys):
    today = timezone.localdate().isoformat()
    assert main(["export", "inventory-log", "--as", "t_nurse", "--start", today, "--end", today]) == 0
    rows = _csv(capsys.readouterr().out)
    assert [r["kind"] for r in rows] == ["received", "drawn", "administered"]
    administered = rows[-1]
    assert administered["quantity_mg"] == "35" and administered["patient_mrn"] == "EXP001"
    event = AuditEvent.objects.filter(action="export").latest("id")
    assert event.username == "t_nurse" and event.detail["export"] == "inventory log"
    assert event.detail["rows"] == 3 and event.detail["via"] == "command line"


def test_kind_filter_and_output_file(dosed, tmp_path, capsys):
    today = timezone.localdate().isoformat()
    out = tmp_path / "log.csv"
    argv = ["export", "inventory-log", "--as", "t_director", "--start", today, "--end", today]
    assert main([*argv, "--kind", "administered", "-o", str(out)]) == 0
    rows = _csv(out.read_text())
    assert len(rows) == 1 and rows[0]["kind"] == "administered"
    assert "1 rows written" in capsys.readouterr().err


def test_inventory_as_of_now_counts_what_is_in_the_safe(dosed, stocked, capsys):
    assert main(["export", "inventory", "--as", "t_prescriber"]) == 0
    rows = _csv(capsys.readouterr().out)
    (row,) = [r for r in rows if r["lot"] == stocked.lot_number]
    # Received stock less the one vial drawn for the session.
    expected = stocked.product.unit_content_mcg * 3 // 1000  # see the stocked fixture: 4 vials received
    assert float(row["total_mg"]) == pytest.approx(expected)


def test_audit_export_only_for_the_director(dosed, capsys):
    today = timezone.localdate().isoformat()
    argv = ["export", "audit", "--start", today, "--end", today, "--patient", "EXP001"]
    before = AuditEvent.objects.count()
    assert main([*argv, "--as", "t_nurse"]) == 2
    assert "may not read the audit records" in capsys.readouterr().err
    assert AuditEvent.objects.count() == before  # refused: nothing exported, nothing recorded as exported
    assert main([*argv, "--as", "t_director"]) == 0
    rows = _csv(capsys.readouterr().out)
    assert rows and all(r["patient_mrn"] == "EXP001" for r in rows)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["inventory-log", "--as", "t_director"], "needs --start and --end"),
        (
            ["inventory-log", "--as", "t_director", "--start", "2026-13-01", "--end", "2026-12-01"],
            "not a date",
        ),
        (
            ["inventory-log", "--as", "t_director", "--start", "2026-12-02", "--end", "2026-12-01"],
            "not be after",
        ),
        (
            [
                "inventory-log",
                "--as",
                "t_director",
                "--start",
                "2026-12-01",
                "--end",
                "2026-12-01",
                "--kind",
                "x",
            ],
            "unknown movement",
        ),
        (["inventory", "--as", "nobody"], "no active user"),
        (["inventory", "--as", "t_therapist"], "may not read the inventory records"),
        (["inventory", "--as", "t_director", "--as-of", "yesterday"], "not a date and time"),
        (["inventory", "--as", "t_director", "-o", "/nonexistent-dir/x.csv"], "cannot write"),
    ],
)
def test_bad_arguments_exit_2_and_export_nothing(dosed, argv, message, capsys):
    before = AuditEvent.objects.filter(action="export").count()
    assert main(["export", *argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert AuditEvent.objects.filter(action="export").count() == before
