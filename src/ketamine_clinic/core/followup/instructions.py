"""Preparation and aftercare instructions shown to patients in the portal, per route, each with its source.

Patients read these at home, so they are written in plain words. Every line names where it comes from:
the esketamine label for the nasal spray, and the clinic's own policy ("clinic-defined") where no label
applies (racemic ketamine for depression is used off-label, so there is no patient label to quote).
The clinic should review the clinic-defined lines with its medical director.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketamine_clinic.core.protocols.routes import rules_for

SPRAVATO_PI = (
    "SPRAVATO (esketamine) nasal spray prescribing information and Medication Guide, Janssen Pharmaceuticals, "
    "2019 (sections 2 Dosage and Administration, 5 Warnings and Precautions, 17 Patient Counseling)"
)
CLINIC = "clinic-defined"


@dataclass(frozen=True)
class Instruction:
    """One thing the patient should do (or not do), and the source it rests on."""

    text: str
    source: str


@dataclass(frozen=True)
class RouteInstructions:
    route: str
    title: str
    before: tuple[Instruction, ...]
    after: tuple[Instruction, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """Each distinct source once, in order of first use (for a footnote list)."""
        seen: list[str] = []
        for item in self.before + self.after:
            if item.source not in seen:
                seen.append(item.source)
        return tuple(seen)


_RIDE_HOME_LABEL = Instruction("Plan for someone to drive you home after each treatment.", SPRAVATO_PI)
_NO_DRIVING_LABEL = Instruction(
    "Do not drive, operate machinery or do anything that needs you fully alert until the next day, "
    "after a restful sleep.",
    SPRAVATO_PI,
)
# Racemic ketamine has no patient label; the clinic applies the esketamine label's driving advice by analogy.
_RIDE_HOME_CLINIC = Instruction("Plan for someone to take you home after each treatment.", CLINIC)
_NO_DRIVING_CLINIC = Instruction(
    "Do not drive, operate machinery or make important decisions until the next day, after a restful sleep "
    "(the same advice the esketamine label gives).",
    CLINIC,
)
_NO_ALCOHOL = Instruction(
    "Avoid alcohol, cannabis and sleeping tablets on treatment days unless your prescriber has agreed them.",
    CLINIC,
)
_MEDICINES = Instruction(
    "Take your usual medicines as normal unless your prescriber told you otherwise; bring a list of them.",
    CLINIC,
)
_REPORT = Instruction(
    "If you feel unsafe, have thoughts of harming yourself, or have chest pain, a severe headache or "
    "confusion, call the clinic or emergency services straight away.",
    CLINIC,
)
_JOURNAL = Instruction(
    "Write in your integration journal in the days after treatment; you choose what to share with your therapist.",
    CLINIC,
)

_RACEMIC_BEFORE = (
    # Fasting before racemic ketamine is clinic policy, from the route table (nausea and vomiting are common).
    Instruction(rules_for("iv").fasting.patient_text, rules_for("iv").fasting.source),
    _MEDICINES,
    _NO_ALCOHOL,
    _RIDE_HOME_CLINIC,
    Instruction("Wear comfortable clothes; you may bring headphones and an eye mask.", CLINIC),
)


def _racemic_after(route: str) -> tuple[Instruction, ...]:
    rules = rules_for(route)
    return (
        Instruction(
            f"You will rest in the clinic for {rules.observation_text} after the dose, until a nurse checks that "
            "you are ready to leave.",
            rules.observation_source,
        ),
        _NO_DRIVING_CLINIC,
        _NO_ALCOHOL,
        _JOURNAL,
        _REPORT,
    )


INSTRUCTIONS: dict[str, RouteInstructions] = {
    "intranasal": RouteInstructions(
        route="intranasal",
        title="Esketamine nasal spray",
        before=(
            Instruction(rules_for("intranasal").fasting.patient_text, SPRAVATO_PI),
            Instruction(
                "If you use a steroid or decongestant nasal spray, use it at least 1 hour before your treatment.",
                SPRAVATO_PI,
            ),
            Instruction("Your blood pressure will be checked before the dose.", SPRAVATO_PI),
            _MEDICINES,
            _RIDE_HOME_LABEL,
        ),
        after=(
            Instruction(
                f"You will be watched for {rules_for('intranasal').observation_text} after the dose, and your "
                f"blood pressure checked again about {rules_for('intranasal').vitals.checkpoints_min[0]} minutes "
                "after it, until you are ready to leave.",
                SPRAVATO_PI,
            ),
            _NO_DRIVING_LABEL,
            _NO_ALCOHOL,
            _JOURNAL,
            _REPORT,
        ),
    ),
    "iv": RouteInstructions("iv", "Ketamine infusion (IV)", _RACEMIC_BEFORE, _racemic_after("iv")),
    "im": RouteInstructions("im", "Ketamine injection (IM)", _RACEMIC_BEFORE, _racemic_after("im")),
    "sublingual": RouteInstructions(
        "sublingual",
        "Ketamine under the tongue (sublingual)",
        _RACEMIC_BEFORE,
        (
            Instruction(
                "Hold the dose under your tongue for the time the nurse tells you, then swallow.", CLINIC
            ),
        )
        + _racemic_after("sublingual"),
    ),
    "oral": RouteInstructions("oral", "Ketamine by mouth (oral)", _RACEMIC_BEFORE, _racemic_after("oral")),
}


def instructions_for(route: str) -> RouteInstructions:
    """The instructions for one route key (choices.Route values); ValueError for an unknown route."""
    try:
        return INSTRUCTIONS[route]
    except KeyError:
        known = ", ".join(sorted(INSTRUCTIONS))
        raise ValueError(f"No instructions for route {route!r}; known routes: {known}.") from None
