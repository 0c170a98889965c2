"""The billing page: finished sessions of a date range with their suggested codes, as a table and as CSV.

Area "billing" (director, prescriber, front desk: read). The rows come from ``services.sessions_with_codes``,
which keeps to the user's patients and audits the list (the page) or the export (the CSV).
"""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.access import staff_view
from ketamine_clinic.csv_export import write_csv
from ketamine_clinic.sessions.models import DosingSession
from ketamine_clinic.validation import apply_errors

from . import services
from .forms import DateRangeForm


def _default_range() -> dict:
    """This month so far: the claims period a desk usually works on."""
    today = timezone.localdate()
    return {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}


@staff_view(services.AREA)
def sessions(request):
    wants_csv = request.GET.get("format") == "csv"
    form = DateRangeForm(request.GET if ("start" in request.GET or "end" in request.GET) else _default_range())
    billed, start, end = None, None, None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        try:
            billed = services.sessions_with_codes(
                request, start, end, action="export" if wants_csv else "list", via="csv" if wants_csv else "page"
            )
        except ValidationError as exc:
            apply_errors(form, exc)
    if wants_csv and billed is not None:
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="billing-codes-{start}-{end}.csv"'
        write_csv(response, services.HEADER, [services.csv_row(b) for b in billed])
        return response
    return render(
        request,
        "billing/sessions.html",
        {
            "form": form,
            "billed": billed,
            "start": start,
            "end": end,
            "csv_query": f"start={start}&end={end}&format=csv" if billed else "",
        },
    )


@access.record_view(DosingSession.objects.select_related("patient"), services.AREA, kwarg="session_id", staff_only=True)
def session_codes(request, session):
    """One session's suggested codes, loaded into the flowsheet of an ended session."""
    audit.record(request, "view", session, detail={"billing_codes": session.pk})
    return render(request, "billing/_session_codes.html", {"billing_lines": services.codes_for(session)})
