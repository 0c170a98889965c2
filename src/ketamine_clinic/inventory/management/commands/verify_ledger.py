"""``manage verify_ledger``: the same check as ``ketamine-clinic verify-ledger`` (exit 1 when tampered)."""

import sys

from django.core.management.base import BaseCommand

from ketamine_clinic.inventory.services import verify_ledger


class Command(BaseCommand):
    help = "Verify the controlled-substance ledger's hash chain; exit 1 naming the first altered entry."

    def handle(self, *args, **options):
        result = verify_ledger()
        if result.ok:
            self.stdout.write(result.message)
            return
        self.stderr.write(result.message)
        sys.exit(1)
