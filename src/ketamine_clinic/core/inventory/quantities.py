"""Exact quantities of controlled substance.

Decision: every quantity in the ledger is an **integer number of micrograms** (``*_mcg``). Integers add and
subtract exactly, so a balance derived from thousands of entries never drifts the way floats do, and a
microgram is far below anything a syringe can measure (the smallest recorded amount is 0.001 mg). People
type and read milligrams; these helpers convert at the edges, refusing anything finer than a microgram
rather than rounding it away silently.
"""

from decimal import Decimal, InvalidOperation

MCG_PER_MG = 1000
# Clinic-defined parse guard: the largest entry the pages allow is a receipt of 10,000 vials of 500 mg = 5 kg
# (inventory.services.MAX_CONTAINERS_PER_ENTRY). Anything past 10 kg (10,000,000 mg) is a slip of the
# keyboard, refused here before it becomes an integer too large for the database.
MAX_MG = 10_000_000


class QuantityError(ValueError):
    """A quantity a person typed that cannot be recorded exactly."""


def mg_to_mcg(value) -> int:
    """Milligrams (str, int or Decimal; floats are refused to avoid binary rounding) -> integer micrograms."""
    if isinstance(value, bool) or isinstance(value, float):
        raise QuantityError("Give the amount in mg as text or a decimal number, not a floating-point value.")
    text = str(value).strip()
    if len(text) > 40:
        raise QuantityError("That is not an amount in mg the ledger can record (too many digits).")
    try:
        mg = Decimal(text)
    except (InvalidOperation, ValueError):
        raise QuantityError(f"{text!r} is not an amount in mg.") from None
    if not mg.is_finite():
        raise QuantityError(f"{text!r} is not an amount in mg.")
    # adjusted() (the exponent of the leading digit) needs no arithmetic, so 1e999999999 cannot overflow here.
    if mg.adjusted() > len(str(MAX_MG)) - 1 or abs(mg) > MAX_MG:
        raise QuantityError(
            "That amount is far more than any quantity the ledger records; check the number typed."
        )
    mcg = mg * MCG_PER_MG
    if mcg != mcg.to_integral_value():
        raise QuantityError(f"{value} mg is finer than the 0.001 mg the ledger records; round it first.")
    return int(mcg)


def mcg_to_mg(mcg: int) -> Decimal:
    """Integer micrograms -> Decimal milligrams, without trailing zeros beyond what is needed (35 -> 35)."""
    mg = Decimal(int(mcg)) / MCG_PER_MG
    return mg.quantize(Decimal(1)) if mg == mg.to_integral_value() else mg.normalize()


def format_mg(mcg: int) -> str:
    """Human text for a quantity, e.g. ``"37.5 mg"``."""
    return f"{mcg_to_mg(mcg)} mg"
