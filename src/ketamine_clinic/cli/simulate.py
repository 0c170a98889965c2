"""``ketamine-clinic simulate``: predicted plasma and effect-site ketamine concentrations for one dose (and the
metabolite's, for a set with a metabolite chain; a set without a published ke0 has no effect site).

Examples::

    ketamine-clinic simulate --model domino --route iv --dose-mg-per-kg 0.5 --duration-min 40 \\
        --weight-kg 70 --horizon-min 240 --json
    ketamine-clinic simulate --model esketamine --route intranasal --dose-mg 84 --weight-kg 80 \\
        --population 1000 --seed 1 --plot curve.png
    ketamine-clinic simulate --model flint --route iv --dose-mg-per-kg 1 --duration-min 60 --weight-kg 7 \
        --age-years 0.5 --horizon-min 600 --plot picu.png

A prediction from published population models to support, never replace, clinical judgement.
"""

from __future__ import annotations

import json
import math

from . import CommandError

ROUTES = ("iv", "intranasal", "im", "oral", "sublingual")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="predict ketamine plasma/effect-site concentrations for a dose (pure calculation, no database)",
        description="Predict plasma and effect-site concentrations (ng/mL) from a published PK model. "
        "A decision-support estimate, not a measurement.",
    )
    p.add_argument(
        "--model",
        default="domino",
        help="parameter set: domino, clements, herd, hornik, esketamine, flint (paediatric ICU esketamine with "
        "S-norketamine; no effect site) (default domino)",
    )
    p.add_argument("--route", default="iv", help=f"route: {', '.join(ROUTES)} (default iv)")
    dose = p.add_mutually_exclusive_group(required=True)
    dose.add_argument("--dose-mg-per-kg", type=float, help="dose in mg per kg of body weight")
    dose.add_argument(
        "--dose-mg",
        type=float,
        help="dose in mg (intranasal esketamine: 28, 56 or 84 = 1-3 devices 5 min apart)",
    )
    p.add_argument(
        "--duration-min",
        type=float,
        default=None,
        help="IV infusion length in minutes (default 40; 0 = bolus). IV only.",
    )
    p.add_argument("--weight-kg", type=float, required=True, help="patient weight in kg")
    p.add_argument(
        "--age-years", type=float, default=None, help="patient age (checked against the model's range)"
    )
    p.add_argument(
        "--horizon-min", type=float, default=240.0, help="simulate this many minutes (default 240)"
    )
    p.add_argument("--step-min", type=float, default=1.0, help="output time step in minutes (default 1)")
    p.add_argument(
        "--threshold-ng-per-ml",
        type=float,
        default=None,
        help="also report when plasma falls below this level (a discharge-readiness hint)",
    )
    p.add_argument(
        "--population",
        type=int,
        default=None,
        metavar="N",
        help="also simulate N virtual patients with inter-individual variability (5/50/95%% bands)",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed for --population (reproducible)")
    p.add_argument(
        "--induction",
        action="store_true",
        help="repeat the dose as a six-session induction (days 0, 2, 4, 7, 9, 11; Murrough et al. 2013) "
        "and report the trough before and the peak of each session",
    )
    p.add_argument("--plot", metavar="FILE.png", default=None, help="write a labelled plot to this PNG file")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=run)


def _validated(args):
    """Check arguments and build (model, events, dose_mg); raises CommandError with a clear message."""
    from ketamine_clinic.core.pharmacology import models, schedule

    try:
        model = models.get(args.model)
    except models.ModelError as exc:
        raise CommandError(str(exc)) from None
    if args.route not in ROUTES:
        raise CommandError(f"unknown route '{args.route}'; choose one of: {', '.join(ROUTES)}")
    for name in ("weight_kg", "horizon_min", "step_min"):
        v = getattr(args, name)
        if not math.isfinite(v) or v <= 0:
            raise CommandError(f"--{name.replace('_', '-')} must be a positive number")
    if args.step_min > args.horizon_min:
        raise CommandError("--step-min must not exceed --horizon-min")
    if args.horizon_min / args.step_min > 2_000_000:
        raise CommandError("too many output points: increase --step-min or shorten --horizon-min")
    dose_value = args.dose_mg_per_kg if args.dose_mg_per_kg is not None else args.dose_mg
    if not math.isfinite(dose_value) or dose_value <= 0:
        raise CommandError("dose must be a positive number")
    if args.population is not None and not (1 <= args.population <= 100_000):
        raise CommandError("--population must be between 1 and 100000")
    if args.threshold_ng_per_ml is not None and not (args.threshold_ng_per_ml > 0):
        raise CommandError("--threshold-ng-per-ml must be positive")
    try:
        model.check_route(args.route)
        model.check_patient(args.weight_kg, args.age_years)
    except models.ModelError as exc:
        raise CommandError(str(exc)) from None
    dose_mg = dose_value * args.weight_kg if args.dose_mg_per_kg is not None else dose_value
    if args.route == "iv":
        duration = 40.0 if args.duration_min is None else args.duration_min
        if not math.isfinite(duration) or duration < 0:
            raise CommandError("--duration-min must be zero (bolus) or a positive number of minutes")
    else:
        if args.duration_min is not None:
            raise CommandError("--duration-min applies only to --route iv")
        duration = 0.0
    try:
        events = schedule.single_dose(
            args.route, dose_mg, duration_min=duration, esketamine_devices=(model.drug == "esketamine")
        )
    except schedule.ScheduleError as exc:
        raise CommandError(str(exc)) from None
    return model, events, dose_mg, duration


def simulate(args) -> dict:
    """Compute the prediction as a JSON-ready dict (also used by tests)."""
    from ketamine_clinic.core.pharmacology import report, schedule

    model, events, _dose_mg, duration = _validated(args)
    horizon = args.horizon_min
    if args.induction:
        events = schedule.induction_series(events)
        # Whole protocol plus the requested horizon after the last session.
        horizon = schedule.INDUCTION_DAYS[-1] * 1440.0 + args.horizon_min
        if horizon / args.step_min > 2_000_000:
            raise CommandError("too many output points for --induction: increase --step-min")
    out = report.prediction(
        model,
        args.weight_kg,
        events,
        horizon_min=horizon,
        step_min=args.step_min,
        route=args.route,
        age_years=args.age_years,
        threshold_ng_per_ml=args.threshold_ng_per_ml,
        population_size=args.population or 0,
        seed=args.seed,
        protocol=args.induction,
    )
    out["infusion_duration_min"] = duration if args.route == "iv" else None
    return out


def plot(result: dict, path: str) -> None:
    """Write a labelled PNG: plasma and effect-site curves, the infusion shaded, doses marked, bands; the
    metabolite (if the set has one) as its own labelled line."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    _plot_curves(ax, result)
    _plot_doses(ax, result)
    _label_axes(ax, result)
    footer = textwrap.fill(f"Source: {result['citation']}. Prediction, not a measurement.", 170)
    fig.text(0.01, 0.01, footer, fontsize=7, color="grey")
    fig.tight_layout(rect=(0, 0.03 * (footer.count("\n") + 1), 1, 1))
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise CommandError(f"cannot write plot to {path}: {exc}") from None
    finally:
        plt.close(fig)


def _plot_curves(ax, result: dict) -> None:
    """The population band, plasma and effect-site curves, and the metabolite."""
    t = result["times_min"]
    pop = result.get("population")
    if pop:
        band = pop["concentration_ng_per_ml"]
        ax.fill_between(
            t,
            band["p5"],
            band["p95"],
            color="tab:blue",
            alpha=0.15,
            label=f"plasma 5-95th percentile ({pop['n']} virtual patients)",
        )
    ax.plot(t, result["concentration_ng_per_ml"], color="tab:blue", lw=2, label="plasma (Cp)")
    if "effect_site_ng_per_ml" in result:
        ax.plot(t, result["effect_site_ng_per_ml"], color="tab:red", lw=2, ls="--", label="effect site (Ce)")
    if "metabolite_ng_per_ml" in result:
        # Same units (ng/mL), so the same axis: a second axis scaled on its own would lay a metabolite that
        # tracks the parent exactly on top of it.
        ax.plot(
            t,
            result["metabolite_ng_per_ml"],
            color="tab:green",
            lw=2,
            ls="-.",
            label=f"{result['metabolite_name']} (metabolite)",
        )


def _plot_doses(ax, result: dict) -> None:
    """Infusions shaded, other doses as lines, the threshold dotted."""
    first = True
    for ev in result["doses"]:
        if ev["kind"] == "infusion":
            ax.axvspan(
                ev["start_min"],
                ev["start_min"] + ev["duration_min"],
                color="tab:orange",
                alpha=0.2,
                label=f"infusion {ev['amount_mg']:.1f} mg" if first else None,
            )
        else:
            ax.axvline(
                ev["start_min"], color="tab:orange", lw=1.5, label=f"{ev['kind']} dose" if first else None
            )
        first = False
    if result.get("threshold_ng_per_ml"):
        ax.axhline(
            result["threshold_ng_per_ml"],
            color="grey",
            lw=1,
            ls=":",
            label=f"threshold {result['threshold_ng_per_ml']:g} ng/mL",
        )


def _label_axes(ax, result: dict) -> None:
    ax.set_xlabel("Time since start of dose (min)")
    what = result["drug"].capitalize()
    if "metabolite_ng_per_ml" in result:
        what += f" and {result['metabolite_name']}"
    ax.set_ylabel(f"{what} concentration (ng/mL)")
    ax.set_title(
        f"{result['model_name']}\n{result['route']} {result['dose_mg']:g} mg, {result['weight_kg']:g} kg: "
        f"Cmax {result['cmax_ng_per_ml']:.0f} ng/mL at {result['tmax_min']:g} min",
        fontsize=10,
    )
    ax.set_xlim(0, result["horizon_min"])
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)


def run(args) -> int:
    result = simulate(args)
    if args.plot:
        plot(result, args.plot)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['model_name']} - {result['route']} {result['dose_mg']:g} mg, {result['weight_kg']:g} kg"
        )
        line = f"  Cmax {result['cmax_ng_per_ml']:.1f} ng/mL at {result['tmax_min']:g} min"
        if "effect_site_cmax_ng_per_ml" in result:
            line += (
                f"; effect site peak {result['effect_site_cmax_ng_per_ml']:.1f} ng/mL at "
                f"{result['effect_site_tmax_min']:g} min"
            )
        else:
            line += " (no effect site: the model publishes no ke0)"
        print(line)
        if "metabolite_ng_per_ml" in result:
            print(
                f"  {result['metabolite_name']} peak {result['metabolite_cmax_ng_per_ml']:.1f} ng/mL at "
                f"{result['metabolite_tmax_min']:g} min"
            )
        print(f"  AUC 0-{result['horizon_min']:g} min: {result['auc_ng_h_per_ml']:.1f} ng*h/mL")
        if "time_below_threshold_min" in result:
            tb = result["time_below_threshold_min"]
            print(
                f"  Below {result['threshold_ng_per_ml']:g} ng/mL from "
                + (f"{tb:.0f} min (hint only)" if tb is not None else "- not within the horizon")
            )
        if "sessions" in result:
            for k, sess in enumerate(result["sessions"], 1):
                print(
                    f"  Session {k} (day {sess['start_min'] / 1440:g}): trough before {sess['trough_ng_per_ml']:.3g}, "
                    f"peak {sess['peak_ng_per_ml']:.0f} ng/mL"
                )
        if "population" in result:
            c = result["population"]["cmax_ng_per_ml"]
            print(
                f"  Population ({result['population']['n']}): Cmax 5/50/95th {c['p5']:.0f} / {c['p50']:.0f} / "
                f"{c['p95']:.0f} ng/mL"
            )
        if args.plot:
            print(f"  Plot written to {args.plot}")
        print(f"  Source: {result['citation']}. {result['note']}")
    return 0
