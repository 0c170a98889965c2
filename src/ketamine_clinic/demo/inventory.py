"""Synthetic controlled-substance demo data: products, two safes, the receipts (before the first demo dose; the
sessions seed draws, administers and wastes through the flowsheet's services), and one count whose discrepancy
was investigated and resolved. Idempotent.

Every movement goes through the same services as the pages, so the demo ledger is sealed and verifies.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ketamine_clinic.core.inventory import STANDARD_PRODUCTS, Kind, Movement
from ketamine_clinic.inventory import services
from ketamine_clinic.inventory.models import Count, Discrepancy, LedgerEntry, Lot, Product, StorageLocation

from .registry import DEMO_PASSWORD


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


RECEIPTS = [
    # (product key, lot number, days to expiry, safe, containers, invoice): enough for every demo dose.
    ("ketamine-50-10", "KT50-2407A", 420, "Safe A", 400, "INV-SYN-0412"),
    ("ketamine-100-5", "KT100-2402C", 250, "Safe A", 6, "INV-SYN-0412"),
    ("esketamine-28", "ESK-2405B", 190, "Safe B", 600, "INV-SYN-0413"),
]


def _safes():
    safe_a, _ = StorageLocation.objects.get_or_create(
        name="Safe A", defaults={"description": "Double-locked safe, infusion suite"}
    )
    safe_b, _ = StorageLocation.objects.get_or_create(
        name="Safe B", defaults={"description": "Double-locked safe, nasal spray room"}
    )
    return {"Safe A": safe_a, "Safe B": safe_b}


def receive_stock(clinic, *, before: dt.datetime) -> None:
    """The demo's stock, received (against invoices) three days before the first demo dose; idempotent.

    Called by the sessions seed before it gives any dose: every dose is drawn from these lots by the flowsheet's
    services, and every remainder is wasted with a witness there.
    """
    if LedgerEntry.objects.filter(kind=Kind.RECEIVED).exists():
        return
    nurses = clinic.staff.get("nurse", [])
    products = ensure_products()
    safes = _safes()
    start = _at(min(clinic.now - dt.timedelta(days=35), before - dt.timedelta(days=3)), 9)
    today = timezone.localdate(clinic.now)
    for key, number, days, safe, n, invoice in RECEIPTS:
        services.receive(
            actor=nurses[0],
            product=products[key],
            lot_number=number,
            expires_on=today + dt.timedelta(days=days),
            location=safes[safe],
            containers=n,
            supplier="Synthetic Specialty Distributor (demo)",
            invoice=invoice,
            occurred_at=start,
            now=start,
        )


def seed(clinic) -> None:
    """After the sessions: one count a week ago that found a discrepancy, investigated and resolved."""
    if Count.objects.exists():
        return
    nurses = clinic.staff.get("nurse", [])
    prescribers = clinic.staff.get("prescriber", [])
    if len(nurses) < 1 or len(nurses) + len(prescribers) < 2:
        return
    receive_stock(clinic, before=clinic.now)
    witness = nurses[1] if len(nurses) > 1 else prescribers[0]
    director = clinic.staff.get("director", [witness])[0]
    with transaction.atomic():
        # A count a week ago found one 100 mg/mL vial missing from Safe A: it had been moved to Safe B
        # without a transfer entry. The transfer was recorded and the discrepancy resolved with a note.
        count_at = _at(clinic.now - dt.timedelta(days=7), 18)
        lot_100 = {lot.product.key: lot for lot in Lot.objects.select_related("product")}["ketamine-100-5"]
        discrepancy = _count_one_vial_short(nurses[0], witness, lot_100, count_at)
        _resolve_by_transfer(director, discrepancy, lot_100, count_at, fix_at=count_at + dt.timedelta(hours=14))


def _count_one_vial_short(nurse, witness, lot_100, count_at) -> Discrepancy:
    """The end-of-day count of Safe A, one vial of ``lot_100`` short: the discrepancy it opened."""
    safe_a = _safes()["Safe A"]
    expected = services.expected_in(safe_a)
    counted = dict(expected)
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
    return Discrepancy.objects.get(line__count=count)


def _resolve_by_transfer(director, discrepancy, lot_100, count_at, *, fix_at) -> None:
    """The director records the move that was never entered, then resolves the discrepancy without adjusting."""
    safes = _safes()
    services.append(
        Movement(
            Kind.TRANSFERRED,
            lot_100.pk,
            lot_100.product.unit_content_mcg,
            count_at,
            director.pk,
            location=safes["Safe A"].pk,
            to_location=safes["Safe B"].pk,
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
