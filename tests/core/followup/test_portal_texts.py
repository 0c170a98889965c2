"""Portal texts from the pure core: route instructions with sources, plain-language trajectories."""

import datetime as dt

import pytest

from ketamine_clinic.core.followup.instructions import CLINIC, INSTRUCTIONS, SPRAVATO_PI, instructions_for
from ketamine_clinic.core.followup.plain_language import describe_trajectory


def test_every_route_has_before_and_after_with_a_source():
    for route in ("iv", "intranasal", "im", "oral", "sublingual"):
        ins = instructions_for(route)
        assert ins.before and ins.after
        assert all(item.source in (CLINIC, SPRAVATO_PI) for item in ins.before + ins.after)


def test_esketamine_driving_rule_quotes_the_label():
    after = instructions_for("intranasal").after
    driving = [i for i in after if "drive" in i.text]
    assert driving and driving[0].source == SPRAVATO_PI
    assert "next day" in driving[0].text and "restful sleep" in driving[0].text
    fasting = [i for i in instructions_for("intranasal").before if "2 hours" in i.text]
    assert fasting and fasting[0].source == SPRAVATO_PI


def test_racemic_routes_do_not_claim_the_esketamine_label():
    # Off-label racemic ketamine has no patient label: its fasting advice must be marked clinic-defined.
    fasting = [i for i in instructions_for("iv").before if "eat" in i.text]
    assert fasting and fasting[0].source == CLINIC
    assert SPRAVATO_PI not in instructions_for("iv").sources


def test_unknown_route_is_a_clear_error():
    with pytest.raises(ValueError, match="known routes: im, intranasal, iv, oral, sublingual"):
        instructions_for("rectal")
    assert set(INSTRUCTIONS) == {"iv", "intranasal", "im", "oral", "sublingual"}


def d(n):
    return dt.date(2026, 1, 5) + dt.timedelta(days=n)


def test_trajectory_improving_to_response():
    lines = describe_trajectory(
        "PHQ-9", [(d(30), 8), (d(0), 20), (d(14), 9)], max_total=27, latest_severity="mild"
    )
    text = " ".join(lines)
    assert "first score was 20 out of 27 on 5 Jan 2026" in text
    assert "latest, on 4 Feb 2026, is 8 (mild)" in text
    assert "12 points lower than when you started (60% lower)" in text
    assert "call a response" in text
    assert "stayed about the same" in text  # 9 -> 8


def test_trajectory_worse_or_flat_makes_no_response_claim():
    text = " ".join(describe_trajectory("GAD-7", [(d(0), 10), (d(7), 14)]))
    assert "4 points higher" in text and "response" not in text
    text = " ".join(describe_trajectory("GAD-7", [(d(0), 10), (d(7), 11)]))
    assert "about the same as when you started" in text


def test_trajectory_empty_and_single():
    assert describe_trajectory("PHQ-9", []) == ["You have not completed a PHQ-9 yet."]
    assert "was 12 out of 27." in describe_trajectory("PHQ-9", [(d(0), 12)], max_total=27)[1]
