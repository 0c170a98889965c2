"""Prediction pages: the patient's predicted concentration curve as an HTML fragment (inline SVG).

Embedded by the plan and session pages with ``<div hx-get="{% url 'prediction:patient_curve' patient.id %}?..."
hx-trigger="load"></div>``. Authorised and audited by ``access.patient_view("clinical")``.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import render

from ketamine_clinic import access
from ketamine_clinic.sessions import exposure
from ketamine_clinic.sessions.models import DosingSession
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
