"""Side effects, interventions, observations and dissociation scores: appended with time, validated."""

from django.urls import reverse

from ketamine_clinic.sessions.models import DissociationScore, Intervention, Observation, SideEffect


def post_entry(client, session, entry_kind, **data):
    return client.post(reverse("sessions:entry", args=[session.pk, entry_kind]), data)


def test_each_entry_kind_is_saved_once(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    c = client_as(staff["nurse"])
    assert (
        post_entry(
            c, iv_session, "side_effect", idempotency_key="s1", kind="nausea", severity="moderate"
        ).status_code
        == 302
    )
    assert (
        post_entry(
            c, iv_session, "side_effect", idempotency_key="s1", kind="nausea", severity="moderate"
        ).status_code
        == 302
    )
    assert (
        post_entry(
            c,
            iv_session,
            "intervention",
            idempotency_key="i1",
            kind="antiemetic",
            medication="ondansetron",
            dose_text="4 mg IV",
        ).status_code
        == 302
    )
    assert (
        post_entry(c, iv_session, "observation", idempotency_key="o1", text="Calm, eyes closed").status_code
        == 302
    )
    assert post_entry(c, iv_session, "dissociation", idempotency_key="d1", total="18").status_code == 302
    assert SideEffect.objects.filter(session=iv_session).count() == 1
    i = Intervention.objects.get(session=iv_session)
    assert (i.kind, i.medication, i.dose_text, i.entered_by) == (
        "antiemetic",
        "ondansetron",
        "4 mg IV",
        staff["nurse"],
    )
    assert Observation.objects.get(session=iv_session).text == "Calm, eyes closed"
    assert DissociationScore.objects.get(session=iv_session).total == 18


def test_entry_validation(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    c = client_as(staff["nurse"])
    r = post_entry(c, iv_session, "intervention", idempotency_key="i2", kind="antihypertensive")
    assert r.status_code == 400 and "Name the medication given" in r.content.decode()
    r = post_entry(c, iv_session, "intervention", idempotency_key="i3", kind="rate_reduced")
    assert r.status_code == 400 and "Enter the new pump rate" in r.content.decode()
    r = post_entry(c, iv_session, "dissociation", idempotency_key="d2", total="77")
    assert r.status_code == 400
    r = post_entry(c, iv_session, "side_effect", idempotency_key="s2", kind="flying", severity="mild")
    assert r.status_code == 400
    assert (
        not Intervention.objects.exists()
        and not DissociationScore.objects.exists()
        and not SideEffect.objects.exists()
    )
    assert post_entry(c, iv_session, "nonsense", idempotency_key="z").status_code == 404


def test_item_by_item_cadss_from_outcomes_shows_on_flowsheet(staff, client_as, iv_session, helpers):
    from django.utils import timezone

    from ketamine_clinic.outcomes.models import MeasureResponse

    helpers.start_dosing(iv_session, staff["nurse"])
    MeasureResponse.objects.create(
        patient=iv_session.patient, instrument="cadss", total=23, session=iv_session, taken_at=timezone.now()
    )
    page = client_as(staff["nurse"]).get(reverse("sessions:flowsheet", args=[iv_session.pk])).content.decode()
    assert "CADSS 23" in page and "item by item" in page
    assert f"/outcomes/patient/{iv_session.patient_id}/administer/cadss/?session={iv_session.pk}" in page


def test_pump_actions_only_for_an_infusion(staff, client_as, iv_session, helpers):
    """A nasal-spray session offers no 'infusion paused' or pump rate, and refuses one posted anyway."""
    helpers.start_dosing(iv_session, staff["nurse"])
    c = client_as(staff["nurse"])
    page = c.get(reverse("sessions:flowsheet", args=[iv_session.pk])).content.decode()
    assert 'value="infusion_paused"' in page and 'name="new_rate_ml_per_h"' in page
    iv_session.route = "intranasal"
    iv_session.save(update_fields=["route"])
    page = c.get(reverse("sessions:flowsheet", args=[iv_session.pk])).content.decode()
    assert 'value="infusion_paused"' not in page and 'name="new_rate_ml_per_h"' not in page
    assert 'value="antiemetic"' in page
    r = post_entry(c, iv_session, "intervention", idempotency_key="i9", kind="infusion_paused")
    assert r.status_code == 400 and not Intervention.objects.exists()
    r = post_entry(c, iv_session, "intervention", idempotency_key="i10", kind="reassurance")
    assert r.status_code == 302 and Intervention.objects.get().kind == "reassurance"
