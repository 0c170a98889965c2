"""Scheduling pages: the clinic's day view (chairs and staff), a patient's appointments, book, move, cancel."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.clinic.chart import chart_tabs
from ketamine_clinic.navigation import back_to
from ketamine_clinic.plans.models import TreatmentPlan
from ketamine_clinic.validation import save_posted

from . import series, services
from .forms import BookForm, CancelForm, DayForm, RescheduleForm
from .models import Appointment, Chair, ChangeRequest


@access.staff_view("schedule")
def day(request):
    form = DayForm(request.GET or None)
    the_day = timezone.localdate()
    if form.is_valid() and form.cleaned_data["date"]:
        the_day = form.cleaned_data["date"]
    visible = set(access.visible_patients(request.user).values_list("pk", flat=True))
    appointments = [a for a in services.day_appointments(the_day) if a.patient_id in visible]
    chairs = list(Chair.objects.all())
    rows = [{"chair": c, "appointments": [a for a in appointments if a.chair_id == c.pk]} for c in chairs]
    rows.append({"chair": None, "appointments": [a for a in appointments if a.chair_id is None]})
    staff_rows = {}
    for a in appointments:
        if a.staff_id:
            staff_rows.setdefault(a.staff, []).append(a)
    audit.record(
        request, "list", detail={"schedule_day": the_day.isoformat(), "shown": [a.pk for a in appointments]}
    )
    context = {
        "day": the_day,
        "previous": the_day - dt.timedelta(days=1),
        "next": the_day + dt.timedelta(days=1),
        "rows": rows,
        "staff_rows": sorted(staff_rows.items(), key=lambda kv: kv[0].last_name),
        "form": form,
        "can_write": access.can(request.user, "schedule", "write"),
    }
    return render(request, "scheduling/day.html", context)


@access.staff_view("schedule")
def arrivals_panel(request):
    """The front desk's day on the dashboard: today's visits in order with who has arrived (checked in) and each
    dosing visit's ride home, then tomorrow's visits to confirm by phone with what the patient is reminded of,
    then the patients whose induction series is at risk of not finishing, with the reasons, to call and rebook."""
    today = timezone.localdate()
    visible = set(access.visible_patients(request.user).values_list("pk", flat=True))
    active = (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN, Appointment.Status.COMPLETED)

    def rows(day):
        return [a for a in services.day_appointments(day).select_related("dosing_session")
                if a.patient_id in visible and a.status in active]

    today_rows = rows(today)
    tomorrow_rows = [a for a in rows(today + dt.timedelta(days=1)) if a.status == Appointment.Status.BOOKED]
    requests = list(services.open_change_requests(request.user))
    at_risk = series.at_risk_patients(request.user) or []
    audit.record_panel(request, "arrivals", {"today": [a.pk for a in today_rows],
                                             "tomorrow": [a.pk for a in tomorrow_rows],
                                             "requests": [r.pk for r in requests],
                                             "series_at_risk": [r.patient.pk for r in at_risk]})
    return render(request, "scheduling/_arrivals_panel.html", {
        "today": [{"appointment": a, "session": getattr(a, "dosing_session", None)} for a in today_rows],
        "tomorrow": tomorrow_rows,
        "requests": requests,
        "series_at_risk": at_risk,
        "can_write": access.can(request.user, "schedule", "write"),
    })


@access.record_view(ChangeRequest.objects.select_related("appointment__patient"), "schedule", access.WRITE,
                    kwarg="request_id", patient_path="appointment.patient", staff_only=True)
def change_request_handled(request, change):
    """The desk called the patient back about their request (and moved or cancelled the visit as agreed)."""
    services.handle_change_request(request, change)
    messages.success(request, f"Request from {change.appointment.patient.full_name} marked as handled.")
    return redirect("patients:dashboard")


def _chart_context(request, patient, book_form=None):
    return {
        "patient": patient,
        "tabs": chart_tabs(request.user, patient, "scheduling:chart"),
        "appointments": patient.appointments.select_related("chair", "staff").order_by("starts_at"),
        "series": series.series_progress(patient),
        "form": book_form or BookForm(),
        "can_write": access.can(request.user, "schedule", "write"),
        "now": timezone.now(),
    }


@access.patient_view("schedule")
def chart(request, patient):
    return render(request, "scheduling/chart.html", _chart_context(request, patient))


@access.patient_view("schedule", "write")
def book(request, patient):
    if request.method != "POST":  # a bookmarked or shared booking link: the chart, with its booking form
        return redirect(f"{reverse('scheduling:chart', args=[patient.pk])}#book-form")
    form = BookForm(request.POST)
    saved = save_posted(
        request, form,
        lambda data: services.book(
            request, patient=patient, kind=data["kind"], starts_at=data["starts_at"],
            duration_min=data["duration_min"], chair=data["chair"], staff=data["staff"], note=data["note"],
        ),
        done=lambda appointment: f"Booked {appointment}.", then=("scheduling:chart", patient.pk),
    )  # fmt: skip
    if saved:
        return saved
    return render(request, "scheduling/chart.html", _chart_context(request, patient, form), status=400)


@access.patient_view("schedule")
def ical(request, patient):
    appointments = patient.appointments.filter(status=Appointment.Status.BOOKED).select_related("chair", "plan")
    body = services.ical_for(patient, appointments)
    audit.record(
        request, "export", patient, detail={"format": "icalendar", "appointments": len(appointments)}
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointments-{patient.mrn}.ics"'
    return response


# Moving or cancelling a visit: schedule write, even to show the form.
_appointment_page = access.record_view(
    Appointment.objects.select_related("patient", "chair"), "schedule", access.WRITE, kwarg="appointment_id"
)


@_appointment_page
def reschedule(request, appointment):
    initial = {
        "starts_at": timezone.localtime(appointment.starts_at),
        "chair": appointment.chair,
        "staff": appointment.staff,
    }
    form = RescheduleForm(request.POST or None, initial=initial)
    saved = save_posted(
        request, form,
        lambda data: services.reschedule(
            request, appointment, starts_at=data["starts_at"], chair=data["chair"], staff=data["staff"],
            reason=data["reason"],
        ),
        done="Appointment moved.", then=("scheduling:chart", appointment.patient_id),
    )  # fmt: skip
    if saved:
        return saved
    context = {
        "patient": appointment.patient,
        "tabs": chart_tabs(request.user, appointment.patient, "scheduling:chart"),
        "appointment": appointment,
        "form": form,
        "action": "Reschedule",
    }
    return render(request, "scheduling/change.html", context, status=400 if form.errors else 200)


@_appointment_page
def cancel(request, appointment):
    form = CancelForm(request.POST or None)
    saved = save_posted(
        request, form, lambda data: services.cancel(request, appointment, reason=data["reason"]),
        done="Appointment cancelled.", then=("scheduling:chart", appointment.patient_id),
    )
    if saved:
        return saved
    context = {
        "patient": appointment.patient,
        "tabs": chart_tabs(request.user, appointment.patient, "scheduling:chart"),
        "appointment": appointment,
        "form": form,
        "action": "Cancel",
    }
    return render(request, "scheduling/change.html", context, status=400 if form.errors else 200)


@access.record_view(TreatmentPlan, "schedule", access.WRITE, kwarg="plan_id")
def generate(request, plan):
    back = back_to(request, reverse("scheduling:chart", args=[plan.patient_id]))
    if request.method != "POST":
        return redirect(back)
    try:
        created, warnings = services.generate_from_plan(
            request, plan, replace_existing=bool(request.POST.get("replace"))
        )
    except ValidationError as exc:
        for msg in exc.messages:
            messages.error(request, msg)
    else:
        messages.success(request, f"Booked {len(created)} appointments from the plan.")
        for w in warnings:
            messages.warning(request, w)
    return redirect(back)
