"""Published ketamine / esketamine pharmacokinetic parameter sets, as data.

Every set is a linear mammillary model (1-3 compartments) with an optional effect site (ke0), a table of
absorbing routes (bioavailability F, absorption rate ka, lag) and an optional metabolite chain. Each number
carries its source beside it. Where a number is not in the primary paper (ke0 for most ketamine models, ka for
most routes) the field says where it comes from or that it was fitted, and how; the fits are re-checked by
tests/core/pharmacology/test_pk_models.py. A set whose source publishes no ke0 and for which no convention
was applied (Flint 2017) has ``ke0_per_min = None``: it has no effect site, and asking for one is an error.

Units: volumes L, clearances L/min, rate constants 1/min, weights kg, ages years. Volumes scale with
(weight / reference_weight) ** volume_exponent and clearances with (weight / reference_weight) **
clearance_exponent. A model published per kilogram (Domino, Clements) is exponent 1 for both, which keeps its
micro rate constants weight-independent exactly as published.

Importing this module does only arithmetic on a few dozen floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: Molar masses (g/mol) for ng/mL <-> nmol/L and for the mass of norketamine formed from ketamine.
#: Ketamine base C13H16ClNO 237.7 g/mol (clinical-reference sheet; PubChem CID 3821);
#: norketamine C12H14ClNO 223.7 g/mol (PubChem CID 1785).
KETAMINE_G_PER_MOL = 237.7
NORKETAMINE_G_PER_MOL = 223.7


class ModelError(ValueError):
    """Unknown model, route the model cannot do, or a patient outside the model's valid range."""


@dataclass(frozen=True)
class Citation:
    authors: str
    year: int
    title: str
    journal: str
    pmid: str = ""
    doi: str = ""

    def short(self) -> str:
        ids = ", ".join(
            x for x in (f"PMID {self.pmid}" if self.pmid else "", f"doi:{self.doi}" if self.doi else "") if x
        )
        return f"{self.authors} ({self.year}) {self.journal}" + (f"; {ids}" if ids else "")


@dataclass(frozen=True)
class Absorption:
    """First-order absorption from a depot: F * dose enters the depot at dose time + lag."""

    route: str
    bioavailability: float
    ka_per_min: float
    lag_min: float
    bioavailability_source: str
    ka_source: str


@dataclass(frozen=True)
class Variability:
    """Inter-individual variability: SD of the natural log of each parameter (log-normal, NONMEM omega).

    A published "BSV 38%" on the usual exponential model is taken as omega = 0.38 (where the source's own
    conversion differs, the set says which it used).

    A set with a metabolite chain may add variability on the metabolite's clearance and volume, and a
    correlation between the parent's and the metabolite's clearance (eta_CL, eta_CLm jointly normal).
    """

    cl: float
    v1: float
    q2: float
    v2: float
    q3: float
    v3: float
    source: str
    metabolite_cl: float = 0.0
    metabolite_v: float = 0.0
    cl_metabolite_cl_correlation: float = 0.0


@dataclass(frozen=True)
class Metabolite:
    """Optional metabolite chain: a fraction of the parent's elimination (k10) forms the metabolite, which has
    one compartment of its own (volume, clearance, both scaled like the parent's)."""

    name: str
    fraction_formed: float
    volume_l: float
    clearance_l_per_min: float
    mass_ratio: float  # mg of metabolite per mg of parent converted (molar-mass ratio)
    source: str


@dataclass(frozen=True)
class ParameterSet:
    key: str
    name: str
    drug: str  # "racemic ketamine" or "esketamine"
    population: str
    citation: Citation
    compartments: int
    reference_weight_kg: float
    v1_l: float
    cl_l_per_min: float
    v2_l: float = 0.0
    q2_l_per_min: float = 0.0
    v3_l: float = 0.0
    q3_l_per_min: float = 0.0
    volume_exponent: float = 1.0
    clearance_exponent: float = 1.0
    ke0_per_min: float | None = None  # None: no effect site (no published ke0, none assumed)
    ke0_source: str = ""
    iv: bool = True
    routes: tuple[Absorption, ...] = ()
    weight_range_kg: tuple[float, float] = (0.0, math.inf)
    age_range_years: tuple[float, float] = (0.0, math.inf)
    variability: Variability | None = None
    metabolite: Metabolite | None = None
    disposition_source: str = ""
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def has_effect_site(self) -> bool:
        return self.ke0_per_min is not None

    @property
    def outputs(self) -> tuple[str, ...]:
        """The concentrations this set predicts: "plasma", then "effect" and "metabolite" where it has them."""
        return (
            ("plasma",)
            + (("effect",) if self.has_effect_site else ())
            + (("metabolite",) if self.metabolite is not None else ())
        )

    def check_effect_site(self) -> None:
        if not self.has_effect_site:
            raise ModelError(
                f"model '{self.key}' has no effect site: its source publishes no ke0 and none is assumed; "
                "ask for plasma" + (" or metabolite" if self.metabolite is not None else "") + " concentrations"
            )

    @property
    def available_routes(self) -> tuple[str, ...]:
        return (("iv",) if self.iv else ()) + tuple(r.route for r in self.routes)

    def absorption(self, route: str) -> Absorption:
        for r in self.routes:
            if r.route == route:
                return r
        raise ModelError(
            f"model '{self.key}' has no parameters for route '{route}'; it can do: "
            + ", ".join(self.available_routes)
        )

    def check_route(self, route: str) -> None:
        if route == "iv":
            if not self.iv:
                raise ModelError(
                    f"model '{self.key}' has no IV parameters; it can do: " + ", ".join(self.available_routes)
                )
            return
        self.absorption(route)

    def check_patient(self, weight_kg, age_years=None) -> None:
        w = np.asarray(weight_kg, dtype=float)
        lo, hi = self.weight_range_kg
        # min/max of the weights (NaN propagates into both, so one finite check covers every weight).
        wmin, wmax = (float(w.min()), float(w.max())) if w.size else (math.nan, math.nan)
        if not (math.isfinite(wmin) and math.isfinite(wmax)) or wmin <= 0:
            raise ModelError("weight must be a positive number of kg")
        if wmin < lo or wmax > hi:
            raise ModelError(
                f"weight {wmin if wmin < lo else wmax:g} kg is outside model "
                f"'{self.key}' range {lo:g}-{hi:g} kg ({self.population})"
            )
        if age_years is not None:
            a = np.asarray(age_years, dtype=float)
            alo, ahi = self.age_range_years
            if a.size and (float(a.min()) < alo or float(a.max()) > ahi):
                raise ModelError(f"age is outside model '{self.key}' range {alo:g}-{ahi:g} years")


def _domino() -> ParameterSet:
    # The adult racemic ketamine set of STANPUMP-style TCI software, attributed to Domino EF et al. (PMID 7198883):
    # V1 = 0.063 L/kg, k10 = 0.4381, k12 = 0.5921, k13 = 0.5900, k21 = 0.2470, k31 = 0.0146 /min. These numbers
    # were checked (2026-11-26) against two independent codings: opentiva 1.1.2 `ketamine.Domino` (source read;
    # it cites only "PMID: 7198883") and the TCI_Ketamine class of the fus_anes project (k10 0.438, k12 0.592,
    # k13 0.590, k21 0.247, k31 0.0146, V1 0.063 L/kg), and against the clinical-reference sheet. The primary
    # paper itself was NOT found by search and not re-read: its authors, title, journal and year below are not
    # verified, nor whether the constants come from the 1982 paper or from Domino et al. 1984 (Clin Pharmacol
    # Ther). Expressed as volumes/clearances at 70 kg with linear (per-kg) scaling, which keeps the k's exactly.
    v1 = 0.063 * 70.0
    k10, k12, k13, k21, k31 = 0.4381, 0.5921, 0.5900, 0.2470, 0.0146
    return ParameterSet(
        key="domino",
        name="Domino (racemic ketamine, adult, 3-compartment)",
        drug="racemic ketamine",
        population="adults (study population not verified against the primary source)",
        citation=Citation(
            authors="Domino EF, et al.",
            year=1982,
            title="Ketamine kinetics (the paper indexed as PMID 7198883; title not verified against the "
            "primary source)",
            journal="journal and year not verified against the primary source",
            pmid="7198883",
        ),
        compartments=3,
        reference_weight_kg=70.0,
        v1_l=v1,
        cl_l_per_min=k10 * v1,
        q2_l_per_min=k12 * v1,
        v2_l=k12 * v1 / k21,
        q3_l_per_min=k13 * v1,
        v3_l=k13 * v1 / k31,
        ke0_per_min=0.652,
        ke0_source="Not in Domino 1982. ke0 = 0.652/min gives a time to peak effect-site concentration of 1 min "
        "after a bolus (the 'tpeak 1 min' convention); value as in opentiva 1.1.2 (PMID-less "
        "software source) and re-checked by test_pk_models.py.",
        routes=_racemic_routes("domino"),
        weight_range_kg=(40.0, 150.0),  # clinic-defined adult range; the paper gives no validated range
        age_range_years=(18.0, 100.0),
        variability=_ASSUMED_IIV,
        disposition_source="Micro constants as tabulated by opentiva 1.1.2 and the fus_anes TCI code (both "
        "agree with the clinical-reference sheet); PMID 7198883 as opentiva and the sheet give it.",
        notes="Citation not verified against the primary source: the PMID and the constants agree across "
        "independent software, but the paper (authors, title, journal, year; 1982 Anesth Analg or 1984 "
        "Clin Pharmacol Ther) could not be found or re-read.",
    )


def _clements() -> ParameterSet:
    # Clements JA, Nimmo WS 1981, 250 micrograms/kg IV bolus in volunteers; 2-compartment. Values as tabulated
    # in opentiva 1.1.2 (`Clements250`): V1 = 1.7522 L/kg, k10 = 0.0109, k12 = 0.0186, k21 = 0.0137 /min.
    # (Implied CL = 19.1 mL/kg/min and terminal half-life ~3 h, consistent with published racemic ketamine.)
    v1 = 1.7522 * 70.0
    k10, k12, k21 = 0.0109, 0.0186, 0.0137
    return ParameterSet(
        key="clements",
        name="Clements & Nimmo (racemic ketamine, adult volunteers, 2-compartment)",
        drug="racemic ketamine",
        population="adult volunteers",
        citation=Citation(
            authors="Clements JA, Nimmo WS",
            year=1981,
            title="Pharmacokinetics and analgesic effect of ketamine in man",
            journal="Br J Anaesth 53(1):27-30",
            pmid="7459184",
            doi="10.1093/bja/53.1.27",
        ),
        compartments=2,
        reference_weight_kg=70.0,
        v1_l=v1,
        cl_l_per_min=k10 * v1,
        q2_l_per_min=k12 * v1,
        v2_l=k12 * v1 / k21,
        ke0_per_min=5.21,
        ke0_source="Not in Clements 1981. ke0 = 5.21/min from the 'tpeak 1 min' convention as in opentiva "
        "1.1.2; re-checked by test_pk_models.py.",
        routes=_racemic_routes("clements"),
        weight_range_kg=(40.0, 150.0),  # clinic-defined adult range
        age_range_years=(18.0, 100.0),
        variability=_ASSUMED_IIV,
        disposition_source="opentiva 1.1.2 tabulation of PMID 7459184; primary paper not re-read in this session.",
    )


def _herd() -> ParameterSet:
    # Herd D, Anderson BJ 2007 (abstract, verified): 54 children, age 8.3 (SD 3.5) y, weight 32.5 (SD 15.6) kg;
    # 2-compartment, standardised to 70 kg allometrically: V1 38.7 L (BSV 64%), V2 102 L (BSV 51.7%),
    # CL 90 L/h (BSV 38.1%), Q 215 L/h (BSV 19%).
    return ParameterSet(
        key="herd",
        name="Herd & Anderson (racemic ketamine, children, 2-compartment, allometric)",
        drug="racemic ketamine",
        population="children 1-14 y (emergency department procedural sedation)",
        citation=Citation(
            authors="Herd D, Anderson BJ",
            year=2007,
            title="Ketamine disposition in children presenting for procedural sedation and analgesia in a "
            "children's emergency department",
            journal="Paediatr Anaesth 17(7):622-9",
            pmid="17564643",
            doi="10.1111/j.1460-9592.2006.02145.x",
        ),
        compartments=2,
        reference_weight_kg=70.0,
        v1_l=38.7,
        v2_l=102.0,
        cl_l_per_min=90.0 / 60.0,
        q2_l_per_min=215.0 / 60.0,
        volume_exponent=1.0,
        clearance_exponent=0.75,
        ke0_per_min=math.log(2) / (11.0 / 60.0),
        ke0_source="Herd DW, Anderson BJ, Keene NA, Holford NHG (2008) Paediatr Anaesth 18(1):36-42: "
        "equilibration half-time T1/2keo 11 s in the same children, so ke0 = ln2 / (11/60 min).",
        routes=(),
        # Study weights ranged 10.8-74.8 kg and ages ~1-14 y (range as tabulated by opentiva 1.1.2).
        weight_range_kg=(10.8, 74.8),
        age_range_years=(1.0, 14.0),
        variability=Variability(
            cl=0.381,
            v1=0.64,
            q2=0.19,
            v2=0.517,
            q3=0.0,
            v3=0.0,
            source="Herd & Anderson 2007 abstract: BSV CL 38.1%, V1 64%, Q 19%, V2 51.7%",
        ),
        disposition_source="Herd & Anderson 2007 abstract (verified via search).",
    )


def _hornik() -> ParameterSet:
    # Hornik CP et al. 2018: 113 children 0.02-17.6 y, 2.4-176 kg; 2-compartment, allometric (V exponent 1,
    # CL/Q exponent 0.75), IM bioavailability 41% (abstract, verified). Typical values at 70 kg as tabulated
    # in opentiva 1.1.2 (`Hornik`): V1 32.8 L, V2 152 L, CL 38.9 L/h, Q 54.9 L/h (not re-verified against the
    # paper's table in this session).
    return ParameterSet(
        key="hornik",
        name="Hornik (racemic ketamine, children, 2-compartment, allometric)",
        drug="racemic ketamine",
        population="children and adolescents (IV and IM procedural sedation)",
        citation=Citation(
            authors="Hornik CP, Gonzalez D, van den Anker J, et al.; Pediatric Trials Network",
            year=2018,
            title="Population Pharmacokinetics of Intramuscular and Intravenous Ketamine in Children",
            journal="J Clin Pharmacol 58(8):1092-1104",
            pmid="29677389",
            doi="10.1002/jcph.1116",
        ),
        compartments=2,
        reference_weight_kg=70.0,
        v1_l=32.8,
        v2_l=152.0,
        cl_l_per_min=38.9 / 60.0,
        q2_l_per_min=54.9 / 60.0,
        volume_exponent=1.0,
        clearance_exponent=0.75,
        ke0_per_min=4.626,
        ke0_source="Not in Hornik 2018. ke0 = 4.626/min gives time to peak effect 1 min after a bolus at the "
        "70 kg reference weight ('tpeak 1 min' convention, computed with this engine; opentiva "
        "1.1.2 lists 4.212, which gives 1.08 min here). Re-checked by test_pk_models.py.",
        routes=(),
        weight_range_kg=(2.4, 176.0),  # study range (abstract)
        age_range_years=(0.0, 18.0),
        variability=_ASSUMED_IIV,
        disposition_source="opentiva 1.1.2 tabulation of PMID 29677389 (structure, scaling and F verified "
        "from the abstract).",
    )


# ---- S-ketamine (esketamine) + S-norketamine in ventilated children (PICU), Flint 2017 ---------------------
# Flint RB, Brouwer CNM, Kranzlin ASC, Lie-A-Huen L, Bos AP, Mathot RAA (2017) Paediatr Anaesth
# 27(11):1098-1107, doi:10.1111/pan.13239. 25 mechanically ventilated children, 0.02-12.5 y (median 0.42 y),
# 3.4-35 kg (median 7.0 kg), continuous IV S-ketamine 0.3-3.6 mg/kg/h for sedation (9.6-140.7 h).
# Table 3, standardised to 70 kg with fixed allometric exponents (0.75 clearances, 1.0 volumes):
#   S-ketamine 2-compartment: CL 112 L/h, V1 7.73 L, Q 196 L/h, V2 545 L;
#   S-norketamine 1 apparent compartment: CLsnk/Fm 53.2 L/h, Vsnk/Fm 1 L (fixed: Fm not identifiable);
#   time after first dose raises CLsnk by 0.870%/h (linear);
#   IIV CL 40.2%, CLsnk 104% (correlation 0.506), none on the other parameters; proportional residual error.
# Checked against the abstract (2026-11-26: CL 112 L/h/70 kg, V1 7.7 L, V2 545 L, Q 196 L/h, CLsnk 53 L/h,
# IIV 40% and 104%, ages 0.02-12.5 y, 0.3-3.6 mg/kg/h) and, for the Table 3 decimals, the time effect, the
# correlation and the fixed Vsnk/Fm, against an independent secondary coding of Table 3 (nlmixr2lib
# inst/modeldb/specificDrugs/Flint_2017_s_ketamine.R); the full table itself was not re-read here.
#
# Metabolite scale: the paper folds Fm (and the molar-mass ratio) into the apparent CLsnk/Fm and Vsnk/Fm, so
# the formation flux is the parent's whole elimination k10 * A1 (fraction_formed 1, mass_ratio 1) and the
# metabolite concentration comes out on the scale the paper fitted (the measured S-norketamine in ng/mL).
# The amount in the metabolite compartment is NOT a real mass of norketamine (it is A_m / Fm).
#
# IIV: "CV 40.2%" and "CV 104%" are converted as omega^2 = ln(1 + CV^2), as the secondary coding does (the
# paper's exact convention was not re-read). The clinic's usual reading "omega = CV" would give 0.402 and 1.04;
# at 104% the two differ by ~20% in omega.
FLINT_CV_CL = 0.402
FLINT_CV_CL_NORKETAMINE = 1.04
FLINT_ETA_CORRELATION = 0.506
#: Time-after-first-dose effect on CLsnk (Flint 2017 Table 3): +0.870% per hour. NOT applied (see notes).
FLINT_CL_NORKETAMINE_INCREASE_PER_H = 0.00870


def _omega_from_cv(cv: float) -> float:
    return math.sqrt(math.log1p(cv * cv))


def _flint() -> ParameterSet:
    t_effect = ", ".join(
        f"+{100 * FLINT_CL_NORKETAMINE_INCREASE_PER_H * h:.1f}% at {h} h"
        for h in (4, 24, 72)
    )
    return ParameterSet(
        key="flint",
        name="Flint (esketamine + S-norketamine, ventilated children in the PICU, 2-compartment, allometric)",
        drug="esketamine",
        population="mechanically ventilated children 0.02-12.5 y, 3.4-35 kg, on continuous IV S-ketamine "
        "sedation in a paediatric intensive care unit",
        citation=Citation(
            authors="Flint RB, Brouwer CNM, Kranzlin ASC, Lie-A-Huen L, Bos AP, Mathot RAA",
            year=2017,
            title="Pharmacokinetics of S-ketamine during prolonged sedation at the pediatric intensive care unit",
            journal="Paediatr Anaesth 27(11):1098-1107",
            doi="10.1111/pan.13239",
        ),
        compartments=2,
        reference_weight_kg=70.0,
        v1_l=7.73,  # Flint 2017 Table 3: V1 7.73 L/70 kg
        cl_l_per_min=112.0 / 60.0,  # Table 3: CL 112 L/h/70 kg
        v2_l=545.0,  # Table 3: V2 545 L/70 kg
        q2_l_per_min=196.0 / 60.0,  # Table 3: Q 196 L/h/70 kg
        volume_exponent=1.0,  # fixed allometric exponents (Flint 2017 methods)
        clearance_exponent=0.75,
        ke0_per_min=None,
        ke0_source="None: Flint 2017 publishes no ke0 (no effect model) and none is assumed here, so this set "
        "has no effect site; effect-site outputs, metrics and hints are refused or omitted.",
        iv=True,
        routes=(),  # continuous IV infusion (with occasional IV loading boluses) only
        weight_range_kg=(3.4, 35.0),  # study range (Flint 2017)
        age_range_years=(0.02, 12.5),  # study range (Flint 2017)
        variability=Variability(
            cl=_omega_from_cv(FLINT_CV_CL),
            v1=0.0,
            q2=0.0,
            v2=0.0,
            q3=0.0,
            v3=0.0,
            metabolite_cl=_omega_from_cv(FLINT_CV_CL_NORKETAMINE),
            metabolite_v=0.0,
            cl_metabolite_cl_correlation=FLINT_ETA_CORRELATION,
            source="Flint 2017 Table 3: IIV CL 40.2%, CLsnk/Fm 104%, correlation 0.506 (omega^2 = ln(1 + CV^2)); "
            "no IIV on V1, Q, V2, Vsnk/Fm",
        ),
        metabolite=Metabolite(
            name="S-norketamine",
            fraction_formed=1.0,  # Fm folded into the apparent CLsnk/Fm and Vsnk/Fm (Fm not identifiable)
            volume_l=1.0,  # Table 3: Vsnk/Fm 1 L/70 kg, fixed
            clearance_l_per_min=53.2 / 60.0,  # Table 3: CLsnk/Fm 53.2 L/h/70 kg
            mass_ratio=1.0,  # no molar-mass conversion: folded into the apparent parameters too
            source="Flint 2017 Table 3: CLsnk/Fm 53.2 L/h/70 kg, Vsnk/Fm 1 L (fixed), allometric like the parent; "
            "apparent scale (Fm and molar mass folded in), formation = parent elimination",
        ),
        disposition_source="Flint 2017 Table 3 (abstract verified; decimals cross-checked against the "
        "nlmixr2lib coding Flint_2017_s_ketamine.R).",
        notes="Paediatric ICU population (mostly infants): not for adults, and never a default for clinic "
        "patients. Omitted: CLsnk/Fm rises with time after the first dose by 0.870%/h (Table 3), which a "
        "linear time-invariant model cannot express; the engine keeps the baseline CLsnk/Fm. Over typical "
        f"horizons CLsnk/Fm would be {t_effect} (and 2.2 times baseline at the longest study infusion, "
        "140.7 h), so the predicted S-norketamine (near steady state inversely proportional to CLsnk/Fm) "
        "is too high by about that factor on multi-day infusions: negligible over a few hours, about 1.2x at "
        "one day, 1.6x at three days. S-ketamine itself is unaffected. No ke0 was published: no effect site.",
    )


# ---- Esketamine nasal spray, fitted to the SPRAVATO label ------------------------------------------------
# SPRAVATO (esketamine) nasal spray prescribing information, Janssen, section 12.3:
#   absolute bioavailability ~48% after nasal administration; Tmax 20-40 min after the last spray of a session;
#   after Cmax the decline is biphasic, rapid for the first 2-4 h, mean terminal half-life 7-12 h
#   (Janssen Medical Information "Measurement of plasma levels of SPRAVATO", 2024, quoting the label);
#   IV esketamine: mean clearance ~89 L/h and steady-state volume of distribution ~709 L (attributed to label
#   12.3 but written from memory; NOT verified against the primary source - searches on 2026-11-26 did not
#   find the label text). Cross-check: the published population model of Perez-Ruixo C et al. (2021) Clin
#   Pharmacokinet, doi:10.1007/s40262-020-00953-4 (820 subjects, abstract) gives Vss 752 L and CL 114 L/h, the
#   same order; absolute levels from this set may be off by ~25%.
# Verified 2026-11-26 (J&J Medical Information, "Measurement of plasma levels of SPRAVATO", last updated
#   2024-12-27, citing the label; and the label summary in Current Psychiatry/MDedge): absolute bioavailability
#   48%; Tmax 20-40 min after the last nasal spray of a session; biphasic decline, rapid for 2-4 h, mean terminal
#   half-life 7-12 h; exposure roughly dose-proportional 28-84 mg; no accumulation with twice-weekly dosing.
# No compartmental model is printed in the label, so this 2-compartment model is FITTED to those numbers:
#   CL = 89 L/h, Vss = V1 + V2 = 709 L, terminal half-life 9.5 h (middle of 7-12 h), and an initial
#   (alpha) half-life of 40 min so that the rapid phase is essentially over after 2-4 h (~4.5 half-lives in
#   3 h). Solving the 2-compartment identities (l_a + l_z = k10 + k12 + k21, l_a * l_z = k10 * k21,
#   Vss = V1 (1 + k12/k21), k10 = CL/V1) gives the V1 and Q below (derivation checked in test_pk_models.py).
# ka is FITTED so that an 84 mg session (3 devices at 0, 5, 10 min) peaks 30 min after the last device
#   (middle of the label's 20-40 min).
ESKETAMINE_LABEL_CL_L_PER_MIN = 89.0 / 60.0
ESKETAMINE_LABEL_VSS_L = 709.0
ESKETAMINE_FIT_TERMINAL_HALF_LIFE_MIN = 9.5 * 60.0
ESKETAMINE_FIT_ALPHA_HALF_LIFE_MIN = 40.0
ESKETAMINE_FIT_TMAX_AFTER_LAST_DEVICE_MIN = 30.0


def _esketamine_2cmt_from_label() -> tuple[float, float, float]:
    """V1, V2, Q (L, L, L/min) of the 2-compartment model with the label's CL and Vss and the chosen
    alpha/terminal half-lives (l_a, l_z the two disposition eigenvalues)."""
    cl, vss = ESKETAMINE_LABEL_CL_L_PER_MIN, ESKETAMINE_LABEL_VSS_L
    la = math.log(2) / ESKETAMINE_FIT_ALPHA_HALF_LIFE_MIN
    lz = math.log(2) / ESKETAMINE_FIT_TERMINAL_HALF_LIFE_MIN
    s, p = la + lz, la * lz
    # With k10 = CL/V1, the identities give k21 = p/k10 = p V1/CL and k12 = s - k10 - k21. Substituting into
    # Vss = V1 + V1 k12/k21 = V1 + (s - CL/V1 - p V1/CL) CL/p = s CL/p - CL^2/(p V1), so
    # V1 = CL^2 / (s CL - p Vss).
    v1 = cl * cl / (s * cl - p * vss)
    k10 = cl / v1
    k21 = p / k10
    k12 = s - k10 - k21
    q = k12 * v1
    v2 = q / k21
    return v1, v2, q


def _esketamine() -> ParameterSet:
    v1, v2, q = _esketamine_2cmt_from_label()
    return ParameterSet(
        key="esketamine",
        name="Esketamine nasal spray (adult, 2-compartment fitted to the SPRAVATO label)",
        drug="esketamine",
        population="adults with treatment-resistant depression (label population)",
        citation=Citation(
            authors="Janssen Pharmaceuticals",
            year=2019,
            title="SPRAVATO (esketamine) nasal spray, CIII: full prescribing information (section 12.3)",
            journal="US FDA prescribing information",
        ),
        compartments=2,
        reference_weight_kg=70.0,
        v1_l=v1,
        v2_l=v2,
        cl_l_per_min=ESKETAMINE_LABEL_CL_L_PER_MIN,
        q2_l_per_min=q,
        # The label doses esketamine flat (not per kg) and gives no weight scaling: scale nothing.
        volume_exponent=0.0,
        clearance_exponent=0.0,
        ke0_per_min=ESKETAMINE_KE0_PER_MIN,
        ke0_source="No esketamine ke0 in the label. Chosen by the 'tpeak 1 min' convention (time to peak "
        "effect-site concentration 1 min after an IV bolus) used for the racemic sets; "
        "re-checked by test_pk_models.py.",
        routes=(
            Absorption(
                route="intranasal",
                bioavailability=0.48,  # SPRAVATO label 12.3: mean absolute bioavailability ~48%
                ka_per_min=ESKETAMINE_IN_KA_PER_MIN,
                lag_min=0.0,
                bioavailability_source="SPRAVATO label section 12.3 (absolute bioavailability ~48%)",
                ka_source="Fitted: 84 mg as 3 devices 5 min apart peaks 30 min after the last device "
                "(label Tmax 20-40 min after the last spray); re-checked by test_pk_models.py.",
            ),
        ),
        weight_range_kg=(40.0, 150.0),  # clinic-defined adult range (label doses are flat, adults only)
        age_range_years=(18.0, 100.0),
        variability=_ASSUMED_IIV,
        disposition_source="Fitted to SPRAVATO label values (see module comment).",
        notes="F 48%, Tmax 20-40 min and terminal half-life 7-12 h verified against J&J Medical Information "
        "quoting the label. CL 89 L/h and Vss 709 L: not verified against the primary source (the label text "
        "was not found); a published population model reports Vss 752 L and CL 114 L/h.",
    )


# Fitted numbers for the esketamine set (computed offline with this engine; test_pk_models.py recomputes them).
ESKETAMINE_KE0_PER_MIN = 5.928
ESKETAMINE_IN_KA_PER_MIN = 0.048745

# ---- Absorbing routes for racemic ketamine in adults (used with the adult Domino and Clements sets) --------
# Bioavailability by route (reported): IV 100%, IM ~93%, intranasal ~45%, sublingual ~29%, oral ~20%.
# ka values are FITTED so that the model's plasma Tmax after a single dose equals the Tmax reported by the
# source named in ka_source (with Domino disposition, 70 kg); the fit is re-checked by test_pk_models.py.
# Because the fit depends on the disposition model, Domino and Clements each get their own ka; F is shared.
# Sources of F and of the target Tmax:
_F_IM = (
    "im",
    0.93,
    20.0,
    "Clements JA, Nimmo WS, Grant IS (1982) J Pharm Sci 71(5):539-42: IM bioavailability 93% "
    "(clinical-reference sheet)",
    "Tmax 20 min after IM injection: review statement ('peak concentrations ~20 min after i.m.'), primary "
    "source not re-read; clinic-assumed target",
)
_F_IN = (
    "intranasal",
    0.45,
    20.0,
    "Yanagihara Y et al. (2003) Biopharm Drug Dispos 24(1):37-43, PMID 12516077: nasal spray ~45%",
    "Tmax ~20 min: Malinovsky JM et al. (1996) Br J Anaesth 77(2):203-7 (children, nasal ketamine peaked "
    "within 20 min)",
)
_F_SL = (
    "sublingual",
    0.29,
    45.0,
    "Rolan P et al. (2014) Br J Clin Pharmacol 77(6):1011-6, PMID 24977293: sublingual wafer 29%",
    "Tmax 0.75 h (median) after the sublingual wafer: Rolan et al. 2014",
)
_F_PO = (
    "oral",
    0.20,
    58.0,
    "Yanagihara Y et al. (2003) PMID 12516077: oral tablet ~20% (Clements 1982: 17%)",
    "Tmax 0.96 h after oral ketamine: Chong C, Schug S, Page-Sharp M, Ilett K (2006) Pain Med 7(5):469 (abstract: oral Tmax 0.96 +/- 0.8 h)",
)

# ka (1/min) fitted per disposition model so the model's single-dose plasma Tmax equals the target above.
_KA_FIT = {
    "domino": {"im": 0.011480, "intranasal": 0.011480, "sublingual": 0.006468, "oral": 0.005759},
    "clements": {"im": 0.086582, "intranasal": 0.086582, "sublingual": 0.023972, "oral": 0.016363},
}


def _racemic_routes(model_key: str) -> tuple[Absorption, ...]:
    out = []
    for route, f, tmax, f_src, t_src in (_F_IM, _F_IN, _F_SL, _F_PO):
        out.append(
            Absorption(
                route=route,
                bioavailability=f,
                ka_per_min=_KA_FIT[model_key][route],
                lag_min=0.0,
                bioavailability_source=f_src,
                ka_source=f"Fitted: with the {model_key} disposition (70 kg) a single dose peaks at {tmax:g} min. "
                f"Target from: {t_src}.",
            )
        )
    return tuple(out)


#: Clinic-assumed variability where the source reports none: 30% (omega 0.3) on every clearance and volume.
#: This is a placeholder of typical magnitude for ketamine population models (e.g. Herd 2007 reports
#: 19-64%), NOT a published value for these sets.
_ASSUMED_IIV = Variability(
    cl=0.3,
    v1=0.3,
    q2=0.3,
    v2=0.3,
    q3=0.3,
    v3=0.3,
    source="clinic-assumed 30% log-normal (no variability published for this set)",
)


def _build_sets() -> dict[str, ParameterSet]:
    sets = [_domino(), _clements(), _herd(), _hornik(), _esketamine(), _flint()]
    return {s.key: s for s in sets}


PARAMETER_SETS: dict[str, ParameterSet] = _build_sets()


def get(key: str) -> ParameterSet:
    """The parameter set called ``key`` (domino, clements, herd, hornik, esketamine, flint)."""
    try:
        return PARAMETER_SETS[key]
    except KeyError:
        raise ModelError(f"unknown model '{key}'; choose one of: {', '.join(PARAMETER_SETS)}") from None
