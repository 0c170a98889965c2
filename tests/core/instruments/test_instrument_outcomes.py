"""Outcome logic over score series: change, response, remission, relapse, time to response."""

import numpy as np
import pytest

from ketamine_clinic.core.instruments import get
from ketamine_clinic.core.instruments.outcomes import (
    change_from_baseline,
    outcome_status,
    relapse_index,
    remission_mask,
    response_mask,
    time_to_response_days,
)


def test_change_from_baseline_absolute_and_percent():
    delta, pct = change_from_baseline([20, 15, 10, 22])
    assert delta.tolist() == [0, -5, -10, 2]
    assert pct.tolist() == [0.0, -25.0, -50.0, 10.0]


def test_percent_change_is_nan_for_zero_baseline():
    _, pct = change_from_baseline([0, 3])
    assert np.isnan(pct[1])


def test_response_needs_at_least_half_the_baseline():
    # baseline 20: 10 is exactly 50% -> response; 11 is not.
    assert response_mask([20, 11, 10, 4]).tolist() == [False, False, True, True]
    assert not response_mask([0, 0]).any()  # no room to improve from 0


def test_remission_uses_the_instrument_cut_off():
    phq = get("phq9").remission_max  # < 5
    assert remission_mask([20, 5, 4], phq).tolist() == [False, False, True]
    madrs = get("madrs").remission_max  # <= 10
    assert remission_mask([34, 11, 10], madrs).tolist() == [False, False, True]
    assert not remission_mask([20, 0], None).any()


def test_relapse_is_loss_of_response_after_response():
    assert relapse_index([20, 9, 8, 12, 15]) == 3
    assert relapse_index([20, 15, 12, 11]) is None  # never responded
    assert relapse_index([20, 9, 8, 7]) is None  # kept response


def test_time_to_response_in_days():
    days = np.array([0.0, 1.0, 3.5, 7.0])
    assert time_to_response_days(days, [24, 18, 11, 6]) == 3.5
    assert time_to_response_days(days, [24, 20, 18, 17]) is None
    with pytest.raises(ValueError):
        time_to_response_days([0, 1], [1, 2, 3])


@pytest.mark.parametrize(
    "scores,label",
    [
        ([22], "baseline only"),
        ([22, 20, 3], "remission"),
        ([22, 14, 9], "response"),
        ([22, 8, 7, 16], "relapse"),
        ([22, 18, 15], "partial response"),
        ([22, 21, 20], "no response"),
        ([12, 15], "worse"),
    ],
)
def test_outcome_status_labels(scores, label):
    s = outcome_status(np.arange(len(scores), dtype=float), scores, remission_max=4)
    assert s.label == label


def test_outcome_status_sorts_by_time_and_reports_numbers():
    s = outcome_status([7.0, 0.0, 2.0], [6, 24, 11], remission_max=4)
    assert (s.baseline, s.latest, s.change) == (24.0, 6.0, -18.0)
    assert s.percent_change == pytest.approx(-75.0)
    assert s.ever_responded and s.responding_now and not s.remitted_now and not s.relapsed
    assert s.time_to_response_days == 2.0


def test_regained_response_is_not_reported_as_relapse():
    s = outcome_status([0, 1, 2, 3], [20, 8, 15, 7], remission_max=4)
    assert s.label == "response" and not s.relapsed
