"""The clinic's code table: LOINC, RxNorm, ICD-10-CM, UCUM, and the clinic's own code systems.

One place for every standard code the clinic sends out (the FHIR export reads only this table). Each code
was checked against a published HL7 or regulator page, cited beside it; a code that could not be checked
is NOT guessed: the concept gets a code in one of the clinic's local code systems instead (``LOCAL_*``),
whose URIs are stated below, and the display text says what it is. Replace a local code by the standard
one only after checking it at the source (loinc.org, NLM RxNav) and citing it here.

What could not be verified when this table was written (so is local for now): the GAD-7 items, every PCL-5, MADRS, QIDS-SR16, CADSS, Pain NRS, AUDIT-C and DAST-10 code, the RxNorm ingredients
(ketamine, esketamine and the antidepressants), and SNOMED CT for the demo's diagnoses (ICD-10-CM, which
the chart already keeps, is sent alone).
"""

from __future__ import annotations

import dataclasses
import re

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
# The clinic's own code systems (one base URI, documented here): for concepts without a verified standard code.
LOCAL_BASE = "https://ketamine-clinic.example/fhir/CodeSystem"
LOCAL_INSTRUMENTS = f"{LOCAL_BASE}/instruments"  # questionnaire totals and items: "<instrument>-total"
LOCAL_DRUGS = f"{LOCAL_BASE}/drugs"  # drugs by normalised name, e.g. "esketamine", "venlafaxine-xr"
LOCAL_SESSION = f"{LOCAL_BASE}/session"  # side effects, interventions, session note (the chart's own words)
LOCAL_SYSTEMS = frozenset({LOCAL_INSTRUMENTS, LOCAL_DRUGS, LOCAL_SESSION})

# UCUM units the clinic uses (https://ucum.org/ucum, as written in the FHIR vital-signs examples, e.g.
# https://hl7.org/fhir/us/core/STU6.1/Observation-blood-pressure.html for mm[Hg]).
UCUM_UNITS = frozenset({"mm[Hg]", "/min", "%", "kg", "cm", "mg", "mL", "mg/mL", "mL/h", "mg/kg", "{score}", "min"})


@dataclasses.dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str
    #: where the code was checked (None for the clinic's local codes, which need no outside source)
    source: str | None = None
    #: UCUM unit of the value, for measurements
    unit: str | None = None

    @property
    def is_local(self) -> bool:
        return self.system in LOCAL_SYSTEMS


_US_CORE_BP = "https://hl7.org/fhir/us/core/STU6.1/Observation-blood-pressure.html"
_US_CORE_VS = "https://hl7.org/fhir/us/core/STU6.1/ValueSet-us-core-vital-signs.json.html"
_FHIR_VS = "https://hl7.org/fhir/R4B/heartrate.html"

# Vital signs: the FHIR vital-signs profiles fix these LOINC codes (and their UCUM units).
VITALS: dict[str, Code] = {
    "bp_panel": Code(LOINC, "85354-9", "Blood pressure panel with all children optional", _US_CORE_BP),
    "sbp": Code(LOINC, "8480-6", "Systolic blood pressure", _US_CORE_BP, "mm[Hg]"),
    "dbp": Code(LOINC, "8462-4", "Diastolic blood pressure", _US_CORE_BP, "mm[Hg]"),
    # https://hl7.org/fhir/R4B/heartrate.html: Observation.code.coding.code = '8867-4'
    "hr": Code(LOINC, "8867-4", "Heart rate", _FHIR_VS, "/min"),
    # https://hl7.org/fhir/stu3/resprate.html (unchanged in R4): code '9279-1', unit '/min'
    "rr": Code(LOINC, "9279-1", "Respiratory rate", "https://hl7.org/fhir/stu3/resprate.html", "/min"),
    # US Core pulse oximetry carries both 59408-5 (US Core vital signs value set) and 2708-6 (FHIR oxygensat)
    "spo2": Code(LOINC, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", _US_CORE_VS, "%"),
    "spo2_arterial": Code(LOINC, "2708-6", "Oxygen saturation in Arterial blood",
                          "https://build.fhir.org/oxygensat.html", "%"),
    # https://hl7.org/fhir/2021May/bodyweight.html: code '29463-7'
    "weight": Code(LOINC, "29463-7", "Body weight", "https://hl7.org/fhir/2021May/bodyweight.html", "kg"),
    # https://hl7.org/fhir/6.0.0-ballot4/valueset-observation-vitalsign-measurement.html: 8302-2 Body height
    "height": Code(LOINC, "8302-2", "Body height",
                   "https://hl7.org/fhir/6.0.0-ballot4/valueset-observation-vitalsign-measurement.html", "cm"),
}
# Body temperature is not charted by the clinic, so it has no row.

_US_BH_PHQ9 = "https://build.fhir.org/ig/HL7/us-behavioral-health-profiles/QuestionnaireResponse-phq-9-example-1.html"
_US_BH_CSSRS = "https://build.fhir.org/ig/HL7/us-behavioral-health-profiles/QuestionnaireResponse-C-SSRS-example-1.html"

# Instrument totals with a verified LOINC code. C-SSRS screener: its result is the risk level (93374-7).
INSTRUMENT_TOTALS: dict[str, Code] = {
    "phq9": Code(LOINC, "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
                 "https://hl7.org/fhir/us/core/2025Jan/Observation-PHQ9-item-example-44261-6.html", "{score}"),
    "gad7": Code(LOINC, "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
                 "https://build.fhir.org/ig/medizininformatik-initiative/kerndatensatzmodul-proms/branches/"
                 "v2026.7.0/en/ObservationDefinition-mii-obsdef-pro-score-gad-7.json.html", "{score}"),
    "cssrs_screener": Code(LOINC, "93374-7", "Suicide risk level", _US_BH_CSSRS),
}

# Item codes with a verified LOINC code, by instrument and 1-based item number.
INSTRUMENT_ITEMS: dict[str, dict[int, Code]] = {
    # PHQ-9 items 1-8 as in the US Behavioral Health Profiles example; item 9 from US Core's own example.
    "phq9": {
        n: Code(LOINC, code, display, _US_BH_PHQ9)
        for n, (code, display) in enumerate(
            [
                ("44250-9", "Little interest or pleasure in doing things"),
                ("44255-8", "Feeling down, depressed, or hopeless"),
                ("44259-0", "Trouble falling or staying asleep, or sleeping too much"),
                ("44254-1", "Feeling tired or having little energy"),
                ("44251-7", "Poor appetite or overeating"),
                ("44258-2", "Feeling bad about yourself - or that you are a failure"),
                ("44252-5", "Trouble concentrating on things"),
                ("44253-3", "Moving or speaking so slowly that other people could have noticed, or the opposite"),
            ],
            start=1,
        )
    }
    | {9: Code(LOINC, "44260-8", "Thoughts that you would be better off dead, or of hurting yourself in some way",
               "https://hl7.org/fhir/us/core/STU7/Observation-PHQ9-item-example-44260-8.html")},
    # The C-SSRS screen version's seven questions, in the clinic's order (core.instruments.library).
    "cssrs_screener": {
        n: Code(LOINC, code, display, _US_BH_CSSRS)
        for n, (code, display) in enumerate(
            [
                ("93246-7", "Wished you were dead or wished you could go to sleep and not wake up"),
                ("93247-5", "Actually had any thoughts of killing yourself"),
                ("93248-3", "Thinking about how you might do this"),
                ("93249-1", "Had these thoughts and had some intention of acting on them"),
                ("93250-9", "Started to work out or worked out the details of how to kill yourself"),
                ("93267-3", "Ever done anything, started or prepared to do anything to end your life"),
                ("93269-9", "Was this within the past 3 months"),
            ],
            start=1,
        )
    },
}


def instrument_total(key: str, short_name: str) -> Code:
    """The code of an instrument's result: LOINC where verified, else the clinic's "<key>-total"."""
    return INSTRUMENT_TOTALS.get(key) or Code(LOCAL_INSTRUMENTS, f"{key}-total", f"{short_name} total score",
                                              unit="{score}")


def instrument_item(key: str, short_name: str, number: int) -> Code:
    """The code of one item (1-based): LOINC where verified, else the clinic's "<key>-item-<n>"."""
    found = INSTRUMENT_ITEMS.get(key, {}).get(number)
    return found or Code(LOCAL_INSTRUMENTS, f"{key}-item-{number}", f"{short_name} item {number}")


# RxNorm: only the one clinical drug whose RxCUI the FDA's NDC directory names unambiguously (a 100 mg/mL
# ketamine hydrochloride vial listed with the single RxCUI 238083). Ingredients could not be checked: local.
RXNORM_DRUGS: dict[str, Code] = {
    "ketamine hydrochloride 100 mg/mL injection": Code(
        RXNORM, "238083", "ketamine 100 MG/ML Injectable Solution",
        "https://api.fda.gov/drug/ndc.json?search=product_ndc%3A%2271872-7296%22",
    ),
}


def drug(name: str, concentration_mg_per_ml: float | None = None) -> Code:
    """The code of a drug as the clinic writes it ("racemic ketamine", "sertraline", "venlafaxine XR")."""
    words = name.strip().lower()
    if "ketamine" in words and "esketamine" not in words and concentration_mg_per_ml == 100:
        return RXNORM_DRUGS["ketamine hydrochloride 100 mg/mL injection"]
    slug = re.sub(r"[^a-z0-9]+", "-", words).strip("-") or "unnamed"
    return Code(LOCAL_DRUGS, slug, name.strip())


def session_concept(kind: str, display: str) -> Code:
    """Side effects, interventions and other session entries: the chart's own vocabulary (local)."""
    return Code(LOCAL_SESSION, kind, display)


def diagnosis(icd10_code: str, description: str) -> list[Code]:
    """A coded diagnosis: ICD-10-CM as charted. (SNOMED CT would be added here once mappings are verified.)"""
    return [Code(ICD10CM, icd10_code, description,
                 "https://hl7.org/fhir/us/mcode/STU2/ValueSet-elixhauser-depression-vs.ttl.html")]


def loinc_check_digit(base: str) -> int:
    """LOINC's mod-10 check digit of the part before the hyphen (the Luhn algorithm, from the right)."""
    total = 0
    for position, char in enumerate(reversed(base)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10


def all_codes() -> list[Code]:
    """Every standard and fixed code in the table (for the checks that it is well formed)."""
    codes = [*VITALS.values(), *INSTRUMENT_TOTALS.values(), *RXNORM_DRUGS.values()]
    for items in INSTRUMENT_ITEMS.values():
        codes.extend(items.values())
    return codes
