"""``ketamine-clinic verify``: check every invariant over the whole database and list what breaks one.

The controlled-substance ledger (keyed chain, sealed head, count checkpoints), each dosed session against its
ledger entries (drawn = administered + wasted + returned once the patient has left; administered = delivered),
discharge and ready-for-discharge times against the route's minimum observation, pre-dose measures before
dosing, sessions without appointments, chair and staff double bookings, and eligibility decisions against the
chart's coded diagnoses. Exit status 0 when everything holds, 1 with one line per violation otherwise.
"""

import sys

from . import CommandError, django_setup


def register(subparsers):
    parser = subparsers.add_parser(
        "verify",
        help="Check every clinical and stock invariant over the whole database; exit 1 listing each violation.",
    )
    parser.set_defaults(func=run)


def run(args) -> int:
    django_setup()
    from django.db import DatabaseError

    from ketamine_clinic.invariants import all_violations

    try:
        violations = all_violations()
    except DatabaseError as exc:
        raise CommandError(f"cannot read the database ({exc}); is it migrated?") from None
    if not violations:
        print("All invariants hold: ledger, sessions, schedule and eligibility.")
        return 0
    for v in violations:
        print(str(v), file=sys.stderr)
    print(f"{len(violations)} violation{'s' if len(violations) != 1 else ''} found.", file=sys.stderr)
    return 1
