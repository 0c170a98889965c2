"""The inventory API: same rules as the pages; bad input is 4xx with a message, never 500."""

import json

from django.utils import timezone

from ketamine_clinic.sessions import custody


def post(client, path, data):
    return client.post(f"/api/inventory/{path}", json.dumps(data), content_type="application/json")


def test_receive_draw_waste_and_reconcile_through_the_api(
    products, safe, staff, make_patient, make_session, client_as
):
    client = client_as(staff["nurse"])
    expiry = (timezone.localdate().replace(year=timezone.localdate().year + 1)).isoformat()
    r = post(
        client,
        "receive",
        {
            "product_key": "esketamine-28",
            "lot_number": "ES-1",
            "expires_on": expiry,
            "location_id": safe.pk,
            "containers": 6,
            "supplier": "S",
            "invoice": "I-1",
        },
    )
    assert r.status_code == 201 and r.json()["quantity_mcg"] == 168_000
    lot_id = r.json()["lot_id"]
    session = make_session(make_patient(care_team=[staff["nurse"]]), route="intranasal")
    r = post(
        client,
        "draw",
        {"session_id": session.pk, "lot_id": lot_id, "location_id": safe.pk, "quantity_mg": "56"},
    )
    assert r.status_code == 201

    custody.record_administration(session=session, lot_id=lot_id, dose_mg=56, user=staff["nurse"])
    today = timezone.localdate().isoformat()
    rec = client.get("/api/inventory/reconciliation", {"start": today, "end": today}).json()
    assert rec == [
        dict(rec[0], session_id=session.pk, drawn_mcg=56_000, administered_mcg=56_000, balanced=True)
    ]
    stock = client.get("/api/inventory/stock").json()
    assert stock[0]["full_containers"] == 4
    assert client.get("/api/inventory/verify").json()["ok"] is True


def test_refusals_are_422_with_the_rule_and_unknowns_404(
    stocked, safe, staff, make_patient, make_session, client_as
):
    from ketamine_clinic.inventory.models import LedgerEntry

    client = client_as(staff["nurse"])
    session = make_session(make_patient(care_team=[staff["nurse"]]))
    before = LedgerEntry.objects.count()
    r = post(
        client,
        "draw",
        {"session_id": session.pk, "lot_id": stocked.pk, "location_id": safe.pk, "quantity_mg": "2500"},
    )
    assert r.status_code == 422 and "Not enough" in json.dumps(r.json())
    r = post(
        client,
        "draw",
        {"session_id": session.pk, "lot_id": stocked.pk, "location_id": safe.pk, "quantity_mg": "0.0001"},
    )
    assert r.status_code == 422 and "finer than" in json.dumps(r.json())
    r = post(
        client,
        "waste",
        {
            "lot_id": stocked.pk,
            "quantity_mg": "1",
            "reason": "x",
            "session_id": session.pk,
            "witness_username": "t_prescriber",
            "witness_password": "wrong",
        },
    )
    assert r.status_code == 422 and "password" in json.dumps(r.json())
    assert (
        post(client, "draw", {"session_id": 999999, "lot_id": stocked.pk, "location_id": safe.pk}).status_code
        == 404
    )
    assert post(client, "draw", {"session_id": "abc"}).status_code == 422
    r = post(client, "movements", {"kind": "teleported", "lot_id": stocked.pk, "quantity_mg": "1"})
    assert r.status_code == 422
    assert (
        client.get("/api/inventory/entries", {"start": "2026-02-02", "end": "2026-02-01"}).status_code == 422
    )
    assert LedgerEntry.objects.count() == before


def test_api_roles(stocked, staff, client_as):
    assert client_as(staff["therapist"]).get("/api/inventory/stock").status_code == 403
    assert client_as(staff["front_desk"]).get("/api/inventory/verify").status_code == 403
    assert client_as(staff["prescriber"]).get("/api/inventory/stock").status_code == 200


def test_lots_lists_in_date_stocked_lots_for_the_route(stocked, products, safe, staff, client_as):
    import datetime as dt

    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Lot

    expired = Lot.objects.create(
        product=products["ketamine-50-10"],
        lot_number="OLD",
        expires_on=timezone.localdate() - dt.timedelta(days=1),
    )
    Lot.objects.create(
        product=products["ketamine-50-10"],
        lot_number="EMPTY",
        expires_on=timezone.localdate() + dt.timedelta(days=9),
    )
    # Received while still in date, so it holds stock now that it has expired.
    services.receive(
        actor=staff["nurse"],
        product=expired.product,
        lot_number="OLD",
        expires_on=expired.expires_on,
        location=safe,
        containers=1,
        supplier="S",
        invoice="I-0",
        occurred_at=timezone.now() - dt.timedelta(days=10),
    )
    assert services.stock_of(expired.pk, safe.pk) == 500_000
    assert expired not in [lot for lot, _ in services.available_lots()]
    client = client_as(staff["nurse"])
    iv = client.get("/api/inventory/lots", {"route": "iv"}).json()
    assert [(row["lot_number"], row["stock_mcg"]) for row in iv] == [("KX-101", 2_000_000)]
    assert client.get("/api/inventory/lots", {"route": "intranasal"}).json() == []


def test_overlong_text_is_422_not_a_database_error(
    stocked, safe, staff, make_patient, make_session, client_as
):
    session = make_session(make_patient(care_team=[staff["nurse"]]))
    r = post(
        client_as(staff["nurse"]),
        "waste",
        {
            "lot_id": stocked.pk,
            "quantity_mg": "1",
            "reason": "x" * 301,
            "session_id": session.pk,
            "witness_username": "t_prescriber",
            "witness_password": "demo-password-1",
        },
    )
    assert r.status_code == 422 and "300 characters" in json.dumps(r.json())
