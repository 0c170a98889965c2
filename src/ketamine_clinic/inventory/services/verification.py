"""Verification of the sealed ledger with the ledger key: every seal and link, the head, the counts'
checkpoints (:func:`verify_ledger`, the verify-ledger command and page) and the quick head check behind
/healthz (:func:`verify_ledger_head`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from ketamine_clinic.core.inventory import ChainBreak, Checkpoint, first_entry_break, head_break, verify_chain

from ..models import Count, LedgerEntry, LedgerHead
from .ledger import ledger_key


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    broken: ChainBreak | None = None
    counts: int = 0

    @property
    def message(self) -> str:
        if self.ok:
            checked = (
                f", and {self.counts} stock count{'s' if self.counts != 1 else ''} agree"
                if self.counts
                else ""
            )
            return (
                f"Ledger intact: {self.entries} entries, every seal and link verified, the newest entry matches "
                f"the sealed ledger head{checked}."
            )
        return f"Ledger TAMPERED at {self.broken}."


def _count_checkpoints() -> list[Checkpoint]:
    rows = Count.objects.filter(chain_sequence__isnull=False).select_related("location").order_by("pk")
    return [
        Checkpoint(
            f"the count of {c.location.name} on {timezone.localtime(c.performed_at):%Y-%m-%d %H:%M} (count {c.pk})",
            c.chain_sequence,
            c.chain_hash,
        )
        for c in rows
    ]


def verify_ledger() -> Verification:
    """Check the whole ledger with the ledger key (core ``verify_chain``): every entry's seal and link,
    sequence numbers contiguous from 1, the sealed head naming the newest entry and the number of entries,
    and every stock count's recorded newest entry. The first problem is named by entry sequence number."""
    key = ledger_key()
    entries = []
    for row in LedgerEntry.objects.order_by("sequence"):
        try:
            entries.append(row.as_core())
        except (ValueError, TypeError) as exc:  # e.g. a kind altered to a word the ledger does not know
            broken = first_entry_break(entries, key=key) or ChainBreak(
                row.sequence, f"its stored fields are unreadable ({exc})"
            )
            return Verification(ok=False, entries=len(entries) + 1, broken=broken)
    head = LedgerHead.objects.filter(pk=1).first()
    checkpoints = _count_checkpoints()
    broken = verify_chain(entries, key=key, head=head.as_core() if head else None, checkpoints=checkpoints)
    return Verification(ok=broken is None, entries=len(entries), broken=broken, counts=len(checkpoints))


def verify_ledger_head() -> Verification:
    """The quick check behind /healthz: the sealed head, the newest entry's seal, and the entry count."""
    key = ledger_key()
    newest = LedgerEntry.objects.order_by("-sequence").first()
    count = LedgerEntry.objects.count()
    head = LedgerHead.objects.filter(pk=1).first()
    broken = head_break(head.as_core() if head else None, newest.as_core() if newest else None, count, key=key)
    return Verification(ok=broken is None, entries=count, broken=broken)
