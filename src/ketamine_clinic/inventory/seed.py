"""Synthetic controlled-substance demo data: products, two safes, receipts, a few weeks of administrations with
witnessed waste linked to the seeded dosing sessions, and one count whose discrepancy was investigated and
resolved. Idempotent: if the ledger already has entries, nothing is created.

Every movement goes through the same services as the pages, so the demo ledger is hash-chained and
verifies.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import access
from ketamine_clinic.core.inventory import STANDARD_PRODUCTS, Kind, Movement

from . import services
from .models import Discrepancy, LedgerEntry, Product, StorageLocation

# IV racemic ketamine for depression: 0.5 mg/kg over 40 minutes (Berman et al., Biol Psychiatry 2000;47:351,
# PMID 10686270; Zarate et al., Arch Gen Psychiatry 2006;63:856, PMID 16894061).
IV_MG_PER_KG = Decimal("0.5")
# Esketamine: 56 mg (two 28 mg devices) is the label's day-1 induction dose (SPRAVATO PI, section 2.2).
ESKETAMINE_DOSE_DEVICES = 2
DEMO_PASSWORD = "demo-password-1"
# Sessions whose dose has been confirmed and given (states of core.administration.states.SessionState).
DOSED_STATES = ["dosing", "monitoring", "ready_for_discharge", "discharged", "stopped_early"]


def _confirmed(session) -> Decimal:
    """The dose the sessions app confirmed, or the demo order for sessions seeded without one."""
    if session.dose_mg is not None:
        return session.dose_mg
    if session.route == "intranasal":
        return Decimal(28 * ESKETAMINE_DOSE_DEVICES)
    weight = session.patient.weight_kg or Decimal("70")
    return (IV_MG_PER_KG * weight).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _dose_through_the_ledger(session, lots, nurse, witness, *, today):
    """What the flowsheet and the waste page do for one session: the confirmed dose is drawn (whole vials or
    devices) when it is confirmed; when dosing ends the delivered dose is administered; the remainder held
    by the session is wasted with a witness - except for today's sessions still in the clinic, whose
    remainder stays held for the nurse to waste (the waste page pre-fills it)."""
    from ketamine_clinic.sessions.models import DosingSession

    lot = lots["esketamine-28" if session.route == "intranasal" else "ketamine-50-10"]
    start = session.scheduled_for
    confirmed_at = session.dose_confirmed_at or start + dt.timedelta(minutes=10)
    ended_at = session.dosing_ended_at or start + dt.timedelta(minutes=55)
    # Sessions still dosing have delivered nothing yet; older records without a delivered dose gave it all.
    delivered = session.given_mg if session.state != "dosing" else None
    if delivered is None and session.state != "dosing":
        delivered = _confirmed(session)
    try:
        with transaction.atomic():  # the draw and the dose stand or fall together
            services.draw_for_dose(
                session=session,
                lot_id=lot.pk,
                dose_mg=_confirmed(session),
                user=nurse,
                occurred_at=confirmed_at,
                now=confirmed_at,
            )
            DosingSession.objects.filter(pk=session.pk).update(lot_id=lot.pk)
            if delivered:
                services.record_administration(
                    session=session,
                    lot_id=lot.pk,
                    dose_mg=delivered,
                    user=nurse,
                    reason=f"Delivered {delivered} mg of {session.dose_mg} mg confirmed"
                    if session.delivered_differs
                    else "",
                    occurred_at=ended_at,
                    now=ended_at,
                )
    except ValidationError:  # a demo session the stock cannot cover is simply left out
        return
    in_clinic = not session.is_closed and timezone.localdate(start) == today
    remainder = services.held_for_session(lot.pk, session.pk)
    if remainder > 0 and not in_clinic:
        after = ended_at + dt.timedelta(minutes=5)
        services.append(
            Movement(
                Kind.WASTED,
                lot.pk,
                remainder,
                after,
                nurse.pk,
                session=session.pk,
                witness=witness.pk,
                reason="Unused remainder of single-patient vial"
                if session.route != "intranasal"
                else "Unused nasal device",
            ),
            actor=nurse,
            now=after,
            patient=session.patient,
        )


def _on_team(session, staff, *, fallback):
    """The session's own nurse when she may write the patient's record, else the first of ``staff`` who may."""
    candidates = ([session.nurse] if session.nurse_id else []) + list(staff)
    return next((u for u in candidates if access.can(u, "clinical", "write", session.patient)), fallback)


def ensure_products() -> dict[str, Product]:
    """The standard products (core ``STANDARD_PRODUCTS``), created if missing; {key: Product}."""
    out = {}
    for spec in STANDARD_PRODUCTS:
        out[spec.key], _ = Product.objects.get_or_create(
            key=spec.key,
            defaults=dict(
                name=spec.name,
                drug=spec.drug,
                form=spec.form,
                unit_content_mcg=spec.unit_content_mcg,
                whole_units_only=spec.whole_units_only,
                concentration_mg_per_ml=spec.concentration_mg_per_ml,
                volume_ml=spec.volume_ml,
                dea_schedule=spec.dea_schedule,
                source=spec.source,
            ),
        )
    return out


def _at(day: dt.datetime, hour: int, minute: int = 0) -> dt.datetime:
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def seed(clinic) -> None:
    if LedgerEntry.objects.exists():
        return
    from ketamine_clinic.sessions.models import DosingSession

    products = ensure_products()
    now = clinic.now
    nurses = clinic.staff.get("nurse", [])
    prescribers = clinic.staff.get("prescriber", [])
    if len(nurses) < 1 or len(nurses) + len(prescribers) < 2:
        return
    nurse = nurses[0]
    witness = nurses[1] if len(nurses) > 1 else prescribers[0]
    director = clinic.staff.get("director", [witness])[0]

    with transaction.atomic():
        safe_a, _ = StorageLocation.objects.get_or_create(
            name="Safe A", defaults={"description": "Double-locked safe, infusion suite"}
        )
        safe_b, _ = StorageLocation.objects.get_or_create(
            name="Safe B", defaults={"description": "Double-locked safe, nasal spray room"}
        )
        # Stock arrives before the first seeded dose (the demo's courses go back months), enough for all of them.
        dosed = DosingSession.objects.filter(scheduled_for__lt=now, state__in=DOSED_STATES)
        earliest = dosed.order_by("scheduled_for").values_list("scheduled_for", flat=True).first()
        start = _at(min(now - dt.timedelta(days=35), (earliest or now) - dt.timedelta(days=3)), 9)
        iv_vials = dosed.exclude(route="intranasal").count()
        devices = sum(
            -(
                -services.to_mcg(d or Decimal(28 * ESKETAMINE_DOSE_DEVICES))
                // products["esketamine-28"].unit_content_mcg
            )
            for d in dosed.filter(route="intranasal").values_list("dose_mg", flat=True)
        )
        today = timezone.localdate(now)
        receipts = [
            (
                products["ketamine-50-10"],
                "KT50-2407A",
                today + dt.timedelta(days=420),
                safe_a,
                max(60, iv_vials + 20),
                "INV-SYN-0412",
            ),
            (
                products["ketamine-100-5"],
                "KT100-2402C",
                today + dt.timedelta(days=250),
                safe_a,
                6,
                "INV-SYN-0412",
            ),
            (
                products["esketamine-28"],
                "ESK-2405B",
                today + dt.timedelta(days=190),
                safe_b,
                max(80, devices + 20),
                "INV-SYN-0413",
            ),
        ]
        lots = {}
        for product, number, expiry, location, n, invoice in receipts:
            entry = services.receive(
                actor=nurse,
                product=product,
                lot_number=number,
                expires_on=expiry,
                location=location,
                containers=n,
                supplier="Synthetic Specialty Distributor (demo)",
                invoice=invoice,
                occurred_at=start,
                now=start,
            )
            lots[product.key] = entry.lot

        sessions = (
            dosed.filter(scheduled_for__gte=start + dt.timedelta(hours=1))
            .select_related("patient", "nurse")
            .order_by("scheduled_for")
        )
        for session in sessions:
            # Drug is drawn by someone on the patient's care team (the ledger refuses anyone else), and the
            # remainder wasted in front of a different member of staff.
            drawer = _on_team(session, nurses + prescribers, fallback=nurse)
            wit = next((u for u in nurses + prescribers if u.pk != drawer.pk), witness)
            _dose_through_the_ledger(session, lots, drawer, wit, today=timezone.localdate(now))

        # A count a week ago found one 100 mg/mL vial missing from Safe A: it had been moved to Safe B
        # without a transfer entry. The transfer was recorded and the discrepancy resolved with a note.
        count_at = _at(now - dt.timedelta(days=7), 18)
        expected = services.expected_in(safe_a)
        counted = dict(expected)
        lot_100 = lots["ketamine-100-5"]
        counted[lot_100.pk] = expected.get(lot_100.pk, 0) - lot_100.product.unit_content_mcg
        count = services.perform_count(
            actor=nurse,
            witness=witness,
            witness_password=DEMO_PASSWORD,
            location=safe_a,
            counted=counted,
            note="End-of-day count",
            now=count_at,
        )
        discrepancy = Discrepancy.objects.get(line__count=count)
        fix_at = count_at + dt.timedelta(hours=14)
        services.append(
            Movement(
                Kind.TRANSFERRED,
                lot_100.pk,
                lot_100.product.unit_content_mcg,
                count_at,
                director.pk,
                location=safe_a.pk,
                to_location=safe_b.pk,
                reason=f"Unrecorded move found investigating discrepancy {discrepancy.pk}",
            ),
            actor=director,
            now=fix_at,
        )
        services.resolve_discrepancy(
            actor=director,
            discrepancy=discrepancy,
            note="Vial found sealed in Safe B; it had been moved without a transfer entry. Transfer recorded; "
            "staff reminded to record every move.",
            adjust=False,
            now=fix_at + dt.timedelta(minutes=5),
        )
