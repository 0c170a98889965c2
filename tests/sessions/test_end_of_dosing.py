"""Ending the administration: the flowsheet's end-of-dosing step asks for the dose actually delivered (HTMX and
plain forms, errors that lose nothing), the API takes and shows it, and the note and the concentration curve
use it. The ledger side (drawn / administered / wasted) is in tests/inventory/test_session_dose_integration."""

import datetime as dt
import json
from decimal import Decimal
from urllib.parse import urlparse

from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.sessions import services
from ketamine_clinic.sessions.models import DosingSession, Intervention


def _post(client, session, data, htmx=True):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("sessions:transition", args=[session.pk]), {"version": session.version, **data}, **extra
    )


def _input_value(body, name, form_id):
    """The value of input ``name`` inside the move form whose fieldset is ``form_id``."""
    start = body.index(f'id="{form_id}"')
    tag_start = body.index(f'name="{name}"', start)
    tag = body[body.rindex("<input", 0, tag_start) : body.index(">", tag_start)]
    return tag.split('value="')[1].split('"')[0]


def test_dosing_flowsheet_offers_the_delivered_dose_on_both_ways_out(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    client = client_as(staff["nurse"])
    body = client.get(reverse("sessions:flowsheet", args=[iv_session.pk])).content.decode()
    assert 'id="delivery-monitoring"' in body and 'id="delivery-stopped_early"' in body
    assert "empty = all 35.00 mg confirmed" in body and "required: what went in before stopping" in body
    assert 'name="volume_infused_ml"' in body and "of 100.0 mL" in body
    assert "read the pump's volume infused" not in body
    services.add_entry(
        Intervention,
        iv_session,
        user=staff["nurse"],
        idempotency_key="slow",
        given_at=timezone.now(),
        kind="rate_reduced",
        new_rate_ml_per_h=Decimal("75"),
    )
    body = client.get(reverse("sessions:flowsheet", args=[iv_session.pk])).content.decode()
    assert "read the pump's volume infused" in body


def test_stopping_without_the_delivered_dose_is_refused_and_keeps_what_was_typed(
    staff, client_as, iv_session, helpers
):
    helpers.start_dosing(iv_session, staff["nurse"])
    client = client_as(staff["nurse"])
    r = _post(client, iv_session, {"target": "stopped_early", "reason": "Patient asked to stop"})
    body = r.content.decode()
    assert r.status_code == 200 and 'data-state="dosing"' in body
    assert "Enter the pump&#x27;s volume infused (mL) or the dose delivered (mg) before stopping" in body
    assert 'value="Patient asked to stop"' in body  # the reason typed is still there

    r = _post(
        client, iv_session, {"target": "stopped_early", "reason": "Asked to stop", "delivered_mg": "40"}
    )
    body = r.content.decode()
    assert "40 mg is more than the 35 mg confirmed and drawn for this session" in body
    assert _input_value(body, "delivered_mg", "delivery-stopped_early") == "40"
    assert _input_value(body, "delivered_mg", "delivery-monitoring") == ""  # only the form that was sent
    fresh = DosingSession.objects.get(pk=iv_session.pk)
    assert (fresh.state, fresh.delivered_mg) == ("dosing", None)

    # A plain (non-HTMX) post with a malformed number re-renders the whole page with a 400 and the message.
    r = _post(client, iv_session, {"target": "monitoring", "volume_infused_ml": "-5"}, htmx=False)
    body = r.content.decode()
    assert r.status_code == 400 and "<html" in body and "Pump volume infused (mL)" in body
    assert _input_value(body, "volume_infused_ml", "delivery-monitoring") == "-5"
    assert DosingSession.objects.get(pk=iv_session.pk).state == "dosing"


def test_stopped_early_with_the_pump_volume_shows_confirmed_and_delivered(
    staff, client_as, iv_session, helpers
):
    helpers.start_dosing(iv_session, staff["nurse"])
    client = client_as(staff["nurse"])
    r = _post(
        client,
        iv_session,
        {"target": "stopped_early", "reason": "Patient asked to stop", "volume_infused_ml": "40"},
    )
    body = r.content.decode()
    assert 'data-state="stopped_early"' in body
    assert (
        "Delivered <strong>14.00 mg</strong> of 35.00 mg confirmed (pump volume infused 40 of 100 mL" in body
    )
    assert "not given 21.00 mg" in body
    iv_session.refresh_from_db()
    assert iv_session.delivered_mg == Decimal("14.00") and iv_session.dose_mg == Decimal("35.00")
    history = client.get(reverse("sessions:chart", args=[iv_session.patient_id])).content.decode()
    assert '14.00 mg <span class="muted">delivered of 35.00 mg confirmed</span>' in history
    # The whole vial was drawn; 14 mg is recorded as administered and the rest is held, to be wasted.
    assert 'id="held-remainder"' in body and "<strong>486 mg</strong>" in body
    from ketamine_clinic.inventory.models import LedgerEntry

    kinds = list(LedgerEntry.objects.filter(session=iv_session).values_list("kind", "quantity_mcg"))
    assert kinds == [("drawn", 500_000), ("administered", 14_000)]


def test_ending_an_infusion_long_before_its_planned_time_needs_the_delivered_amount(
    staff, client_as, iv_session, helpers
):
    """A 40-min infusion ended one minute after it began is not 'delivered in full' without a figure."""
    helpers.start_dosing(iv_session, staff["nurse"], at=timezone.now() - dt.timedelta(minutes=11))
    r = _post(client_as(staff["nurse"]), iv_session, {"target": "monitoring"})
    body = r.content.decode()
    assert 'data-state="dosing"' in body and "planned for 40 min and has run 1 min" in body
    fresh = DosingSession.objects.get(pk=iv_session.pk)
    assert (fresh.state, fresh.delivered_mg) == ("dosing", None)
    r = _post(client_as(staff["nurse"]), iv_session, {"target": "monitoring", "volume_infused_ml": "5"})
    fresh.refresh_from_db()
    assert fresh.state == "monitoring" and fresh.delivered_mg == Decimal("1.75")


def test_normal_completion_records_the_whole_dose_or_the_amount_entered(
    staff, client_as, iv_session, helpers
):
    helpers.start_dosing(iv_session, staff["nurse"], at=timezone.now() - dt.timedelta(minutes=50))
    r = _post(client_as(staff["nurse"]), iv_session, {"target": "monitoring"})
    assert 'data-state="monitoring"' in r.content.decode()
    iv_session.refresh_from_db()
    assert iv_session.delivered_mg == Decimal("35.00") and not iv_session.delivered_differs
    note = services.compose_note(iv_session)
    assert "35.00 mg confirmed" in note and "Delivered in full (35.00 mg)" in note
    # Leaving monitoring early afterwards does not ask again: the delivered dose is already on record.
    services.transition(
        iv_session, "stopped_early", user=staff["nurse"], version=iv_session.version, reason="Left"
    )
    iv_session.refresh_from_db()
    assert iv_session.delivered_mg == Decimal("35.00")


def test_api_takes_and_shows_the_delivered_dose(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"], at=timezone.now() - dt.timedelta(minutes=50))
    client = client_as(staff["nurse"])
    url = f"/api/sessions/{iv_session.pk}/transitions"

    def post(data):
        return client.post(
            url, json.dumps({"version": iv_session.version, **data}), content_type="application/json"
        )

    missing = post({"target": "stopped_early", "reason": "Vomiting"})
    assert missing.status_code == 422 and "before stopping" in json.dumps(missing.json())
    too_much = post({"target": "monitoring", "delivered_mg": "35.5"})
    assert too_much.status_code == 422 and "more than the 35 mg confirmed" in json.dumps(too_much.json())
    negative = post({"target": "monitoring", "delivered_mg": "-1"})
    assert negative.status_code == 422
    ok = post({"target": "monitoring", "delivered_mg": "30"})
    assert ok.status_code == 200
    data = ok.json()
    assert (Decimal(data["dose_mg"]), Decimal(data["delivered_mg"])) == (Decimal("35"), Decimal("30"))
    assert data["delivery_basis"] == "entered by the nurse"
    detail = client.get(f"/api/sessions/{iv_session.pk}").json()
    assert Decimal(detail["delivered_mg"]) == 30
    late = client.post(
        url,
        json.dumps(
            {"version": detail["version"], "target": "stopped_early", "reason": "Left", "delivered_mg": "10"}
        ),
        content_type="application/json",
    )
    assert late.status_code == 422 and "it was recorded as 30 mg" in json.dumps(late.json())
    assert DosingSession.objects.get(pk=iv_session.pk).state == "monitoring"


def test_note_and_curve_use_the_delivered_dose_and_the_time_it_ran(staff, client_as, iv_session, helpers):
    start = timezone.now() - dt.timedelta(minutes=30)
    helpers.ready_pre_dose(iv_session, staff["nurse"], at=start - dt.timedelta(minutes=10))
    helpers.confirm_dose(iv_session, staff["nurse"], now=start - dt.timedelta(minutes=2))
    services.transition(iv_session, "dosing", user=staff["nurse"], version=iv_session.version, now=start)
    services.transition(
        iv_session,
        "stopped_early",
        user=staff["nurse"],
        version=iv_session.version,
        reason="Distressing dissociation",
        delivered_mg="17.5",
        now=start + dt.timedelta(minutes=20),
    )
    iv_session.refresh_from_db()
    note = services.compose_note(iv_session)
    assert "Outcome: Stopped early - Distressing dissociation" in note
    assert "Delivered 17.5 mg of 35 mg confirmed (entered by the nurse); not given 17.5 mg" in note
    client = client_as(staff["nurse"])
    body = client.get(reverse("sessions:flowsheet", args=[iv_session.pk])).content.decode()
    start_at = body.index('id="prediction"')
    url = body[body.index('hx-get="', start_at) + 8 :].split('"')[0].replace("&amp;", "&")
    assert urlparse(url).path == reverse("prediction:session_curve", args=[iv_session.pk])
    curve = client.get(url).content.decode()  # the session's curve: 17.5 mg over the 20 min it ran
    assert 'data-given-mg="17.50"' in curve and "over 20 min" in curve


def test_aborted_before_any_dose_was_confirmed_records_no_delivered_dose(staff, iv_session, helpers):
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    services.transition(
        iv_session, "aborted", user=staff["nurse"], version=iv_session.version, reason="No escort"
    )
    iv_session.refresh_from_db()
    assert iv_session.delivered_mg is None and "No dose given." in services.compose_note(iv_session)
