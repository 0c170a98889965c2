"""GET /api/prediction/patient/{id}: times and concentrations; 422 on bad input; 403/404 via access."""

from decimal import Decimal

import pytest

from ketamine_clinic.audit.models import AuditEvent


def api(client, patient_id, **params):
    return client.get(f"/api/prediction/patient/{patient_id}", params)


@pytest.mark.django_db
def test_returns_curve_for_patient_weight(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["prescriber"]], weight_kg=Decimal("70.0"))
    r = api(
        client_as(staff["prescriber"]),
        patient.id,
        route="iv",
        dose_mg=35,
        duration_min=40,
        horizon_min=240,
        step_min=1,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["weight_kg"] == 70.0 and body["model"] == "domino"
    assert len(body["times_min"]) == len(body["concentration_ng_per_ml"]) == 241
    assert 100 <= body["cmax_ng_per_ml"] <= 250 and body["tmax_min"] == 40
    assert body["effect_site_ng_per_ml"][40] < body["concentration_ng_per_ml"][40]
    assert AuditEvent.objects.filter(action="view", patient=patient).exists()


@pytest.mark.django_db
def test_population_and_threshold(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["nurse"]])
    body = api(
        client_as(staff["nurse"]),
        patient.id,
        route="iv",
        dose_mg=35,
        population=200,
        seed=3,
        threshold_ng_per_ml=50,
    ).json()
    bands = body["population"]["concentration_ng_per_ml"]
    assert all(a <= b <= c for a, b, c in zip(bands["p5"], bands["p50"], bands["p95"], strict=True))
    assert 40 < body["time_below_threshold_min"] < 240


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params,field",
    [
        ({"route": "iv", "dose_mg": "-1"}, "dose_mg"),
        ({"route": "iv", "dose_mg": "abc"}, "dose_mg"),
        ({"route": "teleport", "dose_mg": "35"}, "route"),
        ({"route": "iv", "dose_mg": "35", "model": "propofol"}, "model"),
        ({"route": "iv", "dose_mg": "35", "start": "not-a-date"}, "start"),
        ({"route": "oral", "dose_mg": "35", "duration_min": "40"}, "duration_min"),
        ({"route": "iv", "dose_mg": "35", "model": "herd"}, "__all__"),  # 70 kg is outside Herd's range
    ],
)
def test_bad_input_is_422_naming_the_field(staff, make_patient, client_as, params, field):
    patient = make_patient(care_team=[staff["nurse"]])
    r = api(client_as(staff["nurse"]), patient.id, **params)
    assert r.status_code == 422, r.content
    assert field in r.json()["detail"]


@pytest.mark.django_db
def test_forbidden_and_not_found(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["nurse"]])
    assert api(client_as(staff["front_desk"]), patient.id, route="iv", dose_mg=35).status_code == 403
    assert api(client_as(staff["other_nurse"]), patient.id, route="iv", dose_mg=35).status_code == 404
    assert api(client_as(staff["nurse"]), 999999, route="iv", dose_mg=35).status_code == 404


@pytest.mark.django_db
def test_models_list_carries_citations(staff, client_as):
    body = client_as(staff["nurse"]).get("/api/prediction/models").json()
    keys = {m["key"]: m for m in body}
    assert {"domino", "clements", "herd", "hornik", "esketamine"} <= set(keys)
    assert "7198883" in keys["domino"]["citation"]
    assert keys["esketamine"]["routes"] == ["iv", "intranasal"]


@pytest.mark.django_db
def test_a_model_without_an_effect_site_is_a_clear_422_not_a_500(staff, make_patient, client_as):
    """Flint 2017 (children, S-ketamine + S-norketamine) has no published ke0: these curves draw the effect
    site, so asking for it is refused with the reason, for a child inside its weight and age range."""
    import datetime as dt

    from django.utils import timezone

    child = make_patient(
        care_team=[staff["nurse"]], weight_kg=Decimal("20.0"),
        date_of_birth=timezone.localdate() - dt.timedelta(days=365 * 6),
    )
    c = client_as(staff["nurse"])
    r = api(c, child.id, route="iv", dose_mg="10", model="flint")
    assert r.status_code == 422, r.content
    assert "effect" in str(r.json()["detail"]).lower()
    page = c.get(f"/prediction/patient/{child.id}/curve/", {"route": "iv", "dose_mg": "10", "model": "flint"})
    assert page.status_code == 422 and "effect" in page.content.decode().lower()
