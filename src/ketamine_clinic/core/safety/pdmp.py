"""The prescription drug monitoring program (PDMP) check before a controlled-substance plan is started.

Racemic ketamine and esketamine are Schedule III controlled substances (21 CFR 1308.13(c)(7)). Before a treatment
plan for one of them is activated (a first plan, or a new plan that renews treatment after one ended), the
prescriber looks the patient up in the state's PDMP and records the check: when, in which state, the result,
what raised concern, and who. The lookup itself happens outside the system; the record and the gate are here.

How long a check stays current is the clinic's to set (state laws differ): ``DEFAULT_VALID_DAYS`` is 90 days,
after the CDC's guidance to review PDMP data before starting a controlled substance and at least every 3 months
during treatment (Dowell D, Ragan KR, Jones CM, et al. CDC Clinical Practice Guideline for Prescribing Opioids
for Pain - United States, 2022. MMWR Recomm Rep 2022;71(3):1-95, recommendation 9; doi:10.15585/mmwr.rr7103a1).
A check that found concerns still counts as a check: the prescriber weighs it, and the plan records the decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEFAULT_VALID_DAYS = 90  # CDC 2022 recommendation 9: at least every 3 months (clinic-set: settings.PDMP_CHECK_VALID_DAYS)

NO_CONCERNS = "no_concerns"
CONCERNS = "concerns"
RESULTS = {NO_CONCERNS: "No concerns", CONCERNS: "Concerns found"}

# Jurisdictions that run a PDMP: the 50 states, the District of Columbia, Puerto Rico, Guam and the US Virgin
# Islands (USPS codes).
JURISDICTIONS = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI".split()
)


@dataclass(frozen=True)
class PdmpCheck:
    checked_on: dt.date
    state: str
    result: str
    concerns: str = ""


def check_problems(check: PdmpCheck, today: dt.date) -> dict[str, str]:
    """What is wrong with a check as recorded, by field (empty = it can be recorded)."""
    problems = {}
    if check.checked_on > today:
        problems["checked_on"] = "The PDMP check cannot be dated in the future."
    if check.state.strip().upper() not in JURISDICTIONS:
        problems["state"] = "Give the state whose PDMP was checked as its two-letter code, e.g. NY."
    if check.result not in RESULTS:
        problems["result"] = "Say what the check found: no concerns, or concerns found."
    elif check.result == CONCERNS and not check.concerns.strip():
        problems["concerns"] = "Describe what the PDMP showed (prescribers, pharmacies, overlapping prescriptions)."
    return problems


def currency_problem(last_checked_on: dt.date | None, today: dt.date, valid_days: int = DEFAULT_VALID_DAYS) -> str | None:
    """Why a controlled-substance plan cannot be activated today for want of a PDMP check, or None."""
    if last_checked_on is None:
        return "No PDMP check is recorded: the prescriber checks the state PDMP and records it before the plan starts."
    age = (today - last_checked_on).days
    if age > valid_days:
        return (
            f"The last PDMP check ({last_checked_on:%Y-%m-%d}) is {age} days old; the clinic accepts checks up to "
            f"{valid_days} days old. Check the PDMP again and record it."
        )
    return None
