"""Server-rendered SVG trajectory plots: score over time, session dates marked, severity bands shaded.

Hand-built SVG (no JavaScript, no matplotlib round-trip) so a chart renders instantly, prints, and can be
asserted on in tests: each point carries data-total and a <title> with date and score.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from django.utils import timezone


def _local(t):
    return timezone.localtime(t) if timezone.is_aware(t) else t


BAND_COLOURS = ["#ecfdf3", "#f6fef9", "#fffaeb", "#fef0c7", "#fee4e2", "#fecdca"]


def trajectory_svg(
    instrument, points, session_times=(), *, width=680, height=240, now=None, threshold: float | None = None
) -> str:
    """SVG for ``points`` [(datetime, total)] of ``instrument`` (a core Instrument).

    ``session_times`` are drawn as dashed verticals; ``threshold`` (a total, e.g. the response threshold, half the
    baseline) as a dashed horizontal line."""
    # Dates and times on the chart are the clinic's, not the database's UTC (a 10:30 session is not 15:30).
    points = [(_local(t), v) for t, v in points]
    session_times = [_local(t) for t in session_times]
    now = _local(now) if now else now
    times = [t for t, _ in points] + list(session_times)
    if not times:
        return ""
    t_min, t_max = min(times), max(times + ([now] if now else []))
    if t_max - t_min < dt.timedelta(days=1):
        t_max = t_min + dt.timedelta(days=1)
    frame = _Frame(width, height, t_min, t_max, instrument.max_total or max([v for _, v in points] + [1]))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trajectory" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width * 1.4:.0f}px" data-instrument="{escape(instrument.key)}" '
        f'aria-label="{escape(instrument.short_name)} scores over time">'
    ]
    out += _severity_bands(frame, instrument.severity_bands)
    out += _axes(frame)
    out += _sessions(frame, session_times)
    if threshold is not None and 0 <= threshold <= frame.y_max:
        out.append(
            f'<line class="threshold" x1="{frame.left}" y1="{frame.y(threshold):.1f}" x2="{frame.left + frame.pw}" '
            f'y2="{frame.y(threshold):.1f}" stroke="#067647" stroke-dasharray="6,3" stroke-width="1.5">'
            f"<title>Response threshold: {threshold:g}</title></line>"
        )
    out += _scores(frame, points)
    out.append("</svg>")
    return "".join(out)


class _Frame:
    """The plot area and its scales: time along x, the total up y (0 at the bottom)."""

    left, right, top, bottom = 44, 12, 12, 30

    def __init__(self, width, height, t_min, t_max, y_max):
        self.width, self.height, self.t_min, self.t_max, self.y_max = width, height, t_min, t_max, y_max
        self.pw, self.ph = width - self.left - self.right, height - self.top - self.bottom
        self.span = (t_max - t_min).total_seconds()

    def x(self, t):
        return self.left + self.pw * (t - self.t_min).total_seconds() / self.span

    def y(self, v):
        return self.top + self.ph * (1 - v / self.y_max)


def _severity_bands(f: _Frame, bands) -> list[str]:
    """Severity bands, shaded from light to dark as severity rises."""
    out = []
    for i, band in enumerate(bands):
        colour = BAND_COLOURS[
            min(len(BAND_COLOURS) - 1, round(i * (len(BAND_COLOURS) - 1) / max(1, len(bands) - 1)))
        ]
        y_top, y_bot = f.y(min(band.high + (1 if band is not bands[-1] else 0), f.y_max)), f.y(band.low)
        out.append(
            f'<rect class="band" x="{f.left}" y="{y_top:.1f}" width="{f.pw}" height="{max(0.0, y_bot - y_top):.1f}" '
            f'fill="{colour}"><title>{escape(band.label)}: {band.low}-{band.high}</title></rect>'
            f'<text x="{f.left + f.pw - 4}" y="{y_top + 11:.1f}" font-size="9" text-anchor="end" fill="#5f6b7a">'
            f"{escape(band.label)}</text>"
        )
    return out


def _axes(f: _Frame) -> list[str]:
    """Axes, y ticks, and date ticks (first, last and a few between)."""
    out = [
        f'<line x1="{f.left}" y1="{f.top + f.ph}" x2="{f.left + f.pw}" y2="{f.top + f.ph}" stroke="#98a2b3"/>',
        f'<line x1="{f.left}" y1="{f.top}" x2="{f.left}" y2="{f.top + f.ph}" stroke="#98a2b3"/>',
    ]
    step = max(1, round(f.y_max / 5))
    for v in range(0, f.y_max + 1, step):
        out.append(f'<text x="{f.left - 6}" y="{f.y(v) + 3:.1f}" font-size="10" text-anchor="end">{v}</text>')
    n_ticks = 4
    for i in range(n_ticks + 1):
        t = f.t_min + (f.t_max - f.t_min) * i / n_ticks
        anchor = "start" if i == 0 else "end" if i == n_ticks else "middle"
        out.append(
            f'<text x="{f.x(t):.1f}" y="{f.height - 10}" font-size="10" text-anchor="{anchor}">{t:%b %d}</text>'
        )
    return out


def _sessions(f: _Frame, session_times) -> list[str]:
    """Session dates: dashed verticals."""
    return [
        f'<line class="session" x1="{f.x(t):.1f}" y1="{f.top}" x2="{f.x(t):.1f}" y2="{f.top + f.ph}" stroke="#7a5af8" '
        f'stroke-dasharray="3,3" stroke-width="1"><title>Session {t:%Y-%m-%d %H:%M}</title></line>'
        for t in session_times
    ]


def _scores(f: _Frame, points) -> list[str]:
    """The scores: a line through them and a point each, carrying its total and time for readers and tests."""
    if not points:
        return []
    path = " ".join(f"{'M' if i == 0 else 'L'}{f.x(t):.1f},{f.y(v):.1f}" for i, (t, v) in enumerate(points))
    out = [f'<path d="{path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>']
    for t, v in points:
        out.append(
            f'<circle class="point" cx="{f.x(t):.1f}" cy="{f.y(v):.1f}" r="4" fill="#1f5fa8" data-total="{v}" '
            f'data-taken="{t:%Y-%m-%dT%H:%M}"><title>{t:%Y-%m-%d %H:%M}: {v}</title></circle>'
        )
    return out
