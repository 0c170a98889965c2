"""`ketamine-clinic tci`: the JSON keys (exactly the issue's), values that agree with the core, exit status 2
with the reason for bad input, the PNG plot, and the command found by the sub-command discovery."""

import json
import subprocess
import sys

import numpy as np
import pytest

from ketamine_clinic.cli import main
from ketamine_clinic.core.pharmacology import models, tci

BASE = [
    "tci",
    "--model",
    "domino",
    "--weight-kg",
    "70",
    "--target-ng-per-ml",
    "150",
    "--site",
    "plasma",
    "--duration-min",
    "40",
    "--update-s",
    "10",
]
KEYS = {"times_min", "rates_mg_per_h", "total_mg", "concentration_ng_per_ml", "effect_site_ng_per_ml"}


def run_json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_issue_example_json_keys_and_values(capsys):
    out = run_json(capsys, BASE)
    assert set(out) == KEYS
    n = len(out["times_min"])
    assert n == 240
    assert (
        len(out["rates_mg_per_h"])
        == len(out["concentration_ng_per_ml"])
        == len(out["effect_site_ng_per_ml"])
        == n
    )
    assert out["times_min"][0] == 0 and out["times_min"][1] == pytest.approx(1 / 6)
    plan = tci.plan(models.get("domino"), 70.0, 150.0, 40.0)
    assert out["rates_mg_per_h"] == plan.rates_mg_per_h.tolist()
    assert out["total_mg"] == pytest.approx(plan.total_mg)
    # Plasma is on the target at every update after the first; the effect site follows below it.
    assert np.allclose(out["concentration_ng_per_ml"][1:], 150.0, rtol=1e-9)
    assert max(out["effect_site_ng_per_ml"]) < 150.0
    assert max(out["rates_mg_per_h"]) <= tci.DEFAULT_MAX_RATE_MG_PER_H


def test_effect_site_target_with_changes_and_pump_limit(capsys):
    out = run_json(
        capsys,
        BASE[:8]
        + [
            "effect",
            "--duration-min",
            "30",
            "--max-rate-mg-per-h",
            "400",
            "--change",
            "15:200",
            "--change",
            "25:100",
        ],
    )
    assert set(out) == KEYS
    assert max(out["rates_mg_per_h"]) == 400.0
    assert max(out["effect_site_ng_per_ml"]) <= 200.0 * (1 + 1e-6)
    assert max(out["concentration_ng_per_ml"]) > 200.0  # plasma overshoots on purpose


def test_model_without_effect_site_has_no_effect_key(capsys):
    argv = [
        "tci",
        "--model",
        "flint",
        "--weight-kg",
        "7",
        "--target-ng-per-ml",
        "200",
        "--duration-min",
        "20",
    ]
    out = run_json(capsys, argv)
    assert set(out) == KEYS - {"effect_site_ng_per_ml"}


def test_text_output(capsys):
    assert main(BASE) == 0
    text = capsys.readouterr().out
    assert "target 150 ng/mL, reached at 0.17 min" in text
    assert "240 rate steps every 10 s" in text and "Total 25.62 mg" in text


@pytest.mark.parametrize(
    "changes,message",
    [
        (["--target-ng-per-ml", "0"], "target concentration must be a positive number of ng/mL"),
        (["--target-ng-per-ml", "-3"], "target concentration must be a positive number of ng/mL"),
        (["--duration-min", "0"], "duration must be a positive number of minutes"),
        (["--update-s", "0"], "pump update interval must be a positive number of seconds"),
        (["--max-rate-mg-per-h", "0"], "maximum pump rate must be a positive number of mg/h"),
        (["--weight-kg", "0"], "weight must be a positive number of kg"),
        (["--site", "brain"], "site must be 'plasma' or 'effect'"),
        (
            ["--model", "ketamine-x"],
            "unknown model 'ketamine-x'; choose one of: domino, clements, herd, hornik, esketamine, flint",
        ),
        (
            ["--model", "flint", "--weight-kg", "7", "--site", "effect"],
            "model 'flint' has no effect site (its source publishes no ke0 and none is assumed): target plasma "
            "instead",
        ),
        (
            ["--target-ng-per-ml", "3000", "--max-rate-mg-per-h", "60"],
            "the plasma target of 3000 ng/mL cannot be reached before the end at minute 40 with the pump's "
            "maximum of 60 mg/h: raise the maximum rate, allow longer or lower the target",
        ),
        (
            ["--change", "45:100"],
            "each change of target must come after the one before it and before the end of the infusion",
        ),
    ],
)
def test_bad_input_exits_2_with_the_reason(capsys, changes, message):
    argv = list(BASE)
    for i in range(0, len(changes), 2):
        flag, value = changes[i], changes[i + 1]
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"ketamine-clinic tci: error: {message}"


def test_malformed_change_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(BASE + ["--change", "twenty"])
    assert exc.value.code == 2
    assert "'twenty' is not MIN:NG (e.g. 20:200 for 200 ng/mL from minute 20)" in capsys.readouterr().err


def test_plot_writes_a_png(tmp_path, capsys):
    path = tmp_path / "tci.png"
    assert main(BASE + ["--site", "effect", "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Plot written to {path}" in capsys.readouterr().out


def test_unwritable_plot_exits_2(tmp_path, capsys):
    assert main(BASE + ["--plot", str(tmp_path / "missing" / "tci.png")]) == 2
    assert "cannot write plot to" in capsys.readouterr().err


def test_entry_point_runs_the_command_and_building_the_parser_stays_light():
    proc = subprocess.run(
        [sys.executable, "-m", "ketamine_clinic", *BASE, "--target-ng-per-ml", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "target concentration must be a positive number of ng/mL" in proc.stderr
    code = (
        "import sys; from ketamine_clinic.cli import build_parser; build_parser(); "
        "print('ketamine_clinic.core.pharmacology.tci' in sys.modules)"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    )
