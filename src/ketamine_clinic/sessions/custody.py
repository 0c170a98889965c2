"""A dosing session's custody of its controlled drug: what is drawn for it, given in it, wasted or returned
from what it holds, and how its drug reconciles. Used by the sessions services (dose confirmation, end of
dosing), by the session pages and API of the controlled-substance area (draw, waste, other movements,
reconciliation: same paths and URL names as the rest of that area), and by the demo seed.

Every movement of a session's drug goes through the functions here: they run the session's checks (care
team, session not ended, dose still to give) and only then hand the movement to the generic ledger
(:mod:`ketamine_clinic.inventory.services`) with a :class:`~ketamine_clinic.inventory.services.SessionCustody`.
The ledger refuses a movement that names a session without one, so there is no way round these checks. The
ledger knows nothing of sessions; this module depends on it, never the other way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import access
from ketamine_clinic.core.administration.states import SessionState
from ketamine_clinic.core.inventory import Kind, Movement, format_mg, held_by, session_tallies
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import LedgerEntry, Lot, StorageLocation
from ketamine_clinic.inventory.services import SessionCustody

from .models import DosingSession

# ------------------------------------------------------------------------------------------------- checks


def _check_on_care_team(session, user, what: str):
    """Drug of a session is handled only by someone who may write its patient's clinical record (on the care
    team, or the medical director). Returns the session row, read fresh from the database."""
    row = DosingSession.objects.select_related("patient").filter(pk=getattr(session, "pk", session)).first()
    if row is None:
        raise ValidationError({"session": "There is no such dosing session."})
    if not access.can(user, "clinical", "write", row.patient):
        raise ValidationError(
            {
                "session": f"You are not on this patient's care team, so you cannot {what} for their session. "
                "Ask a nurse or prescriber on the team, or the medical director."
            }
        )
    return row


def _custody(session) -> SessionCustody:
    """The ledger's leave to move drug for ``session``: issued here only, once the session's checks ran."""
    return SessionCustody(session_id=session.pk, patient=session.patient)


def _check_session_takes_draw(session, user, occurred_at) -> None:
    """Drug is drawn only by someone who may write ``session``'s patient's clinical record (on the care team,
    or the medical director), and only for a session that had not ended when the draw happened.

    The session is read fresh from the database (a plain query of the sessions model), not from the caller's
    copy. A session has ended once it is discharged, aborted or stopped early; it ended at the latest of its
    recorded state-change, discharge and end-of-dosing times. A draw recorded now (the pages and the API) is
    therefore refused for every ended session; only a draw that happened before the end (the demo seed's
    history, a caller passing ``occurred_at``) may still be recorded for it."""
    row = _check_on_care_team(session, user, "draw drug")
    try:
        state = SessionState(row.state)
    except ValueError:
        raise ValidationError({"session": "This session's state is not one the clinic knows."}) from None
    if state.is_terminal:
        ends = [t for t in (row.state_changed_at, row.discharged_at, row.dosing_ended_at) if t is not None]
        if not ends or occurred_at >= max(ends):
            raise ValidationError(
                {
                    "session": f"This session is already {state.label.lower()}: no drug can be drawn for it. "
                    "Choose the patient's current session."
                }
            )


# ------------------------------------------------------------------------------------------------- drawing


def draw(
    *, actor, session, lot: Lot, location: StorageLocation, quantity_mcg: int, occurred_at=None, now=None
):
    """Take drug out of the safe for one dosing session (it is then held by the session).

    Refused (ValidationError on ``session``) when the drawing user may not write the patient's clinical
    record or the session has ended (:func:`_check_session_takes_draw`); ``quantity_mcg`` must be a real
    quantity, more than zero (no default here: the page and API decide what an empty field means)."""
    user = ledger.user_of(actor)
    if session is None:
        raise ValidationError({"session": "Choose the dosing session the drug is drawn for."})
    with transaction.atomic():
        ledger.lock_chain()
        now = now or timezone.now()
        occurred_at = ledger.when(occurred_at, now)
        _check_session_takes_draw(session, user, occurred_at)
        return ledger.append(
            Movement(
                Kind.DRAWN,
                lot.pk,
                quantity_mcg,
                occurred_at,
                user.pk,
                location=location.pk,
                session=session.pk,
            ),
            actor=actor,
            now=now,
            custody=_custody(session),
        )


def draw_for_dose(*, session, lot_id, dose_mg, user, now=None, occurred_at=None):
    """Draw drug from lot ``lot_id`` into ``session``'s custody when its dose is confirmed.

    Called by the sessions services inside the same ``transaction.atomic()`` as the dose record. Whole
    vials/devices are drawn from the location that has them until the session holds at least ``dose_mg`` of
    the lot; nothing is drawn when it already does (returns None then). What is drawn stays *held* by the
    session: :func:`record_administration` moves the delivered part to administered when dosing ends, and
    the remainder is wasted with a witness. Raises ValidationError (rolling back the caller's transaction) if
    the lot is unknown or expired or there is not enough stock, or when ``user`` may not write the
    patient's clinical record or the session has already ended (:func:`_check_session_takes_draw`).
    """
    dose_mcg = _dose_mcg(dose_mg)
    with transaction.atomic():
        ledger.lock_chain()
        now = now or timezone.now()
        occurred_at = occurred_at or now
        _check_session_takes_draw(session, user, occurred_at)
        lot = _dosing_lot(lot_id, occurred_at)
        balances = ledger.lot_balances(lot.pk)
        shortfall = dose_mcg - balances.get(held_by(session.pk), 0)
        if shortfall <= 0:
            return None
        amount, location_id = _draw_source(lot, balances, shortfall)
        return ledger.append(
            Movement(
                Kind.DRAWN, lot.pk, amount, occurred_at, user.pk, location=location_id, session=session.pk
            ),
            actor=user,
            now=now,
            custody=_custody(session),
        )


def _draw_source(lot: Lot, balances: dict, shortfall: int) -> tuple[int, object]:
    """(mcg, location id) to draw: whole vials/devices covering ``shortfall``, from the fullest location that
    has enough (ties by location id); refused when no one location has enough."""
    unit = lot.product.unit_content_mcg
    whole = -(-shortfall // unit) * unit
    stocks = sorted(
        ((v, key) for (kind, key), v in balances.items() if kind == "stock" and v > 0),
        key=lambda item: (-item[0], item[1]),
    )
    source = next(((min(v, whole), key) for v, key in stocks if v >= shortfall), None)
    if source is None:
        total = sum(v for v, _ in stocks)
        raise ValidationError(
            {
                "lot": f"Not enough of lot {lot.lot_number} in stock: {format_mg(total)} in total, "
                f"the dose needs {format_mg(shortfall)} more than the session holds."
            }
        )
    return source


def _dose_mcg(dose_mg) -> int:
    dose_mcg = ledger.to_mcg(dose_mg, "dose_mg")
    if dose_mcg <= 0:
        raise ValidationError({"dose_mg": "The dose must be more than zero."})
    return dose_mcg


def _dosing_lot(lot_id, occurred_at) -> Lot:
    try:
        lot = Lot.objects.select_related("product").get(pk=lot_id)
    except (Lot.DoesNotExist, ValueError, TypeError, OverflowError):
        raise ValidationError({"lot": f"There is no stock lot {lot_id}."}) from None
    if lot.expires_on < timezone.localdate(occurred_at):
        raise ValidationError(
            {"lot": f"Lot {lot.lot_number} expired on {lot.expires_on:%Y-%m-%d}; choose an in-date lot."}
        )
    return lot


# ---------------------------------------------------------------------------------------------- administering


def record_administration(
    *, session, lot_id, dose_mg, user, dose_ref: str = "", reason: str = "", now=None, occurred_at=None
):
    """Record the dose actually delivered in ``session`` from lot ``lot_id`` as an *administered* entry.

    Called by the sessions services when administration ends (dosing -> monitoring, or stopped early), inside
    the same ``transaction.atomic()`` as the session's delivered dose. The drug must already be held by the
    session (drawn by :func:`draw_for_dose` when the dose was confirmed): nothing is drawn here, so a dose
    larger than what was drawn is refused, and what is not administered stays held until it is wasted with a
    witness. Raises ValidationError (rolling back the caller's transaction) if the lot is unknown or expired
    or the session holds less than ``dose_mg`` of it.
    """
    dose_mcg = _dose_mcg(dose_mg)
    with transaction.atomic():
        ledger.lock_chain()
        now = now or timezone.now()
        occurred_at = occurred_at or now
        lot = _dosing_lot(lot_id, occurred_at)
        held = ledger.lot_balances(lot.pk).get(held_by(session.pk), 0)
        if dose_mcg > held:
            raise ValidationError(
                {
                    "dose_mg": f"The session holds {format_mg(held)} of lot {lot.lot_number}; "
                    f"{format_mg(dose_mcg)} cannot be recorded as given. Only drug drawn for the session "
                    "can be administered: draw it first (or check that it was not already wasted)."
                }
            )
        return ledger.append(
            Movement(
                Kind.ADMINISTERED,
                lot.pk,
                dose_mcg,
                occurred_at,
                user.pk,
                session=session.pk,
                dose_ref=str(dose_ref),
                reason=reason,
            ),
            actor=user,
            now=now,
            custody=_custody(session),
        )


# ------------------------------------------------------------------------------------- wasting, returning


def waste(
    *,
    actor,
    witness,
    witness_password: str,
    lot: Lot,
    quantity_mcg: int,
    reason: str,
    session=None,
    location: StorageLocation | None = None,
    occurred_at=None,
    now=None,
):
    """Waste drug (the unused remainder a session holds, or a broken vial in the safe) in front of a witness
    who confirms with their own password at that moment. Clinic policy, in line with DEA's expectation
    that wastage is recorded and witnessed; disposal of *stock* is :func:`record_movement` ``destroyed``.

    Without ``session`` this is the ledger's own stock waste (:func:`ketamine_clinic.inventory.services.waste`);
    with one, the waster must be on the patient's care team and may not waste the dose still to give."""
    if session is None:
        return ledger.waste(
            actor=actor, witness=witness, witness_password=witness_password, lot=lot, quantity_mcg=quantity_mcg,
            reason=reason, location=location, occurred_at=occurred_at, now=now,
        )  # fmt: skip
    user = ledger.user_of(actor)
    _check_on_care_team(session, user, "waste drug")
    ledger.check_witness(user, witness, witness_password)
    with transaction.atomic():
        ledger.lock_chain()
        _check_not_still_to_give(session, lot, quantity_mcg)
        return ledger.append_waste(actor=actor, user=user, witness=witness, lot=lot, quantity_mcg=quantity_mcg,
                                   reason=reason, location=location, occurred_at=occurred_at, now=now,
                                   custody=_custody(session))


def still_to_give_mcg(session_id, lot_id) -> int:
    """The session's confirmed dose from ``lot_id`` while its delivered dose is not yet recorded (the drug is
    in the bag or syringe, not spare), else 0. Read from the database, not from a caller's (maybe stale) copy."""
    row = DosingSession.objects.filter(pk=session_id).values_list("dose_mg", "delivered_mg", "lot_id").first()
    if row is None:
        return 0
    dose_mg, delivered_mg, session_lot = row
    if dose_mg is None or delivered_mg is not None or session_lot != lot_id:
        return 0
    return ledger.to_mcg(dose_mg)


def wastable_for_session(lot_id, session_id) -> int:
    """What the session holds of ``lot_id`` beyond the dose it has still to give: what may be wasted now."""
    return max(ledger.held_for_session(lot_id, session_id) - still_to_give_mcg(session_id, lot_id), 0)


def _check_not_still_to_give(session, lot: Lot, quantity_mcg: int) -> None:
    """Until the session records the dose it delivered, its confirmed dose is still to be given: only what it
    holds beyond that may be wasted (else ending dosing would find the drug gone)."""
    to_give = still_to_give_mcg(session.pk, lot.pk)
    if to_give and quantity_mcg > wastable_for_session(lot.pk, session.pk):
        raise ValidationError(
            {
                "quantity_mg": f"{format_mg(to_give)} is still to be given in this session: at most "
                f"{format_mg(wastable_for_session(lot.pk, session.pk))} can be wasted until the delivered dose "
                "is recorded (end dosing on the flowsheet first)."
            }
        )


def record_movement(*, actor, kind: str, lot: Lot, quantity_mcg: int, session=None, **fields):
    """Any other movement (returned, returned to supplier, transferred, destroyed, correction): the ledger's
    :func:`ketamine_clinic.inventory.services.record_movement`, which takes the same keyword ``fields``
    (locations, witness and password, counterparty, reference, reason, corrects, occurred_at, now). With
    ``session`` (drug a session holds, returned to the safe) the recorder must be on the patient's care team."""
    custody = None
    if session is not None:
        kind = ledger.movement_kind(kind)
        session = _check_on_care_team(session, ledger.user_of(actor), f"record {kind.label.lower()} entries")
        custody = _custody(session)
    return ledger.record_movement(
        actor=actor, kind=kind, lot=lot, quantity_mcg=quantity_mcg, custody=custody, **fields
    )


# ---------------------------------------------------------------------------------------- reconciliation


DOSE_MATCH_TOLERANCE_MCG = 5


@dataclass(frozen=True)
class SessionReconciliation:
    """One session's drug: drawn = administered + wasted + returned once balanced (nothing held), and the
    administered total equals ``recorded_dose_mcg``, the dose the session says was delivered
    (:func:`recorded_dose_mcg`)."""

    session: object
    drawn_mcg: int
    administered_mcg: int
    wasted_mcg: int
    returned_mcg: int
    held_mcg: int
    recorded_dose_mcg: int | None

    @property
    def balanced(self) -> bool:
        return self.held_mcg == 0

    @property
    def dose_matches(self) -> bool | None:
        """Does the ledger's administered total equal the dose the session says was delivered (the confirmed
        dose for sessions without a delivered dose)? The sessions app stores doses to 0.01 mg while the
        ledger keeps micrograms, so half of that last digit (5 micrograms) is the tolerance."""
        if self.recorded_dose_mcg is None:
            return None
        return abs(self.recorded_dose_mcg - self.administered_mcg) <= DOSE_MATCH_TOLERANCE_MCG

    @property
    def status(self) -> str:
        if not self.balanced:
            return f"Open: {format_mg(self.held_mcg)} held, not yet administered, wasted or returned"
        if self.dose_matches is False:
            return "Dose mismatch: the session's delivered dose differs from the ledger's administered total"
        return "Balanced"


def recorded_dose_mcg(session) -> int | None:
    """The dose the session itself says the patient received: the delivered dose recorded when administration
    ended (``DosingSession.delivered_mg``), else the confirmed dose (``dose_mg``, sessions recorded before
    delivered doses were kept, or still dosing). Both are Decimal to 0.01 mg."""
    value = session.delivered_mg if session.delivered_mg is not None else session.dose_mg
    if value is None:
        return None
    try:
        return ledger.to_mcg(value)
    except ValidationError:
        return None


def reconciliation(start: dt.date, end: dt.date) -> list[SessionReconciliation]:
    """Every session with ledger entries that occurred between ``start`` and ``end`` (inclusive), tallied over
    the whole ledger: drawn = administered + wasted + returned when balanced."""
    entries = [row.as_core() for row in LedgerEntry.objects.order_by("sequence")]
    tallies = session_tallies(entries)
    in_range = set(
        LedgerEntry.objects.filter(
            session__isnull=False, occurred_at__date__gte=start, occurred_at__date__lte=end
        ).values_list("session_id", flat=True)
    )
    sessions = (
        DosingSession.objects.filter(pk__in=in_range).select_related("patient").order_by("scheduled_for")
    )
    rows = []
    for s in sessions:
        t = tallies.get(s.pk)
        if t is None:
            continue
        rows.append(
            SessionReconciliation(
                session=s,
                drawn_mcg=t.drawn_mcg,
                administered_mcg=t.administered_mcg,
                wasted_mcg=t.wasted_mcg,
                returned_mcg=t.returned_mcg,
                held_mcg=t.held_mcg,
                recorded_dose_mcg=recorded_dose_mcg(s),
            )
        )
    return rows
