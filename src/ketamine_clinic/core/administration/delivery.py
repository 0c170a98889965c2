"""The dose actually delivered when administration ends, from what the nurse reads at the chair.

The *confirmed* dose is what was drawn up and checked before dosing; the *delivered* dose is what the patient
actually received. They differ when an infusion is paused, slowed or stopped before the bag is empty, or when
fewer nasal devices are used than planned. The controlled-substance ledger records the delivered dose as
administered; the rest stays held by the session until it is wasted in front of a witness.

How the delivered dose is read, by route:

- **IV infusion**: the pump's "volume infused" (mL) is converted with the bag's concentration, taken as the
  confirmed dose spread over the final bag volume (the ledger counts the confirmed dose as what went into the
  bag, so an emptied bag converts back to exactly the confirmed dose), or the nurse enters mg directly.
- **Intranasal esketamine**: whole devices only; delivered = devices used x 28 mg (SPRAVATO prescribing
  information, Janssen 2019, rev. 2023, section 2: each device delivers 28 mg in two sprays). A device that
  was started counts as used: the label gives no partial dose, and a started device cannot be returned.
- **IM, oral, sublingual**: one quick administration; the nurse enters mg when less than confirmed was given.

On normal completion (dosing -> monitoring) the delivered dose defaults to the confirmed dose. When dosing is
stopped early the nurse must say how much was delivered (zero is a valid answer). The delivered dose can
never exceed the confirmed dose, because nothing more was drawn for the session. Quantities are kept to
0.01 mg, the precision of the confirmed dose.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ketamine_clinic.core.protocols import routes

ESKETAMINE_MG_PER_DEVICE = Decimal(routes.ESKETAMINE_MG_PER_DEVICE)  # the device table: core.protocols.routes
MG_STEP = Decimal("0.01")
# No dose (mg), pump volume (mL) or device count read at the chair comes near this; a larger figure is a typing
# slip, and one like 1e308 cannot even be divided into 28 mg devices at 0.01 mg precision.
LARGEST_FIGURE = Decimal("100000")


class DeliveryError(ValueError):
    """The delivered dose cannot be accepted; ``field`` names the input, ``str(err)`` says why."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Delivery:
    """The delivered dose in mg and a short plain-language account of how it was read."""

    delivered_mg: Decimal
    basis: str

    def differs_from(self, confirmed_mg: Decimal) -> bool:
        return self.delivered_mg != Decimal(confirmed_mg)


def _number(value, field: str, what: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DeliveryError(field, f"Enter the {what} as a number.") from None
    if not number.is_finite():
        raise DeliveryError(field, f"Enter the {what} as a number.")
    if number > LARGEST_FIGURE:
        raise DeliveryError(field, f"The {what} of {value} is far more than any session holds; check the figure.")
    if number < 0:
        raise DeliveryError(field, f"The {what} cannot be negative.")
    return number


def _mg(value: Decimal) -> Decimal:
    return value.quantize(MG_STEP, rounding=ROUND_HALF_UP)


def fmt_mg(value: Decimal) -> str:
    """``35.00`` -> ``35``, ``27.13`` -> ``27.13`` (for messages)."""
    text = f"{Decimal(value):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def delivered_dose(
    *,
    route: str,
    confirmed_mg,
    completed: bool,
    delivered_mg=None,
    volume_infused_ml=None,
    bag_volume_ml=None,
    devices_used=None,
    planned_min: float | None = None,
    elapsed_min: float | None = None,
) -> Delivery:
    """Work out the delivered dose or raise :class:`DeliveryError` with a message for the nurse.

    ``completed`` is True when dosing ends normally (dosing -> monitoring): with no input the whole confirmed
    dose was delivered. When dosing is stopped early an input is required. Give at most one of
    ``delivered_mg``, ``volume_infused_ml`` (IV only; needs ``bag_volume_ml``) and ``devices_used``
    (intranasal only). ``planned_min``/``elapsed_min`` (an infusion's planned and actual running time): an
    infusion ended well before its planned duration is not taken as delivered in full without a figure.
    """
    confirmed = _mg(Decimal(str(confirmed_mg)))
    if confirmed <= 0:
        raise DeliveryError("delivered_mg", "No dose was confirmed for this session.")
    mg = _number(delivered_mg, "delivered_mg", "delivered dose (mg)")
    ml = _number(volume_infused_ml, "volume_infused_ml", "volume infused (mL)")
    devices = _number(devices_used, "devices_used", "number of devices used")
    _check_one_way_only(mg, ml, devices)

    if route == "intranasal":
        return _nasal_devices_used(confirmed, completed, mg, ml, devices)
    if devices is not None:
        raise DeliveryError("devices_used", "Only nasal sprays are counted in devices; enter the dose in mg.")
    if ml is not None:
        return _pump_volume_infused(route, confirmed, ml, bag_volume_ml)
    if mg is None:
        return _whole_confirmed_dose(route, confirmed, completed, planned_min, elapsed_min)
    return _entered_by_the_nurse(confirmed, mg)


def _check_one_way_only(mg: Decimal | None, ml: Decimal | None, devices: Decimal | None) -> None:
    given = [name for name, v in (("mg", mg), ("mL", ml), ("devices", devices)) if v is not None]
    if len(given) > 1:
        field = "volume_infused_ml" if ml is not None else "devices_used"
        raise DeliveryError(
            field,
            "Enter the delivered dose one way only: in mg, or as the volume infused, or as devices used.",
        )


def _nasal_devices_used(
    confirmed: Decimal, completed: bool, mg: Decimal | None, ml: Decimal | None, devices: Decimal | None
) -> Delivery:
    """Intranasal esketamine: whole 28 mg devices, never more than were confirmed."""
    if ml is not None:
        raise DeliveryError("volume_infused_ml", "A nasal dose is counted in devices, not mL.")
    planned = confirmed / ESKETAMINE_MG_PER_DEVICE
    if mg is not None:
        if mg % ESKETAMINE_MG_PER_DEVICE:
            raise DeliveryError(
                "delivered_mg",
                f"{fmt_mg(mg)} mg is not a whole number of {fmt_mg(ESKETAMINE_MG_PER_DEVICE)} mg devices; "
                "enter the number of devices used.",
            )
        devices = mg / ESKETAMINE_MG_PER_DEVICE
    if devices is None:
        if not completed:
            raise DeliveryError(
                "devices_used",
                "Enter how many nasal devices were used before dosing stopped (0 if none).",
            )
        devices = planned
    if devices != devices.to_integral_value():
        raise DeliveryError("devices_used", "Count whole devices: a started device counts as used.")
    if devices > planned:
        raise DeliveryError(
            "devices_used",
            f"{int(devices)} devices is more than the {int(planned)} confirmed and drawn for this session.",
        )
    n = int(devices)
    return Delivery(
        _mg(devices * ESKETAMINE_MG_PER_DEVICE),
        f"{n} of {int(planned)} nasal device{'s' if planned != 1 else ''} used",
    )


def _pump_volume_infused(route: str, confirmed: Decimal, ml: Decimal, bag_volume_ml) -> Delivery:
    """IV infusion: the pump's volume infused at the bag's concentration (confirmed dose over the bag volume)."""
    if route != "iv":
        raise DeliveryError("volume_infused_ml", "Only an IV infusion is read from the pump; enter mg.")
    bag = _number(bag_volume_ml, "volume_infused_ml", "bag volume (mL)")
    if not bag:
        raise DeliveryError(
            "volume_infused_ml",
            "The bag volume was not recorded with this dose; enter the delivered dose in mg instead.",
        )
    if ml > bag:
        raise DeliveryError(
            "volume_infused_ml",
            f"{fmt_mg(ml)} mL is more than the {fmt_mg(bag)} mL bag; check the pump's volume infused.",
        )
    return Delivery(
        _mg(confirmed * ml / bag),
        f"pump volume infused {fmt_mg(ml)} of {fmt_mg(bag)} mL at {confirmed / bag:.4g} mg/mL",
    )


def _whole_confirmed_dose(
    route: str, confirmed: Decimal, completed: bool, planned_min: float | None, elapsed_min: float | None
) -> Delivery:
    """No figure given: the whole dose on normal completion (unless an infusion ended well early), else refused."""
    if completed and planned_min and elapsed_min is not None:
        problem = early_end_problem(planned_min, elapsed_min)
        if problem:
            raise DeliveryError("volume_infused_ml" if route == "iv" else "delivered_mg", problem)
    if not completed:
        what = (
            "the pump's volume infused (mL) or the dose delivered (mg)"
            if route == "iv"
            else "the dose given (mg)"
        )
        raise DeliveryError(
            "delivered_mg", f"Enter {what} before stopping: only what was delivered is recorded as given."
        )
    return Delivery(confirmed, "whole confirmed dose")


def _entered_by_the_nurse(confirmed: Decimal, mg: Decimal) -> Delivery:
    """The nurse's figure in mg: to 0.01 mg and never more than was confirmed."""
    if mg != _mg(mg):
        raise DeliveryError("delivered_mg", "Enter the delivered dose to at most 0.01 mg.")
    if mg > confirmed:
        raise DeliveryError(
            "delivered_mg",
            f"{fmt_mg(mg)} mg is more than the {fmt_mg(confirmed)} mg confirmed and drawn for this session.",
        )
    return Delivery(_mg(mg), "whole confirmed dose" if mg == confirmed else "entered by the nurse")


# Clinic-defined: an infusion may finish a little early (pump calibration, a rounded rate) and still count as
# delivered in full; earlier than this, the nurse must enter what was delivered (or stop early with a reason).
EARLY_END_TOLERANCE_MIN = 2
EARLY_END_TOLERANCE_FRACTION = 0.05


def early_end_problem(planned_min: float, elapsed_min: float) -> str | None:
    """Why ending an infusion after ``elapsed_min`` of ``planned_min`` cannot be taken as the whole dose."""
    slack = max(EARLY_END_TOLERANCE_MIN, planned_min * EARLY_END_TOLERANCE_FRACTION)
    if elapsed_min >= planned_min - slack:
        return None
    return (
        f"The infusion was planned for {planned_min:g} min and has run {max(elapsed_min, 0):.0f} min: enter the "
        "pump's volume infused (or the mg delivered), or use 'Stopped early' with a reason."
    )
