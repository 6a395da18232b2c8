"""A small chart library: bar and line charts rendered as SVG on the server.

No JavaScript and nothing fetched at run time: a chart is an `<svg>` string that the
page embeds. Geometry uses floats; every label shown is formatted from the exact value
(`value_format`), so money keeps its cents. Colours are Paul Tol's colour-blind-safe
"bright" scheme. Shapes carry a `<title>` (the browser's tooltip) and a class
(`bar`, `point`, `series-line`) that tests and stylesheets can select.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import count

from markupsafe import Markup, escape

Number = int | float | Decimal
Format = Callable[[Number], str]

PALETTE = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB")
#: Room around the plot for the axes' labels and the legend, in SVG units.
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 36, 56
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number]


def plain_number(value: Number) -> str:
    """1234 -> "1,234"; 1234.5 -> "1,234.50" (whole numbers without decimals)."""
    if float(value) == int(value):
        return f"{int(value):,}"
    return f"{Decimal(str(value)):,.2f}"


def nice_step(raw: float) -> float:
    """The smallest 1, 2 or 5 x 10^n at least `raw` (a readable tick step)."""
    if raw <= 0:
        return 1.0
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10**exponent
    nice = 1 if fraction <= 1 else 2 if fraction <= 2 else 5 if fraction <= 5 else 10
    return float(nice * 10**exponent)


def ticks(maximum: float, *, target: int = 5, integers: bool = False) -> list[float]:
    """Evenly spaced ticks from 0 to a round value at or above `maximum`."""
    step = nice_step(maximum / target if maximum > 0 else 1.0)
    if integers:
        step = max(step, 1.0)
    top = math.ceil(maximum / step) * step if maximum > 0 else step
    return [i * step for i in range(round(top / step) + 1)]


def _text(x: float, y: float, content: str, *, anchor: str = "middle", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="11" '
        f'fill="#333"{klass}>{escape(content)}</text>'
    )


@dataclass(frozen=True)
class _Frame:
    """The plot area inside the SVG and the value scale of its y axis."""

    width: int
    height: int
    top_value: float

    @property
    def left(self) -> float:
        return MARGIN_LEFT

    @property
    def right(self) -> float:
        return self.width - MARGIN_RIGHT

    @property
    def top(self) -> float:
        return MARGIN_TOP

    @property
    def bottom(self) -> float:
        return self.height - MARGIN_BOTTOM

    def y(self, value: float) -> float:
        return self.bottom - (value / self.top_value) * (self.bottom - self.top)


def _axes(frame: _Frame, tick_values: list[float], tick_format: Format, y_label: str) -> list[str]:
    parts = ['<g class="y-axis">']
    for value in tick_values:
        y = frame.y(value)
        parts.append(
            f'<line x1="{frame.left}" x2="{frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#e3e3e3" stroke-width="1"/>'
        )
        parts.append(_text(frame.left - 6, y + 4, tick_format(value), anchor="end"))
    parts.append("</g>")
    parts.append(
        f'<line class="axis" x1="{frame.left}" x2="{frame.left}" y1="{frame.top}" '
        f'y2="{frame.bottom}" stroke="#666"/>'
        f'<line class="axis" x1="{frame.left}" x2="{frame.right}" y1="{frame.bottom}" '
        f'y2="{frame.bottom}" stroke="#666"/>'
    )
    if y_label:
        parts.append(_text(frame.left, frame.top - 12, y_label, anchor="start", cls="y-label"))
    return parts


def _x_labels(frame: _Frame, categories: Sequence[str], centres: list[float]) -> list[str]:
    """Category labels under the axis; with many categories, every n-th one."""
    every = max(1, math.ceil(len(categories) / 12))
    parts = ['<g class="x-axis">']
    for i, (label, x) in enumerate(zip(categories, centres, strict=True)):
        if i % every == 0 or i == len(categories) - 1:
            parts.append(_text(x, frame.bottom + 16, label))
    parts.append("</g>")
    return parts


def _legend(frame: _Frame, series: Sequence[Series]) -> list[str]:
    if len(series) < 2:
        return []
    parts = ['<g class="legend">']
    x = frame.left
    y = frame.height - 14
    for i, item in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(x + 14, y, item.name, anchor="start"))
        x += 24 + 7 * len(item.name)
    parts.append("</g>")
    return parts


def _svg(kind: str, title: str, frame: _Frame, body: list[str]) -> Markup:
    title_id = f"chart-{next(_ids)}"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{kind}" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="100%" role="img" '
        f'aria-labelledby="{title_id}" font-family="sans-serif">'
        f'<title id="{title_id}">{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _check(categories: Sequence[str], series: Sequence[Series]) -> None:
    for item in series:
        if len(item.values) != len(categories):
            raise ValueError(
                f"series {item.name!r} has {len(item.values)} values, not {len(categories)}"
            )


def _slots(frame: _Frame, categories: Sequence[str]) -> tuple[float, list[float]]:
    """Each category's slot width and the x of its centre."""
    slot = (frame.right - frame.left) / max(len(categories), 1)
    return slot, [frame.left + slot * (i + 0.5) for i in range(len(categories))]


def _finish(
    kind: str,
    title: str,
    frame: _Frame,
    body: list[str],
    categories: Sequence[str],
    centres: list[float],
    series: Sequence[Series],
    *,
    empty: bool,
) -> Markup:
    """What every chart ends with: the empty-period notice, x labels, legend, the svg."""
    if empty:
        middle = ((frame.left + frame.right) / 2, (frame.top + frame.bottom) / 2)
        body.append(_text(*middle, "No data in this period", cls="empty"))
    body += _x_labels(frame, categories, centres)
    body += _legend(frame, series)
    return _svg(kind, title, frame, body)


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = True,
    y_label: str = "",
    value_format: Format = plain_number,
    width: int = 720,
    height: int = 280,
) -> Markup:
    """Vertical bars per category: stacked (one bar, a segment per series) or side by side."""
    _check(categories, series)
    if stacked:
        peak = max(
            (sum(float(s.values[i]) for s in series) for i in range(len(categories))), default=0.0
        )
    else:
        peak = max((float(v) for s in series for v in s.values), default=0.0)
    integers = all(float(v) == int(v) for s in series for v in s.values)
    tick_values = ticks(peak, integers=integers)
    frame = _Frame(width, height, tick_values[-1])
    body = _axes(frame, tick_values, value_format, y_label)
    slot, centres = _slots(frame, categories)
    bar_width = slot * 0.7 if stacked else slot * 0.8 / max(len(series), 1)
    body.append('<g class="bars">')
    for i, category in enumerate(categories):
        base = 0.0
        for j, item in enumerate(series):
            value = float(item.values[i])
            if value <= 0:
                continue
            if stacked:
                x, low, high = centres[i] - bar_width / 2, base, base + value
                base = high
            else:
                x = centres[i] - slot * 0.4 + j * bar_width
                low, high = 0.0, value
            y_top, y_bottom = frame.y(high), frame.y(low)
            label = f"{category}: {item.name} {value_format(item.values[i])}"
            body.append(
                f'<rect class="bar" data-series="{escape(item.name)}" '
                f'data-category="{escape(category)}" x="{x:.1f}" y="{y_top:.1f}" '
                f'width="{bar_width:.1f}" height="{max(y_bottom - y_top, 0.5):.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(label)}</title></rect>'
            )
    body.append("</g>")
    return _finish("bar", title, frame, body, categories, centres, series, empty=peak == 0)


def line_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str = "",
    value_format: Format = plain_number,
    width: int = 720,
    height: int = 280,
) -> Markup:
    """One line per series over the categories, with a marked point per value."""
    _check(categories, series)
    peak = max((float(v) for s in series for v in s.values), default=0.0)
    tick_values = ticks(peak)
    frame = _Frame(width, height, tick_values[-1])
    body = _axes(frame, tick_values, value_format, y_label)
    _, centres = _slots(frame, categories)
    for j, item in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        points = [(centres[i], frame.y(float(v))) for i, v in enumerate(item.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<g class="series" data-series="{escape(item.name)}">')
        body.append(
            f'<polyline class="series-line" points="{path}" fill="none" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        for (x, y), category, value in zip(points, categories, item.values, strict=True):
            label = f"{category}: {item.name} {value_format(value)}"
            body.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(label)}</title></circle>"
            )
        body.append("</g>")
    return _finish("line", title, frame, body, categories, centres, series, empty=peak == 0)
