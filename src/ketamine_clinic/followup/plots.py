"""Bar charts for the clinic's outcomes dashboard (matplotlib, Agg backend), embedded inline as SVG. A patient's
scores over time are drawn by ``outcomes.charts.trajectory_svg``, the one trajectory chart."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_COLOURS = ["#1f5fa8", "#b54708", "#067647", "#6941c6", "#b42318"]


def _svg(fig, title: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prologue so it can sit inside HTML
    # Give screen readers a name and let the picture shrink on a phone.
    svg = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r"<svg \1", svg, count=1)
    return svg.replace(
        "<svg ", f'<svg role="img" aria-label="{title}" style="max-width:100%;height:auto" ', 1
    )


def bar_plot(title: str, labels, series: dict[str, list], *, ylabel: str = "", ymax=None) -> str:
    """Grouped bars: ``series`` maps a legend name to one value per label (None is drawn as 0 and marked)."""
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    n = max(len(series), 1)
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        xs = [x + (i - (n - 1) / 2) * width for x in range(len(labels))]
        ax.bar(xs, [v or 0 for v in values], width=width, label=name, color=_COLOURS[i % len(_COLOURS)])
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=8)
    if ymax:
        ax.set_ylim(0, ymax)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if len(series) > 1:
        ax.legend(fontsize=7)
    return _svg(fig, title)
