"""The SPRAVATO REMS Patient Monitoring Form of a session (page, PDF, JSON through the API) and the work list
of forms due. Each view loads one session through the gate and makes one call to services.rems."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic import access, audit
from ketamine_clinic.core.administration import rems_form as core_rems
from ketamine_clinic.validation import save_posted

from .models import DosingSession
from .rems_forms import LABELS, EvaluationForm, RemsAnswersForm, SubmissionForm
from .services import rems

_SESSIONS = DosingSession.objects.filter(route=core_rems.ROUTE).select_related("patient", "nurse", "prescriber")
_form_page = access.record_view(_SESSIONS, "clinical", kwarg="session_id", staff_only=True)
_form_action = access.record_view(_SESSIONS, "clinical", access.WRITE, kwarg="session_id", staff_only=True)


def _page(request, session, *, answers=None, evaluation=None, submission=None, status=200):
    values = rems.form_for_output(session)
    hint = rems.suggestion(session)
    charted = rems.charted_answers(session)
    initial = rems.prefill(session, charted=charted, hint=hint)
    answers = answers or RemsAnswersForm(initial=initial)
    ctx = {
        "session": session,
        "patient": session.patient,
        "values": values,
        "hint": hint,
        "answers_form": answers,
        "answer_fields": [(answers[name], charted[name]) for name in LABELS],
        "evaluation_form": evaluation or EvaluationForm(initial={"evaluation_minutes": initial["evaluation_minutes"]}),
        "submission_form": submission or SubmissionForm(initial={"submitted_on": timezone.localdate()}),
        "can_prescribe": access.can(request.user, "prescribing", access.WRITE, session.patient),
        "classes": core_rems.CONCOMITANT_CLASSES,
        "min_monitoring": core_rems.MIN_MONITORING_MIN,
    }
    return render(request, "sessions/rems_form.html", ctx, status=status)


@_form_page
def form_page(request, session):
    audit.record(request, "view", rems.form_of(session) or session, patient=session.patient,
                 detail={"rems_form": session.pk})
    return _page(request, session)


@require_POST
@_form_action
def save_answers(request, session):
    form = RemsAnswersForm(request.POST)
    answer = save_posted(
        request, form, lambda data: rems.save_answers(session, {**data, "concomitant": data["concomitant"]},
                                                      user=request.user),
        done="REMS form answers saved.", then=("sessions:rems_form", session.pk),
    )
    return answer or _page(request, session, answers=form, status=400)


@require_POST
@_form_action
def confirm_evaluation(request, session):
    form = EvaluationForm(request.POST)
    answer = save_posted(
        request, form, lambda data: rems.confirm_evaluation(session, data["evaluation_minutes"], user=request.user),
        done="REMS evaluation answer confirmed.", then=("sessions:rems_form", session.pk),
    )
    return answer or _page(request, session, evaluation=form, status=400)


@require_POST
@_form_action
def record_submission(request, session):
    form = SubmissionForm(request.POST)
    answer = save_posted(
        request, form,
        lambda data: rems.record_submission(session, user=request.user, submitted_on=data["submitted_on"],
                                            confirmation=data["submission_confirmation"]),
        done="Submission recorded.", then=("sessions:rems_form", session.pk),
    )
    return answer or _page(request, session, submission=form, status=400)


@_form_page
def form_pdf(request, session):
    _, body = rems.pdf(request, session, via="page")
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="rems-form-session-{session.pk}.pdf"'
    return response


@access.staff_view("clinical")
def forms_due(request):
    rows = rems.forms_due(request.user)
    audit.record(request, "list", detail={"rems_forms_due": [r["session"].pk for r in rows][:200]})
    return render(request, "sessions/rems_due.html", {"rows": rows, "within": core_rems.SUBMIT_WITHIN_DAYS})
