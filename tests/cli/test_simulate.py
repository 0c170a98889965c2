"""`ketamine-clinic simulate`: JSON keys and values, exit status 2 with clear messages, the PNG plot."""

import json
import subprocess
import sys

import numpy as np
import pytest

from ketamine_clinic.cli import main

BASE = [
    "simulate",
    "--model",
    "domino",
    "--route",
    "iv",
    "--dose-mg-per-kg",
    "0.5",
    "--duration-min",
    "40",
    "--weight-kg",
    "70",
    "--horizon-min",
    "240",
]


def run_json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_issue_example_json(capsys):
    out = run_json(capsys, BASE)
    for key in (
        "cmax_ng_per_ml",
        "tmax_min",
        "auc_ng_h_per_ml",
        "times_min",
        "concentration_ng_per_ml",
        "effect_site_ng_per_ml",
    ):
        assert key in out
    assert out["dose_mg"] == pytest.approx(35.0)
    assert len(out["times_min"]) == len(out["concentration_ng_per_ml"]) == 241
    assert out["times_min"][0] == 0 and out["times_min"][-1] == 240
    assert 100 <= out["cmax_ng_per_ml"] <= 250 and out["tmax_min"] == 40
    assert max(out["concentration_ng_per_ml"]) == out["cmax_ng_per_ml"]
    assert out["auc_ng_h_per_ml"] > 0
    assert "population" not in out


def test_population_adds_reproducible_bands(capsys):
    a = run_json(capsys, BASE + ["--population", "300", "--seed", "5"])
    b = run_json(capsys, BASE + ["--population", "300", "--seed", "5"])
    c = run_json(capsys, BASE + ["--population", "300", "--seed", "6"])
    bands = a["population"]["concentration_ng_per_ml"]
    assert set(bands) == {"p5", "p50", "p95"}
    assert all(lo <= mid <= hi for lo, mid, hi in zip(bands["p5"], bands["p50"], bands["p95"], strict=True))
    assert a["population"] == b["population"]
    assert a["population"] != c["population"]


def test_intranasal_esketamine_84_mg_is_three_devices(capsys):
    out = run_json(
        capsys,
        [
            "simulate",
            "--model",
            "esketamine",
            "--route",
            "intranasal",
            "--dose-mg",
            "84",
            "--weight-kg",
            "80",
            "--horizon-min",
            "600",
        ],
    )
    assert [d["start_min"] for d in out["doses"]] == [0, 5, 10]
    assert all(d["amount_mg"] == 28 for d in out["doses"])
    assert 30 <= out["tmax_min"] <= 50  # 20-40 min after the last device (label)
    assert out["bioavailability"] == 0.48


def test_threshold_hint(capsys):
    out = run_json(capsys, BASE + ["--threshold-ng-per-ml", "50"])
    assert out["time_below_threshold_is_hint"] is True
    t = out["time_below_threshold_min"]
    assert 40 < t < 240
    i = out["times_min"].index(int(t) + 1)
    assert out["concentration_ng_per_ml"][i] < 50 <= out["concentration_ng_per_ml"][i - 2]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["simulate", "--dose-mg-per-kg", "-0.5", "--weight-kg", "70"], "dose must be a positive number"),
        (
            ["simulate", "--model", "propofol", "--dose-mg", "35", "--weight-kg", "70"],
            "unknown model 'propofol'",
        ),
        (
            ["simulate", "--model", "herd", "--dose-mg", "35", "--weight-kg", "90"],
            "outside model 'herd' range",
        ),
        (["simulate", "--model", "domino", "--dose-mg", "35", "--weight-kg", "-3"], "weight"),
        (
            ["simulate", "--model", "esketamine", "--route", "oral", "--dose-mg", "56", "--weight-kg", "70"],
            "no parameters for route 'oral'",
        ),
        (
            [
                "simulate",
                "--model",
                "esketamine",
                "--route",
                "intranasal",
                "--dose-mg",
                "70",
                "--weight-kg",
                "70",
            ],
            "whole 28 mg devices",
        ),
        (
            ["simulate", "--route", "im", "--dose-mg", "50", "--duration-min", "40", "--weight-kg", "70"],
            "--duration-min applies only to --route iv",
        ),
        (["simulate", "--route", "rectal", "--dose-mg", "50", "--weight-kg", "70"], "unknown route 'rectal'"),
    ],
)
def test_invalid_arguments_exit_2_with_message(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_missing_dose_is_an_argparse_error_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--weight-kg", "70"])
    assert exc.value.code == 2
    assert "--dose-mg" in capsys.readouterr().err


def test_plot_file_is_a_real_png(tmp_path, capsys):
    path = tmp_path / "curve.png"
    assert main(BASE + ["--population", "50", "--seed", "1", "--plot", str(path)]) == 0
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a labelled figure with curves, not an empty canvas
    assert "Plot written" in capsys.readouterr().out


def test_console_script_exit_code_and_import_is_light():
    """The installed entry point exits 2 on bad input; importing the CLI does not import numpy eagerly."""
    proc = subprocess.run(
        [sys.executable, "-m", "ketamine_clinic", "simulate", "--dose-mg", "-1", "--weight-kg", "70"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "dose must be a positive number" in proc.stderr
    code = "import sys, ketamine_clinic.cli.simulate; print('ketamine_clinic.core.pharmacology.solver' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    )


def test_induction_reports_troughs_and_peaks_per_session(capsys):
    out = run_json(
        capsys,
        [
            "simulate",
            "--model",
            "esketamine",
            "--route",
            "intranasal",
            "--dose-mg",
            "84",
            "--weight-kg",
            "70",
            "--horizon-min",
            "1440",
            "--step-min",
            "2",
            "--induction",
        ],
    )
    sessions = out["sessions"]
    assert [s["start_min"] / 1440 for s in sessions] == [0, 2, 4, 7, 9, 11]
    assert sessions[0]["trough_ng_per_ml"] == 0
    # Label: no accumulation with twice-weekly dosing - troughs stay tiny next to the peaks, peaks repeat.
    peaks = [s["peak_ng_per_ml"] for s in sessions]
    assert max(s["trough_ng_per_ml"] for s in sessions) < 0.02 * min(peaks)
    assert max(peaks) / min(peaks) < 1.02
    assert out["times_min"][-1] == 11 * 1440 + 1440


FLINT = [
    "simulate",
    "--model",
    "flint",
    "--route",
    "iv",
    "--dose-mg-per-kg",
    "1",
    "--duration-min",
    "60",
    "--weight-kg",
    "7",
    "--age-years",
    "0.5",
    "--horizon-min",
    "600",
]


def test_flint_json_has_the_metabolite_and_no_effect_site(capsys):
    out = run_json(capsys, FLINT)
    assert out["model"] == "flint" and out["drug"] == "esketamine"
    assert "pan.13239" in out["citation"]
    assert out["metabolite_name"] == "S-norketamine"
    met = out["metabolite_ng_per_ml"]
    assert len(met) == len(out["times_min"]) == len(out["concentration_ng_per_ml"]) == 601
    assert met[0] == pytest.approx(0.0, abs=1e-9) and min(met) >= -1e-9
    assert out["metabolite_cmax_ng_per_ml"] == pytest.approx(max(met))
    assert out["metabolite_tmax_min"] >= out["tmax_min"] == 60
    # No published ke0: no effect-site curve or metrics at all (not zeros, not a guess).
    assert not [k for k in out if k.startswith("effect_site")]


def test_flint_text_output_names_the_metabolite_and_the_missing_effect_site(capsys):
    assert main(FLINT) == 0
    text = capsys.readouterr().out
    assert "S-norketamine peak" in text
    assert "no effect site" in text and "effect site peak" not in text


def test_sets_without_a_metabolite_keep_their_json(capsys):
    out = run_json(capsys, BASE)
    assert "metabolite_ng_per_ml" not in out and "effect_site_ng_per_ml" in out


def test_flint_refuses_adults_and_other_routes(capsys):
    for argv, message in (
        (FLINT + ["--weight-kg", "70"], "outside model 'flint' range 3.4-35 kg"),
        (FLINT + ["--age-years", "30"], "age is outside model 'flint' range"),
        (
            ["simulate", "--model", "flint", "--route", "intranasal", "--dose-mg", "5", "--weight-kg", "7"],
            "model 'flint' has no parameters for route 'intranasal'",
        ),
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


def test_flint_plot_draws_the_metabolite_line(tmp_path, capsys):
    import matplotlib.image

    path = tmp_path / "picu.png"
    assert main(FLINT + ["--population", "50", "--seed", "1", "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(str(path))[..., :3]
    # The metabolite is drawn in tab:green (#2ca02c); nothing else in the figure uses it.
    green = np.all(np.abs(img - np.array([0x2C, 0xA0, 0x2C]) / 255) < 0.02, axis=-1)
    assert green.sum() > 500
    assert "Plot written" in capsys.readouterr().out
