"""The controlled-substance log's CSV export downloaded through the real page, and the command-line export of the
same period: the nurse shows today's log, clicks "Export CSV" and gets the period's entries as the ledger has them
(that the CSV holds every page is tests/inventory/test_pagination.py); `ketamine-clinic export inventory-log` gives the very same rows; both exports
are in the audit log under the nurse's name, one from the page and one from the command line."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_log_csv_from_the_page_matches_the_ledger_and_the_cli(page, live_server, login, staff, capsys, settings):
    from ketamine_clinic.audit.models import AuditEvent
    from ketamine_clinic.cli import main
    from ketamine_clinic.demo.inventory import ensure_products
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry, StorageLocation

    products = ensure_products()
    safe = StorageLocation.objects.create(name="Safe E")
    for number, product, containers in (("EXP-A", "ketamine-50-10", 2), ("EXP-B", "esketamine-28", 4)):
        services.receive(
            actor=staff["nurse"], product=products[product], lot_number=number,
            expires_on=timezone.localdate() + dt.timedelta(days=365), location=safe, containers=containers,
            supplier="Synthetic Wholesale Co", invoice=f"INV-{number}",
        )
    entries = list(LedgerEntry.objects.order_by("sequence"))
    today = timezone.localdate().isoformat()

    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/inventory/log/")
    page.fill("input[name=start]", today)
    page.fill("input[name=end]", today)
    page.click("main button:has-text('Show')")
    expect(page.locator("#log tbody tr")).to_have_count(len(entries))
    expect(page.locator("#export-csv")).to_contain_text(f"all {len(entries)} entries")
    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    assert download.suggested_filename == f"controlled-substance-log-{today}-{today}.csv"
    from_page = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert [(r["entry"], r["kind"], r["lot"]) for r in from_page] == [
        (str(e.sequence), "received", e.lot.lot_number) for e in entries
    ]
    assert {r["lot"]: r["quantity_mg"] for r in from_page} == {"EXP-A": "1000", "EXP-B": "112"}

    assert main(["export", "inventory-log", "--as", "t_nurse", "--start", today, "--end", today]) == 0
    from_cli = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert from_cli == from_page

    exports = AuditEvent.objects.filter(action="export", username="t_nurse").order_by("id")
    assert [(e.detail["export"], e.detail["rows"], e.detail.get("via", "page")) for e in exports] == [
        ("inventory log", len(entries), "page"),
        ("inventory log", len(entries), "command line"),
    ]
