"""The one generic scoring engine for every instrument in :mod:`.library`.

Steps, all driven by the instrument's data:
1. shape: one answer per item (``None`` = left blank);
2. branching: an item whose ``asked_if`` condition fails is "not asked" (its answer must be blank or 0);
3. range: every given answer must be one of the item's response values, else ScoringError naming the item;
4. missing: critical items must be answered; at most ``max_missing`` domains may be blank;
5. reverse scoring, then domain scores (max of a group, or the item itself), then the total,
   prorated to the full number of domains when blanks were allowed (rounded half up);
6. severity from the published bands (or the risk level for triage instruments), and flags from critical
   items, risk rules and screening cut-offs;
7. published subscales (PCL-5 symptom clusters) as plain sums of their items, None if one is blank.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .model import Instrument, ScoreResult, ScoringError

Answers = Sequence[int | None] | Mapping[int, int | None]


def _as_list(instrument: Instrument, answers: Answers) -> list[int | None]:
    n = instrument.n_items
    if isinstance(answers, Mapping):
        numbers = {it.number for it in instrument.items}
        unknown = sorted(k for k in answers if k not in numbers)
        if unknown:
            raise ScoringError(
                f"{instrument.short_name} has no item {unknown[0]} (items are 1-{n})", item=unknown[0]
            )
        return [answers.get(it.number) for it in instrument.items]
    values = list(answers)
    if len(values) != n:
        raise ScoringError(
            f"{instrument.short_name} has {n} items; got {len(values)} answers "
            f"(leave an entry blank for a missing item)"
        )
    return values


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def score(instrument: Instrument, answers: Answers, *, sex: str | None = None) -> ScoreResult:
    """Score ``answers`` (a list in item order, or {item_number: value}); raises ScoringError on bad input.

    ``sex`` selects sex-specific screening cut-offs (AUDIT-C) and is otherwise ignored.
    """
    raw = _as_list(instrument, answers)
    by_number, asked = _read_answers(instrument, raw)
    _check_critical_items_answered(instrument, by_number, asked)
    scored = _reverse_scored(instrument, by_number)
    flags = _critical_flags(instrument, by_number)
    missing_items = tuple(
        it.number for it in instrument.items if asked[it.number] and by_number[it.number] is None
    )
    if instrument.scoring == "risk":
        return _risk_result(instrument, by_number, scored, flags, missing_items)

    total, prorated = _total(instrument, scored)
    severity = _severity_and_screen(instrument, total, sex, flags)
    item_scores = tuple(scored[it.number] for it in instrument.items)
    subscale_scores = tuple(
        (sub.key, None if any(scored[n] is None for n in sub.items) else sum(scored[n] for n in sub.items))
        for sub in instrument.subscales
    )
    return ScoreResult(
        instrument.key, total, severity, tuple(flags), item_scores, missing_items, prorated, subscale_scores
    )


def _read_answers(instrument: Instrument, raw: list) -> tuple[dict[int, int | None], dict[int, bool]]:
    """Each item's answer (None: blank or not asked) and whether it was asked, checking every answer."""
    by_number: dict[int, int | None] = {}
    asked: dict[int, bool] = {}
    for item, value in zip(instrument.items, raw, strict=True):
        value = _whole_number(instrument, item, value)
        is_asked = True
        if item.asked_if is not None:
            parent, required = item.asked_if
            is_asked = by_number.get(parent) == required
        asked[item.number] = is_asked
        if not is_asked:
            if value not in (None, 0):
                raise ScoringError(
                    f"{instrument.short_name} item {item.number} is only asked when item {item.asked_if[0]} "
                    f"is answered {item.asked_if[1]}; leave it blank",
                    item=item.number,
                )
            by_number[item.number] = None
            continue
        if value is not None and value not in item.values:
            allowed = ", ".join(str(v) for v in item.values)
            raise ScoringError(
                f"{instrument.short_name} item {item.number}: {value} is out of range (allowed: {allowed})",
                item=item.number,
            )
        by_number[item.number] = value
    return by_number, asked


def _whole_number(instrument: Instrument, item, value):
    """The answer as an int (a whole float is accepted), or None; anything else is refused."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ScoringError(
            f"{instrument.short_name} item {item.number}: {value!r} is not a whole-number answer",
            item=item.number,
        )
    return value


def _check_critical_items_answered(
    instrument: Instrument, by_number: dict[int, int | None], asked: dict[int, bool]
) -> None:
    for item in instrument.critical_items:
        if asked[item.number] and by_number[item.number] is None:
            raise ScoringError(
                f"{instrument.short_name} item {item.number} ({item.short or 'critical item'}) is a critical "
                f"item and must be answered",
                item=item.number,
            )


def _reverse_scored(instrument: Instrument, by_number: dict[int, int | None]) -> dict[int, int | None]:
    # Reverse scoring: lowest + highest - answer, so "No" to DAST-10 item 3 scores 1.
    scored: dict[int, int | None] = {}
    for item in instrument.items:
        v = by_number[item.number]
        if v is not None and item.reverse_scored:
            v = item.min_value + item.max_value - v
        scored[item.number] = v
    return scored


def _critical_flags(instrument: Instrument, by_number: dict[int, int | None]) -> list[str]:
    """The flag of each critical item answered at or above its threshold, once each, in item order."""
    flags: list[str] = []
    for item in instrument.critical_items:
        v = by_number[item.number]
        if v is not None and v >= item.critical_threshold and item.critical_flag not in flags:
            flags.append(item.critical_flag)
    return flags


def _risk_result(
    instrument: Instrument,
    by_number: dict[int, int | None],
    scored: dict[int, int | None],
    flags: list[str],
    missing_items: tuple[int, ...],
) -> ScoreResult:
    """A risk instrument (e.g. the C-SSRS screener): every asked item answered, the highest level a rule reaches."""
    if missing_items:
        first = missing_items[0]
        raise ScoringError(
            f"{instrument.short_name} item {first} was asked and must be answered (yes=1 / no=0)",
            item=first,
        )
    level = instrument.risk_levels[0] if instrument.risk_levels else ""
    rank = {lv: i for i, lv in enumerate(instrument.risk_levels)}
    for rule in instrument.risk_rules:
        if all(by_number.get(n) == v for n, v in rule.all_of) and rank[rule.level] > rank[level]:
            level = rule.level
    if level != (instrument.risk_levels[0] if instrument.risk_levels else "") and instrument.risk_flag:
        flags.append(instrument.risk_flag)
    item_scores = tuple(scored[it.number] for it in instrument.items)
    return ScoreResult(instrument.key, None, level, tuple(flags), item_scores, missing_items, False)


def _total(instrument: Instrument, scored: dict[int, int | None]) -> tuple[int, bool]:
    """The total over the symptom domains (each its highest item), prorated when a few are blank."""
    domains = instrument.domains()
    domain_scores: list[int] = []
    missing_domains: list[tuple[int, ...]] = []
    for d in domains:
        present = [scored[n] for n in d if scored[n] is not None]
        if present:
            domain_scores.append(max(present))
        else:
            missing_domains.append(d)
    if len(missing_domains) > instrument.max_missing:
        blank = [n for d in missing_domains for n in d]
        listed = ", ".join(str(n) for n in blank)
        allowed = instrument.max_missing
        what = "item" if not instrument.max_groups else "symptom domain"
        raise ScoringError(
            f"{instrument.short_name}: too many unanswered items ({listed}); at most {allowed} {what}"
            f"{'s' if allowed != 1 else ''} may be left blank",
            item=blank[0],
        )
    subtotal = sum(domain_scores)
    prorated = bool(missing_domains)
    total = _round_half_up(subtotal * len(domains) / len(domain_scores)) if prorated else subtotal
    return total, prorated


def _severity_and_screen(instrument: Instrument, total: int, sex: str | None, flags: list[str]) -> str:
    """The severity band; a screening instrument adds its flag when positive (sex-specific cut-offs)."""
    severity = instrument.severity_for(total)
    screen = instrument.positive_screen
    if screen is not None:
        positive = total >= screen.threshold_for(sex)
        if positive:
            flags.append(screen.flag)
        if not instrument.severity_bands:
            severity = "positive screen" if positive else "negative screen"
    return severity


def parse_answers(text: str) -> list[int | None]:
    """Parse the CLI/API text form "1,2,,0": comma-separated whole numbers, blank entries = missing."""
    out: list[int | None] = []
    for i, part in enumerate(text.split(","), start=1):
        part = part.strip()
        if part == "":
            out.append(None)
            continue
        try:
            out.append(int(part))
        except ValueError:
            raise ScoringError(f"answer {i}: {part!r} is not a whole number", item=i) from None
    return out
