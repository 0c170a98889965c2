"""The shapes an instrument definition is made of.

An instrument (PHQ-9, MADRS, C-SSRS screener ...) is pure data: its items with their response options, how the
item scores combine into a total, the published severity bands, which items are critical (a flag is raised when
they reach a threshold), which are reverse-scored, which are only asked after a "yes" elsewhere (branching), how
many items may be left blank and whether the total is then prorated, and the source of every number. The one
generic engine in :mod:`.engine` scores any of them, so a new instrument is a new data block, not new code.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ScoringError(ValueError):
    """Answers that cannot be scored. ``item`` is the 1-based item number at fault (None if not one item)."""

    def __init__(self, message: str, *, item: int | None = None):
        super().__init__(message)
        self.item = item


@dataclass(frozen=True)
class ResponseOption:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    """One question. ``number`` is 1-based as printed on the published form."""

    number: int
    text: str
    options: tuple[ResponseOption, ...]
    #: scored as (lowest + highest option value) - answer, e.g. DAST-10 item 3 ("always able to stop?")
    reverse_scored: bool = False
    #: raw answer at or above which ``critical_flag`` is raised (e.g. PHQ-9 item 9 >= 1)
    critical_threshold: int | None = None
    critical_flag: str = ""
    #: branching: the item is only asked when item ``asked_if[0]`` was answered ``asked_if[1]``
    asked_if: tuple[int, int] | None = None
    #: short label for tables and chart legends
    short: str = ""

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)

    @property
    def min_value(self) -> int:
        return min(self.values)

    @property
    def max_value(self) -> int:
        return max(self.values)

    @property
    def is_critical(self) -> bool:
        return self.critical_threshold is not None


@dataclass(frozen=True)
class SeverityBand:
    """Inclusive total-score range [low, high] with its published label."""

    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Subscale:
    """A published subscale: the plain sum of the scored ``items`` (e.g. the PCL-5 DSM-5 symptom clusters)."""

    key: str
    label: str
    items: tuple[int, ...]


@dataclass(frozen=True)
class RiskRule:
    """For risk-triage instruments (C-SSRS screener): ``level`` applies when every (item, value) pair holds."""

    level: str
    all_of: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class PositiveScreen:
    """A screening cut-off: ``flag`` is raised when total >= threshold (threshold may differ by sex)."""

    flag: str
    threshold: int
    by_sex: tuple[tuple[str, int], ...] = ()
    source: str = ""

    def threshold_for(self, sex: str | None) -> int:
        key = (sex or "").strip().lower()[:1]
        for s, t in self.by_sex:
            if s == key:
                return t
        return self.threshold


@dataclass(frozen=True)
class Instrument:
    key: str
    name: str
    short_name: str
    #: "self" (patient completes it), "clinician" (rated by a clinician), or "either"
    respondent: str
    preamble: str
    items: tuple[Item, ...]
    #: "sum" (sum of domain scores) or "risk" (triage level from ``risk_rules``, no total)
    scoring: str = "sum"
    #: item groups scored as the highest answered item (QIDS-SR16 sleep, appetite/weight, psychomotor);
    #: every other item is its own domain
    max_groups: tuple[tuple[int, ...], ...] = ()
    severity_bands: tuple[SeverityBand, ...] = ()
    risk_rules: tuple[RiskRule, ...] = ()
    #: risk levels from lowest to highest; the first is reported when no rule matches
    risk_levels: tuple[str, ...] = ()
    #: flag raised when any risk rule matches (a "positive screen")
    risk_flag: str = ""
    positive_screen: PositiveScreen | None = None
    #: published subscales (sums of item groups), reported beside the total; never prorated
    subscales: tuple[Subscale, ...] = ()
    subscale_source: str = ""
    #: how many domains may be blank (critical items never may); the total is then prorated
    max_missing: int = 0
    missing_rule_source: str = ""
    #: total at or below which the patient counts as remitted (None: no published remission cut-off)
    remission_max: int | None = None
    remission_source: str = ""
    citation: str = ""
    scoring_source: str = ""
    severity_source: str = ""
    #: how the item wording was obtained: published public-domain text, or short paraphrased labels
    wording_note: str = ""
    #: False for instruments that are not treatment-outcome measures (acute dissociation, substance-use
    #: screens, risk triage): no response/remission status is reported for them
    tracks_outcome: bool = True
    higher_is_worse: bool = True
    aliases: tuple[str, ...] = field(default=())

    @property
    def n_items(self) -> int:
        return len(self.items)

    def item(self, number: int) -> Item:
        for it in self.items:
            if it.number == number:
                return it
        raise KeyError(number)

    def domains(self) -> tuple[tuple[int, ...], ...]:
        """Item numbers per scoring domain, in item order: max-groups and singletons for the rest."""
        grouped = {n for g in self.max_groups for n in g}
        out: list[tuple[int, ...]] = []
        seen_groups: set[tuple[int, ...]] = set()
        for it in self.items:
            if it.number in grouped:
                g = next(g for g in self.max_groups if it.number in g)
                if g not in seen_groups:
                    seen_groups.add(g)
                    out.append(g)
            else:
                out.append((it.number,))
        return tuple(out)

    @property
    def min_total(self) -> int | None:
        if self.scoring != "sum":
            return None
        return sum(min(self._scored_range(n)[0] for n in d) for d in self.domains())

    @property
    def max_total(self) -> int | None:
        if self.scoring != "sum":
            return None
        return sum(max(self._scored_range(n)[1] for n in d) for d in self.domains())

    def _scored_range(self, number: int) -> tuple[int, int]:
        it = self.item(number)
        return it.min_value, it.max_value

    def severity_for(self, total: int) -> str:
        for band in self.severity_bands:
            if band.low <= total <= band.high:
                return band.label
        return ""

    @property
    def critical_items(self) -> tuple[Item, ...]:
        return tuple(it for it in self.items if it.is_critical)


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    total: int | None
    severity: str
    flags: tuple[str, ...]
    #: the scored value per item number after reverse-scoring (None = blank or not asked)
    item_scores: tuple[int | None, ...]
    missing_items: tuple[int, ...] = ()
    prorated: bool = False
    #: (subscale key, sum) per published subscale; the sum is None when one of its items is blank
    subscale_scores: tuple[tuple[str, int | None], ...] = ()

    def as_dict(self) -> dict:
        """The CLI/API shape: {"instrument", "total", "severity", "flags"}."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "severity": self.severity,
            "flags": list(self.flags),
        }
