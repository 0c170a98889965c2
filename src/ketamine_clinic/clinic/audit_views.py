"""The medical director's view of the audit log, filtered by patient, user and date."""

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from ketamine_clinic import audit
from ketamine_clinic.access import staff_view
from ketamine_clinic.audit import exports
from ketamine_clinic.audit.exports import filter_events
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.csv_export import write_csv


class AuditFilterForm(forms.Form):
    patient = forms.CharField(required=False, label="Patient MRN or name")
    user = forms.CharField(required=False, label="Username")
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *AuditEvent.Action.choices])
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("The 'from' date must not be after the 'to' date.")
        return data


@staff_view("audit")
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.none()
    if form.is_bound and form.is_valid():
        events = filter_events(form.cleaned_data)
    elif not form.is_bound:
        events = filter_events({})
    if request.GET.get("format") == "csv" and form.is_bound and form.is_valid():
        return _csv(request, events, form.cleaned_data)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    # Reading the log shows patients' names and what was done to their records: that read is logged too.
    audit.record(request, "list", detail={"page": "audit:log", "filters": request.GET.dict(), "n": page.number})
    query = request.GET.copy()
    for name in ("page", "format"):
        query.pop(name, None)
    return render(request, "audit/log.html", {"form": form, "page": page, "csv_query": query.urlencode()})


def _csv(request, events, filters):
    """The filtered log as CSV (every page), the same rows as `ketamine-clinic export audit`; audited first."""
    rows = [exports.row(e) for e in events]
    detail = {"export": "audit log", "rows": len(rows), **{k: str(v) for k, v in filters.items() if v}}
    audit.record(request, "export", detail=detail)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    write_csv(response, exports.HEADER, rows)
    return response
