"""Registry pages: the staff dashboard, the searchable patient list, the chart hub, create and edit."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse

from ketamine_clinic import access, audit
from ketamine_clinic.validation import apply_errors

from . import services
from .chart import chart_tabs
from .dashboard import panel_urls
from .forms import CareTeamForm, DiagnosisForm, PatientForm, PatientSearchForm, RegistrationCareTeamForm

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
        "schedule_url": reverse("scheduling:day") if access.can(request.user, "schedule", "read") else None,
        "can_create": access.can(request.user, "registry", "write"),
    }
    return render(request, "patients/dashboard.html", context)


# Birth dates as the front desk types them: ISO, US month/day/year, with slashes, dashes or dots.
BIRTH_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y")


def _as_birth_date(text: str):
    for fmt in BIRTH_DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def search_patients(user, q: str = "", phase: str = ""):
    """The visible patients matching ``q``: part of a name, "First Last" or "Last, First", an MRN, an email, or a birth
    date (2026-05-17 or 05/17/2026)."""
    patients = access.visible_patients(user)
    q = " ".join((q or "").split())
    if q:
        match = Q(last_name__icontains=q) | Q(first_name__icontains=q) | Q(mrn__iexact=q) | Q(email__iexact=q)
        born = _as_birth_date(q)
        if born is not None:
            match |= Q(date_of_birth=born)
        words = [w for w in q.replace(",", " ").split() if w]
        if len(words) >= 2:
            first, last = words[0], " ".join(words[1:])
            if "," in q:  # "Last, First"
                last, first = q.split(",", 1)[0].strip(), q.split(",", 1)[1].strip()
            match |= Q(first_name__icontains=first, last_name__icontains=last)
        patients = patients.filter(match)
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
    may_assign = access.can(request.user, "care_team", "write")
    team_form = RegistrationCareTeamForm(request.POST or None) if may_assign else None
    if request.method == "POST" and form.is_valid() and (team_form is None or team_form.is_valid()):
        try:
            patient = services.register_patient(request, form.save,
                                                care_team=team_form.members() if team_form else ())
        except ValidationError as exc:
            apply_errors(team_form or form, exc)
        else:
            messages.success(request, f"Registered {patient.full_name} ({patient.mrn}).")
            return redirect("patients:chart", patient.pk)
    return render(request, "patients/form.html", {"form": form, "team_form": team_form, "creating": True})


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
        "care_team_form": CareTeamForm() if access.can(user, "care_team", "write") else None,
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


@access.patient_view("care_team", "write")
def care_team_change(request, patient):
    """Add or remove a staff member from the care team (what grants chart access): front desk or director."""
    form = CareTeamForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a staff member: " + "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("patients:chart", patient.pk)
    member = form.cleaned_data["user"]
    try:
        if form.cleaned_data["remove"]:
            if services.remove_from_care_team(request, patient, member):
                messages.success(request, f"Removed {member.display_name()} from the care team.")
            else:
                messages.info(request, f"{member.display_name()} was not on the care team.")
        elif services.add_to_care_team(request, patient, member, is_primary=form.cleaned_data["is_primary"]):
            messages.success(request, f"Added {member.display_name()} to the care team.")
        else:
            messages.info(request, f"{member.display_name()} is already on the care team.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("patients:chart", patient.pk)


@access.signed_in_view
def my_record(request):
    """A patient's shortcut to their own chart; staff have the list."""
    record = getattr(request.user, "patient_record", None)
    if record is None:
        raise PermissionDenied("No patient record is linked to this login.")
    return redirect("patients:chart", record.pk)
