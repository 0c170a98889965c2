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
