"""Outcome pages: take a measure (staff), self-report (patients), the chart tab with trajectories, the
due/overdue list, and the urgent-task panel with acknowledgement.

Every page goes through ``ketamine_clinic.access`` (patient_view / record_view / own_record_view / staff_view); writes are
audited in ``services``; list pages audit what they showed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.clinic.chart import chart_tabs
from ketamine_clinic.core.instruments import INSTRUMENTS
from ketamine_clinic.navigation import back_to
from ketamine_clinic.validation import apply_errors, save_posted

from . import history, services
from .charts import trajectory_svg
from .forms import AcknowledgeForm, InstrumentForm
from .models import MeasureResponse, UrgentTask

SELF_REPORT_INSTRUMENTS = [k for k, i in INSTRUMENTS.items() if i.respondent in ("self", "either")]


def _sessions(patient):
    # Read through the relation the sessions app declares on the patient: outcomes sit below sessions.
    return list(patient.dosing_sessions.order_by("-scheduled_for")[:30])


@access.patient_view("measures", "write")
def administer(request, patient, instrument):
    """Staff enter a questionnaire (clinician-rated or read to the patient). ``?session=<id>`` links it.

    Only roles that may save it see the form (a patient fills in their own through self-report)."""
    inst = services.instrument_or_404(instrument)
    sessions = _sessions(patient)
    initial = {}
    if request.GET.get("session", "").isdigit():
        initial["session"] = int(request.GET["session"])
    form = InstrumentForm(
        inst, request.POST or None, staff=True, sex=patient.sex, sessions=sessions, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        session = next((s for s in sessions if s.pk == form.cleaned_data.get("session")), None)
        try:
            admin = services.record_measure_response(
                patient=patient,
                instrument=inst.key,
                answers=form.answers(),
                user=request.user,
                request=request,
                session=session,
                taken_at=form.cleaned_data.get("taken_at"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            shown = admin.total if admin.total is not None else admin.severity
            messages.success(request, f"{inst.short_name} saved: {shown} ({admin.severity or 'no bands'}).")
            if admin.urgent_tasks.exists():
                messages.warning(
                    request,
                    "Suicide-risk flag: an urgent task was sent to the prescriber. "
                    "Follow the clinic's safety protocol now.",
                )
            if session is not None:  # taken from the flowsheet: back to the session, where the nurse was
                return redirect("sessions:flowsheet", session.pk)
            return redirect("outcomes:chart", patient.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "outcomes/administer.html",
        {
            "patient": patient,
            "tabs": chart_tabs(request.user, patient, "outcomes:chart"),
            "form": form,
            "instrument": inst,
        },
        status=status,
    )


_own_self_report = access.own_record_view(
    "self_report", refusal="Self-report is for patients with a linked record."
)


@_own_self_report
def self_report_home(request, patient):
    """The patient's list of questionnaires they can fill in, with what is due."""
    due = {d.instrument: d for d in services.patient_due(patient)}
    rows = [
        {"instrument": INSTRUMENTS[k], "due": due.get(k), "url": reverse("outcomes:self_report", args=[k])}
        for k in SELF_REPORT_INSTRUMENTS
    ]
    return render(request, "outcomes/self_report_home.html", {"patient": patient, "rows": rows})


@_own_self_report
def self_report(request, patient, instrument):
    """A patient completes a questionnaire about themselves (own record only)."""
    inst = services.instrument_or_404(instrument)
    if inst.respondent == "clinician":
        raise Http404("That questionnaire is completed by your clinician.")
    form = InstrumentForm(inst, request.POST or None, staff=False, sex=patient.sex)
    if request.method == "POST" and form.is_valid():
        try:
            admin = services.record_measure_response(
                patient=patient,
                instrument=inst.key,
                answers=form.answers(),
                user=request.user,
                request=request,
                self_reported=True,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("outcomes:self_report_done", admin.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "outcomes/self_report.html",
        {"patient": patient, "form": form, "instrument": inst},
        status=status,
    )


@_own_self_report
def self_report_done(request, patient, measure_response_id):
    """Confirmation page: the score in plain words, and crisis resources (always; emphasised if flagged)."""
    admin = MeasureResponse.objects.filter(pk=measure_response_id, patient=patient).first()
    if admin is None:
        raise Http404("No such questionnaire.")
    escalated = admin.urgent_tasks.exists()
    return render(
        request,
        "outcomes/self_report_done.html",
        {
            "patient": patient,
            "admin": admin,
            "escalated": escalated,
            "crisis": services.CRISIS_RESOURCES,
        },
    )


@access.patient_view("measures")
def chart(request, patient):
    """The Outcomes chart tab: per-instrument trajectory, status at a glance, what is due, the history."""
    admins = list(patient.measure_responses.select_related("administered_by", "session").order_by("-taken_at"))
    session_times = [s.scheduled_for for s in _sessions(patient) if s.state not in services.NOT_DOSED_STATES]
    by_inst: dict[str, list] = {}
    for a in sorted(admins, key=lambda a: a.taken_at):
        if a.total is not None:
            by_inst.setdefault(a.instrument, []).append((a.taken_at, a.total))
    now = timezone.now()
    panels = []
    for key, inst in INSTRUMENTS.items():
        points = by_inst.get(key)
        if not points:
            continue
        panels.append(
            {
                "instrument": inst,
                "svg": trajectory_svg(inst, points, session_times, now=now),
                "status": history.status_for(points, key) if inst.tracks_outcome else None,
                "latest": points[-1],
            }
        )
    # Risk-triage instruments have no total to plot: show their latest result instead.
    latest_risk = [
        next(a for a in admins if a.instrument == key)
        for key, inst in INSTRUMENTS.items()
        if inst.scoring == "risk" and any(a.instrument == key for a in admins)
    ]
    can_write = access.can(request.user, "measures", "write")
    # Open escalations are clinicians' work list; a patient reading their own scores does not see them.
    open_tasks = patient.urgent_tasks.filter(acknowledged_at__isnull=True) if can_write else []
    return render(
        request,
        "outcomes/chart.html",
        {
            "patient": patient,
            "tabs": chart_tabs(request.user, patient, "outcomes:chart"),
            "panels": panels,
            "admins": admins[:50],
            "due": [
                {"d": d, "name": INSTRUMENTS[d.instrument].short_name}
                for d in services.patient_due(patient, now)
            ],
            "open_tasks": open_tasks,
            "latest_risk": latest_risk,
            "instruments": INSTRUMENTS.values(),
            "can_write": can_write,
            "can_ack": access.can(request.user, "prescribing", "write"),
        },
    )


@access.staff_view("measures")
def due(request):
    """Staff list of due and overdue measures across the patients visible to the user."""
    now = timezone.now()
    patients = access.visible_patients(request.user).exclude(phase="discharged").order_by("last_name")
    rows = []
    due_by_patient = services.patients_due(patients, now)
    for p in patients:
        for d in due_by_patient[p.pk]:
            rows.append({"patient": p, "due": d, "instrument": INSTRUMENTS[d.instrument]})
    rows.sort(key=lambda r: (r["due"].status != "overdue", r["due"].due_at))
    audit.record(
        request, "list", detail={"page": "measures due", "shown": sorted({r["patient"].pk for r in rows})}
    )
    return render(request, "outcomes/due.html", {"rows": rows, "now": now})


@access.staff_view("measures")
def urgent_tasks_panel(request):
    """Dashboard fragment: open suicide-risk tasks for this user (prescriber: theirs; director: all)."""
    tasks = list(services.open_tasks_for(request.user))
    audit.record_panel(request, "urgent tasks", {"tasks": [t.pk for t in tasks]})
    return render(request, "outcomes/_urgent_tasks_panel.html", {"tasks": tasks, "form": AcknowledgeForm()})


# Staff only (patients may read their own record's prescribing area, but tasks are clinicians' work): the page
# shows to clinicians who may read prescribing decisions, and a POST (closing the task) needs prescribing write.
@access.record_view(UrgentTask.objects.select_related("patient"), "prescribing", kwarg="task_id", staff_only=True)
def acknowledge(request, task):
    """Close an urgent task with the documented action (POST; prescriber/director of a visible patient)."""
    patient = task.patient
    form = AcknowledgeForm(request.POST or None)
    saved = save_posted(
        request, form,
        lambda data: services.acknowledge_task(task, user=request.user, action=data["action_taken"], request=request),
        done=f"Urgent task for {patient.full_name} acknowledged.",
        then=back_to(request, reverse("outcomes:chart", args=[patient.pk])),
    )
    if saved:
        return saved
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "outcomes/acknowledge.html",
        {
            "patient": patient,
            "task": task,
            "form": form,
            "tabs": chart_tabs(request.user, patient, "outcomes:chart"),
        },
        status=status,
    )
