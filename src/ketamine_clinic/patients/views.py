"""Registry pages: the staff dashboard, the searchable patient list, the chart hub, create and edit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render

from ketamine_clinic import access, audit
from ketamine_clinic.navigation import reverse_or_none

from .chart import chart_tabs
from .dashboard import panel_urls
from .forms import CareTeamForm, DiagnosisForm, PatientForm, PatientSearchForm

# Fields only clinical staff see and change; the front desk works with the rest.
CLINICAL_FIELDS = ("weight_kg", "weight_measured_on", "height_cm", "height_measured_on", "allergies",
                   "current_medications", "phase")


def _patient_form(user, *args, **kwargs):
    form = PatientForm(*args, **kwargs)
    if not access.can(user, "clinical", "write"):
        for name in CLINICAL_FIELDS:
            form.fields.pop(name)
    return form


@access.staff_view("registry")
def dashboard(request):
    context = {
        "panel_urls": panel_urls(request.user),
        "schedule_url": reverse_or_none("scheduling:day") if access.can(request.user, "schedule", "read") else None,
        "can_create": access.can(request.user, "registry", "write"),
    }
    return render(request, "patients/dashboard.html", context)


def search_patients(user, q: str = "", phase: str = ""):
    patients = access.visible_patients(user)
    if q:
        q = q.strip()
        patients = patients.filter(
            Q(last_name__icontains=q) | Q(first_name__icontains=q) | Q(mrn__iexact=q) | Q(email__iexact=q)
        )
    if phase:
        patients = patients.filter(phase=phase)
    return patients.order_by("last_name", "first_name")


@access.staff_view("registry")
def patient_list(request):
    form = PatientSearchForm(request.GET or None)
    q = phase = ""
    if form.is_valid():
        q, phase = form.cleaned_data["q"], form.cleaned_data["phase"]
    page = Paginator(search_patients(request.user, q, phase), 25).get_page(request.GET.get("page"))
    audit.record(request, "list", detail={"q": q, "phase": phase, "shown": [p.pk for p in page]})
    context = {"form": form, "page": page, "can_create": access.can(request.user, "registry", "write")}
    template = "patients/_list_rows.html" if request.htmx else "patients/list.html"
    return render(request, template, context)


@access.staff_view("registry", "write")
def patient_create(request):
    form = _patient_form(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            patient = form.save()
            if request.user.role in ("prescriber", "nurse", "therapist"):
                # Whoever registers a patient joins the care team, or they could not open the chart they made.
                patient.careteammember_set.create(user=request.user, is_primary=True)
            audit.record(request, "create", patient)
        messages.success(request, f"Registered {patient.full_name} ({patient.mrn}).")
        return redirect("patients:chart", patient.pk)
    return render(request, "patients/form.html", {"form": form, "creating": True})


@access.patient_view("demographics")
def chart(request, patient):
    user = request.user
    context = {
        "patient": patient,
        "tabs": chart_tabs(user, patient, "patients:chart"),
        "show_clinical": access.can(user, "clinical", "read"),
        "can_edit": access.can(user, "demographics", "write"),
        "can_add_diagnosis": access.can(user, "prescribing", "write"),
        "care_team": patient.careteammember_set.select_related("user").order_by("user__role"),
        "diagnosis_form": DiagnosisForm(),
        "care_team_form": CareTeamForm() if access.can(user, "registry_admin", "write") else None,
    }
    return render(request, "patients/chart.html", context)


@access.patient_view("demographics", "write")
def patient_edit(request, patient):
    form = _patient_form(request.user, request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        changed = form.changed_data
        form.save()
        audit.record(request, "update", patient, detail={"fields": changed})
        messages.success(request, "Saved." if changed else "Nothing changed.")
        return redirect("patients:chart", patient.pk)
    return render(request, "patients/form.html", {"form": form, "patient": patient, "creating": False})


@access.patient_view("prescribing", "write")
def diagnosis_add(request, patient):
    form = DiagnosisForm(request.POST)
    if form.is_valid():
        diagnosis = form.save(commit=False)
        diagnosis.patient = patient
        diagnosis.save()
        audit.record(request, "create", diagnosis)
        messages.success(request, f"Added diagnosis {diagnosis}.")
        return redirect("patients:chart", patient.pk)
    context = {
        "patient": patient,
        "tabs": chart_tabs(request.user, patient, "patients:chart"),
        "show_clinical": True,
        "can_edit": access.can(request.user, "demographics", "write"),
        "can_add_diagnosis": True,
        "care_team": patient.careteammember_set.select_related("user"),
        "diagnosis_form": form,
    }
    return render(request, "patients/chart.html", context, status=400)


@access.patient_view("registry_admin", "write")
def care_team_change(request, patient):
    """The medical director adds or removes a staff member from the care team (what grants chart access)."""
    form = CareTeamForm(request.POST)
    if form.is_valid():
        member_user = form.cleaned_data["user"]
        if form.cleaned_data["remove"]:
            deleted, _ = patient.careteammember_set.filter(user=member_user).delete()
            if deleted:
                audit.record(request, "delete", patient, detail={"care_team_removed": member_user.username})
                messages.success(request, f"Removed {member_user.display_name()} from the care team.")
        else:
            member, created = patient.careteammember_set.get_or_create(
                user=member_user, defaults={"is_primary": form.cleaned_data["is_primary"]}
            )
            if created:
                audit.record(request, "update", patient, detail={"care_team_added": member_user.username})
                messages.success(request, f"Added {member_user.display_name()} to the care team.")
    else:
        messages.error(request, "Choose a staff member: " + "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect("patients:chart", patient.pk)


@login_required
def my_record(request):
    """A patient's shortcut to their own chart; staff have the list."""
    record = getattr(request.user, "patient_record", None)
    if record is None:
        raise PermissionDenied("No patient record is linked to this login.")
    return redirect("patients:chart", record.pk)
