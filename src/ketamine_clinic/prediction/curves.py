"""A patient's predicted concentration curve: request parameters -> validated inputs -> core pharmacology.

Shared by the HTML fragment (views.py) and the JSON API (api.py) so both apply the same rules. The dose
defaults to the patient's active plan; the weight is always the patient's recorded current weight.
"""

from __future__ import annotations

import datetime as dt
import math

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.core.pharmacology import models, report, schedule
from ketamine_clinic.validation import form_error_dict

ROUTES = ("iv", "intranasal", "im", "oral", "sublingual")
MAX_HORIZON_MIN = 14 * 24 * 60


class PredictionForm(forms.Form):
    route = forms.ChoiceField(choices=[(r, r) for r in ROUTES], required=False)
    dose_mg = forms.FloatField(
        required=False,
        min_value=0.001,
        max_value=2000.0,
        help_text="mg; defaults to the active plan's dose at today's weight",
    )
    duration_min = forms.FloatField(
        required=False,
        min_value=0.0,
        max_value=600.0,
        help_text="IV infusion minutes (0 = bolus); default the plan's or 40",
    )
    start = forms.DateTimeField(required=False, help_text="when dosing starts (ISO 8601); default now")
    model = forms.ChoiceField(choices=[], required=False)
    horizon_min = forms.FloatField(required=False, min_value=10.0, max_value=MAX_HORIZON_MIN)
    step_min = forms.FloatField(required=False, min_value=0.1, max_value=60.0)
    threshold_ng_per_ml = forms.FloatField(required=False, min_value=0.001, max_value=100000.0)
    population = forms.IntegerField(required=False, min_value=0, max_value=5000)
    seed = forms.IntegerField(required=False, min_value=0, max_value=2**32 - 1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [(k, k) for k in models.PARAMETER_SETS]

    def clean(self):
        data = super().clean()
        h, s = data.get("horizon_min"), data.get("step_min")
        if h and s and h / s > 20_000:
            raise ValidationError("Too many points: use a longer step_min or a shorter horizon_min.")
        for name in ("dose_mg", "duration_min", "horizon_min", "step_min", "threshold_ng_per_ml"):
            v = data.get(name)
            if v is not None and not math.isfinite(v):
                self.add_error(name, "Enter a finite number.")
        return data


def _plan_defaults(patient):
    """(route, dose_mg or None, duration_min or None, drug) from the patient's active plan, or None."""
    from ketamine_clinic.plans.services import current_plan

    plan = current_plan(patient)
    if plan is None:
        return None
    rule = plan.dose_rule()
    weight = float(patient.weight_kg) if patient.weight_kg is not None else None
    try:
        dose = rule.dose_mg(weight)
    except ValueError:
        dose = None
    return plan.route, dose, rule.infusion_duration_min, rule.drug


def _default_model(route: str, drug: str, age: int | None) -> str:
    if route == "intranasal" and "esketamine" in drug:
        return "esketamine"
    if age is not None and age < 18:
        return "hornik"  # paediatric, allometric, valid 2.4-176 kg (Hornik et al. 2018)
    return "domino"


def _cleaned_request(params) -> dict:
    """The request's parameters through PredictionForm, or a ValidationError naming each bad field."""
    form = PredictionForm(params)
    if not form.is_valid():
        raise ValidationError(form_error_dict(form))
    return form.cleaned_data


def _recorded_weight(patient) -> float:
    """The patient's recorded current weight: the curve is never drawn from a guessed one."""
    if patient.weight_kg is None:
        raise ValidationError(
            {"weight_kg": ["No weight is recorded for this patient: record today's weight first."]}
        )
    return float(patient.weight_kg)


def _route_drug_and_dose(data: dict, plan) -> tuple[str, str, float]:
    """The route (asked for, else the plan's), its drug, and the dose (asked for, else the plan's for that route)."""
    route = data.get("route") or (plan[0] if plan else "")
    if not route:
        raise ValidationError({"route": ["Give a route (no active plan to take it from)."]})
    drug = (
        plan[3]
        if plan and plan[0] == route
        else ("esketamine" if route == "intranasal" else "racemic ketamine")
    )
    dose = data.get("dose_mg")
    if dose is None:
        dose = plan[1] if plan and plan[0] == route else None
    if dose is None:
        raise ValidationError({"dose_mg": ["Give dose_mg (no active plan dose for this route)."]})
    return route, drug, dose


def _infusion_minutes(data: dict, plan, route: str) -> float | None:
    """IV infusion minutes (asked for, else the plan's, else 40); other routes take none."""
    duration = data.get("duration_min")
    if route == "iv":
        if duration is None:
            duration = plan[2] if plan and plan[0] == "iv" and plan[2] else 40.0
    elif duration is not None:
        raise ValidationError({"duration_min": ["duration_min applies only to the iv route."]})
    return duration


def _dose_events(model, route: str, dose: float, duration, weight: float, age):
    """The single dose as the model's events, once the model accepts the route, the patient and its effect site."""
    try:
        model.check_route(route)
        model.check_patient(weight, age)
        model.check_effect_site()  # these pages draw the effect site; a set without one (flint) gets a 422
        return schedule.single_dose(
            route, dose, duration_min=duration or 0.0, esketamine_devices=(model.drug == "esketamine")
        )
    except (models.ModelError, schedule.ScheduleError) as exc:
        raise ValidationError({"__all__": [str(exc)]}) from None


def build_inputs(patient, params, now: dt.datetime | None = None) -> dict:
    """Validate request parameters for ``patient``; raise ValidationError (field -> messages) if bad."""
    data = _cleaned_request(params)
    weight = _recorded_weight(patient)
    plan = _plan_defaults(patient)
    route, drug, dose = _route_drug_and_dose(data, plan)
    age = patient.age if patient.date_of_birth else None
    key = data.get("model") or _default_model(route, drug, age)
    model = models.get(key)
    duration = _infusion_minutes(data, plan, route)
    events = _dose_events(model, route, dose, duration, weight, age)
    now = now or timezone.now()
    start = data.get("start") or now
    horizon = data.get("horizon_min") or (360.0 if route != "iv" else 240.0)
    return {
        "model": model,
        "route": route,
        "dose_mg": float(dose),
        "duration_min": duration,
        "weight_kg": weight,
        "age_years": age,
        "events": events,
        "start": start,
        "now": now,
        "horizon_min": float(horizon),
        "step_min": data.get("step_min") or max(0.5, horizon / 480.0),
        "threshold_ng_per_ml": data.get("threshold_ng_per_ml"),
        "population": data.get("population") or 0,
        "seed": data.get("seed"),
        "dose_from_plan": data.get("dose_mg") is None,
    }


def predict(inputs: dict) -> dict:
    """Run the core engine for validated inputs (same report as the CLI) plus the clock-time anchors."""
    out = report.prediction(
        inputs["model"],
        inputs["weight_kg"],
        inputs["events"],
        horizon_min=inputs["horizon_min"],
        step_min=inputs["step_min"],
        route=inputs["route"],
        age_years=inputs["age_years"],
        threshold_ng_per_ml=inputs["threshold_ng_per_ml"],
        population_size=inputs["population"],
        seed=inputs["seed"],
    )
    start = inputs["start"]
    out.update(
        dose_from_plan=inputs["dose_from_plan"],
        infusion_duration_min=inputs["duration_min"],
        start=start.isoformat(),
        now_min=(inputs["now"] - start).total_seconds() / 60.0,
    )
    return out


TICK_LABEL_HALF_WIDTH = 15  # px: half of an "HH:MM" label at font-size 10


def _clock_ticks(start: dt.datetime, tmax: float, x, width: int) -> list[dict]:
    """Time-axis ticks at a readable step, labelled with the clinic's clock time."""
    ticks = []
    step = _tick_step(tmax)
    k = 0.0
    while k <= tmax + 1e-9:
        clock = (
            timezone.localtime(start + dt.timedelta(minutes=k))
            if timezone.is_aware(start)
            else start + dt.timedelta(minutes=k)
        )
        # A label centred on the right edge would overhang the picture by half its width ("HH:MM" at 10 px is
        # about 28 px): the last labels end at their tick instead, so none is clipped.
        anchor = "end" if x(k) + TICK_LABEL_HALF_WIDTH > width else "middle"
        ticks.append({"x": x(k), "label": clock.strftime("%H:%M"), "minutes": f"{k:g}", "anchor": anchor})
        k += step
    return ticks


def svg_geometry(result: dict, width: int = 640, height: int = 260) -> dict:
    """Coordinates for the inline SVG (numbers only; the template draws them)."""
    left, right, top, bottom = 52, 12, 12, 34
    pw, ph = width - left - right, height - top - bottom
    t = result["times_min"]
    tmax = t[-1] if t[-1] > 0 else 1.0
    ys = result["concentration_ng_per_ml"] + result["effect_site_ng_per_ml"]
    if "population" in result:
        ys = ys + result["population"]["concentration_ng_per_ml"]["p95"]
    ytop = _nice_ceiling(max(max(ys), 1e-9))

    def x(v):
        return round(left + pw * v / tmax, 2)

    def y(v):
        return round(top + ph * (1 - max(v, 0.0) / ytop), 2)

    def line(values):
        return " ".join(f"{x(a)},{y(b)}" for a, b in zip(t, values, strict=True))

    geo = {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "right": left + pw,
        "plot_h": ph,
        "bottom": top + ph,
        "plasma": line(result["concentration_ng_per_ml"]),
        "effect": line(result["effect_site_ng_per_ml"]),
        "shades": [],
        "marks": [],
        "yticks": [],
        "xticks": [],
        "now_x": None,
    }
    for d in result["doses"]:
        if d["duration_min"] > 0:
            geo["shades"].append(
                {"x": x(d["start_min"]), "w": round(x(d["start_min"] + d["duration_min"]) - x(d["start_min"]), 2)}
            )
        else:
            geo["marks"].append({"x": x(d["start_min"])})
    if "population" in result:
        b = result["population"]["concentration_ng_per_ml"]
        upper = [f"{x(a)},{y(v)}" for a, v in zip(t, b["p95"], strict=True)]
        lower = [f"{x(a)},{y(v)}" for a, v in zip(reversed(t), reversed(b["p5"]), strict=True)]
        geo["band"] = " ".join(upper + lower)
    for i in range(5):
        v = ytop * i / 4
        geo["yticks"].append({"y": y(v), "label": f"{v:g}"})
    geo["xticks"] = _clock_ticks(dt.datetime.fromisoformat(result["start"]), tmax, x, width)
    if 0.0 <= result["now_min"] <= tmax:
        geo["now_x"] = x(result["now_min"])
    return geo


def _nice_ceiling(v: float) -> float:
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= v:
            return m * exp
    return 10 * exp


def _tick_step(span_min: float) -> float:
    for s in (10, 15, 30, 60, 120, 240, 360, 720, 1440, 2880):
        if span_min / s <= 8:
            return float(s)
    return 10080.0


def given_inputs(given, now: dt.datetime | None = None) -> dict:
    """Inputs for ``predict`` from a session's dose as given (sessions.services.exposure.GivenDose): the charted events,
    the session's weight, from the real start of dosing. ValidationError when the model refuses them."""
    age = given.age_years
    model = models.get(_default_model(given.route, given.drug, age))
    try:
        model.check_route(given.route)
        model.check_patient(given.weight_kg, age)
        model.check_effect_site()
    except models.ModelError as exc:
        raise ValidationError({"__all__": [str(exc)]}) from None
    # The window covers the whole of what went in and the fall afterwards.
    horizon = max(360.0 if given.route != "iv" else 240.0, schedule.last_input_end(given.events) + 180.0)
    horizon = min(horizon, MAX_HORIZON_MIN)
    infusions = [ev for ev in given.events if isinstance(ev, schedule.Infusion)]
    return {
        "model": model,
        "route": given.route,
        "dose_mg": given.total_mg,
        "duration_min": (schedule.last_input_end(infusions) - infusions[0].start_min) if infusions else None,
        "weight_kg": given.weight_kg,
        "age_years": age,
        "events": given.events,
        "start": given.start,
        "now": now or timezone.now(),
        "horizon_min": float(horizon),
        "step_min": max(0.5, horizon / 480.0),
        "threshold_ng_per_ml": None,
        "population": 0,
        "seed": None,
        "dose_from_plan": False,
    }
