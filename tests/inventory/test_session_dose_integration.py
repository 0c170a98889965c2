"""The sessions app and the ledger end to end: confirming the dose (record_dose with a lot) DRAWS the drug into
the session's custody in the same transaction; only when administration ends (dosing -> monitoring, or stopped
early) is the dose actually delivered recorded as administered. The rest stays held until it is wasted with a
witness, after which the session reconciles: drawn = administered + wasted, administered = delivered dose."""

import dataclasses
import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.core.inventory import held_by
from ketamine_clinic.sessions import custody

# The sessions app's own test helpers (plain functions in its conftest) set a session up to its pre-dose
# checks; they are loaded by path rather than copied so the two apps' tests share one definition.
_spec = importlib.util.spec_from_file_location(
    "sessions_test_helpers", Path(__file__).resolve().parents[1] / "sessions" / "conftest.py"
)
session_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(session_helpers)

PASSWORD = "demo-password-1"


def _ready_session(staff, make_patient, route="iv", rule=None):
    from ketamine_clinic.scheduling.models import Chair
    from ketamine_clinic.sessions.models import DosingSession

    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], sex="male")
    session_helpers.make_consented_and_eligible(patient, staff["prescriber"], route=route)
    session = DosingSession.objects.create(
        patient=patient,
        route=route,
        scheduled_for=timezone.now(),
        chair=Chair.objects.create(name="Chair 9"),
        dose_rule=dataclasses.asdict(rule or session_helpers.IV_RULE),
    )
    # Checked in an hour ago, so the infusion can run its full 40 minutes before "now".
    return session_helpers.ready_pre_dose(session, staff["nurse"], at=timezone.now() - dt.timedelta(minutes=60))


@pytest.fixture
def ready_session(staff, make_patient):
    return _ready_session(staff, make_patient)


def _dosing(session, lot, user, dose_mg=35):
    from ketamine_clinic.sessions import services as sessions

    start = session.checked_in_at + dt.timedelta(minutes=10)
    session_helpers.confirm_dose(session, user, dose_mg=dose_mg, lot_id=lot.pk, now=start - dt.timedelta(minutes=2))
    sessions.transition(session, "dosing", user=user, version=session.version, now=start)
    return session


def _row(session):
    today = timezone.localdate()
    return next(r for r in custody.reconciliation(today, today) if r.session.pk == session.pk)


def _waste_remainder(session, lot, staff):
    from ketamine_clinic.inventory import services as inventory

    held = inventory.held_for_session(lot.pk, session.pk)
    return custody.waste(
        actor=staff["nurse"],
        witness=staff["prescriber"],
        witness_password=PASSWORD,
        lot=lot,
        quantity_mcg=held,
        reason="Unused remainder",
        session=session,
    )


def test_confirming_the_dose_draws_it_and_nothing_is_administered_yet(ready_session, stocked, staff):
    from ketamine_clinic.inventory import services as inventory
    from ketamine_clinic.inventory.models import LedgerEntry

    session_helpers.confirm_dose(ready_session, staff["nurse"], dose_mg=35, lot_id=stocked.pk)
    ready_session.refresh_from_db()
    assert ready_session.dose_mg == 35 and ready_session.delivered_mg is None
    drawn = LedgerEntry.objects.get(kind="drawn")
    assert (drawn.session_id, drawn.quantity_mcg) == (ready_session.pk, 500_000)  # one whole vial
    assert not LedgerEntry.objects.filter(kind="administered").exists()
    assert inventory.held_for_session(stocked.pk, ready_session.pk) == 500_000
    assert _row(ready_session).status.startswith("Open: 500 mg held")


def test_normal_completion_records_the_confirmed_dose_as_administered(ready_session, stocked, staff):
    from ketamine_clinic.audit.models import AuditEvent
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import services as sessions

    session = _dosing(ready_session, stocked, staff["nurse"])
    assert not LedgerEntry.objects.filter(kind="administered").exists()  # the infusion is still running
    sessions.transition(session, "monitoring", user=staff["nurse"], version=session.version)
    session.refresh_from_db()
    assert session.delivered_mg == Decimal("35.00") and session.delivery_basis == "whole confirmed dose"
    given = LedgerEntry.objects.get(kind="administered")
    assert (given.session_id, given.quantity_mcg, given.lot_id) == (session.pk, 35_000, stocked.pk)
    assert given.occurred_at == session.dosing_ended_at  # given when administration ended
    audit = AuditEvent.objects.filter(object_id=str(session.pk), detail__to="monitoring").get()
    assert audit.detail["delivered_mg"] == "35.00" and audit.detail["ledger_entry"] == given.sequence
    row = _row(session)
    assert row.held_mcg == 465_000 and row.dose_matches is True and not row.balanced
    _waste_remainder(session, stocked, staff)
    row = _row(session)
    assert (row.drawn_mcg, row.administered_mcg, row.wasted_mcg) == (500_000, 35_000, 465_000)
    assert row.balanced and row.dose_matches is True and row.status == "Balanced"


def test_stopped_early_needs_the_delivered_dose_then_records_it_and_keeps_the_rest_held(
    ready_session, stocked, staff
):
    from ketamine_clinic.inventory import services as inventory
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import services as sessions
    from ketamine_clinic.sessions.models import DosingSession

    session = _dosing(ready_session, stocked, staff["nurse"])
    version = session.version
    with pytest.raises(ValidationError, match="volume infused") as err:
        sessions.transition(
            session, "stopped_early", user=staff["nurse"], version=version, reason="Patient asked to stop"
        )
    assert "delivered_mg" in err.value.message_dict
    fresh = DosingSession.objects.get(pk=session.pk)
    assert (fresh.state, fresh.version, fresh.delivered_mg) == ("dosing", version, None)  # nothing saved

    # The pump shows 57 mL of the 100 mL bag infused: 35 mg x 57/100 = 19.95 mg delivered.
    sessions.transition(
        session,
        "stopped_early",
        user=staff["nurse"],
        version=version,
        reason="Patient asked to stop",
        volume_infused_ml="57",
    )
    session.refresh_from_db()
    assert session.state == "stopped_early" and session.dose_mg == Decimal("35.00")
    assert session.delivered_mg == Decimal("19.95")
    assert session.delivery_basis.startswith("pump volume infused 57 of 100 mL")
    given = LedgerEntry.objects.get(kind="administered")
    assert given.quantity_mcg == 19_950 and "Delivered 19.95 mg of 35 mg confirmed" in given.reason
    assert inventory.held_for_session(stocked.pk, session.pk) == 480_050  # bag remainder + vial remainder
    assert "Delivered 19.95 mg of 35 mg confirmed" in session.events.get(to_state="stopped_early").reason

    row = _row(session)
    assert row.recorded_dose_mcg == 19_950 and row.dose_matches is True and not row.balanced
    _waste_remainder(session, stocked, staff)
    row = _row(session)
    assert (row.drawn_mcg, row.administered_mcg, row.wasted_mcg, row.held_mcg) == (
        500_000,
        19_950,
        480_050,
        0,
    )
    assert row.status == "Balanced"
    note = sessions.compose_note(session)
    assert "35.00 mg confirmed" in note and "Delivered 19.95 mg of 35 mg confirmed" in note
    assert "not given 15.05 mg" in note


def test_delivered_more_than_confirmed_is_refused_and_nothing_is_saved(ready_session, stocked, staff):
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import services as sessions
    from ketamine_clinic.sessions.models import DosingSession

    session = _dosing(ready_session, stocked, staff["nurse"])
    version = session.version
    for given in ({"delivered_mg": "36"}, {"volume_infused_ml": "101"}):
        with pytest.raises(ValidationError, match="more than the"):
            sessions.transition(
                session, "stopped_early", user=staff["nurse"], version=version, reason="Stopped", **given
            )
    with pytest.raises(ValidationError, match="35.01 mg is more than the 35 mg confirmed and drawn"):
        sessions.transition(session, "monitoring", user=staff["nurse"], version=version, delivered_mg="35.01")
    fresh = DosingSession.objects.get(pk=session.pk)
    assert (fresh.state, fresh.version, fresh.delivered_mg, fresh.dosing_ended_at) == (
        "dosing",
        version,
        None,
        None,
    )
    assert not LedgerEntry.objects.filter(kind="administered").exists()


def test_drug_still_to_be_given_cannot_be_wasted_while_the_infusion_runs(
    ready_session, stocked, staff, client_as
):
    """While dosing, the confirmed dose is still to be given: wasting the whole vial (by mistake) is refused,
    so ending dosing never finds the drug gone; the spare part of the vial may be wasted at once."""
    from ketamine_clinic.inventory import services as inventory
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import services as sessions

    session = _dosing(ready_session, stocked, staff["nurse"])
    page = client_as(staff["nurse"]).get(
        reverse("inventory:waste"), {"session": session.pk, "lot": stocked.pk}
    )
    assert 'value="465"' in page.content.decode()  # pre-filled with the spare part, not the whole vial
    with pytest.raises(ValidationError, match="35 mg is still to be given in this session: at most 465 mg"):
        _waste_remainder(session, stocked, staff)  # all 500 mg
    assert not LedgerEntry.objects.filter(kind="wasted").exists()
    custody.waste(
        actor=staff["nurse"],
        witness=staff["prescriber"],
        witness_password=PASSWORD,
        lot=stocked,
        quantity_mcg=465_000,
        reason="Unused remainder of the vial",
        session=session,
    )
    sessions.transition(session, "monitoring", user=staff["nurse"], version=session.version)
    assert LedgerEntry.objects.get(kind="administered").quantity_mcg == 35_000
    assert inventory.held_for_session(stocked.pk, session.pk) == 0 and _row(session).balanced


def test_delivered_dose_beyond_what_the_session_still_holds_rolls_back_the_transition(
    ready_session, stocked, staff
):
    """If the ledger no longer has the drug in the session's custody (here the draw was corrected as recorded
    in error), the state change is refused with the ledger's message: neither is saved."""
    from ketamine_clinic.inventory import services as inventory
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import services as sessions
    from ketamine_clinic.sessions.models import DosingSession

    session = _dosing(ready_session, stocked, staff["nurse"])
    drawn = LedgerEntry.objects.get(kind="drawn")
    inventory.record_movement(
        actor=staff["nurse"],
        kind="correction",
        lot=stocked,
        quantity_mcg=drawn.quantity_mcg,
        corrects=drawn.sequence,
        reason="Drawn under the wrong session",
    )
    with pytest.raises(ValidationError, match="The session holds 0 mg of lot KX-101"):
        sessions.transition(session, "monitoring", user=staff["nurse"], version=session.version)
    fresh = DosingSession.objects.get(pk=session.pk)
    assert (fresh.state, fresh.delivered_mg) == ("dosing", None)
    assert not LedgerEntry.objects.filter(kind="administered").exists()


def test_aborted_after_the_draw_records_nothing_given_and_the_drug_stays_held(ready_session, stocked, staff):
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import services as sessions

    session_helpers.confirm_dose(ready_session, staff["nurse"], dose_mg=35, lot_id=stocked.pk)
    with pytest.raises(ValidationError, match="recorded when dosing ends"):
        sessions.transition(
            ready_session,
            "aborted",
            user=staff["nurse"],
            version=ready_session.version,
            reason="BP too high",
            delivered_mg="10",
        )
    sessions.transition(
        ready_session, "aborted", user=staff["nurse"], version=ready_session.version, reason="BP"
    )
    ready_session.refresh_from_db()
    assert ready_session.delivered_mg == 0 and not LedgerEntry.objects.filter(kind="administered").exists()
    assert _row(ready_session).held_mcg == 500_000
    _waste_remainder(ready_session, stocked, staff)
    row = _row(ready_session)
    assert row.balanced and row.dose_matches is True  # nothing given, nothing recorded as given


def test_esketamine_devices_used_are_administered_and_unused_devices_stay_held(
    staff, make_patient, products, safe
):
    from ketamine_clinic.core.protocols.dose_rule import DoseRule
    from ketamine_clinic.inventory import services as inventory
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import services as sessions

    entry = inventory.receive(
        actor=staff["nurse"],
        product=products["esketamine-28"],
        lot_number="ESK-1",
        expires_on=timezone.localdate() + dt.timedelta(days=100),
        location=safe,
        containers=6,
        supplier="S",
        invoice="I",
    )
    session = _ready_session(
        staff, make_patient, route="intranasal", rule=DoseRule("fixed_mg", 56, 56, 84, drug="esketamine")
    )
    _dosing(session, entry.lot, staff["nurse"], dose_mg=56)
    assert inventory.held_for_session(entry.lot.pk, session.pk) == 56_000  # two whole devices
    with pytest.raises(ValidationError, match="how many nasal devices"):
        sessions.transition(
            session, "stopped_early", user=staff["nurse"], version=session.version, reason="Nausea"
        )
    with pytest.raises(ValidationError, match="3 devices is more than the 2"):
        sessions.transition(
            session, "stopped_early", user=staff["nurse"], version=session.version, reason="x", devices_used=3
        )
    sessions.transition(
        session,
        "stopped_early",
        user=staff["nurse"],
        version=session.version,
        reason="Nausea",
        devices_used=1,
    )
    session.refresh_from_db()
    assert session.delivered_mg == 28 and session.delivery_basis == "1 of 2 nasal devices used"
    assert LedgerEntry.objects.get(kind="administered").quantity_mcg == 28_000
    assert inventory.lot_balances(entry.lot.pk)[held_by(session.pk)] == 28_000  # one device to waste


def test_stock_refusal_rolls_back_the_session_dose(ready_session, lot, safe, staff):
    from ketamine_clinic.inventory.models import LedgerEntry

    # The lot is known but nothing has been received: the ledger refuses, so the dose must not stand.
    with pytest.raises(ValidationError, match="Not enough"):
        session_helpers.confirm_dose(ready_session, staff["nurse"], dose_mg=35, lot_id=lot.pk)
    ready_session.refresh_from_db()
    assert ready_session.dose_mg is None
    assert not LedgerEntry.objects.exists()
