"""``ketamine-clinic score INSTRUMENT --answers 1,2,0,...``: score a questionnaire from the command line.

Prints JSON {"instrument", "total", "severity", "flags"}. Blank entries ("1,,2") are missing items, scored
by the instrument's missing-item rule. Invalid answers or an unknown instrument exit with status 2 and a
message naming the problem. Pure core: no database.
"""

from __future__ import annotations

import json

from ketamine_clinic.cli import CommandError


def register(subparsers) -> None:
    from ketamine_clinic.core.instruments import INSTRUMENTS

    p = subparsers.add_parser(
        "score",
        help="score a questionnaire (PHQ-9, GAD-7, C-SSRS ...) and print JSON",
        description="Score a validated instrument. Known instruments: "
        + "; ".join(f"{key} ({inst.name})" for key, inst in INSTRUMENTS.items()),
    )
    p.add_argument("instrument", help="instrument key or name, e.g. phq9, PHQ-9, gad7, cssrs, qids")
    p.add_argument(
        "--answers",
        required=True,
        help="comma-separated item answers in item order; leave an entry blank for a missing item (1,,2)",
    )
    p.add_argument("--sex", default=None, help="M or F, for sex-specific cut-offs (AUDIT-C)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ketamine_clinic.core.instruments import ScoringError, get, parse_answers, score

    try:
        instrument = get(args.instrument)
    except KeyError as exc:
        raise CommandError(exc.args[0]) from None
    try:
        result = score(instrument, parse_answers(args.answers), sex=args.sex)
    except ScoringError as exc:
        raise CommandError(str(exc)) from None
    print(json.dumps(result.as_dict()))
    return 0
