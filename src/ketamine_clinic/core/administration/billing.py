"""Billing codes a finished dosing session suggests for the clinic's claims (CPT and HCPCS Level II).

From what was charted (route, when the infusion ran, the dose delivered, the observation, how the session ended)
the clinic gets the lines its biller would write, each with the code's source and why it applies. Nothing here
submits a claim, picks an evaluation-and-management (E/M) level or knows the payer: where the code depends on the
payer (Medicare's bundled esketamine G codes, or the drug's own J code for payers that bill it separately) both
are offered and the line says which payer it is for.

The rules, with their sources (``SOURCES``):

- IV infusion time (AMA CPT, drug administration guidelines for 96360-96379; CMS IOM 100-04 ch. 12 §30.5):
  an infusion of 15 minutes or less is reported as an IV push (96374); 96365 covers the first hour and is
  reported for an infusion of more than 15 minutes (16 min or more) up to 90 minutes; each 96366 unit is an
  additional hour, reported once that hour runs more than 30 minutes (91-150 min: one unit, 151-210 min: two).
  Time is counted in whole minutes, from the start to the end of the infusion as charted, less the time it
  was paused (the codes count the time the drug ran, not the time the line was in).
- Esketamine nasal spray with the 2 hours' observation (CMS HCPCS, CY 2020 physician fee schedule):
  G2082 up to 56 mg, G2083 greater than 56 mg; one per session, for an established patient; each includes
  2 hours' post-administration observation, so a session observed for less gets neither.
- The esketamine drug alone, for payers that bill it instead of the G code (commercial, Medicaid): J0013
  "esketamine, nasal spray, 1 mg", units = mg. CMS replaced S0013 with J0013 from 2026-01-01 in its 2026
  HCPCS Level II update, so this module follows that source rather than S0013: dates of service before
  2026 keep S0013 (same drug, same 1 mg unit).
- Racemic ketamine hydrochloride has no drug code of its own: IV and IM ketamine is reported with J3490
  "unclassified drugs", one line of 1 unit, with the drug, dose and NDC named in the claim's remarks.
  (J3000 is streptomycin, not ketamine, whatever some code look-up sites say.)
- IM ketamine: 96372, therapeutic injection, subcutaneous or intramuscular, one unit per injection, plus J3490.
- Oral and sublingual ketamine: no administration or drug code applies (the patient takes the drug by mouth);
  the visit is billed as an E/M service the clinician chooses, which this table does not suggest.
- No drug given (an aborted session, or one with no delivered dose): no lines at all.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

CPT = "CPT"
HCPCS = "HCPCS"


@dataclass(frozen=True)
class Source:
    key: str
    citation: str
    url: str = ""

    def __str__(self) -> str:
        return f"{self.citation} {self.url}".strip()


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "cpt_infusion",
            "AMA CPT Professional, Medicine: Hydration, Therapeutic, Prophylactic, Diagnostic Injections and "
            "Infusions (96360-96379) guidelines: 96365 initial, up to 1 hour (an infusion of more than 15 "
            "minutes); 96366 each additional hour, reported for more than 30 minutes beyond the previous hour; "
            "an infusion of 15 minutes or less is reported as a push (96374). CMS IOM Pub. 100-04, ch. 12, §30.5.",
            "https://www.cms.gov/regulations-and-guidance/guidance/manuals/downloads/clm104c12.pdf",
        ),
        Source(
            "cpt_injection",
            "AMA CPT Professional, 96372: therapeutic, prophylactic, or diagnostic injection (specify substance "
            "or drug); subcutaneous or intramuscular. The drug is reported separately.",
        ),
        Source(
            "cms_g2082",
            "CMS HCPCS Level II, added 2020-01-01 (CY 2020 Medicare physician fee schedule final rule, 84 FR "
            "62568): G2082 office or other outpatient visit for the evaluation and management of an established "
            "patient that requires the supervision of a physician or other qualified health care professional "
            "and provision of up to 56 mg of esketamine nasal self-administration, includes 2 hours "
            "post-administration observation; G2083 the same with greater than 56 mg.",
            "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system",
        ),
        Source(
            "cms_j0013",
            "CMS 2026 HCPCS Level II annual update: J0013 esketamine, nasal spray, 1 mg, effective 2026-01-01, "
            "replacing S0013 (esketamine, nasal spray, 1 mg), a code for non-Medicare payers; UnitedHealthcare "
            "medical benefit drug policy Ketalar and Spravato, 2026-01-01 (added J0013, removed S0013).",
            "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update",
        ),
        Source(
            "hcpcs_j3490",
            "CMS HCPCS Level II: J3490 unclassified drugs (no specific code exists for ketamine hydrochloride "
            "injection); e.g. Blue Cross Blue Shield of Massachusetts, How to request and bill for ketamine "
            "and esketamine (2023-08-21): J3490 with the IV infusion codes for IV ketamine.",
            "https://provider.bluecrossma.com/",
        ),
    )
}

# Infusion time (source "cpt_infusion"): more than 15 minutes is an infusion; up to 90 minutes is the first hour;
# each further hour counts once more than 30 minutes of it have run.
PUSH_MAX_MIN = 15
FIRST_HOUR_MAX_MIN = 90
HOUR_MIN = 60
PART_HOUR_MORE_THAN_MIN = 30

# Esketamine (source "cms_g2082"): the dose that divides G2082 from G2083, and the observation both include.
ESKETAMINE_G2082_MAX_MG = 56
ESKETAMINE_OBSERVATION_MIN = 120

# S0013 gave way to J0013 for dates of service from this day (source "cms_j0013").
J0013_FROM = dt.date(2026, 1, 1)

IV = "iv"
INTRANASAL = "intranasal"
IM = "im"
ORAL = "oral"
SUBLINGUAL = "sublingual"

COMPLETED = "completed"
STOPPED_EARLY = "stopped_early"
ABORTED = "aborted"
UNDER_WAY = "under_way"
OUTCOMES = (COMPLETED, STOPPED_EARLY, ABORTED, UNDER_WAY)

MEDICARE = "Medicare (the G code includes the drug)"
DRUG_BILLED_SEPARATELY = "Payers that bill the drug separately (commercial, Medicaid), instead of G2082/G2083"
ANY_PAYER = ""

DESCRIPTIONS = {
    "96365": "Intravenous infusion, for therapy, prophylaxis, or diagnosis; initial, up to 1 hour",
    "96366": "Intravenous infusion, for therapy, prophylaxis, or diagnosis; each additional hour",
    "96374": "Therapeutic, prophylactic, or diagnostic injection; intravenous push, single or initial drug",
    "96372": "Therapeutic, prophylactic, or diagnostic injection; subcutaneous or intramuscular",
    "G2082": "Established patient visit with supervised esketamine nasal self-administration, up to 56 mg, "
    "includes 2 hours post-administration observation",
    "G2083": "Established patient visit with supervised esketamine nasal self-administration, greater than 56 mg, "
    "includes 2 hours post-administration observation",
    "J0013": "Esketamine, nasal spray, 1 mg",
    "S0013": "Esketamine, nasal spray, 1 mg",
    "J3490": "Unclassified drugs (ketamine hydrochloride)",
}
SYSTEMS = {"96365": CPT, "96366": CPT, "96374": CPT, "96372": CPT}
CODE_SOURCES = {
    "96365": "cpt_infusion",
    "96366": "cpt_infusion",
    "96374": "cpt_infusion",
    "96372": "cpt_injection",
    "G2082": "cms_g2082",
    "G2083": "cms_g2082",
    "J0013": "cms_j0013",
    "S0013": "cms_j0013",
    "J3490": "hcpcs_j3490",
}


@dataclass(frozen=True)
class SessionFacts:
    """What a session's record says, as billing reads it. Times are aware datetimes; ``infusion_minutes``, when
    given, is the charted total and wins over the start and stop times."""

    route: str
    outcome: str
    date_of_service: dt.date
    delivered_mg: Decimal | float | int | None = None
    infusion_started_at: dt.datetime | None = None
    infusion_ended_at: dt.datetime | None = None
    infusion_minutes: int | None = None
    # (paused at, resumed at) of each pause of the infusion; a pause never resumed has None and runs to the end.
    infusion_pauses: tuple[tuple[dt.datetime, dt.datetime | None], ...] = ()
    observation_started_at: dt.datetime | None = None
    observation_ended_at: dt.datetime | None = None


@dataclass(frozen=True)
class BillingLine:
    code: str
    system: str
    description: str
    units: int
    why: str
    source: str
    payer: str = ANY_PAYER

    @property
    def citation(self) -> str:
        return str(SOURCES[self.source])


@dataclass(frozen=True)
class BillingSuggestion:
    lines: tuple[BillingLine, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    infusion_minutes: int | None = None
    observation_minutes: int | None = None


def _line(code: str, units: int, why: str, payer: str = ANY_PAYER) -> BillingLine:
    return BillingLine(code, SYSTEMS.get(code, HCPCS), DESCRIPTIONS[code], units, why, CODE_SOURCES[code], payer)


def whole_minutes(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    """Whole minutes from ``start`` to ``end`` (a part minute does not count), or None without both."""
    if start is None or end is None:
        return None
    return max(0, math.floor((end - start).total_seconds() / 60))


def running_minutes(start: dt.datetime | None, end: dt.datetime | None, pauses=()) -> int | None:
    """Whole minutes the infusion ran between ``start`` and ``end``, less its pauses (each clipped to the
    infusion; overlapping pauses count once), or None without both times."""
    if start is None or end is None:
        return None
    paused = dt.timedelta(0)
    reached = start
    for paused_at, resumed_at in sorted(pauses, key=lambda p: p[0]):
        begin = max(paused_at, reached)
        finish = min(end, resumed_at or end)
        if finish > begin:
            paused += finish - begin
            reached = finish
    return max(0, math.floor(((end - start) - paused).total_seconds() / 60))


def infusion_units(minutes: int) -> tuple[int, int]:
    """(96365 units, 96366 units) for an IV infusion of ``minutes`` (source "cpt_infusion"); (0, 0) for a push."""
    if minutes <= PUSH_MAX_MIN:
        return 0, 0
    if minutes <= FIRST_HOUR_MAX_MIN:
        return 1, 0
    beyond_first = minutes - HOUR_MIN
    whole, part = divmod(beyond_first, HOUR_MIN)
    return 1, whole + (1 if part > PART_HOUR_MORE_THAN_MIN else 0)


def _mg(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value))


def _mg_text(mg: Decimal) -> str:
    return f"{mg.normalize():f} mg"


def _iv_lines(facts: SessionFacts, mg: Decimal, notes: list[str]) -> tuple[list[BillingLine], int | None]:
    minutes = facts.infusion_minutes
    if minutes is None:
        minutes = running_minutes(facts.infusion_started_at, facts.infusion_ended_at, facts.infusion_pauses)
    lines = []
    if minutes is None:
        notes.append("The infusion's start or stop time is not charted: infusion codes need both.")
    else:
        first, more = infusion_units(minutes)
        if first:
            paused = " (pauses not counted)" if facts.infusion_pauses and facts.infusion_minutes is None else ""
            lines.append(
                _line("96365", 1, f"IV infusion of {minutes} min{paused}: more than 15 min, the first hour.")
            )
            if more:
                lines.append(
                    _line(
                        "96366",
                        more,
                        f"{minutes} min in all: {more} additional hour(s), each counted once more than 30 min of "
                        "it ran.",
                    )
                )
        else:
            lines.append(_line("96374", 1, f"IV for {minutes} min: 15 min or less is reported as an IV push."))
    lines.append(
        _line("J3490", 1, f"Ketamine hydrochloride {_mg_text(mg)} IV has no drug code of its own: name the drug, "
              "dose and NDC in the claim's remarks.")
    )
    return lines, minutes


def _esketamine_lines(facts: SessionFacts, mg: Decimal, notes: list[str]) -> tuple[list[BillingLine], int | None]:
    lines = []
    observed = whole_minutes(facts.observation_started_at, facts.observation_ended_at)
    code = "G2082" if mg <= ESKETAMINE_G2082_MAX_MG else "G2083"
    size = "up to 56 mg" if code == "G2082" else "more than 56 mg"
    if observed is None:
        notes.append(f"{code} includes 2 hours' observation, and its end is not charted: {code} is not suggested.")
    elif observed < ESKETAMINE_OBSERVATION_MIN:
        notes.append(
            f"{code} includes 2 hours' observation after the last device; {observed} min was charted, so {code} "
            "is not suggested (bill the visit as the clinician decides)."
        )
    else:
        lines.append(
            _line(code, 1, f"Esketamine {_mg_text(mg)} ({size}) with {observed} min observed after the last "
                  "device; for an established patient.", MEDICARE)
        )
    drug = "J0013" if facts.date_of_service >= J0013_FROM else "S0013"
    units = int(mg.to_integral_value(rounding="ROUND_HALF_UP"))
    lines.append(
        _line(drug, units, f"Esketamine {_mg_text(mg)} at 1 mg a unit.", DRUG_BILLED_SEPARATELY)
    )
    return lines, None


def _im_lines(facts: SessionFacts, mg: Decimal, notes: list[str]) -> tuple[list[BillingLine], int | None]:
    return [
        _line("96372", 1, "Ketamine given by intramuscular injection."),
        _line("J3490", 1, f"Ketamine hydrochloride {_mg_text(mg)} IM has no drug code of its own: name the drug, "
              "dose and NDC in the claim's remarks."),
    ], None


def billing_lines(facts: SessionFacts) -> BillingSuggestion:
    """The billing lines a session's record supports, with notes where a code was considered and left out."""
    if facts.outcome not in OUTCOMES:
        raise ValueError(f"Unknown session outcome {facts.outcome!r}; known: {', '.join(OUTCOMES)}.")
    observed = whole_minutes(facts.observation_started_at, facts.observation_ended_at)
    if facts.outcome == UNDER_WAY:
        return BillingSuggestion(notes=("The session is not finished: codes follow once it ends.",))
    mg = _mg(facts.delivered_mg)
    if facts.outcome == ABORTED or mg is None or mg <= 0:
        return BillingSuggestion(notes=("No drug was given: nothing to bill from the session.",))
    notes: list[str] = []
    if facts.outcome == STOPPED_EARLY:
        notes.append("The session was stopped early: the codes follow what was charted before it stopped.")
    if facts.route == IV:
        lines, minutes = _iv_lines(facts, mg, notes)
    elif facts.route == INTRANASAL:
        lines, minutes = _esketamine_lines(facts, mg, notes)
    elif facts.route == IM:
        lines, minutes = _im_lines(facts, mg, notes)
    elif facts.route in (ORAL, SUBLINGUAL):
        lines, minutes = [], None
        notes.append(
            "Ketamine by mouth has no administration or drug code: the visit is billed as the clinician's "
            "E/M service."
        )
    else:
        raise ValueError(f"Unknown route {facts.route!r}.")
    return BillingSuggestion(tuple(lines), tuple(notes), minutes, observed)
