"""Issue item 6 end to end: the sessions app's record_dose(lot_id=...) writes the ledger in the same
transaction; if the stock movement is refused, the session's dose is not saved either."""

import dataclasses
import importlib.util
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

# The sessions app's own test helpers (plain functions in its conftest) set a session up to its pre-dose
# checks; they are loaded by path rather than copied so the two apps' tests share one definition.
_spec = importlib.util.spec_from_file_location(
    "sessions_test_helpers", Path(__file__).resolve().parents[1] / "sessions" / "conftest.py"
)
session_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(session_helpers)


@pytest.fixture
def ready_session(staff, make_patient):
    from ketamine_clinic.scheduling.models import Chair
    from ketamine_clinic.sessions.models import DosingSession

    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], sex="male")
    session_helpers.make_consented_and_eligible(patient, staff["prescriber"])
    session = DosingSession.objects.create(
        patient=patient,
        route="iv",
        scheduled_for=timezone.now(),
        chair=Chair.objects.create(name="Chair 9"),
        dose_rule=dataclasses.asdict(session_helpers.IV_RULE),
    )
    return session_helpers.ready_pre_dose(session, staff["nurse"])


def test_record_dose_with_a_lot_writes_the_ledger_and_reconciles(ready_session, stocked, staff):
    from ketamine_clinic.inventory import services as inventory
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import services as sessions

    sessions.record_dose(
        ready_session,
        dose_mg=35,
        user=staff["nurse"],
        lot_id=stocked.pk,
        expected_version=ready_session.version,
    )
    ready_session.refresh_from_db()
    assert ready_session.dose_mg == 35
    given = LedgerEntry.objects.get(kind="administered")
    assert (given.session_id, given.quantity_mcg) == (ready_session.pk, 35_000)
    row = inventory.reconciliation(timezone.localdate(), timezone.localdate())[0]
    assert row.recorded_dose_mcg == 35_000 and row.dose_matches is True and not row.balanced  # remainder held


def test_stock_refusal_rolls_back_the_session_dose(ready_session, lot, safe, staff):
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import services as sessions

    # The lot is known but nothing has been received: the ledger refuses, so the dose must not stand.
    with pytest.raises(ValidationError, match="Not enough"):
        sessions.record_dose(
            ready_session,
            dose_mg=35,
            user=staff["nurse"],
            lot_id=lot.pk,
            expected_version=ready_session.version,
        )
    ready_session.refresh_from_db()
    assert ready_session.dose_mg is None
    assert not LedgerEntry.objects.exists()
