"""The controlled-substance pages about a dosing session's drug: draw for a session, waste with a witness
(a session's remainder, or a broken vial in the safe), other movements (returns of what a session holds among
them) and the sessions' reconciliation. Same paths and URL names as the rest of the area ("inventory:draw"
...), composed with ``ketamine_clinic.inventory.urls`` in the root URL map; the recording pattern, paging and
date range are the inventory pages' own. Forms parse; :mod:`.custody` decides.
"""

from django.shortcuts import render

from ketamine_clinic import access, audit
from ketamine_clinic.access import staff_view
from ketamine_clinic.core.inventory import mcg_to_mg
from ketamine_clinic.inventory.views import date_range, initial_from, page_of, record_page

from . import custody
from .custody_forms import DrawForm, MovementForm, WasteForm


@staff_view("inventory", "write")
def draw(request):
    def save(d):
        # Empty means one whole vial/device; anything typed (0 included) goes to the rules as typed.
        quantity = d["quantity_mg"] if d["quantity_mg"] is not None else d["lot"].product.unit_content_mcg
        return custody.draw(
            actor=request, session=d["session"], lot=d["lot"], location=d["location"], quantity_mcg=quantity
        )

    return record_page(
        request,
        DrawForm(
            request.POST or None, initial=initial_from(request, "session", "lot", "location"), user=request.user
        ),
        save,
        lambda e: (
            f"Drew {e.quantity_display} of lot {e.lot.lot_number} for the session (entry #{e.sequence})."
        ),
        title="Draw for a session",
        submit="Record draw",
        intro="Take drug out of the safe for one dosing session. Whatever is not given must be wasted with a "
        "witness or returned.",
    )


@staff_view("inventory", "write")
def waste(request):
    initial = initial_from(request, "session", "lot", "location")
    if "session" in initial and "lot" in initial:
        try:  # pre-fill with what the session holds of that lot beyond a dose it has still to give
            spare = custody.wastable_for_session(int(initial["lot"]), int(initial["session"]))
            initial["quantity_mg"] = str(mcg_to_mg(spare))
        except ValueError:
            pass

    def save(d):
        return custody.waste(
            actor=request,
            witness=d["witness"],
            witness_password=d["witness_password"],
            lot=d["lot"],
            quantity_mcg=d["quantity_mg"],
            reason=d["reason"],
            session=d["session"],
            location=d["location"],
        )

    return record_page(
        request,
        WasteForm(request.POST or None, initial=initial, user=request.user),
        save,
        lambda e: (
            f"Wasted {e.quantity_display}, witnessed by {e.witness.display_name()} (entry #{e.sequence})."
        ),
        title="Waste with witness",
        submit="Record witnessed waste",
        intro="The witness watches the waste and types their own password now; both names are recorded.",
    )


@staff_view("inventory", "write")
def movement(request):
    def save(d):
        return custody.record_movement(
            actor=request,
            kind=d["kind"],
            lot=d["lot"],
            quantity_mcg=d["quantity_mg"],
            location=d["location"],
            to_location=d["to_location"],
            session=d["session"],
            witness=d["witness"],
            witness_password=d["witness_password"],
            counterparty=d["counterparty"],
            reference=d["reference"],
            reason=d["reason"],
            corrects=d["corrects"],
        )

    return record_page(
        request,
        MovementForm(
            request.POST or None,
            initial=initial_from(request, "kind", "lot", "corrects", "session", "location"),
            user=request.user,
        ),
        save,
        lambda e: f"Recorded {e.get_kind_display()} of {e.quantity_display} (entry #{e.sequence}).",
        title="Other movement",
        submit="Record",
        intro="Return unused drug to the safe, transfer between safes, return to the supplier, destroy stock "
        "(21 CFR 1317; two employees witness on-site destruction), or correct an entry recorded in error (a "
        "correction reverses the whole entry; then record the right one).",
    )


@staff_view("inventory")
def reconciliation(request):
    form, start, end = date_range(request)
    rows = custody.reconciliation(start, end) if start else []
    page = page_of(request, rows)
    audit.record(
        request,
        "list",
        detail={"page": "inventory:reconciliation", "start": str(start), "end": str(end), "n": page.number},
    )
    return render(
        request,
        "inventory/reconciliation.html",
        {
            "form": form,
            "rows": page,
            "page_obj": page,
            "total": len(rows),
            "open_rows": sum(1 for r in rows if not (r.balanced and r.dose_matches is not False)),
            "all_balanced": all(r.balanced and r.dose_matches is not False for r in rows),
            "names": access.PatientNames(request.user),
        },
    )
