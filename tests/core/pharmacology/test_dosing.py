"""Dose arithmetic: mg/kg -> mg -> mL -> dilution -> pump rate, with rounding and unit conversions."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.core.pharmacology.dosing import (
    DoseCalculationError,
    dose_limits_mg,
    dose_mg,
    esketamine_devices,
    g_to_mg,
    infusion,
    kg_to_lb,
    lb_to_kg,
    mcg_to_mg,
    mg_per_kg_per_h_to_mcg_per_kg_per_min,
    mg_to_mcg,
    ml_per_h_to_ml_per_min,
    plan_dose,
    round_to,
    volume_ml,
    within_limits,
)
from ketamine_clinic.core.protocols.dose_rule import DoseRule

IV_RULE = DoseRule("mg_per_kg", 0.5, 0.25, 1.0, infusion_duration_min=40, concentration_mg_per_ml=50)
NASAL_RULE = DoseRule("fixed_mg", 56, 28, 84, drug="esketamine")


def test_standard_infusion_worked_example():
    # 0.5 mg/kg for 70 kg = 35 mg; 35 mg / 50 mg/mL = 0.70 mL; in 100 mL over 40 min = 150.0 mL/h
    plan = plan_dose(IV_RULE, weight_kg=70, route="iv")
    assert plan.dose_mg == pytest.approx(35.0)
    assert (plan.min_mg, plan.max_mg) == pytest.approx((17.5, 70.0))
    calc = plan.infusion
    assert calc.draw_volume_ml == pytest.approx(0.70)
    assert calc.bag_concentration_mg_per_ml == pytest.approx(0.35)
    assert calc.pump_rate_ml_per_h == pytest.approx(150.0)
    assert calc.delivered_dose_mg == pytest.approx(35.0)
    labels = [label for label, _ in calc.double_check()]
    assert labels[:3] == ["Weight today", "Ordered dose", "Stock concentration"] and "Pump rate" in labels


def test_pump_rate_rounds_to_pump_precision():
    calc = infusion(ordered_dose_mg=40, stock_concentration_mg_per_ml=50, bag_volume_ml=100, duration_min=45)
    assert calc.exact_rate_ml_per_h == pytest.approx(133.333, abs=1e-3)
    assert calc.pump_rate_ml_per_h == 133.3
    coarse = infusion(
        ordered_dose_mg=40,
        stock_concentration_mg_per_ml=50,
        bag_volume_ml=100,
        duration_min=45,
        pump_precision_ml_per_h=1,
    )
    assert coarse.pump_rate_ml_per_h == 133.0
    assert coarse.delivery_bound_mg > calc.delivery_bound_mg


def test_draw_volume_rounds_to_syringe_and_reports_true_drawn_dose():
    calc = infusion(
        ordered_dose_mg=36.3, stock_concentration_mg_per_ml=50, bag_volume_ml=100, duration_min=40
    )
    assert calc.draw_volume_ml == 0.73  # 0.726 mL -> 0.73 on a 0.01 mL syringe
    assert calc.drawn_dose_mg == pytest.approx(36.5)
    assert abs(calc.drawn_dose_mg - calc.ordered_dose_mg) <= 0.005 * 50 + 1e-9


def test_round_to_half_up_without_float_fuzz():
    assert round_to(0.15, 0.1) == 0.2
    assert round_to(133.35, 0.1) == 133.4
    assert round_to(2.675, 0.01) == 2.68
    assert round_to(133.349, 0.1) == 133.3
    with pytest.raises(DoseCalculationError):
        round_to(1, 0)


@settings(max_examples=300, deadline=None)
@given(
    weight=st.floats(35, 200),
    mg_per_kg=st.floats(0.1, 1.0),
    stock=st.sampled_from([10.0, 50.0, 100.0]),
    bag=st.sampled_from([50.0, 100.0, 250.0]),
    minutes=st.floats(20, 120),
    precision=st.sampled_from([0.1, 0.01, 1.0]),
)
def test_rate_times_duration_delivers_the_drawn_dose_within_rounding_bound(
    weight, mg_per_kg, stock, bag, minutes, precision
):
    ordered = weight * mg_per_kg
    calc = infusion(
        ordered_dose_mg=ordered,
        stock_concentration_mg_per_ml=stock,
        bag_volume_ml=bag,
        duration_min=minutes,
        weight_kg=weight,
        pump_precision_ml_per_h=precision,
    )
    delivered = calc.pump_rate_ml_per_h * (minutes / 60) * calc.bag_concentration_mg_per_ml
    assert abs(delivered - calc.drawn_dose_mg) <= calc.delivery_bound_mg * (1 + 1e-9) + 1e-9
    # the pump rate is a multiple of the pump precision
    assert math.isclose(
        round(calc.pump_rate_ml_per_h / precision), calc.pump_rate_ml_per_h / precision, abs_tol=1e-6
    )
    # and the drawn dose is within half a syringe graduation of the order
    assert abs(calc.drawn_dose_mg - ordered) <= calc.draw_precision_ml / 2 * stock + 1e-9


@given(weight_lb=st.floats(50, 600), mg=st.floats(0.001, 1000))
def test_unit_conversions_round_trip(weight_lb, mg):
    assert kg_to_lb(lb_to_kg(weight_lb)) == pytest.approx(weight_lb)
    assert mcg_to_mg(mg_to_mcg(mg)) == pytest.approx(mg)


def test_unit_conversion_constants():
    assert lb_to_kg(154) == pytest.approx(69.853, abs=1e-3)  # 1 lb = 0.45359237 kg
    assert g_to_mg(0.5) == 500
    assert ml_per_h_to_ml_per_min(150) == 2.5
    # 0.5 mg/kg over 40 min = 0.75 mg/kg/h = 12.5 mcg/kg/min
    assert mg_per_kg_per_h_to_mcg_per_kg_per_min(0.75) == pytest.approx(12.5)


def test_limits_and_overrides():
    assert within_limits(35, IV_RULE, 70) and not within_limits(71, IV_RULE, 70)
    high = plan_dose(IV_RULE, weight_kg=70, route="iv", dose_mg_override=80)
    assert not high.within_limits and high.dose_mg == 80
    assert dose_limits_mg(NASAL_RULE) == (28, 84)


def test_esketamine_devices():
    plan = plan_dose(NASAL_RULE, weight_kg=None, route="intranasal")
    assert plan.devices == 2 and plan.infusion is None
    assert esketamine_devices(84) == 3
    with pytest.raises(DoseCalculationError, match="whole number"):
        esketamine_devices(60)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: dose_mg(IV_RULE, None), "Today's weight (kg) is required."),
        (lambda: dose_mg(IV_RULE, -3), "Today's weight (kg) must be a positive number, not -3."),
        (lambda: dose_mg(IV_RULE, float("nan")), "Today's weight (kg) must be a positive number, not nan."),
        (lambda: volume_ml(10, 0), "Concentration (mg/mL) must be a positive number, not 0."),
        (
            lambda: infusion(
                ordered_dose_mg=5000, stock_concentration_mg_per_ml=50, bag_volume_ml=50, duration_min=40
            ),
            "Drawn volume 100 mL exceeds the final bag volume 50 mL.",
        ),
        (
            lambda: plan_dose(DoseRule("mg_per_kg", 0.5, 0.25, 1.0), weight_kg=70, route="iv"),
            "The plan's IV dose rule needs an infusion duration and a stock concentration.",
        ),
    ],
)
def test_bad_inputs_raise_clear_errors(call, message):
    # The clinic's words, naming the input and the value refused (no internal codes).
    with pytest.raises(DoseCalculationError) as err:
        call()
    assert str(err.value) == message


def test_volume():
    assert volume_ml(35, 50) == pytest.approx(0.7)
