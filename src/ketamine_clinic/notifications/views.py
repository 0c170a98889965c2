"""The outbox page (the director: every message sent, failed or waiting; retry a failed one) and the patient's
choice of how to be reminded (linked from the portal)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode

from ketamine_clinic import access, audit
from ketamine_clinic.validation import error_text, save_posted

from . import services
from .forms import OutboxFilterForm, ReminderChoiceForm, RetryForm
from .models import Message

OUTBOX_PAGE_SIZE = 200


@access.staff_view("outbox")
def outbox(request):
    if request.method == "POST":
        form = RetryForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a message to retry.")
            return redirect("notifications:outbox")
        message = get_object_or_404(Message, pk=form.cleaned_data["message"])
        try:
            services.retry(request, message)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, f"Message {message.pk} queued to be sent again.")
        status = request.GET.get("status", "")
        return redirect(f"{request.path}?{urlencode({'status': status})}" if status in Message.Status.values
                        else request.path)
    filters = OutboxFilterForm(request.GET or None)
    rows = Message.objects.select_related("user", "patient").order_by("-created_at", "-id")
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    if status:
        rows = rows.filter(status=status)
    rows = list(rows[:OUTBOX_PAGE_SIZE])
    audit.record(request, "list", detail={"page": "outbox", "status": status,
                                          "shown": sorted({m.patient_id for m in rows if m.patient_id})})
    counts = {s: Message.objects.filter(status=s).count() for s in Message.Status.values}
    return render(request, "notifications/outbox.html", {
        "rows": rows, "filters": filters, "status": status, "counts": counts, "limit": OUTBOX_PAGE_SIZE,
    })


@access.own_record_view("self_report", refusal="This page is for patients: staff see the outbox.")
def reminders(request, patient):
    form = ReminderChoiceForm(request.POST or None, initial={"channel": services.reminder_channel(patient)})
    done = save_posted(
        request, form, lambda data: services.set_reminder_channel(request, patient, data["channel"]),
        done="Your reminder choice is saved.", then="notifications:reminders",
    )
    if done is not None:
        return done
    return render(request, "notifications/reminders.html", {"form": form, "patient": patient})
