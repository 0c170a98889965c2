"""Draw side doors (issue 12): drug cannot be drawn for a session of a patient outside the user's care team
or for a session that has ended, and a quantity of 0, negative or absurd is refused with a message (never
replaced by a default, never a 500) on the service, the API and the pages."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.sessions import custody

PASSWORD = "demo-password-1"


def post(client, path, data):
    return client.post(f"/api/inventory/{path}", json.dumps(data), content_type="application/json")


@pytest.fixture
def other_teams_session(make_patient, make_session, staff):
    """A session of a patient whose care team is the other nurse's, not staff["nurse"]'s."""
    return make_session(make_patient(care_team=[staff["other_nurse"]]))


@pytest.fixture
def own_session(make_patient, make_session, staff):
    return make_session(make_patient(care_team=[staff["nurse"]]))


def _count():
    from ketamine_clinic.inventory.models import LedgerEntry

    return LedgerEntry.objects.count()


# ------------------------------------------------------------------------------------- outside the care team


def test_service_refuses_a_draw_for_another_teams_patient(stocked, safe, staff, other_teams_session):
    before = _count()
    with pytest.raises(ValidationError, match="not on this patient's care team") as exc:
        custody.draw(
            actor=staff["nurse"],
            session=other_teams_session,
            lot=stocked,
            location=safe,
            quantity_mcg=500_000,
        )
    assert "session" in exc.value.message_dict
    with pytest.raises(ValidationError, match="not on this patient's care team"):
        custody.draw_for_dose(
            session=other_teams_session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"]
        )
    assert _count() == before
    # The nurse on that team, and the medical director (who sees every patient), may draw.
    custody.draw(
        actor=staff["other_nurse"],
        session=other_teams_session,
        lot=stocked,
        location=safe,
        quantity_mcg=500_000,
    )
    custody.draw_for_dose(
        session=other_teams_session, lot_id=stocked.pk, dose_mg="600", user=staff["director"]
    )
    assert _count() == before + 2


def test_api_refuses_a_draw_for_another_teams_patient(stocked, safe, staff, other_teams_session, client_as):
    before = _count()
    r = post(
        client_as(staff["nurse"]),
        "draw",
        {
            "session_id": other_teams_session.pk,
            "lot_id": stocked.pk,
            "location_id": safe.pk,
            "quantity_mg": "50",
        },
    )
    assert r.status_code == 422 and "not on this patient's care team" in r.json()["detail"]["session"][0]
    assert _count() == before


def test_draw_page_neither_lists_nor_accepts_another_teams_session(
    stocked, safe, staff, other_teams_session, own_session, client_as
):
    client = client_as(staff["nurse"])
    page = client.get(reverse("inventory:draw")).content.decode()
    assert f"({own_session.patient.mrn})" in page and f"({other_teams_session.patient.mrn})" not in page
    before = _count()
    r = client.post(
        reverse("inventory:draw"),
        {"session": other_teams_session.pk, "lot": stocked.pk, "location": safe.pk, "quantity_mg": "50"},
    )
    assert r.status_code == 200 and "Select a valid choice" in r.content.decode()
    assert _count() == before


# ---------------------------------------------------------------------------------------- ended sessions


@pytest.mark.parametrize("state", ["discharged", "aborted", "stopped_early"])
def test_service_refuses_a_draw_for_an_ended_session(stocked, safe, staff, own_session, state):
    from ketamine_clinic.sessions.models import DosingSession

    DosingSession.objects.filter(pk=own_session.pk).update(state=state, state_changed_at=timezone.now())
    before = _count()
    with pytest.raises(ValidationError, match="no drug can be drawn for it") as exc:
        custody.draw(
            actor=staff["nurse"], session=own_session, lot=stocked, location=safe, quantity_mcg=500_000
        )
    assert "session" in exc.value.message_dict
    with pytest.raises(ValidationError, match="no drug can be drawn for it"):
        custody.draw_for_dose(session=own_session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    assert _count() == before


def test_the_state_is_read_from_the_database_not_the_callers_copy(stocked, safe, staff, own_session):
    from ketamine_clinic.sessions.models import DosingSession

    DosingSession.objects.filter(pk=own_session.pk).update(state="discharged", discharged_at=timezone.now())
    assert own_session.state == "scheduled"  # the stale copy the caller holds
    with pytest.raises(ValidationError, match="already discharged"):
        custody.draw(
            actor=staff["nurse"], session=own_session, lot=stocked, location=safe, quantity_mcg=500_000
        )


def test_a_draw_that_happened_before_the_session_ended_may_still_be_recorded(
    stocked, safe, staff, own_session
):
    """History (the demo seed, a late entry through the service): the draw is judged at when it happened."""
    import datetime as dt

    from ketamine_clinic.sessions.models import DosingSession

    ended = timezone.now() - dt.timedelta(minutes=30)
    DosingSession.objects.filter(pk=own_session.pk).update(state="discharged", discharged_at=ended)
    entry = custody.draw(
        actor=staff["nurse"],
        session=own_session,
        lot=stocked,
        location=safe,
        quantity_mcg=500_000,
        occurred_at=ended - dt.timedelta(minutes=60),
    )
    assert entry.session_id == own_session.pk
    with pytest.raises(ValidationError, match="already discharged"):
        custody.draw(
            actor=staff["nurse"],
            session=own_session,
            lot=stocked,
            location=safe,
            quantity_mcg=500_000,
            occurred_at=ended + dt.timedelta(minutes=1),
        )


def test_api_and_page_refuse_a_draw_for_a_discharged_session(stocked, safe, staff, own_session, client_as):
    from ketamine_clinic.sessions.models import DosingSession

    DosingSession.objects.filter(pk=own_session.pk).update(state="discharged", discharged_at=timezone.now())
    client = client_as(staff["nurse"])
    before = _count()
    r = post(client, "draw", {"session_id": own_session.pk, "lot_id": stocked.pk, "location_id": safe.pk})
    assert r.status_code == 422 and "already discharged" in r.json()["detail"]["session"][0]
    page = client.get(reverse("inventory:draw")).content.decode()
    assert f"({own_session.patient.mrn})" not in page  # ended sessions are not offered
    r = client.post(
        reverse("inventory:draw"), {"session": own_session.pk, "lot": stocked.pk, "location": safe.pk}
    )
    assert r.status_code == 200 and "Select a valid choice" in r.content.decode()
    assert _count() == before


# -------------------------------------------------------------------------------------------- quantities


def test_zero_typed_on_the_draw_page_is_refused_not_a_whole_vial(
    stocked, safe, staff, own_session, client_as
):
    client = client_as(staff["nurse"])
    before = _count()
    data = {"session": own_session.pk, "lot": stocked.pk, "location": safe.pk}
    for typed in ("0", "0.000", "-5"):
        r = client.post(reverse("inventory:draw"), dict(data, quantity_mg=typed))
        html = r.content.decode()
        assert r.status_code == 200 and "more than 0 mg" in html, typed
        assert f'value="{typed}"' in html  # what was typed is kept
    assert _count() == before
    # Empty still means one whole vial, as the page says.
    r = client.post(reverse("inventory:draw"), dict(data, quantity_mg=""))
    assert r.status_code == 302 and _count() == before + 1


def test_service_refuses_zero_negative_and_absurd_quantities(stocked, safe, staff, own_session):
    from ketamine_clinic.inventory import services

    before = _count()
    for mcg, words in (
        (0, "more than 0 mg"),
        (-500_000, "more than 0 mg"),
        (10**40, "more than 10,000 vials"),
    ):
        with pytest.raises(ValidationError, match=words) as exc:
            custody.draw(
                actor=staff["nurse"], session=own_session, lot=stocked, location=safe, quantity_mcg=mcg
            )
        assert "quantity_mg" in exc.value.message_dict
    with pytest.raises(ValidationError, match="Not enough of lot KX-101"):  # more than in the safe
        custody.draw(
            actor=staff["nurse"], session=own_session, lot=stocked, location=safe, quantity_mcg=2_000_001
        )
    with pytest.raises(ValidationError, match="At most 10,000"):
        services.receive(
            actor=staff["nurse"],
            product=stocked.product,
            lot_number="KX-101",
            expires_on=stocked.expires_on,
            location=safe,
            containers=10**40,
            supplier="S",
            invoice="I",
        )
    assert _count() == before


HUGE = ["1e308", "9" * 40, 1e308, int("9" * 40), "1e999999999", "NaN", "-1e308"]


@pytest.mark.parametrize("quantity", HUGE, ids=repr)
def test_api_answers_huge_quantities_with_a_message_not_a_500(
    stocked, safe, staff, own_session, client_as, quantity
):
    client = client_as(staff["nurse"])
    before = _count()
    calls = [
        (
            "draw",
            {
                "session_id": own_session.pk,
                "lot_id": stocked.pk,
                "location_id": safe.pk,
                "quantity_mg": quantity,
            },
        ),
        (
            "waste",
            {
                "lot_id": stocked.pk,
                "quantity_mg": quantity,
                "reason": "Broken vial",
                "location_id": safe.pk,
                "witness_username": "t_prescriber",
                "witness_password": PASSWORD,
            },
        ),
        (
            "movements",
            {
                "kind": "destroyed",
                "lot_id": stocked.pk,
                "quantity_mg": quantity,
                "location_id": safe.pk,
                "witness_username": "t_prescriber",
                "witness_password": PASSWORD,
                "reference": "F41",
                "reason": "x",
            },
        ),
        (
            "receive",
            {
                "product_key": stocked.product.key,
                "lot_number": "KX-101",
                "expires_on": str(stocked.expires_on),
                "location_id": safe.pk,
                "containers": quantity,
                "supplier": "S",
                "invoice": "I",
            },
        ),
        (
            "counts",
            {
                "location_id": safe.pk,
                "counted_mg": {str(stocked.pk): quantity},
                "witness_username": "t_prescriber",
                "witness_password": PASSWORD,
            },
        ),
    ]
    for path, data in calls:
        r = post(client, path, data)
        assert r.status_code in (400, 422), (path, r.status_code, r.content[:300])
        assert r.json()["detail"], path
    assert _count() == before


def test_api_zero_draw_is_refused_not_a_whole_vial(stocked, safe, staff, own_session, client_as):
    client = client_as(staff["nurse"])
    before = _count()
    r = post(
        client,
        "draw",
        {"session_id": own_session.pk, "lot_id": stocked.pk, "location_id": safe.pk, "quantity_mg": "0"},
    )
    assert r.status_code == 422 and "more than 0 mg" in r.json()["detail"]["quantity_mg"][0]
    assert _count() == before


@pytest.mark.parametrize("typed", ["0", "-1", "1e308", "9" * 40])
def test_pages_refuse_zero_negative_and_huge_quantities(stocked, safe, staff, own_session, client_as, typed):
    custody.draw(actor=staff["nurse"], session=own_session, lot=stocked, location=safe, quantity_mcg=500_000)
    client = client_as(staff["nurse"])
    before = _count()
    posts = [
        (
            "inventory:draw",
            {"session": own_session.pk, "lot": stocked.pk, "location": safe.pk, "quantity_mg": typed},
        ),
        (
            "inventory:waste",
            {
                "session": own_session.pk,
                "lot": stocked.pk,
                "quantity_mg": typed,
                "reason": "Unused remainder",
                "witness": staff["prescriber"].pk,
                "witness_password": PASSWORD,
            },
        ),
        (
            "inventory:movement",
            {
                "kind": "returned",
                "lot": stocked.pk,
                "quantity_mg": typed,
                "location": safe.pk,
                "session": own_session.pk,
            },
        ),
        (
            "inventory:receive",
            {
                "product": stocked.product.pk,
                "lot_number": "KX-101",
                "expires_on": str(stocked.expires_on),
                "location": safe.pk,
                "containers": typed,
                "supplier": "S",
                "invoice": "I",
            },
        ),
    ]
    for name, data in posts:
        r = client.post(reverse(name), data)
        assert r.status_code == 200, (name, r.status_code)  # the form again, with the message
        assert 'class="errorlist' in r.content.decode() or "errorlist" in r.content.decode(), name
    assert _count() == before


def test_waste_and_movements_refuse_a_session_outside_the_users_care_team(staff, make_patient, stocked, safe):
    """The same care-team rule as the draw, for the remainder's waste and for returns (service, so API and pages)."""
    import pytest
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from ketamine_clinic.inventory import services
    from ketamine_clinic.sessions.models import DosingSession

    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    session = DosingSession.objects.create(patient=patient, route="iv", scheduled_for=timezone.now())
    custody.draw(actor=staff["nurse"], session=session, lot=stocked, location=safe, quantity_mcg=500_000)
    outsider = staff["other_nurse"]
    with pytest.raises(ValidationError, match="not on this patient's care team"):
        custody.waste(actor=outsider, witness=staff["nurse"], witness_password="demo-password-1", lot=stocked,
                       quantity_mcg=100_000, reason="Remainder", session=session)
    with pytest.raises(ValidationError, match="not on this patient's care team"):
        custody.record_movement(actor=outsider, kind="returned", lot=stocked, quantity_mcg=100_000,
                                 session=session, location=safe, reason="Back to the safe")
    assert services.held_for_session(stocked.pk, session.pk) == 500_000
