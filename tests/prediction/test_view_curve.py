"""The predicted-curve fragment (`prediction:patient_curve`): SVG with plasma, effect site, infusion, now."""

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent


def url(patient, **params):
    q = urlencode(params)
    return reverse("prediction:patient_curve", args=[patient.id]) + (f"?{q}" if q else "")


@pytest.mark.django_db
def test_nurse_on_care_team_sees_curve_for_current_weight(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], weight_kg=Decimal("70.0"))
    start = (timezone.now() - dt.timedelta(minutes=20)).replace(microsecond=0)
    resp = client_as(staff["nurse"]).get(
        url(patient, route="iv", dose_mg=35, duration_min=40, start=start.isoformat())
    )
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "<svg" in html and 'class="plasma"' in html and 'class="effect-site"' in html
    assert 'class="infusion"' in html  # the 40-min infusion is shaded
    assert 'class="now"' in html  # 20 min into the infusion: "now" is inside the window
    # Domino, 0.5 mg/kg over 40 min at 70 kg: Cmax ~240 ng/mL at the end of the infusion
    assert re.search(r"2[34]\d ng/mL at 40 min", html)
    assert "Domino" in html and "7198883" in html
    assert AuditEvent.objects.filter(action="view", patient=patient).exists()


@pytest.mark.django_db
def test_weight_comes_from_the_chart(staff, make_patient, client_as):
    light = make_patient(care_team=[staff["nurse"]], weight_kg=Decimal("50.0"))
    heavy = make_patient(care_team=[staff["nurse"]], weight_kg=Decimal("100.0"))
    c = client_as(staff["nurse"])
    a = c.get(url(light, route="iv", dose_mg=35)).content.decode()
    b = c.get(url(heavy, route="iv", dose_mg=35)).content.decode()
    assert "weight 50.0 kg" in a and "weight 100.0 kg" in b
    peak = lambda html: int(re.search(r"(\d+) ng/mL at 40 min", html).group(1))  # noqa: E731
    assert peak(a) > peak(b)  # same mg in a smaller body -> higher level


@pytest.mark.django_db
def test_esketamine_devices_marked_not_shaded(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["prescriber"]])
    html = client_as(staff["prescriber"]).get(url(patient, route="intranasal", dose_mg=84)).content.decode()
    assert html.count('class="dose"') == 3 and 'class="infusion"' not in html
    assert "esketamine" in html


@pytest.mark.django_db
def test_bad_input_renders_reasons_with_422(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["nurse"]])
    c = client_as(staff["nurse"])
    r = c.get(url(patient, route="iv", dose_mg=-5))
    assert r.status_code == 422 and "dose_mg" in r.content.decode()
    r = c.get(url(patient, route="intranasal", dose_mg=70))
    assert r.status_code == 422 and "whole 28 mg devices" in r.content.decode()
    r = c.get(url(patient, route="iv"))  # no dose and no active plan
    assert r.status_code == 422 and "dose_mg" in r.content.decode()
    nobody = make_patient(care_team=[staff["nurse"]], weight_kg=None, weight_measured_on=None)
    r = c.get(url(nobody, route="iv", dose_mg=35))
    assert r.status_code == 422 and "No weight is recorded" in r.content.decode()


@pytest.mark.django_db
def test_access_is_per_patient_and_role(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["nurse"]], with_login=True)
    other = make_patient(care_team=[staff["other_nurse"]])
    assert client_as(staff["nurse"]).get(url(other, route="iv", dose_mg=35)).status_code == 404
    assert client_as(staff["front_desk"]).get(url(patient, route="iv", dose_mg=35)).status_code == 403
    # The patient may read their own clinical record, not someone else's.
    assert client_as(patient.user).get(url(patient, route="iv", dose_mg=35)).status_code == 200
    assert client_as(patient.user).get(url(other, route="iv", dose_mg=35)).status_code == 404
    from django.test import Client

    assert Client().get(url(patient, route="iv", dose_mg=35)).status_code == 302  # login first


@pytest.mark.django_db
def test_dose_defaults_to_the_active_plan_at_todays_weight(staff, make_patient, client_as):
    from ketamine_clinic.plans.models import TreatmentPlan

    patient = make_patient(care_team=[staff["nurse"]], weight_kg=Decimal("80.0"))
    TreatmentPlan.objects.create(
        patient=patient,
        protocol_key="iv_induction",
        route="iv",
        status="active",
        dose_kind="mg_per_kg",
        dose_amount=Decimal("0.5"),
        dose_min=Decimal("0.5"),
        dose_max=Decimal("0.75"),
        infusion_duration_min=40,
    )
    html = client_as(staff["nurse"]).get(url(patient)).content.decode()
    assert "iv 40.0 mg (plan dose)" in html and "over 40 min" in html


@pytest.mark.django_db
def test_esketamine_plan_uses_the_esketamine_model(staff, make_patient, client_as):
    from ketamine_clinic.plans.models import TreatmentPlan

    patient = make_patient(care_team=[staff["nurse"]])
    TreatmentPlan.objects.create(
        patient=patient,
        protocol_key="esketamine_label",
        route="intranasal",
        status="active",
        drug="esketamine",
        dose_kind="fixed_mg",
        dose_amount=Decimal("56"),
        dose_min=Decimal("56"),
        dose_max=Decimal("84"),
    )
    body = client_as(staff["nurse"]).get(f"/api/prediction/patient/{patient.id}").json()
    assert body["model"] == "esketamine" and body["dose_mg"] == 56 and body["dose_from_plan"] is True
    assert [d["start_min"] for d in body["doses"]] == [0, 5]


@pytest.mark.django_db
@pytest.mark.parametrize("horizon", [120, 240, 360])
def test_no_time_label_hangs_over_the_edge_of_the_chart(staff, make_patient, client_as, horizon):
    from ketamine_clinic.prediction.curves import TICK_LABEL_HALF_WIDTH

    patient = make_patient(care_team=[staff["nurse"]], weight_kg=Decimal("70.0"))
    html = client_as(staff["nurse"]).get(url(patient, route="iv", dose_mg=35, duration_min=40,
                                             horizon_min=horizon)).content.decode()
    width = float(re.search(r'viewBox="0 0 (\d+) \d+"', html).group(1))
    labels = re.findall(r'<text x="([\d.]+)" y="[\d.]+" font-size="10" text-anchor="(middle|end)">\d\d:\d\d</text>',
                        html)
    assert len(labels) >= 3
    for x, anchor in labels:
        right = float(x) + (TICK_LABEL_HALF_WIDTH if anchor == "middle" else 0)
        left = float(x) - (TICK_LABEL_HALF_WIDTH if anchor == "middle" else 2 * TICK_LABEL_HALF_WIDTH)
        assert 0 <= left and right <= width, (x, anchor)
    assert labels[-1][1] == "end"  # the last tick sits on the right edge
