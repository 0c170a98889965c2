"""Measurement schedule: which questionnaires are due or overdue for a patient, given their history and ``now``.

Rules (from the issue; the numbers are clinic-defined defaults a treatment plan may override through its
``measurement_schedule`` JSON):
- baseline at intake: each baseline instrument once before treatment; due from intake, overdue after
  ``baseline_grace_hours`` or once the first session starts, whichever is earlier;
- before each session: within ``pre_session_window_hours`` before an upcoming session; due once the window
  opens, overdue when the session is less than ``pre_session_overdue_hours`` away;
- 24 h after a session: due ``post_session_hours`` after the session start, overdue ``grace_hours`` later,
  satisfied by any administration after the session ended; only the latest ``post_session_lookback_days``
  are considered;
- after each dose (in-session measures such as the CADSS): due ``after_dose_minutes`` after the session
  start, overdue ``after_dose_overdue_hours`` after it, satisfied by any administration after the start;
- periodic: every ``induction_interval_days`` during induction, every ``maintenance_interval_days`` in
  maintenance, counted from the last administration of that instrument; overdue ``grace_hours`` later.
The plan config may use the protocol templates' key names: ``before_each_dose`` = pre_session,
``after_each_dose`` = after_dose, ``weekly``/``monthly`` = periodic; ``end_of_phase`` and ``source`` are
accepted and ignored here (end-of-phase measures are scheduled by the plan, not by elapsed time).
Nothing is due for screening-phase patients except baseline, and nothing at all once discharged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta

from .library import INSTRUMENTS


@dataclass(frozen=True)
class ScheduleConfig:
    baseline: tuple[str, ...] = ("phq9", "gad7", "cssrs_screener")
    pre_session: tuple[str, ...] = ("phq9", "cssrs_screener")
    post_session: tuple[str, ...] = ("phq9",)
    after_dose: tuple[str, ...] = ("cadss",)
    periodic: tuple[str, ...] = ("phq9", "gad7")
    post_session_hours: float = 24.0  # "24 hours after a session" (issue)
    pre_session_window_hours: float = 48.0  # clinic-defined
    pre_session_overdue_hours: float = 1.0  # clinic-defined: must be done before check-in
    induction_interval_days: float = 7.0  # "weekly during induction" (issue)
    maintenance_interval_days: float = 30.0  # "monthly in maintenance" (issue)
    grace_hours: float = 24.0  # clinic-defined
    baseline_grace_hours: float = 72.0  # clinic-defined
    post_session_lookback_days: float = 7.0  # clinic-defined
    # CADSS rated about 40 min after the start of a 40-min infusion, when dissociation peaks (ketamine studies
    # report it within the first 60 min, J Psychopharmacol doi 10.1177/0269881117725685) - clinic-defined.
    after_dose_minutes: float = 40.0
    after_dose_overdue_hours: float = 4.0  # clinic-defined: before the patient leaves

    @classmethod
    def from_dict(cls, config: Mapping | None) -> ScheduleConfig:
        """Defaults overlaid with a plan's ``measurement_schedule`` dict ({} or None = defaults).

        Raises ValueError naming the key for unknown keys, unknown instruments or non-positive numbers.
        """
        base = cls()
        if not config:
            return base
        known = {f.name: f for f in fields(cls)}
        changes = {}
        lists: dict[str, list] = {}
        for key, value in config.items():
            if key in _IGNORED_KEYS:
                continue
            target = _KEY_ALIASES.get(key, key)
            if target == "periodic" and key in ("weekly", "monthly"):
                if isinstance(value, str) or not isinstance(value, Sequence):
                    raise ValueError(f"measurement schedule: {key} must be a list of instrument keys")
                lists.setdefault("periodic", []).extend(
                    v for v in value if v not in lists.get("periodic", [])
                )
                value = lists["periodic"]
            key = target
            if key not in known:
                raise ValueError(f"measurement schedule: unknown setting {key!r} (known: {', '.join(known)})")
            if isinstance(getattr(base, key), tuple):
                if isinstance(value, str) or not isinstance(value, Sequence):
                    raise ValueError(f"measurement schedule: {key} must be a list of instrument keys")
                for name in value:
                    if name not in INSTRUMENTS:
                        raise ValueError(f"measurement schedule: {key} lists unknown instrument {name!r}")
                changes[key] = tuple(value)
            else:
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    raise ValueError(f"measurement schedule: {key} must be a number") from None
                if number <= 0:
                    raise ValueError(f"measurement schedule: {key} must be greater than 0")
                changes[key] = number
        return replace(base, **changes)


_KEY_ALIASES = {
    "before_each_dose": "pre_session",
    "after_each_dose": "after_dose",
    "weekly": "periodic",
    "monthly": "periodic",
}
_IGNORED_KEYS = frozenset({"end_of_phase", "source"})


@dataclass(frozen=True)
class SessionTime:
    """A dosing session as the schedule sees it (start and, when known, end)."""

    starts_at: datetime
    ends_at: datetime | None = None
    session_id: int | None = None


@dataclass(frozen=True, order=True)
class DueMeasure:
    due_at: datetime
    instrument: str = field(compare=False)
    #: "baseline", "pre-session", "post-session", "weekly", "monthly"
    reason: str = field(compare=False)
    overdue_at: datetime = field(compare=False)
    #: "due" or "overdue" at ``now``
    status: str = field(compare=False)
    session_id: int | None = field(default=None, compare=False)


def _status(now: datetime, due_at: datetime, overdue_at: datetime) -> str | None:
    if now < due_at:
        return None
    return "overdue" if now >= overdue_at else "due"


def due_measures(
    *,
    phase: str,
    intake_at: datetime,
    sessions: Sequence[SessionTime],
    history: Mapping[str, Sequence[datetime]],
    now: datetime,
    config: Mapping | ScheduleConfig | None = None,
) -> list[DueMeasure]:
    """Measures due or overdue at ``now`` (not-yet-due ones are left out), earliest first.

    ``phase`` is the patient's phase (screening/induction/maintenance/discharged); ``history`` maps instrument
    key -> times it was administered; ``sessions`` are the patient's dosing sessions (past and upcoming, not
    cancelled).
    """
    cfg = config if isinstance(config, ScheduleConfig) else ScheduleConfig.from_dict(config)
    if phase == "discharged":
        return []
    taken = {k: sorted(v) for k, v in history.items()}
    sess = sorted(sessions, key=lambda s: s.starts_at)
    out = _baseline(cfg, taken, sess, intake_at, now)
    if phase == "screening":
        return sorted(out)
    out += _before_next_session(cfg, taken, sess, now)
    out += _after_recent_session(cfg, taken, sess, now)
    out += _in_session(cfg, taken, sess, now)
    if phase in ("induction", "maintenance"):
        out += _periodic(cfg, taken, phase, intake_at, now, already={d.instrument for d in out})
    return sorted(out)


def _hours(h: float) -> timedelta:
    return timedelta(hours=h)


def _due(now, inst, reason, due_at, overdue_at, session_id=None) -> list[DueMeasure]:
    """The measure as a one-item list when it is due or overdue at ``now``, else an empty list."""
    st = _status(now, due_at, overdue_at)
    return [DueMeasure(due_at, inst, reason, overdue_at, st, session_id)] if st else []


def _baseline(cfg: ScheduleConfig, taken, sess, intake_at: datetime, now: datetime) -> list[DueMeasure]:
    # Baseline: any administration before the first session (or at all, if none is booked yet) counts.
    first_session = sess[0].starts_at if sess else None
    out: list[DueMeasure] = []
    for inst in cfg.baseline:
        times = taken.get(inst, [])
        done = any(first_session is None or t <= first_session for t in times)
        if not done and not (first_session is not None and times):
            overdue = intake_at + _hours(cfg.baseline_grace_hours)
            if first_session is not None:
                overdue = min(overdue, first_session)
            out += _due(now, inst, "baseline", intake_at, overdue)
    return out


def _before_next_session(cfg: ScheduleConfig, taken, sess, now: datetime) -> list[DueMeasure]:
    # Before the next upcoming session.
    upcoming = [s for s in sess if s.starts_at > now]
    if not upcoming:
        return []
    nxt = upcoming[0]
    window_open = nxt.starts_at - _hours(cfg.pre_session_window_hours)
    out: list[DueMeasure] = []
    for inst in cfg.pre_session:
        if any(window_open <= t <= nxt.starts_at for t in taken.get(inst, [])):
            continue
        out += _due(
            now,
            inst,
            "pre-session",
            window_open,
            nxt.starts_at - _hours(cfg.pre_session_overdue_hours),
            nxt.session_id,
        )
    return out


def _after_recent_session(cfg: ScheduleConfig, taken, sess, now: datetime) -> list[DueMeasure]:
    # 24 h after recent past sessions; the latest session supersedes earlier ones.
    past = [
        s
        for s in sess
        if s.starts_at <= now and s.starts_at >= now - timedelta(days=cfg.post_session_lookback_days)
    ]
    if not past:
        return []
    last = past[-1]
    end = last.ends_at or last.starts_at
    due_at = last.starts_at + _hours(cfg.post_session_hours)
    out: list[DueMeasure] = []
    for inst in cfg.post_session:
        if any(t >= end for t in taken.get(inst, [])):
            continue
        out += _due(now, inst, "post-session", due_at, due_at + _hours(cfg.grace_hours), last.session_id)
    return out


def _in_session(cfg: ScheduleConfig, taken, sess, now: datetime) -> list[DueMeasure]:
    # In-session measures (CADSS) for the latest session that has started.
    # A missed in-session rating cannot be made up the next day, so only sessions of the last 24 h count.
    started = [s for s in sess if now - timedelta(hours=24) <= s.starts_at <= now]
    if not started:
        return []
    cur = started[-1]
    due_at = cur.starts_at + timedelta(minutes=cfg.after_dose_minutes)
    out: list[DueMeasure] = []
    for inst in cfg.after_dose:
        if any(t >= cur.starts_at for t in taken.get(inst, [])):
            continue
        out += _due(
            now,
            inst,
            "after-dose",
            due_at,
            cur.starts_at + _hours(cfg.after_dose_overdue_hours),
            cur.session_id,
        )
    return out


def _periodic(
    cfg: ScheduleConfig, taken, phase: str, intake_at: datetime, now: datetime, *, already: set[str]
) -> list[DueMeasure]:
    # Periodic: weekly in induction, monthly in maintenance, from the last administration.
    days = cfg.induction_interval_days if phase == "induction" else cfg.maintenance_interval_days
    reason = "weekly" if phase == "induction" else "monthly"
    out: list[DueMeasure] = []
    for inst in cfg.periodic:
        if inst in already:
            continue  # one reminder per instrument is enough
        times = taken.get(inst, [])
        # Never taken: due at once (from intake), so a newly planned instrument gets its first score.
        due_at = times[-1] + timedelta(days=days) if times else intake_at
        out += _due(now, inst, reason, due_at, due_at + _hours(cfg.grace_hours))
    return out
