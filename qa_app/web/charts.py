"""Charts drawn on the server with pygal: plain SVG inlined in the page, so they print and need no script.

pygal always adds a small configuration ``<script>`` (for its optional tooltips); it is removed here,
since the CSP forbids inline scripts and the values are printed on the bars instead.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

import pygal
from lxml import etree
from markupsafe import Markup
from pygal.style import Style

# pygal appends a legacy import hook (for its optional map plugins, which we do not use) to
# sys.meta_path; it has no find_spec, so every later failed import in the process warns. Take it out.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__module__ != "pygal"]

# Colours that mean something: kept/on time, late, overdue, not counted, waiting for a decision.
BLUE, GREEN, TEAL, AMBER, RED, GREY, PURPLE = (
    "#1d5fa8",
    "#2f855a",
    "#0f766e",
    "#b7791f",
    "#b91c1c",
    "#718096",
    "#6b21a8",
)
FONT = "system-ui, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif"
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#8795a1",
    opacity="1",
    opacity_hover="1",
    colors=(BLUE, GREEN, AMBER, RED, GREY, PURPLE),
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    tooltip_font_family=FONT,
    # Drawn 520 wide: at its size on a desk, and scaled down about a third on a phone.
    label_font_size=16,
    major_label_font_size=16,
    value_font_size=16,
    legend_font_size=16,
    title_font_size=19,
)
WIDTH = 520
SVG_NS = "{http://www.w3.org/2000/svg}"


def _svg(chart: Any, label: str) -> Markup:
    tree = chart.render_tree()
    for node in list(tree.iter(f"{SVG_NS}script", "script", etree.Comment)):
        node.getparent().remove(node)
    tree.set("role", "img")
    tree.set("aria-label", label)
    tree.set("preserveAspectRatio", "xMidYMid meet")
    # The page's own escaping is not needed: lxml wrote the labels as XML text.
    return Markup(etree.tostring(tree, encoding="unicode"))  # noqa: S704


def _ticks(top: float) -> list[int]:
    """Whole-number axis labels (counts of people and questions have no decimals)."""
    top_int = max(1, math.ceil(top))
    step = max(1, math.ceil(top_int / 5))
    return list(range(0, top_int + step, step))


def _config(title: str, count: int, *, horizontal: bool, height: int | None = None) -> dict[str, Any]:
    return {
        "style": STYLE,
        "title": title,
        "js": [],
        "disable_xml_declaration": True,
        "show_legend": False,
        "print_values": True,
        "print_values_position": "top",
        "width": WIDTH,
        "height": height or (max(170, 48 * count + 100) if horizontal else 340),
        "margin": 12,
        "show_y_guides": not horizontal,
        "show_x_guides": horizontal,
        "truncate_label": 26,
        "value_formatter": lambda v: f"{v:g}",
    }


def bars(
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    horizontal: bool = True,
    percent: bool = False,
    colors: Sequence[str] = (),
) -> Markup:
    """One series of bars, a value written on each; ``colors`` one per bar (else the first colour)."""
    config = _config(title, len(items), horizontal=horizontal)
    if percent:
        config["value_formatter"] = lambda v: f"{v:.0f} %"
        config["range"] = (0, 100)
        config["y_labels"] = [0, 25, 50, 75, 100]
    else:
        top = max((value for _label, value in items), default=0)
        config["y_labels"] = _ticks(top)
        config["range"] = (0, config["y_labels"][-1])
    chart = (pygal.HorizontalBar if horizontal else pygal.Bar)(**config)
    chart.x_labels = [label for label, _value in items]
    values: list[Any] = [
        {"value": value, "color": colors[index]} if index < len(colors) else value
        for index, (_label, value) in enumerate(items)
    ]
    chart.add(title, values)
    return _svg(chart, title)


def timeline(title: str, items: Sequence[tuple[str, int]], *, marks: Sequence[str] = ()) -> Markup:
    """Counts over time (e.g. arrivals per half hour), every other label shown when crowded."""
    config = _config(title, len(items), horizontal=False)
    config.update(x_label_rotation=-45, show_minor_x_labels=False, print_values=len(items) <= 16)
    top = max((n for _label, n in items), default=0)
    config["y_labels"] = _ticks(top)
    config["range"] = (0, config["y_labels"][-1])
    chart = pygal.Bar(**config)
    chart.x_labels = [label for label, _n in items]
    chart.x_labels_major = [label for index, (label, _n) in enumerate(items) if index % 2 == 0 or label in marks]
    chart.add(title, [n for _label, n in items])
    return _svg(chart, title)
