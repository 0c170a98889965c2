"""Controlled-substance pages (area "inventory": director, prescriber, nurse).

Forms parse; ``services`` (and the pure core behind it) decide. A refused movement re-renders the form with
the rule's message and saves nothing. Pages that show patients' names (the session lists, the log, the
reconciliation) write a "list" audit row; exports write an "export" row.

The pages about a dosing session's drug (draw, waste, other movements, reconciliation) are
``ketamine_clinic.sessions.custody_views``, under the same paths and URL names (composed in the root URLs);
they reuse the recording pattern here (:func:`record_page`).
"""

import datetime as dt
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.access import staff_view
from ketamine_clinic.core.inventory import format_mg
from ketamine_clinic.csv_export import write_csv
from ketamine_clinic.validation import save_posted

from . import exports, services
from .forms import AsOfForm, CountForm, DateRangeForm, LogFilterForm, ReceiveForm, ResolveForm
from .models import Count, Discrepancy, LedgerEntry, Lot, StorageLocation
from .templatetags.inventory_pages import difference

PAGE_SIZE = 50  # rows per page of the lists that grow with the clinic's history (log, counts, discrepancies)


def page_of(request, items, per_page=PAGE_SIZE):
    """One page of ``items`` (a queryset or list) from ``?page=``; a page past the end shows the last one."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def initial_from(request, *names) -> dict:
    return {name: request.GET[name] for name in names if name in request.GET}


def record_page(
    request,
    form,
    save,
    saved,
    *,
    title,
    intro="",
    submit="Save",
    redirect_to="inventory:home",
    template="inventory/form.html",
    extra=None,
):
    """Every recording page: ``validation.save_posted`` with ``save(cleaned_data)`` (a refusal by the ledger rules
    becomes field/form errors, nothing saved; success flashes ``saved(obj)`` and redirects), on the inventory form
    template. Cancel goes back where a save would have gone."""
    done = save_posted(request, form, save, done=saved, then=redirect_to)
    if done:
        return done
    if request.method == "GET" and "session" in form.fields:
        # The session list names patients: reading it is audited like any list of patient data.
        audit.record(request, "list", detail={"page": request.resolver_match.view_name})
    context = {
        "form": form,
        "title": title,
        "intro": intro,
        "submit": submit,
        "cancel_url": reverse(redirect_to),
        **(extra or {}),
    }
    return render(request, template, context)


@staff_view("inventory")
def home(request):
    audit.record(request, "list", detail={"page": "inventory:home"})
    verification = services.verify_ledger()
    try:
        balances = services.all_balances()  # the ledger is read once for both tables
        rows, held = services.stock_rows(balances=balances), services.held_rows(balances)
    except ValueError:  # a row altered beyond reading: the alert below says which; balances cannot be derived
        rows, held = [], []
    return render(
        request,
        "inventory/home.html",
        {
            "rows": rows,
            "held": [(lot, session, format_mg(mcg)) for lot, session, mcg in held],
            "open_discrepancies": Discrepancy.objects.filter(resolved_at__isnull=True).count(),
            "verification": verification,
            "names": access.PatientNames(request.user),
            "recent": LedgerEntry.objects.select_related("lot__product", "recorded_by", "witness").order_by(
                "-sequence"
            )[:15],
        },
    )


@staff_view("inventory", "write")
def receive(request):
    def save(d):
        return services.receive(
            actor=request,
            product=d["product"],
            lot_number=d["lot_number"],
            expires_on=d["expires_on"],
            location=d["location"],
            containers=d["containers"],
            supplier=d["supplier"],
            invoice=d["invoice"],
        )

    return record_page(
        request,
        ReceiveForm(request.POST or None),
        save,
        lambda e: f"Received {e.quantity_display} of lot {e.lot.lot_number} (entry #{e.sequence}).",
        title="Receive stock",
        submit="Record receipt",
        intro="Record whole vials or devices received from a supplier against the invoice.",
    )


@staff_view("inventory")
def counts(request):
    page = page_of(
        request,
        Count.objects.select_related("location", "counted_by", "witness")
        .prefetch_related("lines__lot", "lines__discrepancy")
        .order_by("-performed_at", "-pk"),
    )
    return render(
        request,
        "inventory/counts.html",
        {"page_obj": page, "counts": page, "locations": StorageLocation.objects.filter(active=True)},
    )


def _found_rows(request) -> int:
    """How many "lot found" rows the count page shows (from its hidden field; 1 to CountForm.MAX_FOUND_ROWS)."""
    try:
        rows = int(request.POST.get("found_rows") or 1)
    except (TypeError, ValueError):
        rows = 1
    return max(1, min(rows, CountForm.MAX_FOUND_ROWS))


@staff_view("inventory", "write")
def count_new(request, location_id):
    location = get_object_or_404(StorageLocation, pk=location_id)
    expected = services.expected_in(location)
    lots = list(
        Lot.objects.select_related("product").filter(pk__in=expected).order_by("product__name", "lot_number")
    )
    rows = _found_rows(request)
    if request.method == "POST" and "add_line" in request.POST:
        # Not a save: the same page again, with what was typed and one more "lot found" row. The witness's
        # password is never sent back to the browser.
        rows = min(rows + 1, CountForm.MAX_FOUND_ROWS)
        initial = {
            k: v for k, v in request.POST.items() if k not in ("witness_password", "csrfmiddlewaretoken")
        }
        initial["found_rows"] = rows
        form = CountForm(initial=initial, lots=lots, found_rows=rows)
    else:
        form = CountForm(request.POST or None, lots=lots, found_rows=rows)

    def save(d):
        return services.perform_count(
            actor=request,
            witness=d["witness"],
            witness_password=d["witness_password"],
            location=location,
            counted=form.counted(),
            note=d["note"],
        )

    def saved(count):
        found = Discrepancy.objects.filter(line__count=count).count()
        if found:
            return (
                f"Count of {location.name} saved: {found} {'discrepancy' if found == 1 else 'discrepancies'} "
                "opened for investigation."
            )
        return f"Count of {location.name} saved: it matches the ledger."

    return record_page(
        request,
        form,
        save,
        saved,
        redirect_to="inventory:counts",
        template="inventory/count_form.html",
        extra={"location": location, "max_found_rows": CountForm.MAX_FOUND_ROWS},
        title=f"Count {location.name}",
        submit="Save count",
        intro="Two staff count together. Enter what is physically there; the ledger figure is not shown so that "
        "the count is independent.",
    )


@staff_view("inventory")
def discrepancies(request):
    """Every open discrepancy (each must be investigated), then the resolved ones, newest first, a page at a
    time."""
    items = Discrepancy.objects.select_related(
        "line__lot__product", "line__count__location", "resolved_by", "adjustment"
    )
    page = page_of(request, items.filter(resolved_at__isnull=False).order_by("-resolved_at", "-pk"))
    return render(
        request,
        "inventory/discrepancies.html",
        {
            "open": items.filter(resolved_at__isnull=True).order_by("opened_at", "pk"),
            "resolved": page,
            "page_obj": page,
        },
    )


@staff_view("inventory", "write")
def resolve(request, pk):
    discrepancy = get_object_or_404(
        Discrepancy.objects.select_related("line__lot", "line__count__location"), pk=pk
    )
    line = discrepancy.line

    def save(d):
        return services.resolve_discrepancy(
            actor=request, discrepancy=discrepancy, note=d["note"], adjust=d["adjust"]
        )

    return record_page(
        request,
        ResolveForm(request.POST or None),
        save,
        lambda d: f"Discrepancy {d.pk} resolved.",
        redirect_to="inventory:discrepancies",
        title=f"Resolve discrepancy {discrepancy.pk}",
        submit="Resolve",
        intro=f"{line.lot} in {line.count.location} (count of {timezone.localtime(line.count.performed_at):%Y-%m-%d %H:%M}): "
        f"counted {format_mg(line.counted_mcg)}, ledger {format_mg(line.expected_mcg)}"
        f"{' (the ledger does not place this lot in this safe)' if not line.expected_mcg else ''}, "
        f"{difference(line.difference_mcg)}. If the difference is an unrecorded movement (a transfer, a return), "
        "record that movement and resolve without an adjustment. A significant loss or theft must also be "
        "reported to DEA (Form 106, 21 CFR 1301.76(b)).",
    )


def date_range(request, days=30, form_class=DateRangeForm):
    today = timezone.localdate()
    data = request.GET if ("start" in request.GET or "end" in request.GET) else None
    form = form_class(data or {"start": today - dt.timedelta(days=days), "end": today})
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, None, None


def _csv_response(request, filename, header, rows, detail):
    audit.record(request, "export", detail=detail)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    write_csv(response, header, rows)
    return response


@staff_view("inventory")
def log(request):
    """The dispensing/administration log for a date range, a page at a time; the CSV export holds the whole
    range (every page)."""
    form, start, end = date_range(request, form_class=LogFilterForm)
    kind = form.cleaned_data.get("kind") if start else None
    entries = (
        services.administration_log(start, end, kinds=[kind] if kind else None)
        if start
        else LedgerEntry.objects.none()
    )
    if request.GET.get("format") == "csv" and start:
        rows = exports.log_rows(request.user, start, end, kinds=[kind] if kind else None)
        return _csv_response(
            request,
            f"controlled-substance-log-{start}-{end}.csv",
            exports.LOG_HEADER,
            rows,
            {
                "export": "inventory log",
                "start": str(start),
                "end": str(end),
                "kind": kind or "",
                "rows": len(rows),
            },
        )
    page = page_of(request, entries)
    corrected = dict(
        LedgerEntry.objects.filter(kind="correction", corrects__in=[e.sequence for e in page]).values_list(
            "corrects", "sequence"
        )
    )
    audit.record(
        request,
        "list",
        detail={"page": "inventory:log", "start": str(start), "end": str(end), "n": page.number},
    )
    query = request.GET.copy()
    for name in ("page", "format"):
        query.pop(name, None)
    if start and "start" not in query:
        query.update({"start": start.isoformat(), "end": end.isoformat()})
    return render(
        request,
        "inventory/log.html",
        {
            "form": form,
            "entries": [(e, corrected.get(e.sequence)) for e in page],
            "names": access.PatientNames(request.user),
            "page_obj": page,
            "csv_url": f"?{query.urlencode()}&format=csv" if start and page.paginator.count else "",
        },
    )


@staff_view("inventory")
def inventory_report(request):
    now = timezone.localtime()
    form = AsOfForm(request.GET or {"as_of": now.strftime("%Y-%m-%dT%H:%M")})
    rows = []
    as_of = None
    if form.is_valid():
        as_of = exports.through_the_minute(form.cleaned_data["as_of"])
        rows = services.stock_rows(as_of=as_of)
    if request.GET.get("format") == "csv" and as_of:
        return _csv_response(
            request,
            f"biennial-inventory-{as_of:%Y%m%d-%H%M}.csv",
            exports.INVENTORY_HEADER,
            [exports.inventory_row(r) for r in rows],
            {"export": "inventory report", "as_of": as_of.isoformat()},
        )
    return render(
        request,
        "inventory/report.html",
        {
            "form": form,
            "rows": rows,
            "as_of": as_of,
            "csv_url": reverse("inventory:report")
            + "?"
            + urlencode({"as_of": form.data["as_of"], "format": "csv"})
            if as_of
            else "",
        },
    )
