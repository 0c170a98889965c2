"""Assessment pages: the chart tab, intake, pre-visit questionnaire, previous treatments, decision, consent."""


from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic import access, audit
from ketamine_clinic.choices import Route
from ketamine_clinic.clinic.chart import chart_tabs
from ketamine_clinic.core.instruments import library as instruments_library
from ketamine_clinic.core.protocols.templates import default_measurement_schedule
from ketamine_clinic.outcomes.models import MeasureResponse
from ketamine_clinic.validation import apply_errors, save_posted

from . import services
from .forms import (
    ConsentDocumentForm,
    ConsentForm,
    DecisionForm,
    IntakeForm,
    MismatchResolutionForm,
    PreviousTreatmentForm,
    PreVisitForm,
    RemsEnrolmentForm,
)
from .models import PATIENT_ANSWERABLE, ConsentDocument, PreviousTreatment

# Baseline measures offered at intake: the template default plus substance-use screens (instrument keys from
# core.instruments.library).
BASELINE_INSTRUMENTS = [*default_measurement_schedule()["baseline"], "audit_c", "dast10"]


def _baseline_measures(patient):
    latest = {
        a.instrument: a
        for a in MeasureResponse.objects.filter(patient=patient, instrument__in=BASELINE_INSTRUMENTS).order_by(
            "taken_at"
        )
    }
    return [
        {
            "instrument": key,
            "label": instruments_library.label(key),
            "url": reverse("outcomes:administer", args=[patient.pk, key]),
            "latest": latest.get(key),
        }
        for key in BASELINE_INSTRUMENTS
    ]


def _consent_rows(patient):
    rows = []
    for route in Route:
        document = services.current_consent_document(route.value)
        ack = patient.consents.filter(document=document).first() if document is not None else None
        older = patient.consents.filter(document__route=route.value).exclude(document=document).first()
        expired = ack is not None and services.current_acknowledgement(patient, route.value) is None
        rows.append({"route": route, "document": document, "ack": ack, "older": older, "expired": expired})
    return rows


def chart_context(request, patient, active="assessment:chart"):
    user = request.user
    screening = services.latest_screening(patient)
    treatments = list(patient.previous_treatments.all())
    trd = services.treatment_resistance(patient)
    return {
        "patient": patient,
        "tabs": chart_tabs(user, patient, active),
        "intake": services.latest_intake(patient),
        "screening": screening,
        "decision": screening.decisions.select_related("decided_by").first() if screening else None,
        "mismatch_rows": screening.mismatch_rows() if screening else [],
        "mismatch_problem": services.mismatch_problem(screening) if screening else None,
        "eligibility_current": services.eligibility_is_current(patient),
        "eligibility_problem": services.eligibility_problem(patient),
        "consent_valid_days": services.consent_valid_days(),
        "previsit": patient.previsit_questionnaires.first(),
        "treatment_rows": list(zip(treatments, trd.trials, strict=True)),
        "trd": trd,
        "treatment_form": PreviousTreatmentForm(),
        "consents": _consent_rows(patient),
        "baseline": _baseline_measures(patient),
        "can_write": access.can(user, "clinical", "write"),
        "can_decide": access.can(user, "prescribing", "write"),
        "is_patient": user.is_patient,
        "rems_enrolment": services.rems_enrolment(patient),
        "rems_form": RemsEnrolmentForm(initial={"enrolled_on": timezone.localdate()})
        if access.staff_can(user, "clinical", "write") else None,
    }


@access.patient_view("clinical")
def chart(request, patient):
    return render(request, "assessment/chart.html", chart_context(request, patient))


@access.patient_view("clinical", "write")
def intake(request, patient):
    """A new intake (history is kept: each save is a new row), pre-filled from the last intake or questionnaire,
    and with every screening fact the chart's coded diagnoses imply answered "yes" (the code shown beside it)."""
    last = services.latest_intake(patient)
    initial = {"current_medications": patient.current_medications, "weight_kg": patient.weight_kg}
    if last is not None:
        for field in IntakeForm.Meta.fields:
            initial[field] = getattr(last, field)
        initial["vitals_taken_at"] = None  # new vitals each time
    else:
        pre = patient.previsit_questionnaires.first()
        if pre is not None:
            initial["presenting_problem"] = pre.reasons_for_seeking_treatment
            initial["substance_use_history"] = pre.alcohol_and_drug_use
            initial["current_medications"] = pre.current_medications or patient.current_medications
            for name in PATIENT_ANSWERABLE:
                initial[name] = getattr(pre, name)
    chart_codes = services.chart_prefill_codes(patient)
    initial.update(services.chart_prefill(patient))
    form = IntakeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        row = form.save(commit=False)
        row.patient = patient
        row.created_by = request.user
        try:
            row.full_clean()
            screening = services.save_intake(request, row, created=True)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Intake saved. Eligibility screen: {screening.get_status_display()}.")
            return redirect("assessment:chart", patient.pk)
    context = {
        "patient": patient,
        "tabs": chart_tabs(request.user, patient, "assessment:chart"),
        "form": form,
        "screening_rows": [(field, chart_codes.get(field.name)) for field in form.screening_fields],
        "chart_codes": chart_codes,
    }
    return render(request, "assessment/intake_form.html", context, status=400 if form.errors else 200)


@access.patient_view("self_report")
def previsit(request, patient):
    """The patient's own pre-visit questionnaire (staff may read the answers)."""
    # Only the patient writes it (self_report write); staff read the answers.
    form = PreVisitForm(request.POST or None) if access.can(request.user, "self_report", "write") else None
    if request.method == "POST" and form is not None and form.is_valid():
        row = form.save(commit=False)
        row.patient = patient
        row.submitted_by = request.user
        row.save()
        audit.record(request, "create", row)
        messages.success(request, "Thank you: your answers were sent to your care team.")
        return redirect("assessment:previsit", patient.pk)
    context = {
        "patient": patient,
        "tabs": chart_tabs(request.user, patient, "assessment:chart"),
        "form": form,
        "submitted": patient.previsit_questionnaires.first(),
        "questions": [(n, q) for n, q in PreVisitForm(None).fields.items() if n in PATIENT_ANSWERABLE],
    }
    return render(
        request, "assessment/previsit.html", context, status=400 if form is not None and form.errors else 200
    )


@access.patient_view("clinical", "write")
def treatment_add(request, patient):
    form = PreviousTreatmentForm(request.POST)
    saved = save_posted(
        request, form, lambda data: services.add_previous_treatment(request, patient, form.save(commit=False)),
        done=lambda row: f"Added {row}.", then=("assessment:chart", patient.pk),
    )
    if saved:
        return saved
    context = chart_context(request, patient)
    context["treatment_form"] = form
    return render(request, "assessment/chart.html", context, status=400)


@require_POST
@access.patient_view("clinical", access.WRITE, staff_only=True)
def rems_enrolment(request, patient):
    """Record the patient's SPRAVATO REMS enrolment (the card on the assessment tab); a refusal shows the tab again
    with the form as typed."""
    form = RemsEnrolmentForm(request.POST)
    saved = save_posted(
        request, form, lambda data: services.record_rems_enrolment(request, patient, **data),
        done="SPRAVATO REMS enrolment recorded.", then=("assessment:chart", patient.pk),
    )
    if saved:
        return saved
    context = chart_context(request, patient)
    context["rems_form"] = form
    return render(request, "assessment/chart.html", context, status=400)


@access.patient_view("clinical", "write")
def treatment_remove(request, patient, treatment_id):
    row = get_object_or_404(PreviousTreatment, pk=treatment_id, patient=patient)
    if request.method == "POST":
        services.remove_previous_treatment(request, row)
        messages.success(request, "Previous treatment removed.")
    return redirect("assessment:chart", patient.pk)


@access.patient_view("prescribing", "write")
def decision(request, patient):
    screening = services.latest_screening(patient)
    if screening is None:
        messages.error(
            request, "Complete the intake assessment first: there is no eligibility screening to decide on."
        )
        return redirect("assessment:chart", patient.pk)
    form = DecisionForm(request.POST or None)
    saved = save_posted(
        request, form,
        lambda data: services.record_decision(
            request, patient, screening=screening, decision=data["decision"], rationale=data["rationale"],
            override_reason=data["override_reason"],
        ),
        done="Decision recorded.", then=("assessment:chart", patient.pk),
    )  # fmt: skip
    if saved:
        return saved
    context = _decision_context(request, patient, screening, form)
    return render(request, "assessment/decision.html", context, status=400 if form.errors else 200)


def _decision_context(request, patient, screening, form, resolve_forms=None):
    resolve_forms = resolve_forms or {}
    rows = [
        (reason, resolution, resolve_forms.get(screening.mismatch_fact(reason)) or MismatchResolutionForm())
        for reason, resolution in screening.mismatch_rows()
    ]
    return {
        "patient": patient,
        "tabs": chart_tabs(request.user, patient, "assessment:chart"),
        "screening": screening,
        "form": form,
        "trd": services.treatment_resistance(patient),
        "mismatch_rows": rows,
        "mismatch_problem": services.mismatch_problem(screening),
    }


@access.patient_view("prescribing", "write")
def resolve_mismatch(request, patient, fact):
    """A prescriber resolves one contradiction between a screening answer and the chart (POST, with a reason)."""
    screening = services.latest_screening(patient)
    if screening is None or request.method != "POST":
        return redirect("assessment:decision", patient.pk)
    form = MismatchResolutionForm(request.POST)
    saved = save_posted(
        request, form, lambda data: services.resolve_mismatch(request, screening, fact=fact, reason=data["reason"]),
        done="Contradiction with the chart resolved and recorded.", then=("assessment:decision", patient.pk),
    )
    if saved:
        return saved
    context = _decision_context(request, patient, screening, DecisionForm(), {fact: form})
    open_facts = {screening.mismatch_fact(r) for r in screening.unresolved_mismatches()}
    if fact not in open_facts:
        # No form is shown for this item (none open): say why at the top of the cross-check.
        context["resolve_error"] = " ".join(m for msgs in form.errors.values() for m in msgs)
    return render(request, "assessment/decision.html", context, status=400)


@access.patient_view("clinical", patient_area="self_report")
def consent(request, patient, route):
    """Show the current consent for ``route``; the patient (or staff with the patient present) acknowledges it."""
    if route not in Route.values:
        messages.error(request, f"Unknown route {route!r}.")
        return redirect("assessment:chart", patient.pk)
    document = services.current_consent_document(route)
    form = ConsentForm(request.POST or None, initial={"document_id": document.pk if document else None})
    if request.method == "POST" and document is not None and form.is_valid():
        chosen = ConsentDocument.objects.filter(pk=form.cleaned_data["document_id"]).first()
        try:
            if chosen is None:
                raise ValidationError({"document": "Unknown consent document."})
            services.acknowledge_consent(
                request, patient, document=chosen, typed_name=form.cleaned_data["typed_name"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Consent to {chosen.title} (version {chosen.version}) recorded.")
            return redirect("assessment:chart", patient.pk)
    context = {
        "patient": patient,
        "tabs": chart_tabs(request.user, patient, "assessment:chart"),
        "route": Route(route),
        "document": document,
        "form": form,
        "acknowledged": services.current_acknowledgement(patient, route),
        "lapsed": services.consent_problem(patient, route)
        if document and patient.consents.filter(document=document).exists()
        else None,
    }
    return render(request, "assessment/consent.html", context, status=400 if form.errors else 200)


@access.staff_view("prescribing")
def consent_documents(request):
    documents = ConsentDocument.objects.select_related("published_by").all()
    audit.record(request, "list", detail={"consent_documents": documents.count()})
    return render(
        request,
        "assessment/consent_documents.html",
        {"documents": documents, "can_publish": access.can(request.user, "prescribing", "write")},
    )


@access.staff_view("prescribing", "write")
def consent_document_new(request):
    route = request.GET.get("route")
    initial = {}
    if route in Route.values:
        current = services.current_consent_document(route)
        initial = {
            "route": route,
            "title": current.title if current else "",
            "body": current.body if current else "",
        }
    form = ConsentDocumentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            document = services.publish_consent_document(request, **form.cleaned_data)
        messages.success(
            request,
            f"Published {document.title} version {document.version}: patients must re-consent before planning.",
        )
        return redirect("assessment:consent_documents")
    return render(
        request, "assessment/consent_document_form.html", {"form": form}, status=400 if form.errors else 200
    )
