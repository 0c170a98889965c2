"""The curve from what was actually given (sessions.exposure, prediction:session_curve) and the discharge hint:
the charted pump rate, its changes, pauses and the delivered dose become the prediction; the flowsheet loads it
once dosing has started, with the record's stamp in its URL."""

import datetime as dt
import itertools
import re
from decimal import Decimal
from html import unescape

import numpy as np
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.core.pharmacology import metrics, schedule, solver
from ketamine_clinic.core.pharmacology import models as pk_models
from ketamine_clinic.sessions import services
from ketamine_clinic.sessions.models import DosingSession, Intervention
from ketamine_clinic.sessions.services import exposure

_keys = itertools.count(1)


def key():
    return f"exposure-{next(_keys)}"


def _pump(session, user, at, kind, rate=None):
    services.add_entry(
        Intervention, session, user=user, idempotency_key=key(), given_at=at, kind=kind,
        new_rate_ml_per_h=Decimal(str(rate)) if rate is not None else None,
    )


def _curve_url(body):
    start = body.index('id="prediction"')
    return unescape(body[body.index('hx-get="', start) + 8 :].split('"')[0])


@pytest.fixture
def slowed_session(staff, iv_session, helpers):
    """35 mg over a planned 40 min (150 mL/h of a 100 mL bag): halved at 10 min, paused 20-25 min, dosing
    ended at 60 min with the pump's volume infused read off (25 + 12.5 + 43.75 = 81.2 mL)."""
    nurse = staff["nurse"]
    t0 = timezone.now() - dt.timedelta(minutes=120)
    helpers.start_dosing(iv_session, nurse, at=t0 - dt.timedelta(minutes=10))
    start = iv_session.dosing_started_at
    _pump(iv_session, nurse, start + dt.timedelta(minutes=10), "rate_reduced", 75)
    _pump(iv_session, nurse, start + dt.timedelta(minutes=20), "infusion_paused")
    _pump(iv_session, nurse, start + dt.timedelta(minutes=25), "infusion_resumed")
    iv_session.refresh_from_db()
    services.transition(
        iv_session, "monitoring", user=nurse, version=iv_session.version, volume_infused_ml="81.2",
        now=start + dt.timedelta(minutes=60),
    )
    iv_session.refresh_from_db()
    return iv_session


def test_the_charted_pump_record_becomes_the_events(slowed_session):
    given = exposure.given_events(slowed_session)
    assert not given.projected
    assert given.total_mg == pytest.approx(float(slowed_session.delivered_mg)) == pytest.approx(28.42)
    starts = [(round(ev.start_min, 6), round(ev.end_min, 6)) for ev in given.events]
    assert starts == [(0, 10), (10, 20), (25, 60)]  # the pause adds no dose
    assert given.events[0].amount_mg == pytest.approx(35 * 25 / 100)  # 150 mL/h of 0.35 mg/mL for 10 min
    assert "75 mL/h from" in "; ".join(given.basis)


def test_a_halved_rate_and_a_pause_predict_a_lower_peak_and_a_later_fall_than_the_plan(slowed_session):
    given = exposure.given_events(slowed_session)
    model = pk_models.get("domino")
    ind = solver.individualise(model, given.weight_kg)
    planned = solver.solve(ind, schedule.iv_infusion(35.0, 40.0))
    charted = solver.solve(ind, given.events)
    grid = [x * 0.5 for x in range(0, 721)]
    t = np.array(grid)
    assert charted.evaluate(t, ("plasma",))[0, 0].max() < 0.8 * planned.evaluate(t, ("plasma",))[0, 0].max()
    level = exposure.hint_level_ng_per_ml(given.drug)
    assert level == 50.0
    assert exposure.predicted_below_min(given, level) > float(metrics.time_below(planned, level, 1440.0)[0])


def test_while_dosing_the_pump_is_projected_at_its_charted_rate_until_the_bag_is_empty(staff, iv_session, helpers):
    t0 = timezone.now() - dt.timedelta(minutes=30)
    helpers.start_dosing(iv_session, staff["nurse"], at=t0)
    start = iv_session.dosing_started_at
    _pump(iv_session, staff["nurse"], start + dt.timedelta(minutes=10), "rate_reduced", 75)
    given = exposure.given_events(iv_session)
    assert given.projected and given.total_mg == pytest.approx(35.0)
    # 25 mL at 150 mL/h in 10 min, then the other 75 mL at 75 mL/h: an hour more.
    assert schedule.last_input_end(given.events) == pytest.approx(70.0)


def test_the_fragment_draws_the_charted_dose_for_the_care_team_only(staff, client_as, slowed_session):
    url = reverse("prediction:session_curve", args=[slowed_session.pk])
    r = client_as(staff["nurse"]).get(url)
    assert r.status_code == 200
    body = r.content.decode()
    assert "<svg" in body and 'class="plasma"' in body and body.count('class="infusion"') == 3  # 0-10, 10-20 and 25-60 min
    assert 'data-given-mg="28.42"' in body and "81.2 of 100 mL" in body
    assert "over 60 min" in body
    assert client_as(staff["other_nurse"]).get(url).status_code == 404
    from ketamine_clinic.accounts.models import Role, User

    patient = slowed_session.patient
    patient.user = User.objects.create_user(username="t_own_patient", password="demo-password-1", role=Role.PATIENT)
    patient.save(update_fields=["user"])
    assert client_as(patient.user).get(url).status_code == 403  # their own session: still clinicians' work


def test_the_discharge_hint_shows_the_predicted_time_and_the_charted_recovery(staff, client_as, slowed_session):
    start = slowed_session.dosing_started_at
    for minutes in (65, 75):
        services.record_reading(
            slowed_session, user=staff["nurse"], idempotency_key=key(),
            values={"sbp": 126, "dbp": 80, "hr": 72, "spo2": 98, "rr": 14}, taken_at=start + dt.timedelta(minutes=minutes),
        )
    hint = exposure.discharge_hint(DosingSession.objects.get(pk=slowed_session.pk))
    assert hint is not None and hint.level_ng_per_ml == 50.0
    assert hint.predicted_below_at > start + dt.timedelta(minutes=60)
    assert hint.vitals_since == start + dt.timedelta(minutes=65)
    assert hint.dissociation_since is None and hint.suggested_at is None  # no CADSS charted: no suggestion
    body = client_as(staff["nurse"]).get(reverse("prediction:session_curve", args=[slowed_session.pk])).content
    text = body.decode()
    below = timezone.localtime(hint.predicted_below_at).strftime("%H:%M")
    vitals = timezone.localtime(hint.vitals_since).strftime("%H:%M")
    assert f"Predicted below 50 ng/mL at {below}" in text
    assert f"vitals back within 20% of baseline since {vitals}" in text
    assert "a prediction to check, never a gate" in text


def test_no_hint_while_dosing(staff, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"], at=timezone.now() - dt.timedelta(minutes=20))
    assert exposure.discharge_hint(iv_session) is None


def test_the_flowsheet_loads_the_session_curve_and_its_url_follows_the_record(staff, client_as, iv_session, helpers):
    client = client_as(staff["nurse"])
    flowsheet = reverse("sessions:flowsheet", args=[iv_session.pk])
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    helpers.confirm_dose(iv_session, staff["nurse"])
    before = _curve_url(client.get(flowsheet).content.decode())
    assert before.startswith(reverse("prediction:patient_curve", args=[iv_session.patient_id]))  # the preview
    iv_session.refresh_from_db()
    services.transition(iv_session, "dosing", user=staff["nurse"], version=iv_session.version)
    first = _curve_url(client.get(flowsheet).content.decode())
    assert first.startswith(reverse("prediction:session_curve", args=[iv_session.pk]))
    _pump(iv_session, staff["nurse"], timezone.now(), "rate_reduced", 75)
    second = _curve_url(client.get(flowsheet).content.decode())
    assert second != first
    assert re.search(r"record=[\d.]+", second)
    assert client.get(second).status_code == 200


def test_a_record_that_cannot_be_drawn_says_why(staff, client_as, iv_session, helpers):
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    r = client_as(staff["nurse"]).get(reverse("prediction:session_curve", args=[iv_session.pk]))
    assert r.status_code == 422 and "Dosing has not started" in r.content.decode()


def _dosed(patient, route, dose_mg, **fields):
    start = timezone.now() - dt.timedelta(minutes=30)
    return DosingSession.objects.create(
        patient=patient, route=route, state="monitoring", scheduled_for=start, dose_mg=Decimal(dose_mg),
        dosing_started_at=start, dosing_ended_at=start + dt.timedelta(minutes=10), weight_kg=Decimal("80.0"),
        **fields,
    )


def test_esketamine_devices_are_given_five_minutes_apart(patient):
    session = _dosed(patient, "intranasal", "84", dose_rule={"drug": "esketamine"}, delivered_mg=Decimal("56"))
    given = exposure.given_events(session)
    assert [ev.time_min for ev in given.events] == [0.0, 5.0]  # the two devices delivered, not the three ordered
    assert given.total_mg == 56.0 and given.weight_kg == 80.0 and given.drug == "esketamine"
    assert exposure.hint_level_ng_per_ml(given.drug) == float(settings.REMS_PREDICTED_LEVEL_NG_PER_ML)


def test_other_routes_are_the_dose_at_the_start(patient):
    given = exposure.given_events(_dosed(patient, "im", "40"))
    assert [(ev.time_min, ev.amount_mg, ev.route) for ev in given.events] == [(0.0, 40.0, "im")]
