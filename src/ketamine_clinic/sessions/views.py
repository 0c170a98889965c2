"""Session pages: today's board, the tablet flowsheet (HTMX), the chart tab (history) and their actions.

Every POST on the flowsheet answers with the re-rendered flowsheet body when called by HTMX (so the page
always shows the saved record and a fresh version/idempotency key), or redirects back for plain forms.
"""

import datetime as dt
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic import access, audit
from ketamine_clinic.clinic.chart import chart_tabs
from ketamine_clinic.core.administration.states import (
    DOSE_GIVEN_STATES,
    SessionState,
    action_label,
    allowed_next,
)
from ketamine_clinic.core.administration.vitals import DEFAULT_THRESHOLDS, is_overdue
from ketamine_clinic.core.inventory import format_mg
from ketamine_clinic.core.protocols import routes
from ketamine_clinic.inventory import services as inventory
from ketamine_clinic.inventory.models import Lot
from ketamine_clinic.outcomes.models import MeasureResponse
from ketamine_clinic.scheduling import services as scheduling
from ketamine_clinic.scheduling.models import Appointment
from ketamine_clinic.validation import apply_errors, error_text

from . import services
from .forms import (
    ENTRY_FORMS,
    DischargeChecklistForm,
    DoseForm,
    NewSessionForm,
    NoteAmendForm,
    PreDoseForm,
    TransitionForm,
    VitalsForm,
)
from .models import DischargeChecklist, DosingSession, SessionNote, VitalsReading
from .services import exposure

# The esketamine device as the rule table gives it (the planned devices line reads it, never a typed "28 mg").
NASAL_DEVICE = {"mg": routes.ESKETAMINE_MG_PER_DEVICE, "minutes_between": routes.ESKETAMINE_MINUTES_BETWEEN_DEVICES}

# A session's pages are clinic staff's (patients never open the flowsheet, even their own): 404 for a session whose
# patient is not visible, 403 for a role that may not read (or, for a POST, write) the clinical record.
_SESSIONS = DosingSession.objects.select_related("patient", "chair")
_session_page = access.record_view(_SESSIONS, "clinical", kwarg="session_id", staff_only=True)
_session_action = access.record_view(_SESSIONS, "clinical", access.WRITE, kwarg="session_id", staff_only=True)


def _today_sessions(user, now):
    today = timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    end = start + dt.timedelta(days=1)
    qs = (
        DosingSession.objects.filter(scheduled_for__gte=start, scheduled_for__lt=end)
        .filter(patient__in=access.visible_patients(user))
        .select_related("patient", "chair", "nurse")
        .prefetch_related("vitalsreadings")
        .order_by("chair__name", "scheduled_for")
    )
    rows = []
    for s in qs:
        due = services.next_due(s)
        rows.append(
            {
                "session": s,
                "due": due,
                "overdue": is_overdue(due, now),
                "alerts": services.active_alerts(s),
            }
        )
    return rows


def _waiting_appointments(user, now):
    """Today's booked dosing appointments of visible patients that have no session yet."""
    today = timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    return list(
        Appointment.objects.filter(
            kind="dosing",
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
            status__in=["booked", "checked_in"],
            dosing_session__isnull=True,
            patient__in=access.visible_patients(user),
        )
        .select_related("patient", "chair")
        .order_by("starts_at")
    )


@access.staff_view("clinical")
def board(request):
    if not access.sees_clinic_boards(request.user):
        raise PermissionDenied("Your role may not see the sessions board.")
    now = timezone.now()
    rows = _today_sessions(request.user, now)
    waiting = _waiting_appointments(request.user, now)
    audit.record(
        request,
        "list",
        detail={
            "board": "sessions",
            "shown": [r["session"].pk for r in rows],
            "appointments": [a.pk for a in waiting],
        },
    )
    return render(
        request,
        "sessions/board.html",
        {
            "rows": rows,
            "now": now,
            "waiting": waiting,
            "can_write": access.can(request.user, "clinical", "write"),
        },
    )


@require_POST
@access.record_view(Appointment, "clinical", access.WRITE, staff_only=True)
def open_from_appointment(request, appointment):
    """Create (or find) the session of a dosing appointment and go to its flowsheet."""
    try:
        session, _ = services.session_for_appointment(appointment, user=request.user)
    except ValidationError as err:
        messages.error(request, error_text(err))
        return redirect("sessions:board")
    return redirect("sessions:flowsheet", session.pk)


@access.signed_in_view
def board_panel(request):
    """Dashboard fragment. Roles without clinical access (the front desk) get an empty panel, not an error,
    because the dashboard loads every panel for every staff member."""
    if not access.sees_clinic_boards(request.user):
        return render(request, "sessions/_board_table.html", {"rows": [], "panel": True, "hidden": True})
    now = timezone.now()
    rows = _today_sessions(request.user, now)
    audit.record_panel(request, "sessions board", {"shown": [r["session"].pk for r in rows]})
    return render(request, "sessions/_board_table.html", {"rows": rows, "now": now, "panel": True})


def _chart_context(request, patient, form):
    sessions = patient.dosing_sessions.select_related("chair", "note").prefetch_related(
        "vitalsreadings", "interventions"
    )
    return {
        "patient": patient,
        "tabs": chart_tabs(request.user, patient, "sessions:chart"),
        "sessions": sessions,
        "form": form,
        "can_write": access.staff_can(request.user, "clinical", access.WRITE),
    }


@access.patient_view("clinical")
def chart(request, patient):
    now = timezone.localtime().replace(second=0, microsecond=0)
    initial = {"route": _default_route(patient), "scheduled_for": now}
    if request.user.role == "nurse":
        initial["nurse"] = request.user.pk
    form = NewSessionForm(initial=initial)
    return render(request, "sessions/chart.html", _chart_context(request, patient, form))


def _default_route(patient):
    plan = patient.treatment_plans.current()
    return plan.route if plan else "iv"


@require_POST
@access.patient_view("clinical", access.WRITE, staff_only=True)
def session_create(request, patient):
    """Start a session from the chart. Every session has its appointment: the chair and nurse are booked with
    every booking rule (scheduling.services.book_session_now), then the one session of that appointment is
    created, both in one transaction. A refusal re-renders the form (400) with what was typed."""
    form = NewSessionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                appointment = scheduling.book_session_now(
                    request.user,
                    patient,
                    route=data["route"],
                    chair=data["chair"],
                    staff=data["nurse"],
                    starts_at=data["scheduled_for"],
                )
                session, _ = services.session_for_appointment(appointment, user=request.user)
        except ValidationError as err:
            apply_errors(form, err, NewSessionForm.SERVICE_FIELDS)
        else:
            messages.success(request, f"Session created: {session.chair.name} is booked for it.")
            return redirect("sessions:flowsheet", session.pk)
    return render(request, "sessions/chart.html", _chart_context(request, patient, form), status=400)


# --------------------------------------------------------------------------------------------------- flowsheet


def flowsheet_context(request, session, **overrides):
    user = request.user
    now = timezone.now()
    session.refresh_from_db()
    can_write = access.staff_can(user, "clinical", access.WRITE, session.patient)
    can_prescribe = access.can(user, "prescribing", "write", session.patient)
    state = SessionState(session.state)
    pre = services.pre_dose_result(session, now)
    dose_plan = dose_error = None
    try:
        dose_plan = services.dose_plan_for(session)
    except ValidationError as err:
        dose_error = error_text(err, "; ")
    readings = services.readings(session)
    discharge = services.discharge_result(session, now) if state in DOSE_GIVEN_STATES else None
    checklist = DischargeChecklist.objects.filter(session=session).first()
    note = SessionNote.objects.filter(session=session).first()
    due = services.next_due(session)
    moves = _moves(session, state, pre, discharge, can_prescribe)
    curve_url = _curve_url(session, dose_plan, now)
    measure_urls = _measure_urls(session)
    ctx = {
        "session": session,
        "patient": session.patient,
        "state": state,
        "now": now,
        "can_write": can_write,
        "can_prescribe": can_prescribe,
        "can_bill": access.can(user, "billing", "read", session.patient),
        "pre": pre,
        "dose_plan": dose_plan,
        "dose_error": dose_error,
        "readings": readings,
        "baseline": services.baseline_reading(session),
        "alerts": services.active_alerts(session),
        "thresholds": DEFAULT_THRESHOLDS,
        "nasal_device": NASAL_DEVICE,
        "due": due,
        "overdue": is_overdue(due, now),
        "since_dose": _since_dose(session, now),
        "discharge": discharge,
        "checklist": checklist,
        "note": note,
        "moves": moves,
        "curve_url": curve_url,
        "measure_urls": measure_urls,
        "chart": vitals_chart(readings),
        **_record_lists(session, measure_urls),
        **_forms(session, state, dose_plan, checklist, user),
        "error": None,
        "posted": {},
        **_dose_given(user, session),
    }
    for key, value in overrides.items():
        if key == "entry_form":
            ctx["entry_forms"] = {**ctx["entry_forms"], **value}
        else:
            ctx[key] = value
    return ctx


def _moves(session, state, pre, discharge, can_prescribe) -> list[dict]:
    """The state changes offered from ``state``, each with what blocks it and whether it may be overridden."""
    moves = []
    for target in allowed_next(state):
        needs_reason = target in (SessionState.ABORTED, SessionState.STOPPED_EARLY)
        gate = None
        if target is SessionState.DOSING:
            gate = pre.gate()
        elif target is SessionState.DISCHARGED and discharge is not None:
            gate = discharge.gate()
        elif target is SessionState.READY_FOR_DISCHARGE and discharge is not None:
            gate = discharge.observation_gate()
        blocking = gate.blocking if gate else ()
        # A blocked move is offered only to whom may pass it: a prescriber's written override, and never past a
        # hold (an open suicide-risk task). Otherwise the button is disabled, with the reason beside it.
        overridable = bool(blocking) and can_prescribe and not gate.not_overridable
        ends_dosing = state is SessionState.DOSING and session.dose_mg is not None
        moves.append({
            "target": target, "action": action_label(target, state), "needs_reason": needs_reason,
            "blocking": blocking, "overridable": overridable, "disabled": bool(blocking) and not overridable,
            "delivery": ends_dosing,
        })
    return moves


def _measure_urls(session) -> list[dict]:
    measure_urls = []
    for key, label in (("phq9", "PHQ-9"), ("cssrs_screener", "C-SSRS"), ("cadss", "CADSS")):
        url = reverse("outcomes:administer", args=[session.patient_id, key])
        measure_urls.append({"label": label, "url": f"{url}?session={session.pk}"})
    return measure_urls


def _record_lists(session, measure_urls) -> dict:
    """The flowsheet's entries and events, and the session's CADSS administrations."""
    return {
        "side_effects": session.sideeffects.all(),
        "interventions": session.interventions.all(),
        "observations": session.observations.all(),
        "scores": session.dissociationscores.all(),
        "cadss_responses": _session_responses(session, "cadss"),
        "cadss_url": next((m["url"] for m in measure_urls if m["label"] == "CADSS"), None),
        "events": session.events.select_related("by"),
    }


def _forms(session, state, dose_plan, checklist, user) -> dict:
    """The flowsheet's empty forms (vitals, pre-dose, dose with its lots, entries, discharge, amendment)."""
    return {
        "vitals_form": VitalsForm(
            initial={"is_baseline": state in (SessionState.CHECKED_IN, SessionState.PRE_DOSE_CHECKS)}
        ),
        "predose_form": PreDoseForm.for_session(session),
        "dose_form": DoseForm(
            initial={
                "version": session.version,
                "dose_mg": _dose_to_confirm(dose_plan),
            },
            lots=services.lot_choices(session),
            user=user,
        ),
        "entry_forms": {kind: form_cls(route=session.route) for kind, (form_cls, _, _) in ENTRY_FORMS.items()},
        "discharge_form": DischargeChecklistForm(instance=checklist),
        "amend_form": NoteAmendForm(),
    }


def _dose_to_confirm(dose_plan):
    """The dose offered for confirmation: for an infusion, what the drawn volume holds (0.84 mL of 50 mg/mL is
    42.00 mg, not the 42.10 ordered), so the confirmed dose, the draw and the ledger agree; else the plan's dose."""
    if dose_plan is None:
        return None
    mg = dose_plan.infusion.drawn_dose_mg if dose_plan.infusion else dose_plan.dose_mg
    return round(mg, 2)


def _dose_given(user, session) -> dict:
    """Rate changes, planned devices, bag volume, and what was not given (still held by the session)."""
    return {
        "rate_changed": session.interventions.filter(
            kind__in=["infusion_paused", "rate_reduced", "infusion_stopped"]
        ).exists(),
        "planned_devices": (session.dose_calculation or {}).get("devices"),
        "bag_volume_ml": (session.dose_calculation or {}).get("bag_volume_ml"),
        "not_given_mg": services.held_remainder_mg(session),
        "held": _held(user, session),
    }


def _held(user, session):
    """What the session still holds of its lot once dosing has ended (drawn, not given, not yet wasted), with
    a link to the witnessed-waste page pre-filled for it; None while dosing or when nothing is held."""
    if session.lot_id is None or session.delivered_mg is None:
        return None
    held = inventory.held_for_session(session.lot_id, session.pk)
    if held <= 0:
        return None
    lot = Lot.objects.filter(pk=session.lot_id).first()
    url = reverse("inventory:waste")
    can_waste = access.can(user, "inventory", "write")
    return {
        "amount": format_mg(held),
        "lot": lot.lot_number if lot else session.lot_id,
        "waste_url": f"{url}?{urlencode({'session': session.pk, 'lot': session.lot_id})}"
        if can_waste
        else None,
    }


def _session_responses(session, instrument):
    """Item-by-item measures taken in the outcomes app for this session."""
    return list(MeasureResponse.objects.filter(session=session, instrument=instrument).order_by("taken_at"))


def _curve_url(session, dose_plan, now):
    """The prediction fragment: once dosing has started, the session's curve from what was charted; before, a
    preview of the planned dose starting now (while the dose is being confirmed); None when there is no dose."""
    if session.dose_mg is not None and session.dosing_started_at:
        # What was given, from the record (the pump's charted changes, the delivered dose): the session's own
        # curve, its URL stamped with the record so a charted change fetches it again.
        if not session.given_mg:
            return None
        base = reverse("prediction:session_curve", args=[session.pk])
        return f"{base}?{urlencode({'record': exposure.record_stamp(session)})}"
    base = reverse("prediction:patient_curve", args=[session.patient_id])
    if dose_plan is not None and session.state == SessionState.PRE_DOSE_CHECKS:
        dose, start = round(dose_plan.dose_mg, 2), now
    else:
        return None
    params = {"route": session.route, "dose_mg": dose, "start": start.isoformat()}
    if session.route == "iv":
        params["duration_min"] = (
            (session.dose_rule or {}).get("infusion_duration_min")
            or (dose_plan.rule.infusion_duration_min if dose_plan else None)
            or 40
        )
    return f"{base}?{urlencode(params)}"


def _since_dose(session, now) -> str:
    """The time the nurse counts from, in words: how long dosing has run, or how long since it ended."""
    if session.dosing_ended_at:
        return f"{max(0, int((now - session.dosing_ended_at).total_seconds() // 60))} min since dosing ended"
    if session.dosing_started_at:
        return f"Dosing for {max(0, int((now - session.dosing_started_at).total_seconds() // 60))} min"
    return ""


def _respond(request, session, status_if_plain=400, **overrides):
    """Re-render after a POST: the flowsheet body for HTMX, the whole page otherwise."""
    ctx = flowsheet_context(request, session, **overrides)
    failed = bool(overrides)
    if request.htmx:
        return render(request, "sessions/_flowsheet_body.html", ctx)
    if not failed:
        return redirect("sessions:flowsheet", session.pk)
    return render(request, "sessions/flowsheet.html", ctx, status=status_if_plain)


@_session_page
def flowsheet(request, session):
    ctx = flowsheet_context(request, session)
    if request.htmx and request.GET.get("part") == "body":
        return render(request, "sessions/_flowsheet_body.html", ctx)
    return render(request, "sessions/flowsheet.html", ctx)


def _write_view(fn):
    """POST-only flowsheet action: login, per-patient write access, clear errors instead of 500s."""

    @require_POST
    @_session_action
    @wraps(fn)
    def wrapper(request, session, *args, **kwargs):
        try:
            return fn(request, session, *args, **kwargs)
        except services.StaleSession as err:
            return _respond(request, session, status_if_plain=409, error=str(err))
        except ValidationError as err:
            return _respond(request, session, status_if_plain=400, error=error_text(err))
        except PermissionDenied as err:
            if request.htmx:
                return _respond(request, session, error=str(err))
            raise

    return wrapper


@_write_view
def add_vitals(request, session):
    form = VitalsForm(request.POST)
    if not form.is_valid():
        return _respond(request, session, vitals_form=form, error="Check the vitals entered.")
    values = {k: form.cleaned_data[k] for k in ("sbp", "dbp", "hr", "spo2", "rr")}
    taken_at = form.taken_at(timezone.now())
    if form.errors:
        return _respond(request, session, vitals_form=form, error="Check the time of the reading.")
    try:
        services.record_reading(
            session,
            user=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            values=values,
            taken_at=taken_at,
            is_baseline=form.cleaned_data["is_baseline"],
        )
    except ValidationError as err:
        apply_errors(form, err)
        return _respond(request, session, vitals_form=form, error=error_text(err))
    return _respond(request, session)


@_write_view
def save_predose(request, session):
    form = PreDoseForm.for_session(session, request.POST)
    if not form.is_valid():
        return _respond(request, session, predose_form=form, error="Check the pre-dose form.")
    services.save_pre_dose(
        session, form.session_values(), user=request.user, version=form.cleaned_data["version"]
    )
    return _respond(request, session)


@_write_view
def confirm_dose(request, session):
    form = DoseForm(request.POST, lots=services.lot_choices(session), user=request.user)
    if not form.is_valid():
        return _respond(request, session, dose_form=form, error="Check the dose.")
    try:
        services.record_dose(
            session,
            dose_mg=form.cleaned_data["dose_mg"],
            user=request.user,
            lot_id=form.cleaned_data["lot_id"],
            second_checker=form.cleaned_data["second_checker"],
            second_checker_password=form.cleaned_data["second_checker_password"],
            override_reason=form.cleaned_data["override_reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as err:
        apply_errors(form, err)
        return _respond(request, session, dose_form=form, error=error_text(err))
    return _respond(request, session)


@_write_view
def change_state(request, session):
    form = TransitionForm(request.POST)
    if not form.is_valid():
        # Keep what was typed (reason, delivered dose) in the move's form and say what is wrong with it.
        fields = [f for f in form.errors if f not in ("version", "target", "__all__")]
        if "target" in form.errors or "version" in form.errors or not fields:
            return _respond(request, session, error="Unknown state change requested.", posted=request.POST)
        labels = "; ".join(f"{form.fields[f].label or f}: {' '.join(form.errors[f])}" for f in fields)
        return _respond(request, session, error=f"Check the entry. {labels}", posted=request.POST)
    try:
        services.transition(
            session,
            form.cleaned_data["target"],
            user=request.user,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            override_reason=form.cleaned_data["override_reason"],
            **form.delivery(),
        )
    except ValidationError as err:
        return _respond(request, session, error=error_text(err), posted=request.POST)
    return _respond(request, session)


@_write_view
def add_entry(request, session, kind):
    if kind not in ENTRY_FORMS:
        raise Http404("Unknown flowsheet entry.")
    form_cls, model, time_field = ENTRY_FORMS[kind]
    form = form_cls(request.POST, route=session.route)
    if not form.is_valid():
        return _respond(request, session, entry_form={kind: form}, error="Check the entry.")
    data = {k: v for k, v in form.cleaned_data.items() if k != "idempotency_key"}
    data[time_field] = timezone.now()
    services.add_entry(
        model, session, user=request.user, idempotency_key=form.cleaned_data["idempotency_key"], **data
    )
    return _respond(request, session)


@_write_view
def acknowledge(request, session, reading_id):
    reading = get_object_or_404(VitalsReading, pk=reading_id, session=session)
    services.acknowledge_alert(reading, user=request.user)
    return _respond(request, session)


@_write_view
def save_discharge(request, session):
    form = DischargeChecklistForm(request.POST)
    if not form.is_valid():
        return _respond(request, session, discharge_form=form, error="Check the discharge checklist.")
    services.save_discharge_checklist(session, form.cleaned_data, user=request.user)
    return _respond(request, session)


@_write_view
def note_generate(request, session):
    services.generate_note(session, user=request.user)
    return _respond(request, session)


@_write_view
def note_sign(request, session):
    note = get_object_or_404(SessionNote, session=session)
    services.sign_note(note, user=request.user)
    return _respond(request, session)


@_write_view
def note_amend(request, session):
    note = get_object_or_404(SessionNote, session=session)
    form = NoteAmendForm(request.POST)
    if not form.is_valid():
        return _respond(request, session, amend_form=form, error="Write the amendment and its reason.")
    services.amend_note(
        note, user=request.user, body=form.cleaned_data["body"], reason=form.cleaned_data["reason"]
    )
    return _respond(request, session)


@_session_page
def vitals_chart_fragment(request, session):
    return render(
        request,
        "sessions/_vitals_chart.html",
        {"chart": vitals_chart(services.readings(session)), "session": session},
    )


# --------------------------------------------------------------------------------------------------- SVG chart

CHART_W, CHART_H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 240, 40, 10, 10, 24
Y_MIN, Y_MAX = 40, 200


def vitals_chart(readings):
    """Coordinates for an inline SVG of SBP, DBP and heart rate over the session (alerts marked)."""
    if not readings:
        return None
    t0 = readings[0].taken_at
    t1 = max(readings[-1].taken_at, t0 + dt.timedelta(minutes=30))
    span = (t1 - t0).total_seconds() or 1
    inner_w, inner_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B

    def x(t):
        return round(PAD_L + (t - t0).total_seconds() / span * inner_w, 1)

    def y(v):
        v = min(max(v, Y_MIN), Y_MAX)
        return round(PAD_T + (Y_MAX - v) / (Y_MAX - Y_MIN) * inner_h, 1)

    series = []
    for name, colour in (("sbp", "#b42318"), ("dbp", "#1f5fa8"), ("hr", "#067647")):
        pts = [
            (x(r.taken_at), y(getattr(r, name)), getattr(r, name), bool(r.alerts))
            for r in readings
            if getattr(r, name) is not None
        ]
        series.append(
            {
                "name": name.upper(),
                "colour": colour,
                "points": " ".join(f"{px},{py}" for px, py, _, _ in pts),
                "dots": [{"x": px, "y": py, "v": v, "alert": a} for px, py, v, a in pts],
            }
        )
    grid = [{"y": y(v), "v": v} for v in (60, 100, 140, 180)]
    ticks = []
    minute = 0
    total_min = span / 60
    step = 10 if total_min <= 120 else 30
    while minute <= total_min:
        ticks.append({"x": x(t0 + dt.timedelta(minutes=minute)), "label": f"{minute}'"})
        minute += step
    return {
        "w": CHART_W,
        "h": CHART_H,
        "series": series,
        "grid": grid,
        "ticks": ticks,
        "alert_line": y(180),
        "left": PAD_L,
        "right": CHART_W - PAD_R,
        "bottom": CHART_H - PAD_B,
    }
