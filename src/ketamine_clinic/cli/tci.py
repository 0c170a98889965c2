"""``ketamine-clinic tci``: the pump rates of a target-controlled infusion (plasma or effect-site target) and
the concentrations they are predicted to give.

Examples::

    ketamine-clinic tci --model domino --weight-kg 70 --target-ng-per-ml 150 --site plasma \\
        --duration-min 40 --update-s 10 --json
    ketamine-clinic tci --model domino --weight-kg 70 --target-ng-per-ml 150 --site effect \\
        --duration-min 40 --change 20:200 --change 30:100 --plot tci.png

A prediction from a published population model to support, never replace, clinical judgement.
"""

from __future__ import annotations

import argparse
import json
import math

from . import CommandError


def _change(text: str) -> tuple[float, float]:
    """``MIN:NG`` -> (minute, ng/mL); argparse reports the ArgumentTypeError as a usage error (exit 2)."""
    minute, _, level = text.partition(":")
    try:
        return float(minute), float(level)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not MIN:NG (e.g. 20:200 for 200 ng/mL from minute 20)"
        ) from None


def register(subparsers) -> None:
    # No NumPy at registration: every command's parser is built on each run of the CLI.
    p = subparsers.add_parser(
        "tci",
        help="target-controlled infusion: pump rates that reach and hold a ketamine concentration "
        "(pure calculation, no database)",
        description="Compute the pump rates of a target-controlled infusion (plasma or effect-site target) "
        "from a published PK model, and the predicted concentrations. A decision-support estimate.",
    )
    p.add_argument("--model", default="domino", help="parameter set (default domino)")
    p.add_argument("--weight-kg", type=float, required=True, help="patient weight in kg")
    p.add_argument("--target-ng-per-ml", type=float, required=True, help="target concentration (ng/mL)")
    p.add_argument(
        "--site", default="plasma", help="what to target: plasma or effect (effect site) (default plasma)"
    )
    p.add_argument("--duration-min", type=float, required=True, help="how long the infusion runs (minutes)")
    p.add_argument(
        "--update-s", type=float, default=10.0, help="pump update interval in seconds (default 10)"
    )
    p.add_argument(
        "--max-rate-mg-per-h",
        type=float,
        default=None,
        help="the pump's maximum rate in mg/h (default: a 1200 mL/h syringe pump at 1 mg/mL, "
        "core.pharmacology.tci.DEFAULT_MAX_RATE_MG_PER_H)",
    )
    p.add_argument(
        "--change",
        type=_change,
        action="append",
        default=[],
        metavar="MIN:NG",
        help="change the target to NG ng/mL at minute MIN (repeatable, in order)",
    )
    p.add_argument("--plot", metavar="FILE.png", default=None, help="write a labelled plot to this PNG file")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=run)


def compute(args):
    """The plan (``tci.TCIPlan``) for the parsed arguments; CommandError with the reason for bad input."""
    from ketamine_clinic.core.pharmacology import models, tci

    try:
        model = models.get(args.model)
    except models.ModelError as exc:
        raise CommandError(str(exc)) from None
    if not model.iv:
        raise CommandError(f"model '{model.key}' has no IV parameters: a TCI pump needs an IV model")
    targets = [(0.0, args.target_ng_per_ml)] + [tuple(c) for c in args.change]
    try:
        return model, tci.plan(
            model,
            args.weight_kg,
            targets if args.change else args.target_ng_per_ml,
            args.duration_min,
            site=args.site,
            update_s=args.update_s,
            max_rate_mg_per_h=(
                tci.DEFAULT_MAX_RATE_MG_PER_H if args.max_rate_mg_per_h is None else args.max_rate_mg_per_h
            ),
        )
    except (tci.TCIError, models.ModelError) as exc:
        raise CommandError(str(exc)) from None


def as_json(plan) -> dict:
    out = {
        "times_min": plan.times_min.tolist(),
        "rates_mg_per_h": plan.rates_mg_per_h.tolist(),
        "total_mg": plan.total_mg,
        "concentration_ng_per_ml": plan.concentration_ng_per_ml.tolist(),
    }
    if plan.effect_site_ng_per_ml is not None:
        out["effect_site_ng_per_ml"] = plan.effect_site_ng_per_ml.tolist()
    return out


def plot(model, plan, path: str) -> None:
    """Two panels: the pump rate (steps) and the predicted plasma / effect-site levels with the target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    t_grid = np.linspace(0.0, plan.duration_min, 1201)
    y = plan_curve(model, plan, t_grid)
    fig, (ax_c, ax_r) = plt.subplots(
        2, 1, figsize=(9, 6), dpi=110, sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}
    )
    ax_c.plot(t_grid, y[0], color="tab:blue", lw=2, label="plasma (Cp)")
    if len(y) > 1:
        ax_c.plot(t_grid, y[1], color="tab:red", lw=2, ls="--", label="effect site (Ce)")
    edges = [t for t, _ in plan.targets] + [plan.duration_min]
    for i, (t0, c) in enumerate(plan.targets):
        ax_c.hlines(c, t0, edges[i + 1], color="grey", lw=1, ls=":", label="target" if i == 0 else None)
    ax_c.set_ylabel("Ketamine (ng/mL)")
    ax_c.set_ylim(bottom=0)
    ax_c.grid(alpha=0.3)
    ax_c.legend(loc="upper right", fontsize=8)
    ax_c.set_title(
        f"{model.name}\nTCI, {plan.site} target, {plan.weight_kg:g} kg, update every {plan.update_min * 60:g} s, "
        f"maximum {plan.max_rate_mg_per_h:g} mg/h: total {plan.total_mg:.1f} mg",
        fontsize=10,
    )
    ax_r.step(
        np.append(plan.times_min, plan.duration_min),
        np.append(plan.rates_mg_per_h, plan.rates_mg_per_h[-1]),
        where="post",
        color="tab:orange",
    )
    ax_r.set_ylabel("Pump (mg/h)")
    ax_r.set_xlabel("Time since the start of the infusion (min)")
    ax_r.set_xlim(0, plan.duration_min)
    ax_r.set_ylim(bottom=0)
    ax_r.grid(alpha=0.3)
    fig.text(
        0.01,
        0.01,
        f"Source: {model.citation.short()}. Prediction, not a measurement.",
        fontsize=7,
        color="grey",
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise CommandError(f"cannot write plot to {path}: {exc}") from None
    finally:
        plt.close(fig)


def plan_curve(model, plan, times):
    """Plasma (and effect-site) levels of the plan at any times, by the engine."""
    from ketamine_clinic.core.pharmacology import solver

    outputs = ("plasma", "effect") if model.has_effect_site else ("plasma",)
    sol = solver.solve(solver.individualise(model, plan.weight_kg), plan.events())
    return sol.evaluate(times, outputs)[0]


def run(args) -> int:
    model, plan = compute(args)
    if args.plot:
        plot(model, plan, args.plot)
    if args.json:
        print(json.dumps(as_json(plan)))
        return 0
    where = "effect-site" if plan.site == "effect" else "plasma"
    print(f"{model.name} - TCI, {where} target, {plan.weight_kg:g} kg, {plan.duration_min:g} min")
    for (t0, c), reached in zip(plan.targets, plan.reached_min, strict=True):
        print(f"  from minute {t0:g}: target {c:g} ng/mL, reached at {reached:.2f} min")
    peak = max(plan.rates_mg_per_h)
    at_max = sum(1 for r in plan.rates_mg_per_h if math.isclose(r, plan.max_rate_mg_per_h))
    print(
        f"  {len(plan.times_min)} rate steps every {plan.update_min * 60:g} s; highest {peak:.1f} mg/h"
        + (f" (at the pump's maximum for {at_max} steps)" if at_max else "")
        + f"; last {plan.rates_mg_per_h[-1]:.1f} mg/h"
    )
    print(f"  Total {plan.total_mg:.2f} mg")
    if args.plot:
        print(f"  Plot written to {args.plot}")
    print(f"  Source: {model.citation.short()}. A prediction, not a measurement.")
    return 0
