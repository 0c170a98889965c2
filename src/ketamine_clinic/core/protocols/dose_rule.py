"""How a plan says how much to give: the contract between plans (which store it) and sessions (which use it)."""

from dataclasses import dataclass
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
