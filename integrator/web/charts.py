"""The Insights charts as SVG documents, drawn on the server by pygal: no script, no fonts from elsewhere.

Each chart is served as its own `image/svg+xml` response and shown with `<img>`, so the page's
CSP stays as it is (an image runs no script and its styles are its own). The numbers are also in
a table beneath each chart on the page.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from xml.etree import ElementTree

import pygal
from pygal.style import Style

from integrator.application.insights import Insights
from integrator.domain.insights import Measure

# pygal adds a legacy import hook for its map plugins (unused here) that makes every later import
# warn on Python 3.11+: take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

STYLE = Style(
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",  # local fonts only
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#616e7c",
    colors=("#2563eb", "#d97706", "#059669", "#7c3aed", "#dc2626", "#0891b2"),
    title_font_size=17,
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=15,
    value_font_size=13,
)
WITHIN, AFTER = "#059669", "#dc2626"
# Drawn small, with large type, so that scaled to a phone's width the words stay readable.
WIDTH, HEIGHT = 480, 360
SVG = "http://www.w3.org/2000/svg"


def _options() -> dict[str, object]:
    """WIDTH × HEIGHT, scaled by the page to its column; legend below; no script at all."""
    return {
        "js": [],
        "style": STYLE,
        "width": WIDTH,
        "height": HEIGHT,
        "explicit_size": True,  # a natural size for <img>; the page scales it by CSS (viewBox kept)
        "legend_at_bottom": True,
        "truncate_legend": -1,
        "print_values": False,
        "no_data_text": "No escalations",
        "value_formatter": _short,
    }


def _short(value: float) -> str:
    """480k, 1.2M, 3: axis labels that fit a narrow chart."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}".removesuffix(".0") + suffix
    return f"{value:g}"


def weekly(report: Insights) -> bytes:
    """Escalations per week (bars) and ARR at risk per week in each currency (lines, right axis)."""
    weeks = report.weeks()
    chart = pygal.Bar(**_options(), title="Escalations and ARR at risk per week", x_label_rotation=30)
    chart.x_labels = [w.starts.strftime("%d %b") for w in weeks]
    chart.y_labels = _whole(max((w.escalations for w in weeks), default=0))
    chart.add("Escalations", [w.escalations for w in weeks])
    for currency in report.currencies():
        chart.add(f"ARR at risk ({currency})", [float(w.arr.get(currency, 0)) for w in weeks], secondary=True)
    return _svg(chart)


def time_to_fix(report: Insights) -> bytes:
    """How long fixes took, in bars of 12 hours: green within the fix clock, red past it."""
    bins = report.fix_bins()
    hours = f"{report.fix_hours:g}"
    chart = pygal.StackedBar(**_options(), title=f"Time to fix against the {hours}-hour clock")
    chart.x_labels = [
        f"{b.start_hours}–{b.end_hours} h" if b.end_hours else f"{b.start_hours} h +" for b in bins
    ]
    chart.y_title = "Fixes"
    chart.y_labels = _whole(max((b.fixes for b in bins), default=0))
    style = Style(**{**STYLE.to_dict(), "colors": (WITHIN, AFTER)})
    chart.config.style = style
    chart.add(f"Within {hours} h", [b.fixes if b.within_clock else None for b in bins])
    chart.add(f"After {hours} h", [None if b.within_clock else b.fixes for b in bins])
    return _svg(chart)


def response(report: Insights) -> bytes:
    """Per team: median minutes from report to page, and from page to acknowledgement."""
    teams = report.teams()
    chart = pygal.HorizontalBar(**_options(), title="Median minutes to page and to acknowledge")
    chart.x_labels = [team or "All teams" for team in teams]
    for measure, label in ((Measure.PAGE, "Report → page sent"), (Measure.ACK, "Page → acknowledged")):
        values = []
        for team in teams:
            spread = report.spread(team, measure)
            values.append(round(spread.p50 / 60, 1) if spread else None)
        chart.add(label, values)
    return _svg(chart)


def _whole(top: int) -> list[int]:
    """Whole-number labels from 0 to at least `top` (counts have no fractions), at most about 10."""
    step = max(1, -(-top // 10))
    return list(range(0, max(top, 1) + step, step))


CHARTS: dict[str, Callable[[Insights], bytes]] = {
    "weekly": weekly,
    "time-to-fix": time_to_fix,
    "response": response,
}


def _svg(chart: pygal.graph.graph.Graph) -> bytes:
    """The chart's SVG without pygal's config script (it only feeds pygal's tooltips, which are off)."""
    tree: ElementTree.Element = chart.render_tree()  # pygal is untyped
    for parent in tree.iter():
        for child in [c for c in parent if c.tag in ("script", f"{{{SVG}}}script")]:
            parent.remove(child)
    body: bytes = ElementTree.tostring(tree, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body
