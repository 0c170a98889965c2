"""Controlled-substance ledger operations used by the pages, the API, the sessions app and the demo seed.

This is the generic ledger: it knows lots, safes and balances, not dosing sessions. Drug a session holds is
moved only through ``ketamine_clinic.sessions.custody`` (see :class:`SessionCustody`). One module per job:

* :mod:`.balances`: quantities in mg -> micrograms, and the balances derived from the entries;
* :mod:`.ledger`: :func:`append`, the one way in (chain lock, rules, seal, head, audit row);
* :mod:`.movements`: receipts, stock waste and the other movements recorded on the pages and the API;
* :mod:`.counts`: stock counts by two staff and the discrepancies they open;
* :mod:`.verification`: the check of every seal, link, the head and the counts' checkpoints;
* :mod:`.reports`: stock per lot and safe, drug held by sessions, the administration log.

Callers keep using ``from ketamine_clinic.inventory import services; services.append(...)``: the public names
of every module are here.
"""

from .balances import (
    all_balances,
    available_lots,
    held_for_session,
    lot_balances,
    lot_entries,
    stock_of,
    to_mcg,
)
from .counts import expected_in, perform_count, resolve_discrepancy
from .ledger import MAX_CONTAINERS_PER_ENTRY, SessionCustody, append, ledger_key, lock_chain
from .movements import (
    append_waste,
    check_witness,
    movement_kind,
    receive,
    record_movement,
    user_of,
    waste,
    when,
)
from .reports import LOG_KINDS, StockRow, administration_log, held_rows, stock_rows
from .verification import Verification, verify_ledger, verify_ledger_head

__all__ = [
    "LOG_KINDS",
    "MAX_CONTAINERS_PER_ENTRY",
    "SessionCustody",
    "StockRow",
    "Verification",
    "administration_log",
    "all_balances",
    "append",
    "append_waste",
    "available_lots",
    "check_witness",
    "expected_in",
    "held_for_session",
    "held_rows",
    "ledger_key",
    "lock_chain",
    "lot_balances",
    "lot_entries",
    "movement_kind",
    "perform_count",
    "receive",
    "record_movement",
    "resolve_discrepancy",
    "stock_of",
    "stock_rows",
    "to_mcg",
    "user_of",
    "verify_ledger",
    "verify_ledger_head",
    "waste",
    "when",
]
