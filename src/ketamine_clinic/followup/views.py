"""Staff pages of follow-up: the chart tab, integration notes, booster decisions, work lists, outcomes, report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.clinic.chart import chart_tabs
from ketamine_clinic.portal.models import JournalEntry, JournalEntryRead, Message
from ketamine_clinic.validation import error_messages

from . import queries, services
from .forms import AcceptForm, DeclineForm, IntegrationNoteForm, ReplyForm
from .models import BoosterSuggestion, IntegrationNote


def _journal_marked_read(user, patient):
    """The shared entries the user may read, each flagged ``is_new`` if this is their first look; opening the tab
    is reading them, so they leave the user's "not yet read" notice."""
    entries = list(JournalEntry.objects.visible_to(user).filter(patient=patient).select_related("session"))
    if entries and not user.is_patient:
        seen = set(JournalEntryRead.objects.filter(user=user, entry__in=entries).values_list("entry_id", flat=True))
        for entry in entries:
            entry.is_new = entry.pk not in seen
        JournalEntryRead.objects.bulk_create(
            [JournalEntryRead(entry=e, user=user) for e in entries if e.is_new], ignore_conflicts=True
        )
    return entries


def _chart_context(request, patient, **extra):
    user = request.user
    suggestions = BoosterSuggestion.objects.filter(patient=patient).select_related(
        "decided_by", "appointment"
    )
    open_suggestion = next((s for s in suggestions if s.is_open), None)
    context = {
        "patient": patient,
        "tabs": chart_tabs(user, patient, "followup:chart"),
        "can_read_notes": access.can(user, "therapy_notes", "read", patient),
        "can_write_notes": access.can(user, "therapy_notes", "write", patient),
        "notes": IntegrationNote.objects.visible_to(user)
        .filter(patient=patient)
        .select_related("author", "session"),
        "journal": _journal_marked_read(user, patient),
        "can_read_journal": access.can(user, "self_report", "read", patient),
        "suggestions": suggestions[:20],
        "open_suggestion": open_suggestion,
        "can_decide": access.can(user, "prescribing", "write", patient),
        "can_refresh": access.can(user, "clinical", "write", patient),
        "unread_count": Message.objects.filter(
            patient=patient, from_patient=True, read_at__isnull=True
        ).count(),
        "can_read_messages": access.can(user, "self_report", "read", patient),
        "note_form": IntegrationNoteForm(patient=patient),
    }
    if open_suggestion is not None:
        context["accept_form"] = AcceptForm(
            initial={"starts_at": AcceptForm.default_start(open_suggestion), "duration_min": 120}
        )
        context["decline_form"] = DeclineForm()
    context.update(extra)
    return context


# Patients read their own follow-up in the portal (where private journal entries are theirs).
@access.patient_view("clinical", patients_to="portal:home")
def chart(request, patient):
    return render(request, "followup/chart.html", _chart_context(request, patient))


@access.patient_view("therapy_notes", "write")
def note_new(request, patient):
    if request.method != "POST":  # a write: never on GET
        return redirect("followup:chart", patient.pk)
    form = IntegrationNoteForm(request.POST, patient=patient, author=request.user)
    if form.is_valid():
        note = form.save()
        audit.record(request, "create", note)
        messages.success(request, "Integration note saved.")
        return redirect("followup:chart", patient.pk)
    return render(
        request, "followup/chart.html", _chart_context(request, patient, note_form=form), status=400
    )


@access.patient_view("therapy_notes", "write")
def note_sign(request, patient, note_id):
    if request.method != "POST":  # a write: never on GET
        return redirect("followup:chart", patient.pk)
    note = get_object_or_404(IntegrationNote.objects.visible_to(request.user), pk=note_id, patient=patient)
    try:
        services.sign_integration_note(request, note)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Integration note signed.")
    return redirect("followup:chart", patient.pk)


@access.patient_view("clinical", "write")
def refresh(request, patient):
    if request.method != "POST":  # a write: never on GET
        return redirect("followup:chart", patient.pk)
    suggestion = services.refresh_suggestion(patient, actor=request)
    result = services.evaluate(patient)
    if suggestion is None:
        messages.info(request, f"No booster decision needed. {result.reason if result else 'No scores yet.'}")
    else:
        messages.success(request, f"Suggestion: {suggestion.get_kind_display()}.")
    return redirect("followup:chart", patient.pk)


# 404 if the patient is not visible, 403 unless the role may make prescribing decisions.
_suggestion_page = access.record_view(
    BoosterSuggestion.objects.select_related("patient"), "prescribing", access.WRITE, kwarg="suggestion_id"
)


def _form_errors(request, form, exc: ValidationError):
    """Put a service's ValidationError on the form's fields; errors about the suggestion itself go on top."""
    for field, errors in error_messages(exc).items():
        if field in form.fields:
            form.add_error(field, errors)
        else:
            for error in errors:
                messages.error(request, error)


@_suggestion_page
def suggestion_accept(request, suggestion):
    patient = suggestion.patient
    if request.method != "POST":
        return redirect("followup:chart", patient.pk)
    form = AcceptForm(request.POST)
    if form.is_valid():
        try:
            services.accept(
                request,
                suggestion,
                user=request.user,
                starts_at=form.cleaned_data["starts_at"],
                duration_min=form.cleaned_data["duration_min"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _form_errors(request, form, exc)
        else:
            messages.success(
                request,
                "Suggestion accepted."
                + (" Booster booked." if suggestion.kind != "prescriber_review" else ""),
            )
            return redirect("followup:chart", patient.pk)
    context = _chart_context(request, patient, accept_form=form)
    return render(request, "followup/chart.html", context, status=400)


@_suggestion_page
def suggestion_decline(request, suggestion):
    patient = suggestion.patient
    if request.method != "POST":
        return redirect("followup:chart", patient.pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.decline(request, suggestion, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _form_errors(request, form, exc)
        else:
            messages.success(request, "Suggestion declined; the reason is recorded.")
            return redirect("followup:chart", patient.pk)
    return render(
        request, "followup/chart.html", _chart_context(request, patient, decline_form=form), status=400
    )


# The patient's side of the thread is the portal; reading here must not mark their own messages read.
@access.patient_view("self_report", patients_to="portal:messages")
def message_thread(request, patient):
    """Staff view of a patient's message thread; opening it marks the patient's messages read."""
    thread = list(Message.objects.visible_to(request.user).filter(patient=patient).select_related("sender"))
    unread = [m.pk for m in thread if m.from_patient and m.read_at is None]
    if unread:
        Message.objects.filter(pk__in=unread).update(read_at=timezone.now(), read_by=request.user)
        audit.record(request, "update", patient=patient, detail={"messages_read": unread})
    return render(
        request,
        "followup/messages.html",
        {
            "patient": patient,
            "thread": thread,
            "form": ReplyForm(),
            "can_reply": _can_reply(request.user, patient),
            "tabs": chart_tabs(request.user, patient, "followup:chart"),
        },
    )


def _can_reply(user, patient) -> bool:
    # Replies are written by staff who may write to the record (access.py's "patient_replies" area).
    return access.can(user, "patient_replies", "write", patient)


# Staff only: a GET goes back to the thread; the reply (POST) needs "patient_replies" write.
@access.patient_view("patient_replies", staff_only=True)
def message_reply(request, patient):
    if request.method != "POST":
        return redirect("followup:messages", patient.pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        message = Message.objects.create(
            patient=patient, sender=request.user, from_patient=False, body=form.cleaned_data["body"]
        )
        audit.record(request, "create", message)
        messages.success(request, "Reply sent.")
        return redirect("followup:messages", patient.pk)
    thread = list(Message.objects.visible_to(request.user).filter(patient=patient).select_related("sender"))
    return render(
        request,
        "followup/messages.html",
        {
            "patient": patient,
            "thread": thread,
            "form": form,
            "can_reply": True,
            "tabs": chart_tabs(request.user, patient, "followup:chart"),
        },
        status=400,
    )


def _no_contact_days(request) -> tuple[int, str]:
    raw = request.GET.get("days", "")
    if not raw:
        return queries.NO_CONTACT_DAYS_DEFAULT, ""
    try:
        days = int(raw)
        if not 1 <= days <= 365:
            raise ValueError
        return days, ""
    except ValueError:
        return (
            queries.NO_CONTACT_DAYS_DEFAULT,
            "Days without contact must be a whole number from 1 to 365; showing 30.",
        )


@access.staff_view("clinical")
def worklists(request):
    days, error = _no_contact_days(request)
    lists = queries.worklists(request.user, timezone.now(), days)
    audit.record(request, "list", detail={"page": "followup worklists", "no_contact_days": days})
    return render(
        request,
        "followup/worklists.html",
        {
            "lists": lists,
            "days": days,
            "days_error": error,
            "can_refresh": access.can(request.user, "clinical", "write"),
        },
    )


@access.staff_view("clinical")
def worklist_panel(request):
    lists = queries.worklists(request.user, timezone.now())
    counts = {
        k: (None if v is None else len(v) if isinstance(v, list) else v.count()) for k, v in lists.items()
    }
    return render(request, "followup/_worklist_panel.html", {"counts": counts})


@access.staff_view("clinical", "write")
def refresh_all(request):
    """Re-run the maintenance rules for every active patient the user may open."""
    if request.method != "POST":  # a write: never on GET
        return redirect("followup:worklists")
    patients = access.visible_patients(request.user).filter(phase__in=queries.ACTIVE_PHASES)
    opened = 0
    for patient in patients:
        with transaction.atomic():
            if services.refresh_suggestion(patient, actor=request) is not None:
                opened += 1
    messages.success(
        request, f"Maintenance rules re-run for {patients.count()} patients; {opened} open suggestions."
    )
    return redirect("followup:worklists")


@access.staff_view("clinic_reports")
def dashboard(request):
    from .plots import bar_plot

    figures = queries.dashboard_figures()
    audit.record(request, "view", detail={"page": "clinic outcomes dashboard"})
    plots = {
        "phases": bar_plot(
            "Patients by phase",
            [p[0] for p in figures["phases"]],
            {"patients": [p[1] for p in figures["phases"]]},
            ylabel="patients",
        ),
    }
    for key, title in (
        ("by_route", "After induction, by route"),
        ("by_condition", "After induction, by condition"),
    ):
        rows = figures[key]
        if rows:
            plots[key] = bar_plot(
                title,
                [str(r["group"] or "unknown") for r in rows],
                {
                    "response %": [r["response_rate"] for r in rows],
                    "remission %": [r["remission_rate"] for r in rows],
                },
                ylabel="% of patients",
                ymax=100,
            )
    return render(request, "followup/dashboard.html", {"f": figures, "plots": plots})


@access.patient_view("clinical")
def report(request, patient):
    """Print-ready progress report for the patient or the referring clinician."""
    from .report import report_context

    context = report_context(patient)
    context["tabs"] = chart_tabs(request.user, patient, "followup:chart")
    audit.record(request, "export", patient, detail={"report": "progress report"})
    return render(request, "followup/report.html", context)
