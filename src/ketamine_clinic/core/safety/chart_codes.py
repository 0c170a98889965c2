"""What the chart's coded diagnoses (ICD-10-CM) say about the screening questions.

The eligibility screen asks yes/no questions (``eligibility.ScreeningFacts``). Several of them are already
answered "yes" by a diagnosis coded on the chart: a patient coded F31.32 has bipolar disorder whatever box was
ticked at intake. This module maps ICD-10-CM code ranges to the screening facts they imply, so that

- a new intake form starts with those facts pre-filled ("yes", with the code shown), and
- the screen reports a *mismatch* when an answer contradicts the chart (e.g. "bipolar: No" with F31.32 coded),
  which a prescriber must resolve before the patient can be cleared to proceed.

Only *positive* implications are mapped: a code says a condition is (or was) present; the absence of a code
says nothing. Where a code does not establish the fact the question asks (e.g. F20 schizophrenia says there
has been psychosis, not that symptoms are active today), it maps to the weaker fact (``psychosis_history``);
the clinician answers the stronger question.

Code ranges and titles: ICD-10-CM Tabular List (source key ``icd10cm``). Time limits on pregnancy and acute
myocardial infarction codes are noted beside them. Conditions the screen asks about with no code of their own
are *not* mapped, on purpose:

- ketamine hypersensitivity: no ketamine-specific code (Z88.4 is "allergy status to anesthetic agent", any agent);
- ketamine misuse: F16 "hallucinogen related disorders" includes ketamine/PCP but also LSD and others;
- current suicidal intent: R45.851 codes suicidal *ideation*, not intent;
- cirrhosis (K70.3, K74.6) does not say the liver disease is severe (Child-Pugh class); hepatic failure does;
- nicotine dependence (F17) is a substance use disorder in ICD-10-CM, but not the abuse and misuse risk the
  ketamine labels warn about (clinic-defined exclusion);
- cyclothymia (F34.0) is not coded as bipolar disorder in ICD-10-CM.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# Pregnancy codes (O00-O9A, Z33.1, Z34) describe a pregnancy that lasts at most about 42 weeks: a pregnancy is
# post-term from 42 0/7 weeks (ACOG Committee Opinion No. 579, "Definition of Term Pregnancy", 2013), so a
# pregnancy code noted longer ago than that cannot describe a pregnancy now (source key ``acog579``).
PREGNANCY_CODE_CURRENT_DAYS = 42 * 7
# I21 (acute myocardial infarction) and I22 (subsequent MI) are for 4 weeks (28 days) from onset; after that the
# infarction is coded I25.2, old myocardial infarction (ICD-10-CM Official Guidelines for Coding and Reporting,
# section I.C.9.e.1; source key ``icd10cm_guidelines``).
ACUTE_MI_CODE_CURRENT_DAYS = 28


@dataclass(frozen=True)
class CodeMapping:
    """Codes from ``first`` to ``last`` (inclusive, compared as prefixes without the dot) imply ``fact`` = yes."""

    fact: str
    first: str
    last: str
    means: str  # plain words shown to the clinician: what the code says
    source_keys: tuple[str, ...] = ("icd10cm",)
    exclude: tuple[str, ...] = ()  # code prefixes inside the range that do not imply the fact
    current_for_days: int | None = None  # the code describes a state that ends (pregnancy, acute MI)
    in_remission: bool | None = None  # F10-F19 only: True = remission codes only, False = all but those

    def matches(self, code: str) -> bool:
        c = normalise(code)
        if any(c.startswith(normalise(x)) for x in self.exclude):
            return False
        first, last = normalise(self.first), normalise(self.last)
        return c[: len(first)] >= first and c[: len(last)] <= last


def normalise(code: str) -> str:
    """ICD-10-CM code without the dot, upper case: "f31.32" -> "F3132"."""
    return code.replace(".", "").strip().upper()


CODE_MAP: tuple[CodeMapping, ...] = (
    # ---- mood disorders -------------------------------------------------------------------------------------
    # F31 Bipolar disorder (every subcode: current episode manic, depressed, mixed, in remission, bipolar II...).
    CodeMapping("bipolar_disorder", "F31", "F31", "bipolar disorder"),
    # F31.0 current episode hypomanic; F31.1- manic without psychotic features; F31.2 manic severe with psychotic
    # features; F31.6- current episode mixed: the coded *current* episode has manic or hypomanic symptoms.
    CodeMapping("current_mania", "F31.0", "F31.2", "a current manic or hypomanic episode"),
    CodeMapping("current_mania", "F31.6", "F31.6", "a current mixed episode (manic and depressive symptoms)"),
    # F30 Manic episode: F30.1- without psychotic symptoms, F30.2 with psychotic symptoms, F30.8 other, F30.9
    # unspecified (F30.3 / F30.4 are partial / full remission and do not say the mania is current).
    CodeMapping("current_mania", "F30", "F30", "a manic episode", exclude=("F30.3", "F30.4")),
    # ---- psychosis ------------------------------------------------------------------------------------------
    # F20-F29 Schizophrenia, schizotypal, delusional and other non-mood psychotic disorders.
    CodeMapping("psychosis_history", "F20", "F29", "a schizophrenia-spectrum or other psychotic disorder"),
    # Mood disorders coded "with psychotic features/symptoms": F30.2, F31.2, F31.5, F32.3, F33.3.
    CodeMapping("psychosis_history", "F30.2", "F30.2", "mania with psychotic symptoms"),
    CodeMapping("psychosis_history", "F31.2", "F31.2", "bipolar mania with psychotic features"),
    CodeMapping("psychosis_history", "F31.5", "F31.5", "bipolar depression with psychotic features"),
    CodeMapping("psychosis_history", "F32.3", "F32.3", "major depression with psychotic features"),
    CodeMapping("psychosis_history", "F33.3", "F33.3", "recurrent major depression with psychotic symptoms"),
    # ---- substance use ----------------------------------------------------------------------------------------
    # F10-F19 Mental and behavioural disorders due to psychoactive substance use (F10 alcohol, F11 opioids, F12
    # cannabis, F13 sedatives, F14 cocaine, F15 other stimulants, F16 hallucinogens, F18 inhalants, F19 other).
    # Fourth character 1 = abuse, 2 = dependence (the use disorders); fifth character 1 = "in remission"
    # (F10.11, F10.21): a past disorder. F1x.9- "use, unspecified" codes are not a use disorder (ICD-10-CM
    # guideline I.C.5.b.3; DSM-5 codes substance-induced disorders without a use disorder there): not mapped.
    CodeMapping(
        "substance_use_disorder_history",
        "F10",
        "F19",
        "a substance use disorder in remission",
        source_keys=("icd10cm", "icd10cm_guidelines"),
        exclude=("F17",),
        in_remission=True,
    ),
    CodeMapping(
        "active_substance_use_disorder",
        "F10",
        "F19",
        "a substance use disorder (not coded as in remission)",
        source_keys=("icd10cm", "icd10cm_guidelines"),
        exclude=("F17",),
        in_remission=False,
    ),
    # ---- pregnancy and breastfeeding -------------------------------------------------------------------------
    # Chapter 15, O00-O9A Pregnancy, childbirth and the puerperium, except O85-O92 (complications of the
    # puerperium, lactation), which follow the birth; Z33.1 pregnant state, incidental; Z34 supervision of
    # normal pregnancy.
    CodeMapping(
        "pregnant",
        "O00",
        "O9A",
        "a pregnancy",
        source_keys=("icd10cm", "acog579"),
        exclude=("O85", "O86", "O87", "O88", "O89", "O90", "O91", "O92"),
        current_for_days=PREGNANCY_CODE_CURRENT_DAYS,
    ),
    CodeMapping(
        "pregnant",
        "Z33.1",
        "Z33.1",
        "a pregnant state",
        source_keys=("icd10cm", "acog579"),
        current_for_days=PREGNANCY_CODE_CURRENT_DAYS,
    ),
    CodeMapping(
        "pregnant",
        "Z34",
        "Z34",
        "supervision of a normal pregnancy",
        source_keys=("icd10cm", "acog579"),
        current_for_days=PREGNANCY_CODE_CURRENT_DAYS,
    ),
    # Z39.1 Encounter for care and examination of lactating mother.
    CodeMapping("breastfeeding", "Z39.1", "Z39.1", "a lactating mother"),
    # ---- cerebrovascular and vascular -------------------------------------------------------------------------
    # I60 nontraumatic subarachnoid, I61 intracerebral, I62 other nontraumatic intracranial haemorrhage, and their
    # sequelae I69.0-I69.2. The screen (and the SPRAVATO contraindication) asks about intracerebral haemorrhage;
    # subarachnoid and subdural haemorrhage are put to the prescriber through the same question (clinic-defined,
    # to err on the side of asking).
    CodeMapping("intracerebral_haemorrhage_history", "I60", "I62", "a nontraumatic intracranial haemorrhage"),
    CodeMapping(
        "intracerebral_haemorrhage_history", "I69.0", "I69.2", "sequelae of a nontraumatic intracranial haemorrhage"
    ),
    # I67.1 Cerebral aneurysm, nonruptured; I71 Aortic aneurysm and dissection; I72 Other aneurysm (carotid,
    # upper/lower extremity, renal, iliac and other arteries) - the SPRAVATO contraindication's "aneurysmal
    # vascular disease (including thoracic and abdominal aorta, intracranial and peripheral arterial vessels)".
    CodeMapping("aneurysmal_vascular_disease", "I67.1", "I67.1", "a cerebral aneurysm"),
    CodeMapping("aneurysmal_vascular_disease", "I71", "I72", "an aortic or other arterial aneurysm or dissection"),
    # Q28.0-Q28.3 arteriovenous malformations of precerebral and cerebral vessels; Q27.3 peripheral AVM.
    CodeMapping("arteriovenous_malformation", "Q28.0", "Q28.3", "an arteriovenous malformation"),
    CodeMapping("arteriovenous_malformation", "Q27.3", "Q27.3", "a peripheral arteriovenous malformation"),
    # ---- cardiovascular -----------------------------------------------------------------------------------------
    # I10-I16 Hypertensive diseases (I10 essential, I11-I13 hypertensive heart/kidney disease, I15 secondary,
    # I16 hypertensive crisis). Whether it is controlled is for the clinician to answer.
    CodeMapping("hypertension", "I10", "I16", "hypertension"),
    # I21 acute MI and I22 subsequent MI (coded for 4 weeks), I20.0 unstable angina, acute (or acute on chronic)
    # systolic, diastolic and combined heart failure I50.21/.23, I50.31/.33, I50.41/.43.
    CodeMapping(
        "unstable_cardiac_disease",
        "I21",
        "I22",
        "an acute myocardial infarction",
        source_keys=("icd10cm", "icd10cm_guidelines"),
        current_for_days=ACUTE_MI_CODE_CURRENT_DAYS,
    ),
    CodeMapping("unstable_cardiac_disease", "I20.0", "I20.0", "unstable angina"),
    *(
        CodeMapping("unstable_cardiac_disease", code, code, "acute (decompensated) heart failure")
        for code in ("I50.21", "I50.23", "I50.31", "I50.33", "I50.41", "I50.43")
    ),
    # ---- intracranial and intraocular pressure ----------------------------------------------------------------
    # G93.2 benign intracranial hypertension, G93.5 compression of brain, G93.6 cerebral oedema; intracranial
    # masses: C71 malignant neoplasm of brain, C79.31 secondary malignant neoplasm of brain, D33.0-D33.2 benign
    # neoplasm of brain.
    CodeMapping("raised_intracranial_pressure", "G93.2", "G93.2", "raised intracranial pressure"),
    CodeMapping("raised_intracranial_pressure", "G93.5", "G93.6", "compression or oedema of the brain"),
    CodeMapping("raised_intracranial_pressure", "C71", "C71", "a brain tumour (intracranial mass)"),
    CodeMapping("raised_intracranial_pressure", "C79.31", "C79.31", "brain metastases (intracranial mass)"),
    CodeMapping("raised_intracranial_pressure", "D33.0", "D33.2", "a benign brain tumour (intracranial mass)"),
    # H40.05 ocular hypertension; H40.1-H40.9 glaucoma; H42 glaucoma in diseases classified elsewhere. (Other
    # H40.0- "glaucoma suspect" codes do not say the pressure is raised.)
    CodeMapping("raised_intraocular_pressure", "H40.05", "H40.05", "ocular hypertension"),
    CodeMapping("raised_intraocular_pressure", "H40.1", "H40.9", "glaucoma"),
    CodeMapping("raised_intraocular_pressure", "H42", "H42", "glaucoma"),
    # ---- liver and bladder --------------------------------------------------------------------------------------
    # K72 hepatic failure, K70.4 alcoholic hepatic failure, K76.7 hepatorenal syndrome.
    CodeMapping("severe_liver_disease", "K72", "K72", "hepatic failure"),
    CodeMapping("severe_liver_disease", "K70.4", "K70.4", "alcoholic hepatic failure"),
    CodeMapping("severe_liver_disease", "K76.7", "K76.7", "hepatorenal syndrome"),
    # N30.1 Interstitial cystitis (chronic).
    CodeMapping("interstitial_cystitis", "N30.1", "N30.1", "interstitial cystitis"),
)

def _substance_use_disorder(code: str) -> str | None:
    """For an F10-F19 code: "remission" (F1x.11, F1x.21), "current" (other abuse/dependence codes), or None."""
    c = normalise(code)
    if len(c) < 4 or c[3] not in "12":
        return None
    return "remission" if c[4:5] == "1" else "current"


@dataclass(frozen=True)
class ChartDiagnosis:
    """One coded diagnosis on the chart."""

    code: str
    description: str = ""
    noted_on: dt.date | None = None


@dataclass(frozen=True)
class ChartFinding:
    """The chart's diagnosis ``code`` implies the screening fact ``fact`` is "yes"."""

    fact: str
    code: str
    description: str
    means: str
    sources: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "fact": self.fact,
            "code": self.code,
            "description": self.description,
            "means": self.means,
            "sources": list(self.sources),
        }

    @classmethod
    def from_mapping(cls, data: dict) -> "ChartFinding":
        return cls(
            fact=data["fact"],
            code=data["code"],
            description=data.get("description", ""),
            means=data.get("means", ""),
            sources=tuple(data.get("sources", ())),
        )


def _applies(mapping: CodeMapping, diagnosis: ChartDiagnosis, today: dt.date) -> bool:
    if not mapping.matches(diagnosis.code):
        return False
    if mapping.in_remission is not None:
        kind = _substance_use_disorder(diagnosis.code)
        if kind is None or (kind == "remission") != mapping.in_remission:
            return False
    if mapping.current_for_days is not None and diagnosis.noted_on is not None:
        if (today - diagnosis.noted_on).days > mapping.current_for_days:
            return False
    return True


def chart_findings(diagnoses: Iterable[ChartDiagnosis], today: dt.date) -> tuple[ChartFinding, ...]:
    """Every (fact, code) the chart implies, in the order of ``CODE_MAP`` then the diagnoses; one per pair."""
    items = tuple(diagnoses)
    found: list[ChartFinding] = []
    seen: set[tuple[str, str]] = set()
    for mapping in CODE_MAP:
        for d in items:
            key = (mapping.fact, normalise(d.code))
            if key in seen or not _applies(mapping, d, today):
                continue
            seen.add(key)
            found.append(ChartFinding(mapping.fact, d.code, d.description, mapping.means, mapping.source_keys))
    return tuple(found)


def implied_answers(findings: Iterable[ChartFinding]) -> dict[str, bool]:
    """The screening answers the chart implies, for pre-filling a new intake: {fact: True}."""
    return {f.fact: True for f in findings}
