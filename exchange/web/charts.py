"""Charts for the analytics pages, drawn on the server as inline SVG with pygal.

Why pygal: it writes SVG itself (no browser, no JavaScript, no CDN: the charts show with scripts off
and print), it is small and pure Python, and it renders a chart in milliseconds. Its tooltips need a
script from a CDN, so ``js=[]`` leaves them out. Every chart is readable without colour: series are
told apart by dash patterns and printed values, and each page puts the table the chart comes from
beside it (``docs/metrics.md``).

Each function returns markup to place in a ``<figure>``; pages never build SVG strings themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import pygal
from markupsafe import Markup
from pygal.style import Style

# pygal appends a finder for its map plugins (unused here) to ``sys.meta_path`` at import; it has no
# ``find_spec``, so every later import that reaches it raises an ImportWarning (an error in the tests).
sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, pygal.PluginImportFixer)]

# Greys and one accent, so a chart printed in black and white still reads; dashes tell series apart.
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=11,
    legend_font_size=12,
    title_font_size=14,
    colors=("#0d6efd", "#212529", "#6c757d", "#198754", "#dc3545", "#6f42c1", "#fd7e14", "#20c997"),
)
DASHES = ("", "8,4", "2,4", "10,4,2,4", "4,4", "12,2", "1,3", "6,2,2,2")
_COMMON = {
    "js": [],  # no tooltips: they would load a script from a CDN
    "disable_xml_declaration": True,
    "style": STYLE,
    "width": 760,
    "height": 300,
    "explicit_size": False,
    # (no legend_at_bottom_columns: with it pygal puts the legend below the picture, cut off)
    "legend_at_bottom": True,
    "truncate_legend": 40,
    "truncate_label": -1,  # axis labels in full (months, weeks), rotated where there are many
    "no_data_text": "",
    "margin": 8,
}


def _render(chart: pygal.graph.graph.Graph, label: str) -> Markup:
    svg = chart.render(is_unicode=True)
    # role and label for screen readers; the table beside the chart holds the figures.
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1)
    return Markup(svg)  # noqa: S704 - pygal escapes the labels and values it writes


def funnel(steps: Sequence[tuple[str, int]], label: str) -> Markup:
    """Horizontal bars, one per step, first at the top, each with its count printed."""
    options = {**_COMMON, "height": 40 + 44 * len(steps)}
    chart = pygal.HorizontalBar(**options, show_legend=False, print_values=True, show_y_guides=False)
    chart.x_labels = [name for name, _count in reversed(steps)]
    chart.add(label, [count for _name, count in reversed(steps)])
    return _render(chart, label)


def bars(buckets: Sequence[tuple[str, float | None]], label: str, *, percent: bool = False) -> Markup:
    """Vertical bars (a distribution: how many leads were claimed within 15 min, 1 h, ...)."""
    chart = pygal.Bar(**_COMMON, show_legend=False, print_values=True, print_zeroes=False)
    if percent:
        chart.value_formatter = _percent
    chart.x_labels = [name for name, _value in buckets]
    chart.add(label, [value for _name, value in buckets])
    return _render(chart, label)


def lines(
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    label: str,
    *,
    percent: bool = False,
    show_dots: bool = True,
) -> Markup:
    """Line per series over ``x_labels`` (weeks, months, months since start); gaps stay gaps."""
    widest = max((len(str(x)) for x in x_labels), default=0)
    chart = pygal.Line(
        **_COMMON,
        show_dots=show_dots,
        dots_size=3,
        allow_interruptions=True,
        # Labels side by side while they fit the width (about 60 characters), slanted beyond.
        x_label_rotation=0 if len(x_labels) * (widest + 2) <= 60 else 40,
        show_minor_x_labels=len(x_labels) <= 24,
    )
    if percent:
        chart.value_formatter = _percent
        values = [v for series_values in series.values() for v in series_values if v is not None]
        if values and max(values) <= 1 and min(values) >= 0:
            chart.range = (0, 1)  # a rate's axis from 0 to 100 %, so a small change does not look large
    chart.x_labels = list(x_labels)
    if len(x_labels) > 24:
        chart.x_labels_major = list(x_labels)[:: max(1, len(x_labels) // 12)]
    for index, (name, values) in enumerate(series.items()):
        chart.add(name, list(values), stroke_style={"width": 2, "dasharray": DASHES[index % len(DASHES)]})
    return _render(chart, label)


def sparkline(values: Sequence[float | None], label: str) -> Markup:
    """A small line without axes, for a figure in a table cell (its trend)."""
    chart = pygal.Line(js=[], disable_xml_declaration=True, style=STYLE, allow_interruptions=True)
    chart.add(label, [v for v in values])
    svg = chart.render_sparkline(width=120, height=24, show_dots=False, stroke_style={"width": 2})
    if isinstance(svg, bytes):
        svg = svg.decode()
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1)
    return Markup(svg)  # noqa: S704 - pygal writes the SVG; the label is escaped


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f} %"


def compare_bars(
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    label: str,
    *,
    percent: bool = False,
) -> Markup:
    """Bars side by side per x label, one series each (a partner against its programme); values printed."""
    chart = pygal.Bar(**_COMMON, print_values=True, print_zeroes=True)
    if percent:
        chart.value_formatter = _percent
    chart.x_labels = list(x_labels)
    for name, values in series.items():
        chart.add(name, list(values))
    return _render(chart, label)
