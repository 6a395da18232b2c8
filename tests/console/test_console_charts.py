"""The console's SVG chart library and value formats (no I/O): axes with round ticks,
one shape per non-zero value with its exact label, escaped text; money with 2 decimals
and its currency, dates as calendar dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from tradecover.console import charts
from tradecover.console.rendering import day, duration, money

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def test_ticks_run_from_zero_to_a_round_value_above_the_maximum():
    assert charts.ticks(8100.0) == [0, 2000, 4000, 6000, 8000, 10000]
    assert charts.ticks(3, integers=True) == [0, 1, 2, 3]
    assert charts.ticks(0) == [0, 1]


def test_stacked_bars_draw_one_rect_per_non_zero_value_with_axes_and_legend():
    svg = charts.bar_chart(
        "Covers <bound>",
        ["11-22", "11-23"],
        [charts.Series("FI", [2, 0]), charts.Series("TR", [1, 3])],
    )
    root = parse(svg)
    bars = root.findall(f".//{SVG}rect[@class='bar']")
    assert [(b.get("data-category"), b.get("data-series")) for b in bars] == [
        ("11-22", "FI"),
        ("11-22", "TR"),
        ("11-23", "TR"),
    ]
    # Stacked: the TR segment of 11-22 sits on the FI one, as tall as half of it.
    fi, tr = bars[0], bars[1]
    assert float(tr.get("y")) + float(tr.get("height")) == pytest.approx(
        float(fi.get("y")), abs=0.2
    )
    assert float(tr.get("height")) == pytest.approx(float(fi.get("height")) / 2, abs=0.2)
    assert root.find(f"{SVG}title").text == "Covers <bound>"  # escaped in, parsed back
    assert "&lt;bound&gt;" in svg
    labels = [t.text for t in root.findall(f".//{SVG}g[@class='y-axis']/{SVG}text")]
    assert labels == ["0", "1", "2", "3"]
    assert root.find(f".//{SVG}g[@class='legend']") is not None


def test_line_chart_labels_points_with_exact_money():
    svg = charts.line_chart(
        "Paid",
        ["2026-10", "2026-11"],
        [charts.Series("EUR", [Decimal("0.00"), Decimal("8100.00")])],
        value_format=lambda v: money(v, "EUR"),
    )
    titles = [t.text for t in parse(svg).findall(f".//{SVG}circle/{SVG}title")]
    assert titles == ["2026-10: EUR 0.00 EUR", "2026-11: EUR 8,100.00 EUR"]


def test_an_empty_chart_says_so_and_a_ragged_series_is_refused():
    assert "No data in this period" in charts.bar_chart("x", ["a"], [charts.Series("s", [0])])
    with pytest.raises(ValueError, match="has 1 values, not 2"):
        charts.bar_chart("x", ["a", "b"], [charts.Series("s", [1])])


def test_money_dates_and_durations_read_as_staff_expect():
    assert money(Decimal("25000"), "EUR") == "25,000.00 EUR"
    assert money(Decimal("0.005"), "EUR") == "0.01 EUR"  # half-up to the cent
    assert money(None, "EUR") == "—"
    assert day(datetime(2026, 11, 23, 23, 59, tzinfo=UTC)) == "2026-11-23"
    assert day(date(2027, 2, 2)) == "2027-02-02"
    assert duration(timedelta(days=1, hours=23, minutes=5)) == "1 d 23 h"
    assert duration(timedelta(minutes=-90)) == "overdue by 1 h 30 min"
    assert re.fullmatch(r"\d+ min", duration(timedelta(seconds=59)))
