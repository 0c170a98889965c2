"""How a plan says how much to give: the contract between plans (which store it) and sessions (which use it)."""

from dataclasses import asdict, dataclass, fields, replace
from typing import Literal

DoseKind = Literal["mg_per_kg", "fixed_mg"]


@dataclass(frozen=True)
class DoseRule:
    """The dose of one administration as a plan prescribes it.

    ``amount``, ``min_amount`` and ``max_amount`` are in mg/kg when ``kind == "mg_per_kg"`` and in mg when
    ``kind == "fixed_mg"``. A dose outside [min_amount, max_amount] is a hard limit: it needs an explicit,
    audited prescriber override. ``infusion_duration_min`` is set for IV infusions only.
    ``concentration_mg_per_ml`` is the strength of the product drawn up (e.g. 50 mg/mL racemic ketamine);
    ``None`` for devices dosed in whole units (esketamine nasal spray).
    """

    kind: DoseKind
    amount: float
    min_amount: float
    max_amount: float
    drug: str = "racemic ketamine"
    infusion_duration_min: float | None = None
    concentration_mg_per_ml: float | None = None

    def __post_init__(self):
        if self.kind not in ("mg_per_kg", "fixed_mg"):
            raise ValueError(f"Dose kind must be 'mg_per_kg' or 'fixed_mg', not {self.kind!r}.")
        if not (0 < self.min_amount <= self.amount <= self.max_amount):
            raise ValueError(
                f"Dose {self.amount} must lie within its limits {self.min_amount}-{self.max_amount}, all positive."
            )
        if self.infusion_duration_min is not None and self.infusion_duration_min <= 0:
            raise ValueError("Infusion duration must be positive.")
        if self.concentration_mg_per_ml is not None and self.concentration_mg_per_ml <= 0:
            raise ValueError("Concentration must be positive.")

    @property
    def unit(self) -> str:
        return "mg/kg" if self.kind == "mg_per_kg" else "mg"

    def dose_mg(self, weight_kg: float | None = None, amount: float | None = None) -> float:
        """The dose in mg for ``amount`` (default: the prescribed amount); mg/kg rules need the weight in kg."""
        a = self.amount if amount is None else amount
        if self.kind == "fixed_mg":
            return float(a)
        if weight_kg is None or weight_kg <= 0:
            raise ValueError("A weight in kg (greater than zero) is needed to turn a mg/kg dose into mg.")
        return float(a) * float(weight_kg)

    def limits_mg(self, weight_kg: float | None = None) -> tuple[float, float]:
        """The (minimum, maximum) dose in mg: the hard limits outside which an audited override is needed."""
        return self.dose_mg(weight_kg, self.min_amount), self.dose_mg(weight_kg, self.max_amount)

    def within_limits(self, dose_mg: float, weight_kg: float | None = None) -> bool:
        low, high = self.limits_mg(weight_kg)
        # A tolerance of 1e-9 mg absorbs float rounding of mg/kg x kg; it is not a clinical margin.
        return low - 1e-9 <= dose_mg <= high + 1e-9

    def with_amount(self, amount: float) -> "DoseRule":
        """The same rule at a new prescribed amount (e.g. after titration); limits are checked again."""
        return replace(self, amount=amount)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DoseRule":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
