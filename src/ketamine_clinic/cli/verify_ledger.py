"""``ketamine-clinic verify-ledger``: check the controlled-substance ledger's keyed seals from the database.

Every entry's seal (HMAC-SHA256 under ``LEDGER_KEY``) and link, sequence numbers contiguous from 1, the sealed
head (newest entry and number of entries) and each stock count's recorded newest entry. Exit status 0 when all
hold; 1, with the first bad entry's sequence number and what is wrong on stderr, when a row was altered,
deleted (the newest included), inserted, or rewritten and re-hashed outside the application.
"""

import sys

from . import CommandError, django_setup


def register(subparsers):
    parser = subparsers.add_parser(
        "verify-ledger",
        help="Verify the controlled-substance ledger's keyed seals, its sealed head and the counts' checkpoints.",
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
    from django.conf import settings

    if getattr(settings, "LEDGER_KEY_IS_DEVELOPMENT", False):
        print(
            "Note: the ledger is sealed with the development key; set LEDGER_KEY in production.",
            file=sys.stderr,
        )
    if result.ok:
        print(result.message)
        return 0
    print(result.message, file=sys.stderr)
    return 1
