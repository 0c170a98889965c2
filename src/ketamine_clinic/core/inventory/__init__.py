"""Pure rules of the controlled-substance ledger (no Django): movements, validation, derived balances,
hash chaining and reconciliation. See :mod:`.ledger` for the rules and their regulatory sources."""

from .chain import GENESIS_HASH, ChainBreak, canonical, entry_hash, verify_chain
from .ledger import (
    Entry,
    Kind,
    Ledger,
    LedgerError,
    LotSpec,
    Movement,
    apply,
    check,
    derive_balances,
    effects,
    held_by,
    stock,
)
from .products import STANDARD_PRODUCTS, ProductSpec, containers
from .quantities import QuantityError, format_mg, mcg_to_mg, mg_to_mcg
from .reconcile import SessionTally, session_tallies

__all__ = [
    "GENESIS_HASH",
    "STANDARD_PRODUCTS",
    "ChainBreak",
    "Entry",
    "Kind",
    "Ledger",
    "LedgerError",
    "LotSpec",
    "Movement",
    "ProductSpec",
    "QuantityError",
    "SessionTally",
    "apply",
    "canonical",
    "check",
    "containers",
    "derive_balances",
    "effects",
    "entry_hash",
    "format_mg",
    "held_by",
    "mcg_to_mg",
    "mg_to_mcg",
    "session_tallies",
    "stock",
    "verify_chain",
]
