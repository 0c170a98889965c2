"""Every invariant of the clinic's record, checked over the whole database: ``ketamine-clinic verify``.

The services enforce each rule at the moment the state changes; this re-reads what is stored and lists every
record that breaks one anyway. Each app contributes its own checks; this module only gathers them, so the CLI
and the state-machine test assert the same thing.
"""

from __future__ import annotations

import datetime as dt

from ketamine_clinic.sessions.invariants import Violation, session_violations


def ledger_violations() -> list[Violation]:
    """The ledger's keyed chain, sealed head and count checkpoints (balances never negative is checked on
    every append, and a chain that verifies proves no entry changed since)."""
    from ketamine_clinic.inventory.services import verify_ledger

    result = verify_ledger()
    return [] if result.ok else [Violation("ledger", "controlled-substance ledger", result.message)]


def schedule_violations() -> list[Violation]:
    from ketamine_clinic.scheduling.services import overlap_violations

    return [Violation("schedule", f"{v.resource} {v.name}", v.message) for v in overlap_violations()]


def eligibility_violations() -> list[Violation]:
    """A patient cleared to proceed on a screening the chart contradicts (unresolved) or has since outdated."""
    from ketamine_clinic.assessment import services as assessment
    from ketamine_clinic.patients.models import Patient

    out = []
    for patient in Patient.objects.order_by("mrn"):
        decision = assessment.latest_decision(patient)
        if decision is None or decision.decision != "proceed" or decision.screening is None:
            continue
        name = f"patient {patient.mrn}"
        problem = assessment.mismatch_problem(decision.screening)
        if problem:
            out.append(Violation("eligibility", name, f"cleared to proceed while {problem[0].lower()}{problem[1:]}"))
        if assessment.screening_is_outdated(decision.screening) and decision.screening == assessment.latest_screening(
            patient
        ):
            out.append(
                Violation(
                    "eligibility",
                    name,
                    "cleared to proceed on a screening the chart has since outdated (a diagnosis or treatment "
                    "was recorded after it): screen again.",
                )
            )
    return out


def all_violations(*, now: dt.datetime | None = None) -> list[Violation]:
    return ledger_violations() + session_violations(now=now) + schedule_violations() + eligibility_violations()
