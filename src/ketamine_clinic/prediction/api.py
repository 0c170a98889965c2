"""Prediction API: a patient's predicted plasma / effect-site curve, and the available parameter sets.

GET /api/prediction/patient/{patient_id}?route=iv&dose_mg=35&duration_min=40 returns times and concentrations
for the patient's recorded weight (422 for bad input, 403/404 through ``ketamine_clinic.access``; audited).
"""

from ninja import Router, Schema

from ketamine_clinic import access
from ketamine_clinic.api_types import RecordId
from ketamine_clinic.core.pharmacology import models

from . import curves

router = Router(tags=["prediction"])


class DoseOut(Schema):
    kind: str
    start_min: float
    duration_min: float
    amount_mg: float


class PopulationOut(Schema):
    n: int
    seed: int | None
    variability_source: str
    concentration_ng_per_ml: dict[str, list[float]]
    cmax_ng_per_ml: dict[str, float]
    auc_ng_h_per_ml: dict[str, float]


class CurveOut(Schema):
    model: str
    model_name: str
    drug: str
    citation: str
    route: str
    bioavailability: float
    dose_mg: float
    dose_from_plan: bool
    infusion_duration_min: float | None
    weight_kg: float
    horizon_min: float
    start: str
    now_min: float
    doses: list[DoseOut]
    times_min: list[float]
    concentration_ng_per_ml: list[float]
    effect_site_ng_per_ml: list[float]
    cmax_ng_per_ml: float
    tmax_min: float
    effect_site_cmax_ng_per_ml: float
    effect_site_tmax_min: float
    auc_ng_h_per_ml: float
    threshold_ng_per_ml: float | None = None
    time_below_threshold_min: float | None = None
    time_below_threshold_is_hint: bool | None = None
    population: PopulationOut | None = None
    note: str


class ModelOut(Schema):
    key: str
    name: str
    drug: str
    population: str
    citation: str
    routes: list[str]
    weight_range_kg: list[float]
    age_range_years: list[float]


@router.get("/patient/{patient_id}", response=CurveOut)
def patient_curve(request, patient_id: RecordId):
    """Predicted curve for a patient. Query: route, dose_mg, duration_min, start (ISO), model, horizon_min,
    step_min, threshold_ng_per_ml (discharge-readiness hint), population, seed."""
    patient = access.open_patient(request, patient_id, "clinical", access.READ)
    inputs = curves.build_inputs(patient, request.GET)  # ValidationError -> 422 (project handler)
    return curves.predict(inputs)


@router.get("/models", response=list[ModelOut])
def list_models(request):
    """The published parameter sets the engine carries, with citations and valid ranges (no patient data)."""
    return [
        {
            "key": m.key,
            "name": m.name,
            "drug": m.drug,
            "population": m.population,
            "citation": m.citation.short(),
            "routes": list(m.available_routes),
            "weight_range_kg": [float(x) for x in m.weight_range_kg],
            "age_range_years": [float(x) if x != float("inf") else 1e9 for x in m.age_range_years],
        }
        for m in models.PARAMETER_SETS.values()
    ]
