"""A nurse draws a vial for a session, wastes the remainder with a witness, and the reconciliation balances."""

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def infusion(staff, make_patient):
    """An IV session today and 2 vials of 50 mg/mL ketamine in Safe A. The session is created directly (the
    dosing pages belong to the sessions app and are not needed to exercise the ledger)."""
    from ketamine_clinic.demo.inventory import ensure_products
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import StorageLocation
    from ketamine_clinic.sessions.models import DosingSession

    products = ensure_products()
    safe = StorageLocation.objects.create(name="Safe A")
    entry = services.receive(
        actor=staff["nurse"],
        product=products["ketamine-50-10"],
        lot_number="PW-2407",
        expires_on=timezone.localdate() + dt.timedelta(days=365),
        location=safe,
        containers=2,
        supplier="Synthetic Wholesale Co",
        invoice="INV-PW-1",
    )
    patient = make_patient(care_team=[staff["nurse"]], last_name="Larkspur", weight_kg="70.0")
    session = DosingSession.objects.create(patient=patient, route="iv", scheduled_for=timezone.now())
    return session, entry.lot, safe


@pytest.mark.django_db(transaction=True)
def test_nurse_draws_wastes_with_witness_and_session_balances(page, live_server, login, staff, infusion):
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import custody

    session, lot, safe = infusion
    login(page, live_server, "t_nurse")

    # 1. Draw one whole vial for the session.
    page.goto(f"{live_server.url}/inventory/")
    page.click("text=Draw for a session")
    page.select_option("#id_session", str(session.pk))
    page.select_option("#id_lot", str(lot.pk))
    page.select_option("#id_location", str(safe.pk))
    page.click("button:has-text('Record draw')")
    page.wait_for_url(f"{live_server.url}/inventory/")
    assert "Drew 500 mg" in page.inner_text(".messages")
    stock_text = page.inner_text("#stock")
    assert "500 mg" in stock_text and "1000 mg" not in stock_text  # one vial left in the safe

    # 2. The dose is given: 0.5 mg/kg x 70 kg = 35 mg, recorded as the sessions app does.
    custody.record_administration(session=session, lot_id=lot.pk, dose_mg="35", user=staff["nurse"])
    page.reload()
    assert "465 mg" in page.inner_text("#held")

    # 3. Waste the remainder; a wrong witness password is refused first and nothing is saved.
    page.click("#held >> text=Waste remainder")
    assert page.input_value("#id_quantity_mg") == "465"
    page.select_option("#id_witness", str(staff["prescriber"].pk))
    page.fill("#id_witness_password", "not-the-password")
    page.click("button:has-text('Record witnessed waste')")
    assert "password is not correct" in page.content()
    assert not LedgerEntry.objects.filter(kind="wasted").exists()
    page.fill("#id_witness_password", "demo-password-1")
    page.click("button:has-text('Record witnessed waste')")
    page.wait_for_url(f"{live_server.url}/inventory/")
    assert "witnessed by" in page.inner_text(".messages")
    assert "Nothing held" in page.inner_text("#held")

    # 4. The reconciliation report shows the session balanced: drawn 500 = given 35 + wasted 465.
    page.click("text=Reconciliation")
    row = page.locator(f"#reconciliation tr[data-session='{session.pk}']")
    text = row.inner_text()
    assert "Larkspur" in text and "500 mg" in text and "35 mg" in text and "465 mg" in text
    assert row.locator(".status").inner_text().strip() == "Balanced"
    wasted = LedgerEntry.objects.get(kind="wasted")
    assert (wasted.recorded_by, wasted.witness) == (staff["nurse"], staff["prescriber"])
