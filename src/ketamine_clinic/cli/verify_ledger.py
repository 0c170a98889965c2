"""``ketamine-clinic verify-ledger``: recompute the controlled-substance ledger's hash chain from the database.

Exit status 0 when every entry's hash and link hold; 1 (and the first broken entry named on stderr) when a
row was altered, deleted or inserted outside the application.
"""

import sys

from . import CommandError, django_setup


def register(subparsers):
    parser = subparsers.add_parser(
        "verify-ledger", help="Verify the controlled-substance ledger's hash chain."
    )
    parser.set_defaults(func=run)


def run(args) -> int:
    django_setup()
    from django.db import DatabaseError

    from ketamine_clinic.inventory.services import verify_ledger

    try:
        result = verify_ledger()
    except DatabaseError as exc:
        raise CommandError(f"cannot read the ledger ({exc}); is the database migrated?") from None
    if result.ok:
        print(result.message)
        return 0
    print(result.message, file=sys.stderr)
    return 1
