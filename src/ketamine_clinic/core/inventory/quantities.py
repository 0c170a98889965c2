"""Exact quantities of controlled substance.

Decision: every quantity in the ledger is an **integer number of micrograms** (``*_mcg``). Integers add and
subtract exactly, so a balance derived from thousands of entries never drifts the way floats do, and a
microgram is far below anything a syringe can measure (the smallest recorded amount is 0.001 mg). People
type and read milligrams; these helpers convert at the edges, refusing anything finer than a microgram
rather than rounding it away silently.
"""

from decimal import Decimal, InvalidOperation

MCG_PER_MG = 1000


class QuantityError(ValueError):
    """A quantity a person typed that cannot be recorded exactly."""


def mg_to_mcg(value) -> int:
    """Milligrams (str, int or Decimal; floats are refused to avoid binary rounding) -> integer micrograms."""
    if isinstance(value, bool) or isinstance(value, float):
        raise QuantityError("Give the amount in mg as text or a decimal number, not a floating-point value.")
    try:
        mg = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise QuantityError(f"{value!r} is not an amount in mg.") from None
    if not mg.is_finite():
        raise QuantityError(f"{value!r} is not an amount in mg.")
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
