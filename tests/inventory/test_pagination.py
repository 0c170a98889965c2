"""The log, counts, resolved discrepancies and reconciliation come a page (50 rows) at a time, with the filters
kept on every page; the log's CSV export holds the whole date range, not one page."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

PASSWORD = "demo-password-1"


@pytest.fixture
def sixty_receipts(lot, safe, staff):
    """60 ledger entries today: one vial of KX-101 received 60 times against invoices INV-001..INV-060."""
    from ketamine_clinic.inventory import services

    for n in range(1, 61):
        services.receive(
            actor=staff["nurse"],
            product=lot.product,
            lot_number=lot.lot_number,
            expires_on=lot.expires_on,
            location=safe,
            containers=1,
            supplier="Synthetic Wholesale Co",
            invoice=f"INV-{n:03d}",
        )
    return lot


def _log_rows(html):
    body = html[html.index('id="log"') :]
    body = body[: body.index("</table>")]
    return body.count("<tr>") - 1  # minus the header row


def test_log_shows_fifty_then_page_two_with_the_rest(sixty_receipts, staff, client_as):
    today = timezone.localdate().isoformat()
    client = client_as(staff["nurse"])
    first = client.get(reverse("inventory:log"), {"start": today, "end": today}).content.decode()
    assert _log_rows(first) == 50 and "INV-050" in first and "INV-051" not in first
    assert "Page 1 of 2" in first and "1–50 of 60" in first
    assert f"start={today}" in first[first.index('rel="next"') :][:200]  # the next link keeps the range

    second = client.get(reverse("inventory:log"), {"start": today, "end": today, "page": 2}).content.decode()
    assert _log_rows(second) == 10 and "INV-051" in second and "INV-060" in second and "INV-050" not in second
    assert "Page 2 of 2" in second and 'rel="next"' not in second

    past_the_end = client.get(reverse("inventory:log"), {"start": today, "end": today, "page": 99})
    assert "INV-060" in past_the_end.content.decode()  # the last page, not an error
    assert client.get(reverse("inventory:log"), {"page": "x"}).status_code == 200


def test_log_first_visit_pages_the_last_thirty_days(sixty_receipts, staff, client_as):
    html = client_as(staff["nurse"]).get(reverse("inventory:log")).content.decode()
    assert _log_rows(html) == 50 and "Page 1 of 2" in html
    assert "all 60 entries" in html


def test_csv_from_page_two_exports_every_row_of_the_range(sixty_receipts, staff, client_as):
    from ketamine_clinic.audit.models import AuditEvent

    today = timezone.localdate().isoformat()
    client = client_as(staff["director"])
    page = client.get(reverse("inventory:log"), {"start": today, "end": today, "page": 2}).content.decode()
    link = page[page.index('id="export-csv" href="') + len('id="export-csv" href="') :]
    link = link[: link.index('"')].replace("&amp;", "&")
    assert "page=" not in link and "format=csv" in link

    response = client.get(reverse("inventory:log") + link)
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "entry" and len(rows) == 61
    assert [r[14] for r in rows[1:]] == [f"INV-{n:03d}" for n in range(1, 61)]
    export = AuditEvent.objects.get(action="export", user=staff["director"])
    assert export.detail["rows"] == 60


def test_log_kind_filter_is_kept_and_checked(sixty_receipts, safe, staff, client_as):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import StorageLocation

    other = StorageLocation.objects.create(name="Safe B")
    services.record_movement(
        actor=staff["nurse"],
        kind="transferred",
        lot=sixty_receipts,
        quantity_mcg=500_000,
        location=safe,
        to_location=other,
    )
    today = timezone.localdate().isoformat()
    client = client_as(staff["nurse"])
    html = client.get(
        reverse("inventory:log"), {"start": today, "end": today, "kind": "transferred"}
    ).content.decode()
    assert _log_rows(html) == 1 and "Safe A → Safe B" in html
    csv_rows = (
        client.get(
            reverse("inventory:log"), {"start": today, "end": today, "kind": "transferred", "format": "csv"}
        )
        .content.decode()
        .strip()
        .splitlines()
    )
    assert len(csv_rows) == 2 and ",transferred," in csv_rows[1]
    bad = client.get(
        reverse("inventory:log"), {"start": today, "end": today, "kind": "stolen"}
    ).content.decode()
    assert "Select a valid choice" in bad and _log_rows(bad) == 1  # the empty-state row only
    assert "Correct the filter above to see the log." in bad


def test_a_corrected_entry_says_so_instead_of_offering_a_second_correction(sixty_receipts, staff, client_as):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    first = LedgerEntry.objects.order_by("sequence").first()
    fix = services.record_movement(
        actor=staff["nurse"],
        kind="correction",
        lot=sixty_receipts,
        quantity_mcg=first.quantity_mcg,
        corrects=first.sequence,
        reason="Invoice entered twice",
    )
    today = timezone.localdate().isoformat()
    html = (
        client_as(staff["nurse"])
        .get(reverse("inventory:log"), {"start": today, "end": today})
        .content.decode()
    )
    assert f"Corrected by #{fix.sequence}" in html
    assert f'corrects={first.sequence}"' not in html
    assert f'corrects={first.sequence + 1}"' in html


def _make_counts(n, safe, lot, staff, *, discrepancy=False, resolved=False):
    from ketamine_clinic.inventory.models import Count, CountLine, Discrepancy

    now = timezone.now()
    for i in range(n):
        count = Count.objects.create(
            performed_at=now - timezone.timedelta(minutes=i),
            counted_by=staff["nurse"],
            witness=staff["director"],
            location=safe,
            note=f"count-{i:03d}",
        )
        line = CountLine.objects.create(
            count=count, lot=lot, expected_mcg=500_000, counted_mcg=500_000 - (1000 if discrepancy else 0)
        )
        if discrepancy:
            Discrepancy.objects.create(
                line=line,
                opened_at=count.performed_at,
                resolved_at=now - timezone.timedelta(minutes=i) if resolved else None,
                resolved_by=staff["director"] if resolved else None,
                resolution_note=f"note-{i:03d}" if resolved else "",
            )


def test_counts_page_two(lot, safe, staff, client_as):
    _make_counts(55, safe, lot, staff)
    client = client_as(staff["nurse"])
    first = client.get(reverse("inventory:counts")).content.decode()
    assert "count-000" in first and "count-049" in first and "count-050" not in first
    second = client.get(reverse("inventory:counts"), {"page": 2}).content.decode()
    assert "count-050" in second and "count-054" in second and "count-049" not in second
    assert "Page 2 of 2" in second


def test_resolved_discrepancies_page_two_and_every_open_one_listed(lot, safe, staff, client_as):
    _make_counts(52, safe, lot, staff, discrepancy=True, resolved=True)
    _make_counts(3, safe, lot, staff, discrepancy=True)
    client = client_as(staff["nurse"])
    first = client.get(reverse("inventory:discrepancies")).content.decode()
    assert "Open (3)" in first and first.count("inventory/discrepancies/") >= 3
    assert "note-000" in first and "note-049" in first and "note-050" not in first
    assert "1 mg short" in first
    second = client.get(reverse("inventory:discrepancies"), {"page": 2}).content.decode()
    assert "note-050" in second and "note-051" in second and "Open (3)" in second


@pytest.mark.parametrize("role", ["therapist", "front_desk"])
def test_pages_and_export_stay_closed_to_other_roles(role, sixty_receipts, staff, client_as):
    client = client_as(staff[role])
    today = timezone.localdate().isoformat()
    assert client.get(reverse("inventory:log"), {"start": today, "end": today, "page": 2}).status_code == 403
    assert client.get(reverse("inventory:log"), {"format": "csv"}).status_code == 403
    for name in ("counts", "discrepancies", "reconciliation"):
        assert client.get(reverse(f"inventory:{name}"), {"page": 2}).status_code == 403
