"""Recognise interacting drug classes in a free-text medication list.

The lists of names are a clinic-maintained lexicon (generic and common brand names); they hold no clinical
numbers. Matching is by whole word, case-insensitive, so "diazepam 5 mg nocte" and "Xanax" are both found.
The class-level interaction itself (what it does with ketamine) and its source live in ``eligibility.py``.
"""

import re
from collections.abc import Iterable

DRUG_CLASSES: dict[str, frozenset[str]] = {
    "benzodiazepine": frozenset(
        {
            "alprazolam",
            "xanax",
            "clonazepam",
            "klonopin",
            "rivotril",
            "diazepam",
            "valium",
            "lorazepam",
            "ativan",
            "temazepam",
            "restoril",
            "oxazepam",
            "chlordiazepoxide",
            "librium",
            "midazolam",
            "clobazam",
            "triazolam",
            "halcion",
            "bromazepam",
            "nitrazepam",
            "clorazepate",
            "estazolam",
            "flurazepam",
            "lormetazepam",
        }
    ),
    "lamotrigine": frozenset({"lamotrigine", "lamictal"}),
    "maoi": frozenset(
        {
            "phenelzine",
            "nardil",
            "tranylcypromine",
            "parnate",
            "isocarboxazid",
            "marplan",
            "selegiline",
            "emsam",
            "eldepryl",
            "rasagiline",
            "azilect",
            "moclobemide",
            "safinamide",
        }
    ),
    "psychostimulant": frozenset(
        {
            "amphetamine",
            "dextroamphetamine",
            "adderall",
            "lisdexamfetamine",
            "vyvanse",
            "elvanse",
            "methylphenidate",
            "ritalin",
            "concerta",
            "dexmethylphenidate",
            "focalin",
            "modafinil",
            "provigil",
            "armodafinil",
            "nuvigil",
            "methamphetamine",
            "desoxyn",
        }
    ),
    # "Non-benzodiazepine sedative hypnotics", as the SPRAVATO REMS Patient Monitoring Form names them.
    "sedative_hypnotic": frozenset(
        {"zolpidem", "ambien", "zaleplon", "sonata", "eszopiclone", "lunesta", "zopiclone", "imovane"}
    ),
    "opioid": frozenset(
        {
            "morphine",
            "oxycodone",
            "oxycontin",
            "hydrocodone",
            "codeine",
            "tramadol",
            "fentanyl",
            "methadone",
            "buprenorphine",
            "suboxone",
            "hydromorphone",
            "tapentadol",
            "oxymorphone",
        }
    ),
}

_WORD = re.compile(r"[a-z]+")


def drug_classes_in(medications: str | Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Return ``{class: (matched names, ...)}`` for every interacting class found in ``medications``.

    ``medications`` may be one free-text string (as typed into the chart) or a list of entries.
    """
    text = medications if isinstance(medications, str) else "\n".join(medications)
    words = set(_WORD.findall(text.lower()))
    found: dict[str, tuple[str, ...]] = {}
    for cls, names in DRUG_CLASSES.items():
        hits = tuple(sorted(words & names))
        if hits:
            found[cls] = hits
    return found
