"""The SPRAVATO REMS (Risk Evaluation and Mitigation Strategy) rules for the esketamine nasal spray.

SPRAVATO is available only through a restricted program, the SPRAVATO REMS, required by the FDA because of the
risks of sedation and dissociation after administration and of abuse and misuse. Each part of this file states
the rule it encodes and its source, beside the rule.
"""

from __future__ import annotations

from ketamine_clinic.core.protocols.routes import ROUTE_RULES

# ---------------------------------------------------------------------------------------------------------------
# Certification of the healthcare setting and enrolment of the patient (gates before booking and before dosing)
# ---------------------------------------------------------------------------------------------------------------
#
# - An outpatient healthcare setting must be certified in the SPRAVATO REMS before it may treat patients with
#   SPRAVATO (an authorised representative completes the Outpatient Healthcare Setting Enrollment Form), and it
#   must enrol each patient in the REMS before the patient's treatment.
#   Source: SPRAVATO REMS, "Outpatient Healthcare Settings" (https://www.spravatorems.com/outpatient-hcs.html):
#   "Outpatient Healthcare Settings must be certified in the SPRAVATO REMS ..." and "are required to enroll
#   patients prior to patient treatment and submit Patient Monitoring Forms after each patient treatment".
# - SPRAVATO US Prescribing Information, boxed warning and Warnings and Precautions "SPRAVATO REMS" (section 5.4
#   in the 2019 numbering this project cites elsewhere): available only through the restricted program; healthcare
#   settings must be certified in the program, and pharmacies dispense only to certified settings.
# - SPRAVATO REMS Program Overview (Janssen; the REMS Document approved by the FDA): the setting's certification
#   and the Patient Enrollment Form before the first treatment session.
#
# Which record "certified" and "enrolled" come from (the clinic's setting record and the patient's enrolment) is
# the clinic's; the rule is that both exist before an esketamine session is booked or dosed.

REMS_ROUTE = ROUTE_RULES["intranasal"].route  # the intranasal esketamine route is the only one under the REMS

REMS_GATE_SOURCES = (
    "SPRAVATO REMS, Outpatient Healthcare Settings (spravatorems.com/outpatient-hcs.html): the setting is "
    "certified in the REMS, and enrols each patient before the patient's treatment",
    "SPRAVATO (esketamine) nasal spray US Prescribing Information, Janssen 2019 (rev. 2023), boxed warning "
    "and Warnings and Precautions: SPRAVATO REMS (5.4 in the 2019 numbering)",
    "SPRAVATO REMS Program Overview, Janssen (certified healthcare setting; Patient Enrollment Form before the "
    "first treatment session)",
)

SETTING_NOT_CERTIFIED = (
    "The clinic is not recorded as SPRAVATO REMS-certified: record the certification before booking or dosing "
    "esketamine."
)


def patient_not_enrolled(patient_name: str = "The patient") -> str:
    return (
        f"{patient_name} is not enrolled in the SPRAVATO REMS: record the enrolment before the first esketamine "
        "session."
    )


def is_rems_route(route: str | None) -> bool:
    return route == REMS_ROUTE


def esketamine_gate_problems(
    route: str | None, setting_certified: bool, patient_enrolled: bool, *, patient_name: str = "The patient"
) -> list[str]:
    """Why an esketamine session cannot be booked or dosed for want of the REMS records (empty = it can).

    Only the intranasal esketamine route is under the REMS; every other route gets an empty list."""
    if not is_rems_route(route):
        return []
    problems = []
    if not setting_certified:
        problems.append(SETTING_NOT_CERTIFIED)
    if not patient_enrolled:
        problems.append(patient_not_enrolled(patient_name))
    return problems
