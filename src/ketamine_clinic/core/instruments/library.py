"""Every instrument the clinic uses, defined once as data (see :mod:`.model`), with the published sources.

Wording: PHQ-9 and GAD-7 (free to use, no permission required - Pfizer / Kroenke, Spitzer et al.), PCL-5
(US National Center for PTSD, public domain) and AUDIT-C (WHO AUDIT, free to use) carry the published item
text. QIDS-SR16, MADRS, the C-SSRS screener, CADSS and DAST-10 are copyrighted or licence-restricted; they
carry short PARAPHRASED labels written for this software (marked in ``wording_note``) - clinics that hold the
official forms should administer those and enter the item answers here.

Thresholds marked "clinic-defined" are choices of this software, not published cut-offs.
"""

from __future__ import annotations

from .model import (
    Instrument,
    Item,
    PositiveScreen,
    ResponseOption,
    RiskRule,
    SeverityBand,
    Subscale,
)


def _opts(*labels: str, start: int = 0) -> tuple[ResponseOption, ...]:
    return tuple(ResponseOption(start + i, label) for i, label in enumerate(labels))


def _items(texts, options, *, short=None, per_item=None) -> tuple[Item, ...]:
    out = []
    for i, text in enumerate(texts, start=1):
        extra = dict((per_item or {}).get(i, {}))
        out.append(
            Item(
                number=i,
                text=text,
                options=extra.pop("options", options),
                short=(short or {}).get(i, ""),
                **extra,
            )
        )
    return tuple(out)


# ---------------------------------------------------------------------------------------------- PHQ-9
_FREQ4 = _opts("Not at all", "Several days", "More than half the days", "Nearly every day")

PHQ9 = Instrument(
    key="phq9",
    name="Patient Health Questionnaire-9",
    short_name="PHQ-9",
    respondent="either",
    preamble="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=_items(
        [
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself - or that you are a failure or have let yourself or your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the opposite - being so "
            "fidgety or restless that you have been moving around a lot more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ],
        _FREQ4,
        short={
            1: "interest",
            2: "mood",
            3: "sleep",
            4: "energy",
            5: "appetite",
            6: "self-worth",
            7: "concentration",
            8: "psychomotor",
            9: "thoughts of death/self-harm",
        },
        # Item 9 > 0 needs same-day clinical review (Kroenke et al. 2001; the PHQ instructions ask the clinician
        # to assess suicide risk for any positive answer to item 9).
        per_item={9: {"critical_threshold": 1, "critical_flag": "phq9_item9"}},
    ),
    # Severity: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe.
    severity_bands=(
        SeverityBand(0, 4, "minimal"),
        SeverityBand(5, 9, "mild"),
        SeverityBand(10, 14, "moderate"),
        SeverityBand(15, 19, "moderately severe"),
        SeverityBand(20, 27, "severe"),
    ),
    severity_source="Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity "
    "measure. J Gen Intern Med 2001;16(9):606-613. PMID 11556941. Cut-points 5/10/15/20.",
    max_missing=2,
    missing_rule_source="clinic-defined: up to 2 non-critical items may be blank, total prorated "
    "(sum x 9 / answered, rounded half up); item 9 must always be answered.",
    # Remission PHQ-9 < 5 (i.e. <= 4), the 'minimal' band; measurement-based-care studies and the NCQA/HEDIS
    # metrics use it ("Defining Success in Measurement-Based Care for Depression: A Comparison of Common
    # Metrics", Psychiatr Serv, doi 10.1176/appi.ps.201900295: response >= 50% reduction, remission < 5).
    remission_max=4,
    remission_source="PHQ-9 < 5 (Kroenke et al. 2001 'minimal' band; MBC/HEDIS remission definition, "
    "Psychiatr Serv doi 10.1176/appi.ps.201900295)",
    citation="Kroenke K, Spitzer RL, Williams JBW. J Gen Intern Med 2001;16(9):606-613. PMID 11556941.",
    scoring_source="Sum of 9 items scored 0-3 (total 0-27); Kroenke et al. 2001.",
    wording_note="Published item wording (PHQ-9 is free to use; no permission required).",
    aliases=("phq-9", "phq"),
)

# ---------------------------------------------------------------------------------------------- GAD-7
GAD7 = Instrument(
    key="gad7",
    name="Generalized Anxiety Disorder-7",
    short_name="GAD-7",
    respondent="either",
    preamble="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=_items(
        [
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid, as if something awful might happen",
        ],
        _FREQ4,
        short={
            1: "nervous",
            2: "uncontrolled worry",
            3: "worry",
            4: "relaxing",
            5: "restless",
            6: "irritable",
            7: "afraid",
        },
    ),
    # Cut-points 5, 10, 15 = mild, moderate, severe anxiety (Spitzer et al. 2006).
    severity_bands=(
        SeverityBand(0, 4, "minimal"),
        SeverityBand(5, 9, "mild"),
        SeverityBand(10, 14, "moderate"),
        SeverityBand(15, 21, "severe"),
    ),
    severity_source="Spitzer RL, Kroenke K, Williams JBW, Lowe B. A brief measure for assessing generalized "
    "anxiety disorder: the GAD-7. Arch Intern Med 2006;166(10):1092-1097. PMID 16717171.",
    max_missing=1,
    missing_rule_source="clinic-defined: 1 item may be blank, total prorated (sum x 7 / answered).",
    remission_max=4,
    remission_source="clinic-defined: GAD-7 < 5, the 'minimal' band of Spitzer et al. 2006.",
    citation="Spitzer RL et al. Arch Intern Med 2006;166(10):1092-1097. PMID 16717171.",
    scoring_source="Sum of 7 items scored 0-3 (total 0-21); Spitzer et al. 2006.",
    wording_note="Published item wording (GAD-7 is free to use; no permission required).",
    aliases=("gad-7", "gad"),
)

# ---------------------------------------------------------------------------------------------- PCL-5
_BOTHER5 = _opts("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely")

PCL5 = Instrument(
    key="pcl5",
    name="PTSD Checklist for DSM-5",
    short_name="PCL-5",
    respondent="self",
    preamble="In the past month, how much were you bothered by:",
    items=_items(
        [
            "Repeated, disturbing, and unwanted memories of the stressful experience?",
            "Repeated, disturbing dreams of the stressful experience?",
            "Suddenly feeling or acting as if the stressful experience were actually happening again (as if "
            "you were actually back there reliving it)?",
            "Feeling very upset when something reminded you of the stressful experience?",
            "Having strong physical reactions when something reminded you of the stressful experience (for "
            "example, heart pounding, trouble breathing, sweating)?",
            "Avoiding memories, thoughts, or feelings related to the stressful experience?",
            "Avoiding external reminders of the stressful experience (for example, people, places, "
            "conversations, activities, objects, or situations)?",
            "Trouble remembering important parts of the stressful experience?",
            "Having strong negative beliefs about yourself, other people, or the world (for example, having "
            "thoughts such as: I am bad, there is something seriously wrong with me, no one can be trusted, "
            "the world is completely dangerous)?",
            "Blaming yourself or someone else for the stressful experience or what happened after it?",
            "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
            "Loss of interest in activities that you used to enjoy?",
            "Feeling distant or cut off from other people?",
            "Trouble experiencing positive feelings (for example, being unable to feel happiness or have "
            "loving feelings for people close to you)?",
            "Irritable behavior, angry outbursts, or acting aggressively?",
            "Taking too many risks or doing things that could cause you harm?",
            'Being "superalert" or watchful or on guard?',
            "Feeling jumpy or easily startled?",
            "Having difficulty concentrating?",
            "Trouble falling or staying asleep?",
        ],
        _BOTHER5,
    ),
    # There are no empirically derived PCL-5 severity ranges; bands show the provisional-diagnosis cut-point.
    severity_bands=(
        SeverityBand(0, 30, "below provisional PTSD cut-off"),
        SeverityBand(31, 80, "probable PTSD"),
    ),
    positive_screen=PositiveScreen(
        flag="pcl5_probable_ptsd",
        threshold=31,  # lower end of the 31-33 cut-point range (Blevins et al. 2015; NCPTSD scoring guidance)
        source="Blevins CA et al. J Trauma Stress 2015;28(6):489-498 (cut-point 31-33). PMID 26606250.",
    ),
    # DSM-5 symptom-cluster severity scores (NCPTSD PCL-5 scoring instructions): B = items 1-5, C = 6-7,
    # D = 8-14, E = 15-20.
    subscales=(
        Subscale("B", "Intrusion (B)", (1, 2, 3, 4, 5)),
        Subscale("C", "Avoidance (C)", (6, 7)),
        Subscale("D", "Negative alterations in cognitions and mood (D)", (8, 9, 10, 11, 12, 13, 14)),
        Subscale("E", "Alterations in arousal and reactivity (E)", (15, 16, 17, 18, 19, 20)),
    ),
    subscale_source="US National Center for PTSD, PCL-5 scoring: cluster severity = sum of items in cluster B "
    "(1-5), C (6-7), D (8-14), E (15-20). The alternative DSM-5 provisional-diagnosis rule (items rated >= 2 "
    "as endorsed; >= 1 B, >= 1 C, >= 2 D, >= 2 E) is not implemented.",
    severity_source="US National Center for PTSD PCL-5 scoring: total 0-80, provisional PTSD at 31-33 "
    "(Blevins et al. 2015; Forkus et al. 2023 systematic review, PMID 37378352); no published severity ranges.",
    max_missing=2,
    missing_rule_source="clinic-defined: up to 2 items may be blank, total prorated (sum x 20 / answered).",
    remission_max=None,
    remission_source="No established PCL-5 remission cut-off; response only.",
    citation="Weathers FW et al. The PTSD Checklist for DSM-5 (PCL-5). National Center for PTSD, 2013; "
    "Blevins CA et al. J Trauma Stress 2015;28(6):489-498. PMID 26606250.",
    scoring_source="Sum of 20 items scored 0-4 (total 0-80); cluster subscales B/C/D/E (NCPTSD scoring).",
    wording_note="Published item wording (PCL-5 is a US Government work in the public domain).",
    aliases=("pcl-5", "pcl"),
)


# ---------------------------------------------------------------------------------------------- QIDS-SR16
def _q(*labels):
    return _opts(*labels)


QIDS_SR16 = Instrument(
    key="qids_sr16",
    name="Quick Inventory of Depressive Symptomatology - Self-Report (16 items)",
    short_name="QIDS-SR16",
    respondent="self",
    preamble="Over the past 7 days, pick the answer that best describes you for each item.",
    items=_items(
        [
            "Falling asleep",
            "Sleep during the night",
            "Waking up too early",
            "Sleeping too much",
            "Feeling sad",
            "Decreased appetite (answer 6 or 7, not both)",
            "Increased appetite (answer 6 or 7, not both)",
            "Decreased weight in the last 2 weeks (answer 8 or 9, not both)",
            "Increased weight in the last 2 weeks (answer 8 or 9, not both)",
            "Concentration and decision-making",
            "View of myself",
            "Thoughts of death or suicide",
            "General interest",
            "Energy level",
            "Feeling slowed down",
            "Feeling restless",
        ],
        _q("0 - no problem", "1 - mild", "2 - moderate", "3 - severe"),
        short={
            1: "initial insomnia",
            2: "middle insomnia",
            3: "early waking",
            4: "hypersomnia",
            5: "sad mood",
            6: "appetite down",
            7: "appetite up",
            8: "weight down",
            9: "weight up",
            10: "concentration",
            11: "self-view",
            12: "death/suicide thoughts",
            13: "interest",
            14: "energy",
            15: "slowed down",
            16: "restless",
        },
        # Item 12 at 2 ("thinks of suicide or death several times a week") or more: clinic-defined escalation.
        per_item={12: {"critical_threshold": 1, "critical_flag": "qids_item12"}},
    ),
    # Nine DSM symptom domains; the sleep, appetite/weight and psychomotor domains take the HIGHEST item
    # (Rush et al. 2003): sleep = max(1-4), appetite/weight = max(6-9), psychomotor = max(15, 16).
    max_groups=((1, 2, 3, 4), (6, 7, 8, 9), (15, 16)),
    severity_bands=(
        SeverityBand(0, 5, "none"),
        SeverityBand(6, 10, "mild"),
        SeverityBand(11, 15, "moderate"),
        SeverityBand(16, 20, "severe"),
        SeverityBand(21, 27, "very severe"),
    ),
    severity_source="Rush AJ et al. The 16-item QIDS, CIDS and self-report QIDS-SR. Biol Psychiatry "
    "2003;54(5):573-583. PMID 12946886; severity table at ids-qids.org/interpretation (0-5 none, 6-10 mild, "
    "11-15 moderate, 16-20 severe, 21-27 very severe).",
    max_missing=0,
    missing_rule_source="clinic-defined (no published missing-item rule found): every one of the 9 domains needs "
    "at least one answer; blank items inside the sleep, appetite/weight and psychomotor groups are allowed, as "
    "the form asks for only one of 6/7 and 8/9 and the domain takes the highest answered item.",
    # Remission QIDS-SR16 <= 5 (STAR*D: Trivedi MH et al. Am J Psychiatry 2006;163(1):28-40, PMID 16390886).
    remission_max=5,
    remission_source="QIDS-SR16 <= 5 (Trivedi et al. 2006, STAR*D; Rush et al. 2006 ACNP Task Force).",
    citation="Rush AJ et al. Biol Psychiatry 2003;54(5):573-583. PMID 12946886.",
    scoring_source="Sum of 9 domain scores 0-3 (total 0-27) with max-of-group domains; Rush et al. 2003.",
    wording_note="PARAPHRASED short labels and generic 0-3 anchors, not the published QIDS-SR16 wording.",
    aliases=("qids", "qids-sr16", "qidssr16", "qids-sr"),
)
# QIDS item 12 is flagged at >= 1 for review; it escalates only at >= 2 (see ESCALATION_THRESHOLDS).

# ---------------------------------------------------------------------------------------------- MADRS
_MADRS = _opts("0 - absent / normal", "1", "2 - mild", "3", "4 - moderate", "5", "6 - severe / extreme")

MADRS = Instrument(
    key="madrs",
    name="Montgomery-Asberg Depression Rating Scale",
    short_name="MADRS",
    respondent="clinician",
    preamble="Clinician rating from the interview (and observation for item 1). Anchors are defined at 0, 2, "
    "4 and 6; odd values fall between them.",
    items=_items(
        [
            "Apparent sadness (observed despondency, gloom, despair)",
            "Reported sadness",
            "Inner tension",
            "Reduced sleep",
            "Reduced appetite",
            "Concentration difficulties",
            "Lassitude (difficulty getting started, slowness)",
            "Inability to feel (reduced interest, emotional numbness)",
            "Pessimistic thoughts (guilt, inferiority, self-reproach)",
            "Suicidal thoughts",
        ],
        _MADRS,
        short={
            1: "apparent sadness",
            2: "reported sadness",
            3: "inner tension",
            4: "sleep",
            5: "appetite",
            6: "concentration",
            7: "lassitude",
            8: "inability to feel",
            9: "pessimism",
            10: "suicidal thoughts",
        },
        # Item 10 anchor 2 already describes fleeting suicidal thoughts: flag for review at >= 2.
        per_item={10: {"critical_threshold": 2, "critical_flag": "madrs_item10"}},
    ),
    # Snaith et al. 1986 grading: 0-6 normal, 7-19 mild, 20-34 moderate, 35-60 severe.
    severity_bands=(
        SeverityBand(0, 6, "normal"),
        SeverityBand(7, 19, "mild"),
        SeverityBand(20, 34, "moderate"),
        SeverityBand(35, 60, "severe"),
    ),
    severity_source="Snaith RP, Harrop FM, Newby DA, Teale C. Grade scores of the Montgomery-Asberg Depression "
    "and the Clinical Anxiety Scales. Br J Psychiatry 1986;148:599-601. doi 10.1192/bjp.148.5.599.",
    max_missing=0,
    missing_rule_source="Clinician-rated: all 10 items must be rated.",
    # Remission MADRS <= 10: the MADRS score matching the usual HAM-D17 remission cut-off (<= 7) - Zimmerman M,
    # Posternak MA, Chelminski I. J Psychiatr Res 2004;38(6):577-582 (regression: <= 11 in the whole sample,
    # <= 10 once patients still meeting MDD criteria were excluded). Stricter published alternatives, checked
    # against their abstracts: Hawley, Gale & Sivakumaran, J Affect Disord 2002;72(2):177-184, PMID 12200208
    # ("< 9" or "< 10", i.e. <= 8 or <= 9); Zimmerman et al., J Clin Psychiatry 2004;65(2):163-168, PMID 15003068
    # (<= 9 broad, <= 4 narrow). Some esketamine trials used <= 12 (not verified against the primary source).
    # The clinic may tighten this in the plan's config.
    remission_max=10,
    remission_source="MADRS <= 10 (Zimmerman, Posternak & Chelminski, J Psychiatr Res 2004;38(6):577-582: "
    "MADRS equivalent of HAM-D17 <= 7); stricter cut-offs: Hawley et al. 2002 '< 10' (PMID 12200208), "
    "Zimmerman et al. 2004 '<= 9' broad / '<= 4' narrow (PMID 15003068)",
    citation="Montgomery SA, Asberg M. A new depression scale designed to be sensitive to change. Br J "
    "Psychiatry 1979;134:382-389. PMID 444788.",
    scoring_source="Sum of 10 clinician-rated items 0-6 (total 0-60); Montgomery & Asberg 1979.",
    wording_note="PARAPHRASED item names and anchors; raters should use the published MADRS anchors.",
    aliases=("madrs",),
)

# ---------------------------------------------------------------------------------------------- C-SSRS
_YN = _opts("No", "Yes")

CSSRS_SCREENER = Instrument(
    key="cssrs_screener",
    tracks_outcome=False,
    name="Columbia Suicide Severity Rating Scale - Screener (recent)",
    short_name="C-SSRS screener",
    respondent="either",
    preamble="Answer yes (1) or no (0). Questions 1-5 are about the PAST MONTH. Questions 3-5 are asked only "
    "if question 2 is yes. Question 6b is asked only if question 6 is yes.",
    items=_items(
        [
            "Past month: have you wished you were dead or wished you could go to sleep and not wake up?",
            "Past month: have you actually had any thoughts of killing yourself?",
            "Past month: have you been thinking about how you might do this?",
            "Past month: have you had these thoughts and had some intention of acting on them?",
            "Past month: have you started to work out, or worked out, the details of how to kill yourself, and "
            "do you intend to carry out this plan?",
            "Have you ever done anything, started to do anything, or prepared to do anything to end your life?",
            "6b. Was that within the past 3 months?",
        ],
        _YN,
        short={
            1: "wish to be dead",
            2: "suicidal thoughts",
            3: "thoughts with method",
            4: "intent",
            5: "plan and intent",
            6: "suicidal behaviour (lifetime)",
            7: "behaviour within 3 months",
        },
        per_item={
            3: {"asked_if": (2, 1)},
            4: {"asked_if": (2, 1)},
            5: {"asked_if": (2, 1)},
            7: {"asked_if": (6, 1)},
        },
    ),
    scoring="risk",
    # Triage per the Columbia Lighthouse Project "C-SSRS Screener - recent, with triage points" (2021):
    # yes to 1 or 2 = low risk; yes to 3, or behaviour more than 3 months ago = moderate;
    # yes to 4 or 5, or behaviour within the past 3 months = high.
    risk_levels=("none", "low", "moderate", "high"),
    risk_rules=(
        RiskRule("low", ((1, 1),)),
        RiskRule("low", ((2, 1),)),
        RiskRule("moderate", ((3, 1),)),
        RiskRule("moderate", ((6, 1), (7, 0))),
        RiskRule("high", ((4, 1),)),
        RiskRule("high", ((5, 1),)),
        RiskRule("high", ((6, 1), (7, 1))),
    ),
    # clinic-defined: ANY yes is a positive screen and escalates to the prescriber (risk level sets priority).
    risk_flag="cssrs_positive",
    severity_source="Columbia Lighthouse Project, C-SSRS Screener - recent, with triage points (2021 form, as "
    "referenced by the NINDS Common Data Elements): yes to 1/2 low, 3 or behaviour > 3 months ago moderate, "
    "4, 5 or behaviour within 3 months high; questions 3-5 only after yes to 2. Checked against secondary "
    "summaries of the form (NINDS CDE, C-SSRS triage guidelines), not the form itself. Posner K et al. "
    "Am J Psychiatry 2011;168(12):1266-1277. PMID 22193671.",
    max_missing=0,
    missing_rule_source="Every asked question must be answered; skipped branches are left blank.",
    citation="Posner K et al. The Columbia-Suicide Severity Rating Scale. Am J Psychiatry "
    "2011;168(12):1266-1277. PMID 22193671.",
    scoring_source="No total score; risk level from the items endorsed (triage points).",
    wording_note="PARAPHRASED from the screener; use the official C-SSRS form where licensed.",
    aliases=("cssrs", "c-ssrs", "c-ssrs-screener", "cssrs-screener"),
)

# ---------------------------------------------------------------------------------------------- CADSS
_CADSS = _opts("Not at all", "Slightly", "Moderately", "Considerably", "Extremely")

CADSS = Instrument(
    key="cadss",
    tracks_outcome=False,
    # Version: the ORIGINAL Bremner et al. 1998 CADSS, its 19 subjective (patient-answered) items only - Table 1
    # of the paper lists subjective items 1-19, followed by the observer items (from item 20), which are not
    # scored here. Total 0-76. NOT the later 23-subjective-item version (0-92) used in many ketamine/esketamine
    # trials (Bremner et al. J Affect Disord 2024), nor the 6-item CADSS-6; totals are not comparable across them.
    name="Clinician-Administered Dissociative States Scale (1998 version: 19 subjective items, total 0-76)",
    short_name="CADSS",
    respondent="clinician",
    preamble="Ask about the present moment ('at this time, in this room'), typically around 40 minutes after "
    "the start of an infusion and again before discharge.",
    items=_items(
        [
            "Things seem to be moving in slow motion",
            "Things seem unreal, as if in a dream",
            "Feels separated from what is happening (as if in a movie or a play, or like a robot)",
            "Feels as if looking at things from outside the body",
            "Feels like an observer or spectator of the situation",
            "Feels disconnected from own body",
            "Sense of own body has changed (unusually large or small)",
            "People seem motionless, dead or mechanical",
            "Objects look different than expected",
            "Colours seem diminished in intensity",
            "Sees things as if in a tunnel or through a wide-angle lens",
            "The experience seems to take much longer than expected",
            "Things seem to happen very quickly, a lifetime in a moment",
            "Things happen that cannot later be accounted for",
            "Spaces out or loses track of what is going on",
            "Sounds almost disappear or become much stronger than expected",
            "Things seem very real, with a special sense of clarity",
            "Looking at the world through a fog; people and objects far away or unclear",
            "Colours seem much brighter than expected",
        ],
        _CADSS,
    ),
    severity_bands=(),  # no published severity bands; the trajectory and change from pre-dose are what count
    severity_source="No published severity bands for the CADSS.",
    max_missing=0,
    missing_rule_source="clinic-defined: all items must be rated.",
    remission_max=None,
    remission_source="Not an outcome measure (acute dissociation during sessions).",
    citation="Bremner JD, Krystal JH, Putnam FW et al. Measurement of dissociative states with the "
    "Clinician-Administered Dissociative States Scale (CADSS). J Trauma Stress 1998;11(1):125-136. PMID 9479681. "
    "Psychometrics for ketamine-induced dissociation: J Psychopharmacol, doi 10.1177/0269881117725685; "
    "Bremner JD et al. J Affect Disord 2024;364:249-258, doi 10.1016/j.jad.2024.08.050.",
    scoring_source="Sum of the 19 subjective items of the 1998 version (Bremner et al. 1998, Table 1: subjective "
    "items 1-19; observer items not scored), each 0-4 (total 0-76). Item count and order checked against Table 1; "
    "the 0-4 anchor labels are not verified against the primary source.",
    wording_note="PARAPHRASED from the 19 subjective items of Bremner et al. 1998 (Table 1); the later 23-item "
    "subjective version (total 0-92) is not reproduced and its totals must not be compared with these.",
    aliases=("cadss",),
)

# ---------------------------------------------------------------------------------------------- pain NRS
PAIN_NRS = Instrument(
    key="pain_nrs",
    name="Pain intensity numeric rating scale (0-10)",
    short_name="Pain NRS",
    respondent="either",
    preamble="On a scale from 0 (no pain) to 10 (worst pain imaginable), how bad has your pain been on "
    "average over the past 24 hours?",
    items=(
        Item(
            number=1,
            text="Average pain over the past 24 hours",
            options=tuple(
                ResponseOption(v, {0: "0 - no pain", 10: "10 - worst pain imaginable"}.get(v, str(v)))
                for v in range(11)
            ),
            short="pain",
        ),
    ),
    # Cut-points 1-4 mild, 5-6 moderate, 7-10 severe (Serlin et al. 1995; confirmed by Palos et al. 2006).
    severity_bands=(
        SeverityBand(0, 0, "no pain"),
        SeverityBand(1, 4, "mild"),
        SeverityBand(5, 6, "moderate"),
        SeverityBand(7, 10, "severe"),
    ),
    severity_source="Serlin RC, Mendoza TR, Nakamura Y, Edwards KR, Cleeland CS. When is cancer pain mild, "
    "moderate or severe? Pain 1995;61(2):277-284. PMID 7659438; Palos GR et al. J Pain 2006;7(1):49-56. "
    "PMID 16414555.",
    max_missing=0,
    missing_rule_source="Single item: must be answered.",
    remission_max=None,
    remission_source="No remission cut-off; >= 50% reduction counts as substantial improvement (Dworkin RH et "
    "al. IMMPACT, J Pain 2008;9(2):105-121).",
    citation="Single-item 0-10 NRS; cut-points Serlin et al. 1995 (PMID 7659438).",
    scoring_source="The answer is the score (0-10).",
    wording_note="Generic wording of the 0-10 numeric rating scale (not copyrighted).",
    aliases=("pain", "nrs", "pain-nrs"),
)

# ---------------------------------------------------------------------------------------------- AUDIT-C
AUDIT_C = Instrument(
    key="audit_c",
    tracks_outcome=False,
    name="Alcohol Use Disorders Identification Test - Consumption",
    short_name="AUDIT-C",
    respondent="self",
    preamble="Please answer about your drinking over the past year.",
    items=(
        Item(
            1,
            "How often do you have a drink containing alcohol?",
            _opts(
                "Never", "Monthly or less", "2-4 times a month", "2-3 times a week", "4 or more times a week"
            ),
            short="frequency",
        ),
        Item(
            2,
            "How many standard drinks containing alcohol do you have on a typical day when you are drinking?",
            _opts("1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more"),
            short="quantity",
        ),
        Item(
            3,
            "How often do you have six or more drinks on one occasion?",
            _opts("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"),
            short="binge",
        ),
    ),
    severity_bands=(),  # screening result rather than bands
    positive_screen=PositiveScreen(
        flag="audit_c_positive",
        # >= 4 for men, >= 3 for women: the cut points of the US validation studies (stated as "AUDIT-C scores
        # >= 4 points for men and >= 3 for women are considered positive screens" in Bradley's group's later
        # papers, e.g. Frank D et al. J Gen Intern Med 2008;23(6):781-787, PMID 18421511). Women: Bradley KA et
        # al. Arch Intern Med 2003;163(7):821-829 (female VA patients). Bush et al. 1998 validated the AUDIT-C in
        # male VA patients across cut points; that >= 4 itself comes from Bush 1998 is not verified against the
        # primary source. Unknown sex uses the more sensitive >= 3 (clinic-defined).
        threshold=3,
        by_sex=(("m", 4), ("f", 3)),
        source="Positive screen >= 4 (men) / >= 3 (women): Frank D et al. J Gen Intern Med 2008;23(6):781-787 "
        "(PMID 18421511) citing the US validation studies; Bradley KA et al. Arch Intern Med 2003;163(7):821-829 "
        "(women); Bush K et al. Arch Intern Med 1998;158(16):1789-1795 (PMID 9738608, men; that its own "
        "recommended cut point is >= 4 is not verified against the primary source).",
    ),
    severity_source="Positive screen >= 4 (men) / >= 3 (women) (US validation studies: Bush et al. 1998 men; "
    "Bradley et al. 2003 women; thresholds as restated by Frank et al. 2008, PMID 18421511).",
    max_missing=0,
    missing_rule_source="All 3 items must be answered.",
    remission_max=None,
    remission_source="Screening instrument; no remission cut-off.",
    citation="Bush K et al. The AUDIT alcohol consumption questions (AUDIT-C). Arch Intern Med "
    "1998;158(16):1789-1795. PMID 9738608.",
    scoring_source="Sum of 3 items scored 0-4 (total 0-12).",
    wording_note="Published item wording (WHO AUDIT questions 1-3; free to use).",
    aliases=("auditc", "audit-c", "audit"),
)

# ---------------------------------------------------------------------------------------------- DAST-10
DAST10 = Instrument(
    key="dast10",
    tracks_outcome=False,
    name="Drug Abuse Screening Test (10 items)",
    short_name="DAST-10",
    respondent="self",
    preamble="These questions are about drug use in the past 12 months, not counting alcohol or tobacco, or "
    "medicines taken as prescribed. Answer yes (1) or no (0).",
    items=_items(
        [
            "Used drugs other than those needed for medical reasons",
            "Used more than one drug at a time",
            "Always able to stop using drugs when you want to",
            "Had blackouts or flashbacks from drug use",
            "Felt bad or guilty about drug use",
            "Spouse, partner or parents complained about your drug use",
            "Neglected your family because of drug use",
            "Did illegal things to obtain drugs",
            "Had withdrawal symptoms when stopping drugs",
            "Had medical problems from drug use (e.g. memory loss, hepatitis, convulsions, bleeding)",
        ],
        _YN,
        # Item 3 is keyed for "No": it is reverse-scored (Skinner 1982).
        per_item={3: {"reverse_scored": True}},
    ),
    severity_bands=(
        SeverityBand(0, 0, "no problems reported"),
        SeverityBand(1, 2, "low"),
        SeverityBand(3, 5, "moderate"),
        SeverityBand(6, 8, "substantial"),
        SeverityBand(9, 10, "severe"),
    ),
    severity_source="Skinner HA. The Drug Abuse Screening Test. Addict Behav 1982;7(4):363-371. PMID 7183189; "
    "interpretation bands as in the NIDA CDE for DAST-10 (0 none, 1-2 low, 3-5 moderate, 6-8 substantial, "
    "9-10 severe).",
    max_missing=0,
    missing_rule_source="All 10 items must be answered.",
    remission_max=None,
    remission_source="Screening instrument; no remission cut-off.",
    citation="Skinner HA. Addict Behav 1982;7(4):363-371. PMID 7183189.",
    scoring_source="1 point per 'yes', except item 3 where 'no' scores 1 (total 0-10).",
    wording_note="PARAPHRASED item labels (DAST-10 is copyrighted by H. Skinner).",
    aliases=("dast", "dast-10"),
)


INSTRUMENTS: dict[str, Instrument] = {
    i.key: i for i in (PHQ9, GAD7, PCL5, QIDS_SR16, MADRS, CSSRS_SCREENER, CADSS, PAIN_NRS, AUDIT_C, DAST10)
}

#: Flags that open an urgent suicide-risk task for the prescriber, with the minimum raw item answer needed.
#: PHQ-9 item 9 > 0 and a positive C-SSRS screen come from the issue; QIDS item 12 >= 2 ("thinks of suicide or
#: death several times a week") and MADRS item 10 >= 4 ("suicide considered as a possible solution") are
#: clinic-defined.
ESCALATION_THRESHOLDS: dict[str, tuple[str, int | None, int]] = {
    # flag: (instrument key, item number or None for risk flags, minimum raw answer)
    "phq9_item9": ("phq9", 9, 1),
    "cssrs_positive": ("cssrs_screener", None, 1),
    "qids_item12": ("qids_sr16", 12, 2),
    "madrs_item10": ("madrs", 10, 4),
}


def _normal(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def get(name: str) -> Instrument:
    """Look up an instrument by key or alias, ignoring case, hyphens and underscores ("PHQ-9" -> phq9)."""
    wanted = _normal(name)
    for inst in INSTRUMENTS.values():
        if wanted == _normal(inst.key) or wanted in {_normal(a) for a in inst.aliases}:
            return inst
    known = ", ".join(INSTRUMENTS)
    raise KeyError(f"unknown instrument {name!r} (known: {known})")


def label(key: str) -> str:
    """The instrument's name as clinicians write it ("C-SSRS screener", not the key "cssrs_screener"); an
    unknown key is shown as it is."""
    try:
        return get(key).short_name
    except KeyError:
        return key


def escalating_flags(instrument: Instrument, flags, item_answers) -> list[str]:
    """The subset of ``flags`` that must open an urgent suicide-risk task.

    ``item_answers`` are the raw answers in item order (None = blank), as stored with the administration.
    """
    out = []
    for flag in flags:
        rule = ESCALATION_THRESHOLDS.get(flag)
        if rule is None or rule[0] != instrument.key:
            continue
        _, item_number, minimum = rule
        if item_number is None:
            out.append(flag)
            continue
        value = item_answers[item_number - 1] if item_number - 1 < len(item_answers) else None
        if value is not None and value >= minimum:
            out.append(flag)
    return out
