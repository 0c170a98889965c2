"""Validated measurement instruments: definitions as data, one scoring engine, outcome logic and schedules.

Pure core (no Django). Typical use::

    from ketamine_clinic.core.instruments import get, score
    result = score(get("phq9"), [1, 2, 0, 1, 1, 0, 2, 1, 1])
    result.total, result.severity, result.flags
"""

from .engine import parse_answers, score
from .library import ESCALATION_THRESHOLDS, INSTRUMENTS, escalating_flags, get, label
from .model import Instrument, Item, ResponseOption, ScoreResult, ScoringError, SeverityBand, Subscale

__all__ = [
    "ESCALATION_THRESHOLDS",
    "INSTRUMENTS",
    "Instrument",
    "Item",
    "ResponseOption",
    "ScoreResult",
    "ScoringError",
    "SeverityBand",
    "Subscale",
    "escalating_flags",
    "get",
    "label",
    "parse_answers",
    "score",
]
