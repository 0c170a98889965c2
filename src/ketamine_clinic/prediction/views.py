"""Prediction pages: the patient's predicted concentration curve as an HTML fragment (inline SVG).

Embedded by the plan and session pages with ``<div hx-get="{% url 'prediction:patient_curve' patient.id %}?..."
hx-trigger="load"></div>``. Authorised and audited by ``access.patient_view("clinical")``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render

from ketamine_clinic import access
from ketamine_clinic.core.pharmacology import comparison, models
from ketamine_clinic.sessions.models import DosingSession
from ketamine_clinic.sessions.services import exposure
from ketamine_clinic.validation import error_messages

from . import curves


@access.patient_view("clinical")
def patient_curve(request, patient):
    """Fragment: plasma and effect-site curve for today's weight and the given (or planned) dose, the
    infusion shaded and "now" marked. Bad parameters render the reasons in place (status 422)."""
    try:
        inputs = curves.build_inputs(patient, request.GET)
    except ValidationError as exc:
        errors = error_messages(exc)
        return render(request, "prediction/_curve.html", {"patient": patient, "errors": errors}, status=422)
    result = curves.predict(inputs)
    return render(
        request,
        "prediction/_curve.html",
        {"patient": patient, "result": result, "geo": curves.svg_geometry(result)},
    )


@access.record_view(
    DosingSession.objects.select_related("patient"), "clinical", kwarg="session_id", staff_only=True
)
def session_curve(request, session):
    """Fragment: the curve from what the session actually gave (charted pump events, delivered dose, the
    session's weight) and, while the patient is observed, the discharge hint. Loaded by the flowsheet with the
    record's stamp in its URL, so a charted pump action fetches it again. A record that cannot be drawn renders
    the reason in place (status 422)."""
    patient = session.patient
    try:
        given = exposure.given_events(session)
        result = curves.predict(curves.given_inputs(given))
    except ValidationError as exc:
        return render(
            request, "prediction/_session_curve.html",
            {"patient": patient, "errors": error_messages(exc), "stamp": exposure.record_stamp(session)}, status=422,
        )
    return render(
        request,
        "prediction/_session_curve.html",
        {
            "patient": patient,
            "result": result,
            "geo": curves.svg_geometry(result),
            "given": given,
            "hint": exposure.discharge_hint(session, given),
            "stamp": exposure.record_stamp(session),
        },
    )


@access.patient_view("clinical")
def protocol_comparison(request, patient):
    """Fragment for the plan tab: IV protocols side by side for this patient's recorded weight (0.5 and
    0.75 mg/kg over 40 min, a TCI plasma target): total dose, peak, exposure and when the predicted level falls
    below the clinic's discharge-hint level. Without a recorded weight it says so (status 422)."""
    ctx = {"patient": patient, "level": float(settings.DISCHARGE_HINT_LEVEL_NG_PER_ML)}
    try:
        weight = curves._recorded_weight(patient)
    except ValidationError as exc:
        return render(request, "prediction/_protocol_comparison.html", {**ctx, "errors": error_messages(exc)},
                      status=422)
    age = patient.age if patient.date_of_birth else None
    model = models.get(curves._default_model("iv", "racemic ketamine", age))
    try:
        model.check_patient(weight, age)
    except models.ModelError as exc:
        return render(request, "prediction/_protocol_comparison.html", {**ctx, "errors": {"__all__": [str(exc)]}},
                      status=422)
    rows = comparison.compare(model, weight, threshold_ng_per_ml=ctx["level"], age_years=age)
    return render(
        request,
        "prediction/_protocol_comparison.html",
        {**ctx, "rows": rows, "weight_kg": weight, "model": model, "window_h": comparison.WINDOW_MIN / 60},
    )
