"""A controlled-substance count with a witness through the real inventory pages, and the discrepancy it opens:
two vials of ketamine are in Safe A by the ledger, the nurse counts one. A wrong witness password is refused
first (nothing saved, the count typed kept, the password not sent back); with the witness's password the count
is saved and opens a discrepancy; the counts page flags it; the discrepancy is resolved with what the
investigation found and a count adjustment, and the stock page then shows the counted figure."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_count_with_witness_opens_and_resolves_a_discrepancy(page, live_server, login, staff):
    from ketamine_clinic.demo.inventory import ensure_products
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Count, Discrepancy, LedgerEntry, StorageLocation

    safe = StorageLocation.objects.create(name="Safe A")
    services.receive(
        actor=staff["nurse"], product=ensure_products()["ketamine-50-10"], lot_number="CNT-2407",
        expires_on=timezone.localdate() + dt.timedelta(days=365), location=safe, containers=2,
        supplier="Synthetic Wholesale Co", invoice="INV-CNT-1",
    )
    lot = LedgerEntry.objects.get(kind="received").lot

    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/inventory/counts/")
    page.click("text=Count Safe A")
    counted = page.locator(f"#count-form input[name=lot_{lot.pk}]")
    counted.fill("500")
    page.select_option("#id_witness", str(staff["prescriber"].pk))
    page.fill("#id_witness_password", "not-the-password")
    page.click("#count-form button:has-text('Save count')")
    expect(page.locator("#count-form")).to_contain_text("password is not correct")
    expect(page.locator(f"#count-form input[name=lot_{lot.pk}]")).to_have_value("500")
    expect(page.locator("#id_witness_password")).to_have_value("")
    assert not Count.objects.exists()

    page.fill("#id_witness_password", "demo-password-1")
    page.click("#count-form button:has-text('Save count')")
    page.wait_for_url(f"{live_server.url}/inventory/counts/")
    expect(page.locator(".messages")).to_contain_text("Count of Safe A saved: 1 discrepancy opened for investigation.")
    row = page.locator("#counts tbody tr").first
    expect(row).to_contain_text("CNT-2407: 500 mg")
    expect(row.locator(".badge")).to_contain_text("500 mg")
    count = Count.objects.get()
    assert (count.counted_by, count.witness) == (staff["nurse"], staff["prescriber"])

    page.click("text=Discrepancies")
    open_row = page.locator("#open-discrepancies tbody tr", has_text="CNT-2407")
    expect(open_row).to_contain_text("1000 mg")  # the ledger's figure
    open_row.locator("a", has_text="Resolve").click()
    page.fill("#id_note", "One vial broken during restocking, not logged; staff statement on file")
    page.check("#id_adjust")
    page.click("button:has-text('Resolve')")
    page.wait_for_url(f"{live_server.url}/inventory/discrepancies/")
    expect(page.locator("#open-discrepancies")).to_contain_text("None open")
    resolved = page.locator("#resolved-discrepancies tbody tr", has_text="CNT-2407")
    expect(resolved).to_contain_text("One vial broken during restocking")
    expect(resolved).to_contain_text("entry #")
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.resolved_by == staff["nurse"] and discrepancy.adjustment is not None

    page.goto(f"{live_server.url}/inventory/")
    stock = page.locator("#stock")
    expect(stock).to_contain_text("500 mg")
    expect(stock).not_to_contain_text("1000 mg")
