"""Plan pages: the chart tab (current plan, versions, schedule, PK curve), create from template, change, stop."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic import access
from ketamine_clinic.assessment.services import consent_problem, eligibility_problem, rems_problems
from ketamine_clinic.choices import Route
from ketamine_clinic.clinic.chart import chart_tabs
from ketamine_clinic.core.instruments import label as instrument_label
from ketamine_clinic.core.protocols.templates import TEMPLATES, get_template
from ketamine_clinic.validation import apply_errors, save_posted

from . import services, titration
from .forms import (
    PdmpCheckForm,
    PlanChangeForm,
    PlanCreateForm,
    PlanStatusForm,
    TitrationAcceptForm,
    TitrationDeclineForm,
)
from .models import TreatmentPlan


def _curve_url(plan, patient):
    """The PK prediction fragment for the plan's next dose."""
    base = reverse("prediction:patient_curve", args=[patient.pk])
    rule = plan.dose_rule()
    try:
        dose_mg = rule.dose_mg(float(patient.weight_kg) if patient.weight_kg else None)
    except ValueError:
        return None
    next_dose = plan.appointments.filter(
        kind="dosing", status="booked", starts_at__gte=timezone.now()
    ).first()
    start = next_dose.starts_at if next_dose else timezone.now()
    params = {"route": plan.route, "dose_mg": f"{dose_mg:g}", "start": start.isoformat()}
    if rule.infusion_duration_min:
        params["duration_min"] = f"{rule.infusion_duration_min:g}"
    return f"{base}?{urlencode(params)}"


# When each part of a plan's measurement schedule is taken, in the clinic's words (keys as in the templates).
_MEASURED_WHEN = {
    "baseline": "At baseline",
    "before_each_dose": "Before each dose",
    "after_each_dose": "After each dose",
    "weekly": "Weekly",
    "monthly": "Monthly",
    "end_of_phase": "At the end of each phase",
    "source": "Source",
}


def _measurements(plan):
    """(when, what) rows of the plan's measurement schedule with instrument names, not keys."""
    rows = []
    for key, value in plan.measurement_schedule.items():
        what = ", ".join(instrument_label(str(v)) for v in value) if isinstance(value, list) else value
        rows.append((_MEASURED_WHEN.get(key, key.replace("_", " ").capitalize()), what))
    return rows


def _dose_text(plan, patient):
    rule = plan.dose_rule()
    unit = rule.unit
    text = f"{rule.amount:g} {unit} (limits {rule.min_amount:g}-{rule.max_amount:g} {unit})"
    if rule.kind == "mg_per_kg":
        if patient.weight_kg:
            text += f" = {rule.dose_mg(float(patient.weight_kg)):.1f} mg at {patient.weight_kg} kg"
        else:
            text += " - no weight recorded, mg dose cannot be calculated"
    return text


@access.patient_view("clinical")
def chart(request, patient):
    return render(request, "plans/chart.html", _chart_context(request, patient))


def _chart_context(request, patient, **overrides):
    plan = services.current_plan(patient)
    pdmp_check, pdmp_problem = services.pdmp_status(patient)
    plans = patient.treatment_plans.all()
    template = None
    if plan is not None:
        try:
            template = plan.template()
        except KeyError:
            template = None
    user = request.user
    can_prescribe = access.can(user, "prescribing", "write")
    suggestion = titration.evaluate(plan) if plan is not None and can_prescribe else None
    context = {
        "patient": patient,
        "tabs": chart_tabs(user, patient, "plans:chart"),
        "titration": suggestion,
        "titration_accept": TitrationAcceptForm(initial=_titration_initial(suggestion, True))
        if suggestion
        else None,
        "titration_decline": TitrationDeclineForm(initial=_titration_initial(suggestion))
        if suggestion
        else None,
        "titration_decisions": plan.titration_decisions.select_related("decided_by") if plan else [],
        "suggests_not_decides": titration.SUGGESTS_NOT_DECIDES,
        "plan": plan,
        "plans": plans,
        "template": template,
        "dose_text": _dose_text(plan, patient) if plan else "",
        "versions": plan.versions.select_related("created_by") if plan else [],
        "appointments": plan.appointments.exclude(status="cancelled").select_related("chair", "staff")
        if plan
        else [],
        "curve_url": _curve_url(plan, patient) if plan else None,
        "measurements": _measurements(plan) if plan else [],
        "can_prescribe": can_prescribe,
        "can_schedule": access.can(user, "schedule", "write"),
        "routes": [(r, services.planning_blockers(patient, r.value)) for r in Route],
        "generate_url": reverse("scheduling:generate", args=[plan.pk]) if plan else None,
        "pdmp": pdmp_check,
        "pdmp_problem": pdmp_problem,
        "pdmp_form": PdmpCheckForm(initial={"checked_on": timezone.localdate()}) if can_prescribe else None,
        "consent_problem": consent_problem(patient, plan.route) if plan else None,
        "rems_problems": rems_problems(patient, plan.route) if plan else [],
        "eligibility_problem": eligibility_problem(patient) if plan else None,
    }
    return {**context, **overrides}


@access.patient_view("prescribing", "write")
def create(request, patient):
    route = request.GET.get("route") or request.POST.get("route") or Route.IV
    if route not in Route.values:
        messages.error(request, f"Unknown route {route!r}.")
        return redirect("plans:chart", patient.pk)
    blockers = services.planning_blockers(patient, route)
    initial = {"start_date": timezone.localdate() + dt.timedelta(days=1)}
    form = PlanCreateForm(request.POST or None, route=route, initial=initial)

    def create_plan(data):
        phase_changes = {}
        if data["weekly_maintenance"]:
            template = get_template(data["protocol_key"])
            if any(p.key == "maintenance" and p.every_n_weeks == 2 for p in template.phases):
                phase_changes = {"maintenance": {"every_n_weeks": 1}}
        return services.create_plan(
            request,
            patient,
            protocol_key=data["protocol_key"],
            start_date=data["start_date"],
            session_time=data["session_time"],
            dose_amount=data["dose_amount"],
            phase_changes=phase_changes,
            notes=data["notes"],
        )

    saved = save_posted(request, form, create_plan, then=("plans:chart", patient.pk),
                        done=lambda plan: f"Plan created (version 1) from {plan.template().name}.")
    if saved:
        return saved
    context = {
        "patient": patient,
        "tabs": chart_tabs(request.user, patient, "plans:chart"),
        "form": form,
        "route": Route(route),
        "blockers": blockers,
        "templates": [t for t in TEMPLATES.values() if t.route == route],
    }
    return render(request, "plans/create.html", context, status=400 if form.errors else 200)


@require_POST
@access.patient_view("prescribing", access.WRITE, staff_only=True)
def pdmp_check(request, patient):
    """Record the prescriber's PDMP check (the form on the plan tab); a refusal shows the tab again with it."""
    form = PdmpCheckForm(request.POST)
    saved = save_posted(
        request, form, lambda data: services.record_pdmp_check(request, patient, **data),
        done="PDMP check recorded.", then=("plans:chart", patient.pk),
    )
    if saved:
        return saved
    return render(request, "plans/chart.html", _chart_context(request, patient, pdmp_form=form), status=400)


# The plan's own pages (change, status, titration) are prescribing decisions: write, even to show the form.
_plan_page = access.record_view(
    TreatmentPlan.objects.select_related("patient"), "prescribing", access.WRITE, kwarg="plan_id"
)


@_plan_page
def change(request, plan):
    form = PlanChangeForm(request.POST or None, instance=TreatmentPlan.objects.get(pk=plan.pk))

    def change_plan(data):
        changes = {name: data[name] for name in PlanChangeForm.Meta.fields}
        changes["measurement_schedule"] = data["measurement_schedule_json"]
        return services.change_plan(request, plan, reason=data["reason"], **changes)

    saved = save_posted(request, form, change_plan, done="Plan changed; the previous version is kept.",
                        then=("plans:chart", plan.patient_id))
    if saved:
        return saved
    context = {
        "patient": plan.patient,
        "tabs": chart_tabs(request.user, plan.patient, "plans:chart"),
        "plan": plan,
        "form": form,
    }
    return render(request, "plans/change.html", context, status=400 if form.errors else 200)


@_plan_page
def status(request, plan):
    form = PlanStatusForm(request.POST or None)
    saved = save_posted(
        request, form, lambda data: services.set_status(request, plan, status=data["status"], reason=data["reason"]),
        done="Plan status changed.", then=("plans:chart", plan.patient_id),
    )
    if saved:
        return saved
    context = {
        "patient": plan.patient,
        "tabs": chart_tabs(request.user, plan.patient, "plans:chart"),
        "plan": plan,
        "form": form,
    }
    return render(request, "plans/status.html", context, status=400 if form.errors else 200)


def _titration_initial(suggestion, with_reason=False) -> dict:
    if suggestion is None:
        return {}
    initial = {"from_amount": f"{suggestion.from_amount:.3f}"}
    if with_reason:
        initial["reason"] = f"Titration per protocol: {suggestion.reason}"
    return initial


@_plan_page
def titration_decision(request, plan):
    """Accept (new plan version at the suggested dose) or decline (with a reason) the plan's titration suggestion."""
    suggestion = titration.evaluate(plan)
    accept_form = TitrationAcceptForm(
        request.POST if request.POST.get("action") == "accept" else None,
        initial=_titration_initial(suggestion, True),
    )
    decline_form = TitrationDeclineForm(
        request.POST if request.POST.get("action") == "decline" else None,
        initial=_titration_initial(suggestion),
    )
    if request.method == "POST":
        action = request.POST.get("action")
        form = {"accept": accept_form, "decline": decline_form}.get(action)
        if form is None:
            messages.error(request, "Choose accept or decline.")
        elif form.is_valid():
            data = form.cleaned_data
            try:
                if action == "accept":
                    titration.accept(request, plan, reason=data["reason"], from_amount=data["from_amount"])
                else:
                    titration.decline(request, plan, reason=data["reason"], from_amount=data["from_amount"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if action == "accept":
                    messages.success(
                        request, "Titration accepted: a new plan version with the new dose is saved."
                    )
                else:
                    messages.success(
                        request,
                        "Titration declined; your reason is kept and it will not be suggested "
                        "again at this dose.",
                    )
                return redirect("plans:chart", plan.patient_id)
    context = {
        "patient": plan.patient,
        "tabs": chart_tabs(request.user, plan.patient, "plans:chart"),
        "plan": plan,
        "titration": suggestion,
        "accept_form": accept_form,
        "decline_form": decline_form,
        "suggests_not_decides": titration.SUGGESTS_NOT_DECIDES,
    }
    failed = request.method == "POST"
    return render(request, "plans/titration.html", context, status=400 if failed else 200)
