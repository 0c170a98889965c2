"""What the clinic stocks: controlled-substance products and the amount of drug in one container.

A *product* is one finished form (a vial of given strength and volume, or a nasal spray device). The ledger
counts drug in micrograms; the product says how much one container holds so that reports can show whole
containers, as the biennial inventory asks (21 CFR 1304.11(e): name, finished form, units or volume per
container, number of containers).
"""

from dataclasses import dataclass
from decimal import Decimal

from .quantities import MCG_PER_MG


@dataclass(frozen=True)
class ProductSpec:
    """One finished form of a controlled substance.

    ``unit_content_mcg`` is the drug content of one container (vial or device) in micrograms.
    ``whole_units_only`` is True for single-use devices that move only as whole units (a nasal spray device
    cannot be split between patients or partly returned); vials may be drawn in part.
    ``concentration_mg_per_ml`` and ``volume_ml`` describe a vial; both are None for a device.
    """

    key: str
    name: str
    drug: str
    form: str  # "vial" or "device"
    unit_content_mcg: int
    whole_units_only: bool
    dea_schedule: str = "III"
    concentration_mg_per_ml: Decimal | None = None
    volume_ml: Decimal | None = None
    source: str = ""

    def __post_init__(self):
        if self.form not in ("vial", "device"):
            raise ValueError(f"Product form must be 'vial' or 'device', not {self.form!r}.")
        if self.unit_content_mcg <= 0:
            raise ValueError("A container must hold a positive amount of drug.")

    @property
    def unit_label(self) -> str:
        return "device" if self.form == "device" else "vial"


def vial(key: str, name: str, *, concentration_mg_per_ml: str, volume_ml: str, source: str) -> ProductSpec:
    """A multiple-dose vial; its content is concentration x volume, computed exactly."""
    conc, vol = Decimal(concentration_mg_per_ml), Decimal(volume_ml)
    content = conc * vol * MCG_PER_MG
    if content != content.to_integral_value():
        raise ValueError("Vial content must be a whole number of micrograms.")
    return ProductSpec(
        key=key,
        name=name,
        drug="racemic ketamine",
        form="vial",
        unit_content_mcg=int(content),
        whole_units_only=False,
        concentration_mg_per_ml=conc,
        volume_ml=vol,
        source=source,
    )


# Strengths are expressed as ketamine base, as the label does.
KETALAR_LABEL = (
    "KETALAR (ketamine hydrochloride) injection prescribing information, Par Pharmaceutical, rev. 2022-2024, "
    "section 3/16 How Supplied: multiple-dose vials 200 mg/20 mL (10 mg/mL), 500 mg/10 mL (50 mg/mL), "
    "500 mg/5 mL (100 mg/mL); DEA Schedule CIII"
)
SPRAVATO_LABEL = (
    "SPRAVATO (esketamine) nasal spray prescribing information, Janssen, 2019-2025: each single-use device "
    "delivers 28 mg esketamine in two sprays; DEA Schedule CIII"
)

STANDARD_PRODUCTS: tuple[ProductSpec, ...] = (
    vial(
        "ketamine-50-10",
        "Ketamine HCl 50 mg/mL, 10 mL multiple-dose vial (500 mg)",
        concentration_mg_per_ml="50",
        volume_ml="10",
        source=KETALAR_LABEL,
    ),
    vial(
        "ketamine-100-5",
        "Ketamine HCl 100 mg/mL, 5 mL multiple-dose vial (500 mg)",
        concentration_mg_per_ml="100",
        volume_ml="5",
        source=KETALAR_LABEL,
    ),
    ProductSpec(
        key="esketamine-28",
        name="Esketamine 28 mg nasal spray device",
        drug="esketamine",
        form="device",
        unit_content_mcg=28 * MCG_PER_MG,  # 28 mg per device: SPRAVATO label, section 2 / 16.
        whole_units_only=True,
        source=SPRAVATO_LABEL,
    ),
)


def containers(product: ProductSpec, balance_mcg: int) -> tuple[int, int]:
    """Split a balance into (full containers, remaining micrograms in one opened container).

    For a Schedule III opened container an estimated count or measure is acceptable in the biennial inventory
    (21 CFR 1304.11(e)(3)); the remainder here is the exact ledger figure, which is better than an estimate.
    """
    if balance_mcg < 0:
        raise ValueError("A balance can never be negative.")
    return divmod(balance_mcg, product.unit_content_mcg)
