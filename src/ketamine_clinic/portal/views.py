"""The patient portal: a patient's own appointments, instructions, questionnaires, scores, messages, journal.

Every page finds the logged-in patient's own record and opens it through ``access.own_record_view`` (which
checks the role's area permission and audits the read, by ``access.open_patient``), so a patient can never reach another's data:
there is no patient id in these URLs, and journal entries are looked up inside the patient's own set.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.core.followup.instructions import instructions_for

from .forms import JournalEntryForm, MessageForm
from .models import JournalEntry, Message
from .services import consent_documents, current_route, questionnaires_due, score_summaries


def portal_view(area: str, action: str = "read"):
    """The logged-in patient's own record, ``area``/``action`` checked: ``view(request, patient)`` (access.py)."""
    return access.own_record_view(area, action, refusal="The portal is for patients; staff use the patient chart.")


def _upcoming(patient, now):
    from ketamine_clinic.scheduling.models import Appointment

    return (
        Appointment.objects.filter(patient=patient, starts_at__gte=now)
        .exclude(status__in=[Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
        .select_related("plan")
        .order_by("starts_at")
    )


@portal_view("clinical")
def home(request, patient):
    now = timezone.now()
    context = {
        "patient": patient,
        "upcoming": _upcoming(patient, now)[:5],
        "due": questionnaires_due(patient, now),
        "unread_replies": Message.objects.filter(
            patient=patient, from_patient=False, read_at__isnull=True
        ).count(),
        "journal_count": JournalEntry.objects.filter(patient=patient).count(),
        "route": current_route(patient),
        "scores": score_summaries(patient)[:1],
    }
    return render(request, "portal/home.html", context)


@portal_view("schedule")
def appointments(request, patient):
    now = timezone.now()
    from ketamine_clinic.scheduling.models import Appointment

    past = Appointment.objects.filter(patient=patient, starts_at__lt=now).order_by("-starts_at")[:20]
    upcoming = list(_upcoming(patient, now).prefetch_related("change_requests"))
    for a in upcoming:
        a.open_request = next((r for r in a.change_requests.all() if r.handled_at is None), None)
    return render(request, "portal/appointments.html", {"patient": patient, "upcoming": upcoming, "past": past})


@portal_view("self_report", "write")
def appointment_request(request, patient, appointment_id):
    """Ask the front desk to move or cancel an upcoming visit (they call back; nothing changes until then)."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from ketamine_clinic.scheduling import services as scheduling
    from ketamine_clinic.scheduling.models import Appointment

    if request.method != "POST":
        return redirect("portal:appointments")
    appointment = Appointment.objects.filter(pk=appointment_id, patient=patient).first()
    if appointment is None:
        raise Http404("No such appointment.")
    try:
        scheduling.request_change(request, appointment, kind=request.POST.get("kind", ""),
                                  note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Your request has gone to the front desk; they will call you to agree a new time "
                                  "or confirm the cancellation. Until then the appointment stands.")
    return redirect("portal:appointments")


@portal_view("clinical")
def instructions(request, patient):
    route = request.GET.get("route") or current_route(patient) or "iv"
    try:
        ins = instructions_for(route)
    except ValueError as exc:
        messages.error(request, str(exc))
        ins = instructions_for("iv")
    from ketamine_clinic.core.followup.instructions import INSTRUCTIONS

    return render(
        request,
        "portal/instructions.html",
        {
            "patient": patient,
            "ins": ins,
            "routes": INSTRUCTIONS.values(),
            "own_route": current_route(patient),
        },
    )


@portal_view("measures")
def scores(request, patient):
    return render(
        request, "portal/scores.html", {"patient": patient, "summaries": score_summaries(patient, plots=True)}
    )


@portal_view("clinical")
def consents(request, patient):
    return render(
        request, "portal/consents.html", {"patient": patient, "documents": consent_documents(patient)}
    )


@portal_view("self_report")
def message_thread(request, patient):
    form = MessageForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            message = form.save(commit=False)
            message.patient, message.sender, message.from_patient = patient, request.user, True
            message.save()
            audit.record(request, "create", message)
            messages.success(request, "Message sent to your care team. For anything urgent, call the clinic.")
            return redirect("portal:messages")
    thread = list(Message.objects.filter(patient=patient).select_related("sender").order_by("sent_at"))
    unread = [m.pk for m in thread if not m.from_patient and m.read_at is None]
    if unread and request.method == "GET":
        Message.objects.filter(pk__in=unread).update(read_at=timezone.now(), read_by=request.user)
        audit.record(request, "update", patient=patient, detail={"messages_read": unread})
    status = 400 if request.method == "POST" else 200
    return render(
        request, "portal/messages.html", {"patient": patient, "thread": thread, "form": form}, status=status
    )


@portal_view("self_report")
def journal(request, patient):
    entries = JournalEntry.objects.visible_to(request.user).filter(patient=patient).select_related("session")
    return render(request, "portal/journal.html", {"patient": patient, "entries": entries})


@portal_view("self_report", "write")
def journal_new(request, patient):
    return _journal_form(request, patient, None)


@portal_view("self_report", "write")
def journal_edit(request, patient, entry_id):
    # Looked up inside the patient's own entries: another patient's id is simply not found.
    entry = get_object_or_404(
        JournalEntry.objects.visible_to(request.user).filter(patient=patient), pk=entry_id
    )
    return _journal_form(request, patient, entry)


def _journal_form(request, patient, entry):
    initial = {}
    if entry is None and request.GET.get("timing") in ("before_session", "after_session"):
        initial["timing"] = request.GET["timing"]
    form = JournalEntryForm(request.POST or None, instance=entry, patient=patient, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                saved = form.save()
                audit.record(
                    request, "create" if entry is None else "update", saved, detail={"shared": saved.shared}
                )
            messages.success(
                request,
                "Entry saved and shared with your therapist."
                if saved.shared
                else "Entry saved (private to you).",
            )
            return redirect("portal:journal")
        return render(
            request,
            "portal/journal_form.html",
            {"patient": patient, "form": form, "entry": entry},
            status=400,
        )
    return render(request, "portal/journal_form.html", {"patient": patient, "form": form, "entry": entry})


@portal_view("self_report", "write")
def journal_share(request, patient, entry_id):
    """POST share=1/0: share an entry with the therapist, or make it private again."""
    if request.method != "POST":  # a write: never on GET
        return redirect("portal:journal")
    entry = get_object_or_404(
        JournalEntry.objects.visible_to(request.user).filter(patient=patient), pk=entry_id
    )
    share = request.POST.get("share") == "1"
    entry.set_shared(share)
    entry.save(update_fields=["shared", "shared_at", "updated_at"])
    audit.record(request, "update", entry, detail={"shared": share})
    messages.success(request, "Entry shared with your therapist." if share else "Entry is private again.")
    return redirect("portal:journal")
