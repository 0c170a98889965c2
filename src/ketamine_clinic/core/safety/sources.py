"""Published sources behind the eligibility rules, kept in one place so every reason can name where it comes from.

Each entry is a real, citable document. Where a rule's *classification* (absolute vs relative) is the clinic's
own policy rather than the document's wording, the rule says so in its ``basis`` field; the source is still the
document that describes the risk.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    key: str
    citation: str
    identifier: str = ""  # DOI / PMID / label identifier when known

    def __str__(self) -> str:
        return f"{self.citation} {self.identifier}".strip()


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "sanacora2017",
            "Sanacora G, Frye MA, McDonald W, et al. A Consensus Statement on the Use of Ketamine in the Treatment "
            "of Mood Disorders. JAMA Psychiatry 2017;74(4):399-405 (APA Council of Research Task Force).",
            "doi:10.1001/jamapsychiatry.2017.0080",
        ),
        Source(
            "spravato_pi",
            "SPRAVATO (esketamine) nasal spray, US Prescribing Information, Janssen Pharmaceuticals "
            "(Contraindications; Warnings and Precautions; Drug Interactions; Use in Specific Populations).",
        ),
        Source(
            "ketalar_pi",
            "KETALAR (ketamine hydrochloride) injection, US Prescribing Information, Par Pharmaceutical "
            "(Contraindications; Warnings and Precautions: drug-induced liver injury; Adverse Reactions: "
            "intraocular pressure, lower urinary tract symptoms with chronic use).",
        ),
        Source(
            "ketalar_smpc_uk",
            "Ketalar 10/50/100 mg/ml injection, Summary of Product Characteristics, Pfizer Ltd, MHRA (GB), "
            "revision 2019, section 4.3 Contraindications.",
        ),
        Source(
            "ketanest_spc",
            "Ketanest (esketamine injection) Summary of Product Characteristics, Pfizer, 11.07.2019 "
            "(contraindicated where a rise in blood pressure or intracranial pressure is a serious risk).",
        ),
        Source(
            "ketamine_ch_fi",
            "Swiss product information (Fachinformation) for ketamine injection, Swissmedic authorisation 67199, "
            "Contraindications (poorly controlled or untreated hypertension, resting BP above 180/100 mmHg).",
        ),
        Source(
            "andrade2017_interactions",
            "Andrade C. Ketamine for Depression, 5: Potential Pharmacokinetic and Pharmacodynamic Drug "
            "Interactions. J Clin Psychiatry 2017;78(7).",
            "doi:10.4088/JCP.17f11802",
        ),
        Source(
            "andrashko2020",
            "Andrashko V, Novak T, Brunovsky M, et al. The Antidepressant Effect of Ketamine Is Dampened by "
            "Concomitant Benzodiazepine Medication. Front Psychiatry 2020;11:844.",
            "doi:10.3389/fpsyt.2020.00844",
        ),
        Source(
            "anand2000",
            "Anand A, Charney DS, Oren DA, et al. Attenuation of the neuropsychiatric effects of ketamine with "
            "lamotrigine. Arch Gen Psychiatry 2000;57(3):270-276.",
            "doi:10.1001/archpsyc.57.3.270",
        ),
        Source(
            "mgh_atrq",
            "Massachusetts General Hospital Antidepressant Treatment Response Questionnaire (MGH-ATRQ): Chandler GM "
            "et al. CNS Neurosci Ther 2010;16(5):322-325 (PMID 19769599); Desseilles M et al. J Clin Psychiatry "
            "2011;72(8):1152-1154 - an adequate trial is an adequate dose for at least 6 weeks; non-response is "
            "less than 50% improvement.",
        ),
        Source(
            "wilkowska2020_review",
            "Wilkowska A, Szalach L, Cubala WJ. Ketamine in Bipolar Disorder: A Review. Neuropsychiatr Dis Treat "
            "2020;16:2707-2717 (most ketamine studies concern unipolar depression; PMID 33209026).",
            "doi:10.2147/NDT.S282208",
        ),
        Source(
            "wilkowska2020_switch",
            "Wilkowska A, Wlodarczyk A, Galuszko-Wegielnik M, Wiglusz MS, Cubala WJ. Case report: switch to a manic "
            "episode with mixed features after oral ketamine in treatment-resistant bipolar I depression; evidence "
            "on the risk of affective switch with ketamine is still limited. Front Psychiatry 2020;11:516.",
            "doi:10.3389/fpsyt.2020.00516",
        ),
        Source(
            "icd10cm",
            "ICD-10-CM Tabular List of Diseases and Injuries (International Classification of Diseases, Tenth "
            "Revision, Clinical Modification), CDC National Center for Health Statistics / CMS.",
        ),
        Source(
            "icd10cm_guidelines",
            "ICD-10-CM Official Guidelines for Coding and Reporting, CDC NCHS / CMS: section I.C.9.e.1 (codes from "
            "category I21 for an acute myocardial infarction of four weeks or less; older: I25.2); section "
            "I.C.5.b (psychoactive substance abuse, dependence and use codes; 'in remission' codes).",
        ),
        Source(
            "acog579",
            "American College of Obstetricians and Gynecologists. Committee Opinion No. 579: Definition of Term "
            "Pregnancy. Obstet Gynecol 2013;122(5):1139-1140 (post-term: 42 0/7 weeks and beyond).",
        ),
        Source(
            "clinic_policy",
            "Clinic-defined policy (no published threshold; set by the clinic's medical director).",
        ),
    )
}


def source(key: str) -> Source:
    """Look up a source by key; a typo here is a programming error, so fail loudly."""
    try:
        return SOURCES[key]
    except KeyError:
        raise KeyError(f"Unknown source key {key!r}; add it to core.safety.sources.SOURCES.") from None
