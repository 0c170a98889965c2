"""Protocol templates: numbers match their sources, clinic-defined ones are marked, dose rules are usable."""

import pytest

from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.core.protocols.templates import (
    CLINIC,
    ESKETAMINE_LABEL,
    IV_RACEMIC,
    TEMPLATES,
    get_template,
    templates_for_route,
)


def test_iv_standard_is_half_mg_per_kg_over_40_minutes_six_infusions():
    rule = IV_RACEMIC.dose_rule
    assert (rule.kind, rule.amount, rule.infusion_duration_min) == ("mg_per_kg", 0.5, 40)
    assert IV_RACEMIC.phase("induction").dose_count == 6
    assert IV_RACEMIC.phase("induction").window_days == 21
    assert (
        IV_RACEMIC.titration.to_amount == 0.75 and IV_RACEMIC.titration.after_sessions_without_response == 2
    )
    assert "Berman" in IV_RACEMIC.dose_source and "Cusin" in IV_RACEMIC.titration.source
    # 35 mg for a 70 kg patient; titration ceiling within the rule's limits.
    assert rule.dose_mg(70) == pytest.approx(35.0)
    assert rule.within_limits(rule.dose_mg(70, 0.75), 70)
    assert not rule.within_limits(rule.dose_mg(70, 0.8), 70)


def test_iv_boosters_taper_weekly_fortnightly_monthly():
    intervals = [p.interval_days for p in IV_RACEMIC.phases[1:]]
    assert intervals == [7, 14, 28]


def test_esketamine_follows_the_label():
    rule = ESKETAMINE_LABEL.dose_rule
    assert (rule.kind, rule.amount, rule.min_amount, rule.max_amount) == ("fixed_mg", 56, 56, 84)
    assert ESKETAMINE_LABEL.first_dose_amount == 56 and ESKETAMINE_LABEL.dose_step == 28
    assert ESKETAMINE_LABEL.monitoring.min_observation_min >= 120
    assert ESKETAMINE_LABEL.monitoring.vitals_at_min == (40,)
    induction, weekly, maintenance = ESKETAMINE_LABEL.phases
    assert (induction.weeks, induction.doses_per_week) == (4, 2)
    assert (weekly.weeks, weekly.doses_per_week) == (4, 1)
    assert maintenance.every_n_weeks == 2
    assert rule.dose_mg() == 56 and rule.limits_mg() == (56, 84)


def test_every_template_has_sources_and_clinic_defined_are_marked():
    for t in TEMPLATES.values():
        assert t.dose_source and t.titration.source and t.min_interval_source and t.monitoring.source
        assert all(p.source for p in t.phases)
        assert isinstance(t.dose_rule, DoseRule)
        assert t.chair_minutes >= t.monitoring.min_observation_min
        assert t.measurement_schedule["baseline"]
        if t.clinic_defined:
            assert CLINIC in t.dose_source
    assert {t.route for t in TEMPLATES.values() if t.clinic_defined} == {"im", "oral", "sublingual"}


def test_lookup_by_key_and_route():
    assert get_template("esketamine_label") is ESKETAMINE_LABEL
    assert templates_for_route("iv") == [IV_RACEMIC]
    with pytest.raises(KeyError, match="Unknown protocol template"):
        get_template("nope")


def test_dose_rule_round_trips_and_needs_weight_for_mg_per_kg():
    rule = IV_RACEMIC.dose_rule
    assert DoseRule.from_dict(rule.as_dict()) == rule
    with pytest.raises(ValueError, match="weight"):
        rule.dose_mg()
    assert rule.with_amount(0.75).amount == 0.75
    with pytest.raises(ValueError, match="within its limits"):
        rule.with_amount(1.0)


def test_default_measurement_schedules_are_valid_for_the_outcomes_schedule():
    from ketamine_clinic.core.instruments.schedule import ScheduleConfig

    for t in TEMPLATES.values():
        config = ScheduleConfig.from_dict(t.measurement_schedule)
        assert config.pre_session == ("cssrs_screener",)
        assert "phq9" in config.periodic
