"""`ketamine-clinic score`: JSON on stdout, exit 2 with a message on bad input."""

import json
import subprocess
import sys

import pytest

from ketamine_clinic.cli import main


def run(capsys, *argv):
    code = main(["score", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_phq9_scores_and_flags_item9(capsys):
    code, out, _ = run(capsys, "PHQ-9", "--answers", "1,1,1,2,2,3,3,3,1")
    assert code == 0
    assert json.loads(out) == {
        "instrument": "phq9",
        "total": 17,
        "severity": "moderately severe",
        "flags": ["phq9_item9"],
    }


def test_blank_entries_are_missing_items_and_prorated(capsys):
    code, out, _ = run(capsys, "gad7", "--answers", "3,3,,3,3,3,3")
    assert code == 0 and json.loads(out)["total"] == 21


def test_cssrs_risk_level(capsys):
    code, out, _ = run(capsys, "cssrs", "--answers", "1,1,1,1,0,0,")
    assert json.loads(out) == {
        "instrument": "cssrs_screener",
        "total": None,
        "severity": "high",
        "flags": ["cssrs_positive"],
    }


def test_audit_c_uses_sex(capsys):
    _, out, _ = run(capsys, "audit-c", "--answers", "1,1,1", "--sex", "F")
    assert json.loads(out)["flags"] == ["audit_c_positive"]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["phq9", "--answers", "1,1,1,1,1,1,1,1,4"], "PHQ-9 item 9: 4 is out of range"),
        (["phq9", "--answers", "1,1"], "has 9 items; got 2"),
        (["phq9", "--answers", "1,a,1,1,1,1,1,1,1"], "answer 2: 'a' is not a whole number"),
        (["phq9", "--answers", ",,,1,1,1,1,1,1"], "too many unanswered items (1, 2, 3)"),
        (["beck", "--answers", "1"], "unknown instrument 'beck'"),
    ],
)
def test_bad_input_exits_2_with_a_message(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err


def test_installed_console_script_end_to_end():
    proc = subprocess.run(
        [sys.executable, "-m", "ketamine_clinic", "score", "pain", "--answers", "7"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "instrument": "pain_nrs",
        "total": 7,
        "severity": "severe",
        "flags": [],
    }
    bad = subprocess.run(
        [sys.executable, "-m", "ketamine_clinic", "score", "pain", "--answers", "12"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "item 1: 12 is out of range" in bad.stderr


def test_cadss_scores_the_19_subjective_items_0_to_76(capsys):
    code, out, _ = run(capsys, "cadss", "--answers", ",".join(["4"] * 19))
    assert code == 0
    assert json.loads(out) == {"instrument": "cadss", "total": 76, "severity": "", "flags": []}
    code, _, err = run(capsys, "cadss", "--answers", ",".join(["1"] * 23))  # the 23-item version is refused
    assert code == 2 and "has 19 items; got 23" in err


def test_help_names_each_instrument_and_the_cadss_version_and_range(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["score", "--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "cadss (Clinician-Administered Dissociative States Scale (1998 version: 19 subjective items, total 0-76))"
        in out
    )
    assert "phq9 (Patient Health Questionnaire-9)" in out
