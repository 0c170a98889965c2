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
    left, right, top, bottom = 44, 12, 12, 30
    pw, ph = width - left - right, height - top - bottom
    y_max = instrument.max_total or max([v for _, v in points] + [1])
    times = [t for t, _ in points] + list(session_times)
    if not times:
        return ""
    t_min, t_max = min(times), max(times + ([now] if now else []))
    if t_max - t_min < dt.timedelta(days=1):
        t_max = t_min + dt.timedelta(days=1)
    span = (t_max - t_min).total_seconds()

    def x(t):
        return left + pw * (t - t_min).total_seconds() / span

    def y(v):
        return top + ph * (1 - v / y_max)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trajectory" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width * 1.4:.0f}px" data-instrument="{escape(instrument.key)}" '
        f'aria-label="{escape(instrument.short_name)} scores over time">'
    ]
    # Severity bands, shaded from light to dark as severity rises.
    bands = instrument.severity_bands
    for i, band in enumerate(bands):
        colour = BAND_COLOURS[
            min(len(BAND_COLOURS) - 1, round(i * (len(BAND_COLOURS) - 1) / max(1, len(bands) - 1)))
        ]
        y_top, y_bot = y(min(band.high + (1 if band is not bands[-1] else 0), y_max)), y(band.low)
        out.append(
            f'<rect class="band" x="{left}" y="{y_top:.1f}" width="{pw}" height="{max(0.0, y_bot - y_top):.1f}" '
            f'fill="{colour}"><title>{escape(band.label)}: {band.low}-{band.high}</title></rect>'
            f'<text x="{left + pw - 4}" y="{y_top + 11:.1f}" font-size="9" text-anchor="end" fill="#5f6b7a">'
            f"{escape(band.label)}</text>"
        )
    # Axes and y ticks.
    out.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#98a2b3"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#98a2b3"/>')
    step = max(1, round(y_max / 5))
    for v in range(0, y_max + 1, step):
        out.append(f'<text x="{left - 6}" y="{y(v) + 3:.1f}" font-size="10" text-anchor="end">{v}</text>')
    # Date ticks: first, last and a few between.
    n_ticks = 4
    for i in range(n_ticks + 1):
        t = t_min + (t_max - t_min) * i / n_ticks
        anchor = "start" if i == 0 else "end" if i == n_ticks else "middle"
        out.append(
            f'<text x="{x(t):.1f}" y="{height - 10}" font-size="10" text-anchor="{anchor}">{t:%b %d}</text>'
        )
    # Session dates: dashed verticals.
    for t in session_times:
        out.append(
            f'<line class="session" x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{top + ph}" stroke="#7a5af8" '
            f'stroke-dasharray="3,3" stroke-width="1"><title>Session {t:%Y-%m-%d %H:%M}</title></line>'
        )
    if threshold is not None and 0 <= threshold <= y_max:
        out.append(
            f'<line class="threshold" x1="{left}" y1="{y(threshold):.1f}" x2="{left + pw}" y2="{y(threshold):.1f}" '
            f'stroke="#067647" stroke-dasharray="6,3" stroke-width="1.5"><title>Response threshold: '
            f"{threshold:g}</title></line>"
        )
    if points:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(t):.1f},{y(v):.1f}" for i, (t, v) in enumerate(points))
        out.append(f'<path d="{path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
        for t, v in points:
            out.append(
                f'<circle class="point" cx="{x(t):.1f}" cy="{y(v):.1f}" r="4" fill="#1f5fa8" data-total="{v}" '
                f'data-taken="{t:%Y-%m-%dT%H:%M}"><title>{t:%Y-%m-%d %H:%M}: {v}</title></circle>'
            )
    out.append("</svg>")
    return "".join(out)
