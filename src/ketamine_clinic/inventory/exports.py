"""CSV exports of the controlled-substance records, shared by the pages and the ``export`` command.

The dispensing/administration log (21 CFR 1304.22(c)) and the inventory as of a moment (the biennial
inventory, 21 CFR 1304.11). Quantities are in mg as the ledger's micrograms print them, times in the clinic's
time zone.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ketamine_clinic import access
from ketamine_clinic.core.inventory import format_mg

from . import services

LOG_HEADER = [
    "entry",
    "occurred_at",
    "kind",
    "product",
    "lot",
    "quantity_mg",
    "location",
    "to_location",
    "session",
    "patient_mrn",
    "patient",
    "recorded_by",
    "witness",
    "counterparty",
    "reference",
    "reason",
    "corrects",
    "hash",
]

INVENTORY_HEADER = [
    "product",
    "drug",
    "schedule",
    "form",
    "content_per_container_mg",
    "lot",
    "expires_on",
    "location",
    "full_containers",
    "opened_container_mg",
    "total_mg",
]


def _mg(mcg: int) -> str:
    return str(format_mg(mcg)).removesuffix(" mg")


def log_row(e, names) -> list:
    """One ledger entry as a CSV row; ``names`` (access.PatientNames) decides whether its patient is named."""
    patient = e.session.patient if e.session_id else None
    return [
        e.sequence,
        timezone.localtime(e.occurred_at).isoformat(timespec="minutes"),
        e.kind,
        e.lot.product.name,
        e.lot.lot_number,
        _mg(e.quantity_mcg),
        e.location or "",
        e.to_location or "",
        e.session_id or "",
        names.mrn(patient) if patient else "",
        names.name(patient),
        e.recorded_by.display_name(),
        e.witness.display_name() if e.witness_id else "",
        e.counterparty,
        e.reference,
        e.reason,
        e.corrects or "",
        e.hash,
    ]


def log_rows(user, start: dt.date, end: dt.date, *, kinds=None) -> list[list]:
    """Every ledger entry between ``start`` and ``end`` (clinic days, inclusive), oldest first, its patients named
    as ``user`` may see them (access.PatientNames)."""
    names = access.PatientNames(user)
    return [log_row(e, names) for e in services.administration_log(start, end, kinds=kinds)]


def through_the_minute(as_of: dt.datetime) -> dt.datetime:
    """A moment typed to the minute ("18:00") counts the whole of that minute, inclusive."""
    if as_of.second == 0 and as_of.microsecond == 0:
        return as_of + dt.timedelta(seconds=59, microseconds=999_999)
    return as_of


def inventory_row(r: services.StockRow) -> list:
    product = r.lot.product
    return [
        product.name,
        product.drug,
        product.dea_schedule,
        product.form,
        _mg(product.unit_content_mcg),
        r.lot.lot_number,
        r.lot.expires_on.isoformat(),
        r.location.name,
        r.full_containers,
        _mg(r.partial_mcg),
        _mg(r.balance_mcg),
    ]


def inventory_rows(as_of: dt.datetime) -> list[list]:
    """Stock on hand per lot and location at ``as_of`` (derived from the ledger)."""
    return [inventory_row(r) for r in services.stock_rows(as_of=as_of)]
