"""Controlled-substance stock: products, lots, safes, and the append-only, hash-chained ledger.

The rules (what may be recorded, how balances follow from entries, how entries are chained) live in the pure
core :mod:`ketamine_clinic.core.inventory`; these models store what the rules accepted. Balances are never
stored: they are derived from the ledger whenever they are needed (see ``services.lot_balances``).
"""

from django.conf import settings
from django.db import models

from ketamine_clinic.core.inventory import Entry, Head, Kind, LotSpec, Movement, ProductSpec, format_mg


class Product(models.Model):
    """One finished form: a vial of given strength and volume, or a single-use nasal spray device."""

    FORMS = [("vial", "Vial"), ("device", "Nasal spray device")]

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    drug = models.CharField(max_length=60)
    form = models.CharField(max_length=10, choices=FORMS)
    unit_content_mcg = models.PositiveBigIntegerField(
        help_text="Drug content of one vial or device, micrograms."
    )
    whole_units_only = models.BooleanField(default=False)
    concentration_mg_per_ml = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    volume_ml = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    dea_schedule = models.CharField(max_length=4, default="III")
    ndc = models.CharField("NDC", max_length=20, blank=True)
    source = models.TextField(blank=True, help_text="Where the strength and content come from (the label).")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def spec(self) -> ProductSpec:
        return ProductSpec(
            key=self.key,
            name=self.name,
            drug=self.drug,
            form=self.form,
            unit_content_mcg=self.unit_content_mcg,
            whole_units_only=self.whole_units_only,
            dea_schedule=self.dea_schedule,
            concentration_mg_per_ml=self.concentration_mg_per_ml,
            volume_ml=self.volume_ml,
            source=self.source,
        )

    @property
    def unit_label(self) -> str:
        return "device" if self.form == "device" else "vial"


class Lot(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField(help_text="Usable through this date.")
    manufacturer = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expires_on", "lot_number"]
        constraints = [models.UniqueConstraint(fields=["product", "lot_number"], name="inventory_unique_lot")]

    def __str__(self):
        return f"{self.product.name} lot {self.lot_number} (exp {self.expires_on:%Y-%m-%d})"

    def spec(self) -> LotSpec:
        return LotSpec(
            lot=self.pk, product=self.product.spec(), expires_on=self.expires_on, lot_number=self.lot_number
        )


class StorageLocation(models.Model):
    """A locked safe or cabinet where controlled substances are kept (21 CFR 1301.75(b))."""

    name = models.CharField(max_length=60, unique=True)
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class LedgerHead(models.Model):
    """A single row locked (SELECT ... FOR UPDATE) by every append, so that entries are numbered, chained
    and checked against balances one at a time. On SQLite the IMMEDIATE transaction mode already
    serialises writers; this row makes PostgreSQL do the same.

    It also records the newest entry (sequence, seal) and the number of entries, sealed with the ledger key
    (core ``head_seal``) and rewritten at every append under the lock: deleting the newest entries then no
    longer goes unnoticed by the verifier."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0, help_text="Newest entry's sequence (0: none).")
    hash = models.CharField(max_length=64, default="0" * 64, help_text="Newest entry's seal.")
    count = models.PositiveBigIntegerField(default=0, help_text="Number of entries.")
    seal = models.CharField(max_length=64, blank=True, help_text="HMAC of sequence, hash and count.")

    def __str__(self):
        return f"Ledger chain head: entry {self.sequence} of {self.count}"

    def as_core(self) -> Head:
        return Head(sequence=self.sequence, hash=self.hash, count=self.count, seal=self.seal)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Ledger entries are append-only: they cannot be updated. Record a correction.")

    def delete(self):
        raise PermissionError("Ledger entries are append-only: they cannot be deleted. Record a correction.")


class LedgerEntry(models.Model):
    """One movement of controlled substance. Never updated or deleted (the model, the query set and, on
    PostgreSQL/SQLite, a database trigger all refuse); each entry's hash covers its fields and the previous
    entry's hash."""

    sequence = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=24, choices=[(k.value, k.label) for k in Kind])
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="entries")
    quantity_mcg = models.BigIntegerField(help_text="Micrograms; signed only for count adjustments.")
    occurred_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        StorageLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_location = models.ForeignKey(
        StorageLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(
        "dosing.DosingSession", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    counterparty = models.CharField(max_length=120, blank=True)
    reference = models.CharField(max_length=80, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    corrects = models.PositiveBigIntegerField(null=True, blank=True, help_text="Sequence number corrected.")
    dose_ref = models.CharField(max_length=40, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "ledger entries"

    def __str__(self):
        return (
            f"#{self.sequence} {self.get_kind_display()} {format_mg(self.quantity_mcg)} of lot {self.lot_id}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(
                "Ledger entries are append-only: they cannot be changed. Record a correction."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Ledger entries are append-only: they cannot be deleted. Record a correction.")

    def movement(self) -> Movement:
        return Movement(
            kind=Kind(self.kind),
            lot=self.lot_id,
            quantity_mcg=self.quantity_mcg,
            occurred_at=self.occurred_at,
            recorded_by=self.recorded_by_id,
            location=self.location_id,
            to_location=self.to_location_id,
            session=self.session_id,
            witness=self.witness_id,
            counterparty=self.counterparty,
            reference=self.reference,
            reason=self.reason,
            corrects=self.corrects,
            dose_ref=self.dose_ref,
        )

    def as_core(self) -> Entry:
        return Entry(
            sequence=self.sequence,
            movement=self.movement(),
            recorded_at=self.recorded_at,
            prev_hash=self.prev_hash,
            hash=self.hash,
        )

    @property
    def quantity_display(self) -> str:
        return format_mg(self.quantity_mcg)


class Count(models.Model):
    """A shift or daily count of the safe, done by two staff together (the second confirms with a password)."""

    performed_at = models.DateTimeField()
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="counts")
    note = models.CharField(max_length=300, blank=True)
    chain_hash = models.CharField(
        max_length=64, blank=True, help_text="Newest ledger entry's seal when counted."
    )
    chain_sequence = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Newest ledger entry's sequence when counted (0: the ledger was empty).",
    )

    class Meta:
        ordering = ["-performed_at"]

    def __str__(self):
        return f"Count of {self.location} at {self.performed_at:%Y-%m-%d %H:%M}"


class CountLine(models.Model):
    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    expected_mcg = models.BigIntegerField()
    counted_mcg = models.BigIntegerField()

    def __str__(self):
        return f"{self.lot} counted {format_mg(self.counted_mcg)}, expected {format_mg(self.expected_mcg)}"

    @property
    def difference_mcg(self) -> int:
        return self.counted_mcg - self.expected_mcg


class Discrepancy(models.Model):
    """A counted figure that differs from the ledger. Open until investigated and resolved with a note;
    resolving may record a count adjustment (a new ledger entry) that brings the balance to the count."""

    line = models.OneToOneField(CountLine, on_delete=models.PROTECT, related_name="discrepancy")
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    adjustment = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="discrepancy"
    )

    class Meta:
        ordering = ["-opened_at"]
        verbose_name_plural = "discrepancies"

    def __str__(self):
        return (
            f"Discrepancy {self.pk}: {format_mg(self.line.difference_mcg)} in lot {self.line.lot.lot_number}"
        )

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
