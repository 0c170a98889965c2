"""Seed the whole synthetic demo clinic: ``seed()``; what the CLI, the ``seed_demo`` command and tests call.

The registry first (staff and patients), then each clinical area in dependency order (``STEPS``), each in its own
transaction, all through the apps' services. Seeding is idempotent: a second run finds what exists and adds
nothing.
"""

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import transaction
from django.test.utils import override_settings

from . import assessment, followup, inventory, outcomes, plans, portal, scheduling, sessions, setting
from .registry import DEMO_PASSWORD, DemoClinic, demo_logins, seed_registry

__all__ = ["DEMO_HASHERS", "DEMO_PASSWORD", "STEPS", "DemoArgon2", "DemoClinic", "demo_logins", "seed",
           "seed_registry", "steps"]

# The areas seeded after the registry, in dependency order: each needs what the ones before it made.
# The setting first: the clinic is certified in the SPRAVATO REMS before any esketamine visit is booked.
# Outcomes before sessions: each dose's pre-dose PHQ-9 and C-SSRS exist before the session walks the gate.
# Inventory after sessions: the sessions draw and waste from the stock it receives (receive_stock, called by
# the sessions seed before the first dose); inventory's own step is the count a week ago.
STEPS = (
    ("setting", setting.seed),
    ("assessment", assessment.seed),
    ("plans", plans.seed),
    ("scheduling", scheduling.seed),
    ("outcomes", outcomes.seed),
    ("sessions", sessions.seed),
    ("inventory", inventory.seed),
    ("followup", followup.seed),
    ("portal", portal.seed),
)


def steps(through: str | None = None) -> list:
    """The seed functions of ``STEPS`` in order, up to and including the area ``through`` (default: all)."""
    names = [name for name, _ in STEPS]
    end = names.index(through) + 1 if through is not None else len(STEPS)
    return [step for _, step in STEPS[:end]]


class DemoArgon2(Argon2PasswordHasher):
    """Argon2 at low cost, preferred only while the demo is seeded: the seed re-authenticates staff hundreds of
    times (every two-person check and witnessed waste), as the pages do, with the published demo password. The
    parameters travel in the hash, so the clinic's own Argon2 verifies it, and Django re-hashes it at full cost
    on the first real login (``must_update``)."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


DEMO_HASHERS = ["ketamine_clinic.demo.clinic.DemoArgon2"]


def seed(clinic: DemoClinic | None = None) -> DemoClinic:
    """Seed the whole demo clinic: the registry, then every area of ``STEPS``."""
    clinic = clinic or DemoClinic()
    with override_settings(PASSWORD_HASHERS=DEMO_HASHERS + list(settings.PASSWORD_HASHERS)):
        with transaction.atomic():
            seed_registry(clinic)
        for step in steps():
            with transaction.atomic():
                step(clinic)
    return clinic
