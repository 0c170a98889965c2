"""Dose arithmetic for one administration: mg/kg -> mg -> mL of stock -> dilution -> pump rate in mL/h.

Units are in every name (``_mg``, ``_kg``, ``_ml``, ``_ml_per_h``, ``_min``). Nothing here decides what dose
is right: the plan's :class:`~ketamine_clinic.core.protocols.dose_rule.DoseRule` does, and a dose outside the
rule's limits is reported (``within_limits``) so the caller can refuse it unless a prescriber overrides.

Rounding, and what it costs:
- the stock volume drawn up is rounded to the syringe's graduation (``draw_precision_ml``, default 0.01 mL on
  a 1 mL syringe), so the dose *in the bag* can differ from the ordered dose by at most
  ``draw_precision_ml / 2 * stock concentration``; both are shown;
- the pump rate is rounded to the pump's precision (``pump_precision_ml_per_h``, default 0.1 mL/h), so running
  the rounded rate for the ordered duration delivers the bag dose within
  ``pump_precision_ml_per_h / 2 * hours * bag concentration`` (see :meth:`InfusionCalculation.delivery_bound_mg`).

Sources: 0.5 mg/kg over 40 min IV (Berman et al., Biol Psychiatry 2000;47:351; Zarate et al., Arch Gen
Psychiatry 2006;63:856). Esketamine nasal spray: each device delivers 28 mg (two sprays), doses of 56 or 84 mg
= 2 or 3 devices with 5 minutes between devices (SPRAVATO prescribing information, Janssen 2019, section 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.core.protocols.routes import ESKETAMINE_MG_PER_DEVICE

LB_PER_KG = 2.2046226218  # exact definition: 1 lb = 0.45359237 kg


class DoseCalculationError(ValueError):
    """Inputs that cannot produce a dose (missing weight, non-positive numbers, ...); message is user-facing."""


# ---------------------------------------------------------------------------------------------- conversions


def lb_to_kg(weight_lb: float) -> float:
    return weight_lb / LB_PER_KG


def kg_to_lb(weight_kg: float) -> float:
    return weight_kg * LB_PER_KG


def mcg_to_mg(amount_mcg: float) -> float:
    return amount_mcg / 1000.0


def mg_to_mcg(amount_mg: float) -> float:
    return amount_mg * 1000.0


def g_to_mg(amount_g: float) -> float:
    return amount_g * 1000.0


def ml_per_h_to_ml_per_min(rate_ml_per_h: float) -> float:
    return rate_ml_per_h / 60.0


def mg_per_kg_per_h_to_mcg_per_kg_per_min(rate_mg_per_kg_per_h: float) -> float:
    return rate_mg_per_kg_per_h * 1000.0 / 60.0


def round_to(value: float, step: float) -> float:
    """Round half up to a multiple of ``step`` (what a pump keypad accepts).

    Works in decimal on the shortest repr of each float, so 0.15 rounds to 0.2 as a person would expect
    (binary floating point would see 0.15 / 0.1 = 1.4999999999999998).
    """
    if not step > 0:
        raise DoseCalculationError("Rounding step must be positive.")
    dec_step = Decimal(repr(float(step)))
    steps = (Decimal(repr(float(value))) / dec_step).to_integral_value(rounding=ROUND_HALF_UP)
    return float(steps * dec_step)


# ---------------------------------------------------------------------------------------------- dose


def _positive(name: str, value: float | None) -> float:
    if value is None:
        raise DoseCalculationError(f"{name} is required.")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise DoseCalculationError(f"{name} must be a positive number, not {value:g}.")
    return value


def dose_mg(rule: DoseRule, weight_kg: float | None = None) -> float:
    """The ordered dose in mg: ``amount`` x weight for mg/kg rules, ``amount`` for fixed doses."""
    if rule.kind == "mg_per_kg":
        return rule.amount * _positive("Today's weight (kg)", weight_kg)
    return float(rule.amount)


def dose_limits_mg(rule: DoseRule, weight_kg: float | None = None) -> tuple[float, float]:
    """The plan's minimum and maximum dose in mg for this patient today."""
    if rule.kind == "mg_per_kg":
        w = _positive("Today's weight (kg)", weight_kg)
        return rule.min_amount * w, rule.max_amount * w
    return float(rule.min_amount), float(rule.max_amount)


def within_limits(
    dose: float, rule: DoseRule, weight_kg: float | None = None, tolerance_mg: float = 1e-6
) -> bool:
    low, high = dose_limits_mg(rule, weight_kg)
    return low - tolerance_mg <= dose <= high + tolerance_mg


def volume_ml(amount_mg: float, concentration_mg_per_ml: float) -> float:
    """Volume of stock holding ``amount_mg`` at ``concentration_mg_per_ml``."""
    return _positive("Dose (mg)", amount_mg) / _positive("Concentration (mg/mL)", concentration_mg_per_ml)


def esketamine_devices(amount_mg: float) -> int:
    """Number of 28 mg nasal devices for a dose; refuses doses that are not whole devices."""
    devices = _positive("Dose (mg)", amount_mg) / ESKETAMINE_MG_PER_DEVICE
    if abs(devices - round(devices)) > 1e-9:
        raise DoseCalculationError(
            f"{amount_mg:g} mg is not a whole number of {ESKETAMINE_MG_PER_DEVICE:g} mg esketamine devices."
        )
    return int(round(devices))


# ---------------------------------------------------------------------------------------------- infusion


@dataclass(frozen=True)
class InfusionCalculation:
    """All numbers of one IV infusion, for the pump and for the two-person double check."""

    weight_kg: float | None
    ordered_dose_mg: float
    stock_concentration_mg_per_ml: float
    draw_volume_ml: float  # rounded to the syringe graduation
    drawn_dose_mg: float  # what the rounded draw volume actually holds
    bag_volume_ml: float  # final volume after dilution
    bag_concentration_mg_per_ml: float
    duration_min: float
    exact_rate_ml_per_h: float
    pump_rate_ml_per_h: float  # rounded to pump precision
    pump_precision_ml_per_h: float
    draw_precision_ml: float

    @property
    def delivered_dose_mg(self) -> float:
        """Dose delivered if the pump runs ``pump_rate_ml_per_h`` for exactly ``duration_min``."""
        return self.pump_rate_ml_per_h * self.duration_min / 60.0 * self.bag_concentration_mg_per_ml

    @property
    def delivery_bound_mg(self) -> float:
        """Largest possible |delivered - drawn| from rounding the pump rate (half a step for the whole run)."""
        return self.pump_precision_ml_per_h / 2 * self.duration_min / 60.0 * self.bag_concentration_mg_per_ml

    @property
    def minutes_to_deliver_bag(self) -> float:
        """How long the pump takes to empty the bag at the rounded rate (VTBI = bag volume)."""
        return self.bag_volume_ml / self.pump_rate_ml_per_h * 60.0

    @property
    def dose_rate_mg_per_kg_per_h(self) -> float | None:
        if not self.weight_kg:
            return None
        return self.pump_rate_ml_per_h * self.bag_concentration_mg_per_ml / self.weight_kg

    def double_check(self) -> list[tuple[str, str]]:
        """Lines for the double-check display: (what, value) in the order the two checkers read them."""
        lines = []
        if self.weight_kg:
            lines.append(("Weight today", f"{self.weight_kg:g} kg"))
        lines += [
            ("Ordered dose", f"{self.ordered_dose_mg:.2f} mg"),
            ("Stock concentration", f"{self.stock_concentration_mg_per_ml:g} mg/mL"),
            ("Draw up", f"{self.draw_volume_ml:.2f} mL (holds {self.drawn_dose_mg:.2f} mg)"),
            ("Dilute to", f"{self.bag_volume_ml:g} mL total ({self.bag_concentration_mg_per_ml:.4g} mg/mL)"),
            ("Duration", f"{self.duration_min:g} min"),
            ("Pump rate", f"{self.pump_rate_ml_per_h:.1f} mL/h (exact {self.exact_rate_ml_per_h:.3f})"),
            ("VTBI", f"{self.bag_volume_ml:g} mL, finishes in {self.minutes_to_deliver_bag:.1f} min"),
        ]
        return lines


def infusion(
    *,
    ordered_dose_mg: float,
    stock_concentration_mg_per_ml: float,
    bag_volume_ml: float,
    duration_min: float,
    weight_kg: float | None = None,
    pump_precision_ml_per_h: float = 0.1,
    draw_precision_ml: float = 0.01,
) -> InfusionCalculation:
    """Compute the infusion: draw-up volume, bag concentration and pump rate rounded to the pump's precision.

    ``bag_volume_ml`` is the final volume after the drug is added and made up with diluent (e.g. 0.9% saline
    to 100 mL); it must be at least the drawn volume.
    """
    dose = _positive("Dose (mg)", ordered_dose_mg)
    stock = _positive("Stock concentration (mg/mL)", stock_concentration_mg_per_ml)
    bag = _positive("Bag volume (mL)", bag_volume_ml)
    minutes = _positive("Infusion duration (min)", duration_min)
    pump_step = _positive("Pump precision (mL/h)", pump_precision_ml_per_h)
    draw_step = _positive("Syringe precision (mL)", draw_precision_ml)
    draw = round_to(dose / stock, draw_step)
    if draw <= 0:
        raise DoseCalculationError(f"{dose:g} mg is too small to draw up at {stock:g} mg/mL.")
    if draw > bag:
        raise DoseCalculationError(f"Drawn volume {draw:g} mL exceeds the final bag volume {bag:g} mL.")
    drawn = draw * stock
    exact_rate = bag / (minutes / 60.0)
    rate = round_to(exact_rate, pump_step)
    if rate <= 0:
        raise DoseCalculationError("The pump rate rounds to zero; use a smaller bag or a shorter infusion.")
    return InfusionCalculation(
        weight_kg=weight_kg,
        ordered_dose_mg=dose,
        stock_concentration_mg_per_ml=stock,
        draw_volume_ml=draw,
        drawn_dose_mg=drawn,
        bag_volume_ml=bag,
        bag_concentration_mg_per_ml=drawn / bag,
        duration_min=minutes,
        exact_rate_ml_per_h=exact_rate,
        pump_rate_ml_per_h=rate,
        pump_precision_ml_per_h=pump_step,
        draw_precision_ml=draw_step,
    )


@dataclass(frozen=True)
class DosePlan:
    """The dose for one session from the plan's rule and today's weight, as shown for confirmation."""

    rule: DoseRule
    weight_kg: float | None
    dose_mg: float
    min_mg: float
    max_mg: float
    infusion: InfusionCalculation | None = None
    devices: int | None = None

    @property
    def within_limits(self) -> bool:
        return self.min_mg - 1e-6 <= self.dose_mg <= self.max_mg + 1e-6


def plan_dose(
    rule: DoseRule,
    *,
    weight_kg: float | None,
    route: str,
    dose_mg_override: float | None = None,
    bag_volume_ml: float = 100.0,
    pump_precision_ml_per_h: float = 0.1,
) -> DosePlan:
    """Turn a plan's rule into today's dose; ``dose_mg_override`` replaces the computed dose (e.g. a
    prescriber-adjusted dose) but the plan limits are still reported so the caller can refuse or audit.

    ``bag_volume_ml`` default 100 mL is clinic-defined (a common 0.9% saline bag for 40-min infusions).
    """
    amount = (
        dose_mg(rule, weight_kg) if dose_mg_override is None else _positive("Dose (mg)", dose_mg_override)
    )
    low, high = dose_limits_mg(rule, weight_kg)
    calc = None
    devices = None
    if route == "iv":
        if rule.infusion_duration_min is None or rule.concentration_mg_per_ml is None:
            raise DoseCalculationError(
                "The plan's IV dose rule needs an infusion duration and a stock concentration."
            )
        calc = infusion(
            ordered_dose_mg=amount,
            stock_concentration_mg_per_ml=rule.concentration_mg_per_ml,
            bag_volume_ml=bag_volume_ml,
            duration_min=rule.infusion_duration_min,
            weight_kg=weight_kg,
            pump_precision_ml_per_h=pump_precision_ml_per_h,
        )
    elif route == "intranasal":
        devices = esketamine_devices(amount)
    return DosePlan(rule, weight_kg, amount, low, high, calc, devices)
