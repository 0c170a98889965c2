"""Dosing schedules as data: IV boluses, zero-order IV infusions and extravascular doses.

Times are minutes from an arbitrary origin (the CLI and the clinic use "minutes after the first dose starts").
Amounts are mg of drug (ketamine base or esketamine base, whichever the parameter set describes). An amount
may be a scalar or a NumPy array with one value per virtual patient (e.g. a mg/kg dose across patients of
different weights); the schedule's *times* are shared by every patient simulated together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Amount = float | np.ndarray

#: SPRAVATO prescribing information (Janssen; US label, section 2 and 16): each nasal spray device delivers
#: 28 mg esketamine in two sprays; 56 mg = 2 devices, 84 mg = 3 devices, with a 5-minute rest between devices.
SPRAVATO_DEVICE_MG = 28.0
SPRAVATO_MINUTES_BETWEEN_DEVICES = 5.0


class ScheduleError(ValueError):
    """A schedule that cannot be given (negative dose, zero-length infusion, ...)."""


@dataclass(frozen=True)
class Bolus:
    """IV push: the whole amount enters the central compartment at ``time_min``."""

    time_min: float
    amount_mg: Amount


@dataclass(frozen=True)
class Infusion:
    """Zero-order IV infusion: ``amount_mg`` delivered evenly from ``start_min`` over ``duration_min``."""

    start_min: float
    duration_min: float
    amount_mg: Amount

    @property
    def end_min(self) -> float:
        return self.start_min + self.duration_min


@dataclass(frozen=True)
class Extravascular:
    """Dose by an absorbing route (intranasal, im, oral, sublingual): F*amount enters that route's depot at
    ``time_min`` + lag and is absorbed first-order (parameters from the model's route table)."""

    time_min: float
    amount_mg: Amount
    route: str


Event = Bolus | Infusion | Extravascular


def _check_amount(amount: Amount, what: str) -> None:
    arr = np.asarray(amount, dtype=float)
    # NaN propagates into the minimum and the maximum, so checking both covers every element.
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0:
        raise ScheduleError(f"{what}: dose must be a finite, non-negative number of mg")


def _finite(x) -> bool:
    return math.isfinite(float(x))


def validate(events: tuple[Event, ...] | list[Event]) -> tuple[Event, ...]:
    """Check every event and return them as a tuple; raises ScheduleError with a clear message."""
    out = []
    for ev in events:
        if isinstance(ev, Infusion):
            if not _finite(ev.start_min) or not _finite(ev.duration_min) or ev.duration_min <= 0:
                raise ScheduleError("infusion duration must be a positive number of minutes")
            _check_amount(ev.amount_mg, "infusion")
        elif isinstance(ev, Bolus):
            if not _finite(ev.time_min):
                raise ScheduleError("bolus time must be finite")
            _check_amount(ev.amount_mg, "bolus")
        elif isinstance(ev, Extravascular):
            if not _finite(ev.time_min):
                raise ScheduleError("dose time must be finite")
            if ev.route == "iv":
                raise ScheduleError("an IV dose is a Bolus or an Infusion, not an extravascular dose")
            _check_amount(ev.amount_mg, ev.route)
        else:  # pragma: no cover - guards against passing something else
            raise ScheduleError(f"unknown dose event {ev!r}")
        out.append(ev)
    if not out:
        raise ScheduleError("the schedule has no doses")
    return tuple(out)


def iv_infusion(dose_mg: Amount, duration_min: float, start_min: float = 0.0) -> tuple[Event, ...]:
    """One IV infusion (the antidepressant standard is 0.5 mg/kg over 40 min: Berman et al. 2000,
    Biol Psychiatry 47:351; Zarate et al. 2006, Arch Gen Psychiatry 63:856). duration 0 means a bolus."""
    if duration_min == 0:
        return validate([Bolus(start_min, dose_mg)])
    return validate([Infusion(start_min, duration_min, dose_mg)])


def spravato_devices(dose_mg: float, start_min: float = 0.0) -> tuple[Event, ...]:
    """A SPRAVATO session: dose_mg must be a whole number of 28 mg devices, given 5 minutes apart (label)."""
    devices = dose_mg / SPRAVATO_DEVICE_MG
    if dose_mg <= 0 or abs(devices - round(devices)) > 1e-9:
        raise ScheduleError(
            f"intranasal esketamine is given in whole 28 mg devices (28, 56 or 84 mg); {dose_mg:g} mg is not"
        )
    return validate(
        [
            Extravascular(start_min + i * SPRAVATO_MINUTES_BETWEEN_DEVICES, SPRAVATO_DEVICE_MG, "intranasal")
            for i in range(int(round(devices)))
        ]
    )


def single_dose(
    route: str,
    dose_mg: Amount,
    *,
    duration_min: float = 0.0,
    start_min: float = 0.0,
    esketamine_devices: bool = False,
) -> tuple[Event, ...]:
    """One session's dose by ``route``: IV (bolus or infusion), intranasal esketamine (devices), or another
    extravascular route given at once."""
    if route == "iv":
        return iv_infusion(dose_mg, duration_min, start_min)
    if esketamine_devices and route == "intranasal":
        return spravato_devices(float(np.asarray(dose_mg)), start_min)
    return validate([Extravascular(start_min, dose_mg, route)])


#: An induction series of six infusions. Murrough et al. 2013 (Biol Psychiatry 74:250) and aan het Rot et al.
#: 2010 (Biol Psychiatry 67:139) gave six infusions over ~12 days (Mon/Wed/Fri x 2 weeks); these are the
#: day offsets of that pattern. Clinics commonly spread the six over 2-3 weeks (clinical-reference sheet).
INDUCTION_DAYS = (0, 2, 4, 7, 9, 11)


def repeated(session: tuple[Event, ...] | list[Event], start_times_min) -> tuple[Event, ...]:
    """Repeat one session's events at each start time (e.g. six infusions of an induction series)."""
    out: list[Event] = []
    for t0 in start_times_min:
        for ev in session:
            if isinstance(ev, Infusion):
                out.append(Infusion(ev.start_min + t0, ev.duration_min, ev.amount_mg))
            elif isinstance(ev, Bolus):
                out.append(Bolus(ev.time_min + t0, ev.amount_mg))
            else:
                out.append(Extravascular(ev.time_min + t0, ev.amount_mg, ev.route))
    return validate(out)


def induction_series(session: tuple[Event, ...] | list[Event], days=INDUCTION_DAYS) -> tuple[Event, ...]:
    """The same session repeated on each induction day (minutes = day * 1440)."""
    return repeated(session, [d * 1440.0 for d in days])


def session_starts(events) -> list[float]:
    """Start time of each dose event (for troughs: the concentration just before each dose)."""
    starts = []
    for ev in events:
        starts.append(ev.start_min if isinstance(ev, Infusion) else ev.time_min)
    return sorted(set(starts))


def last_input_end(events) -> float:
    """When the last dose finishes going in (end of the last infusion or time of the last dose)."""
    return max(ev.end_min if isinstance(ev, Infusion) else ev.time_min for ev in events)


def total_mg(events) -> np.ndarray:
    """Total mg given (per patient if amounts are arrays)."""
    return sum(np.asarray(ev.amount_mg, dtype=float) for ev in events)
