"""Alert counts over time on both backends, and the SVG chart drawn from them."""

from __future__ import annotations

import itertools
import random
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import store
from alerts.charts import (
    EMPTY_MESSAGE,
    OTHER,
    OTHER_COLOUR,
    PALETTE,
    bucket_start,
    counts_by_kind_over_time,
    stacked_bars_svg,
)
from alerts.draft import KINDS
from alerts.models import Alert
from tests.factories import draft

SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2026, 2, 1, 9, tzinfo=UTC)


def _store_spread(engine: Engine, count: int = 90, seed: int = 3) -> None:
    """Alerts over 2025 and a little either side; some without a publication date."""
    rng = random.Random(seed)
    with Session(engine) as session:
        for n in range(count):
            published = datetime(2024, 11, 20, tzinfo=UTC) + timedelta(
                hours=rng.randint(0, 24 * 480)
            )
            item = draft(
                uid=f"u{n}",
                url=f"https://www.fda.gov/recall/{n}",
                kind=rng.choice(KINDS[:5]),
                published_at=None if n % 9 == 0 else published,
            )
            # Undated alerts are dated by first sight: spread those too.
            store.upsert(session, [item], now=published if n % 9 == 0 else NOW)
        session.commit()


def _expected(engine: Engine, since: date, until: date, bucket: Any) -> dict[date, Counter[str]]:
    with Session(engine) as session:
        alerts = list(session.exec(select(Alert)))
    counted: dict[date, Counter[str]] = {}
    for alert in alerts:
        day = (alert.published_at or alert.first_seen_at).astimezone(UTC).date()
        if since <= day <= until:
            counted.setdefault(bucket_start(day, bucket), Counter())[alert.kind] += 1
    return counted


@pytest.mark.parametrize("bucket", ["month", "week"])
def test_counts_match_a_count_of_the_stored_alerts(engine: Engine, bucket: Any) -> None:
    _store_spread(engine)
    since, until = date(2025, 1, 15), date(2025, 12, 31)
    with Session(engine) as session:
        series = counts_by_kind_over_time(session, since=since, until=until, bucket=bucket)
    expected = _expected(engine, since, until, bucket)
    assert {day: Counter(counts) for day, counts in series if counts} == expected
    assert sum(sum(c.values()) for _, c in series) > 40


def test_every_bucket_is_listed_in_order_even_when_empty(engine: Engine) -> None:
    with Session(engine) as session:
        months = counts_by_kind_over_time(session, since=date(2025, 11, 15), until=date(2026, 2, 2))
        weeks = counts_by_kind_over_time(
            session, since=date(2025, 12, 31), until=date(2026, 1, 12), bucket="week"
        )
    assert months == [(date(2025, 11, 1), {}), (date(2025, 12, 1), {}), (date(2026, 1, 1), {}),
                      (date(2026, 2, 1), {})]  # fmt: skip
    assert [day for day, _ in weeks] == [date(2025, 12, 29), date(2026, 1, 5), date(2026, 1, 12)]


def test_the_range_takes_whole_utc_days_at_both_ends(engine: Engine) -> None:
    moments = {
        "before": datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC),
        "first": datetime(2025, 3, 1, 0, 0, tzinfo=UTC),
        "last": datetime(2025, 3, 31, 23, 59, 59, tzinfo=UTC),
        "after": datetime(2025, 4, 1, 0, 0, tzinfo=UTC),
    }
    with Session(engine) as session:
        store.upsert(
            session,
            [
                draft(uid=name, url=f"https://x.test/{name}", published_at=moment, kind=name[:5])
                for name, moment in moments.items()
            ],
            now=NOW,
        )
        session.commit()
        series = counts_by_kind_over_time(session, since=date(2025, 3, 1), until=date(2025, 3, 31))
    assert series == [(date(2025, 3, 1), {"first": 1, "last": 1})]


def test_weeks_start_on_monday_in_utc(engine: Engine) -> None:
    sunday_night = datetime(2025, 3, 16, 23, 30, tzinfo=UTC)
    with Session(engine) as session:
        store.upsert(session, [draft(published_at=sunday_night)], now=NOW)
        session.commit()
        series = counts_by_kind_over_time(
            session, since=date(2025, 3, 10), until=date(2025, 3, 23), bucket="week"
        )
    assert series == [(date(2025, 3, 10), {"recall": 1}), (date(2025, 3, 17), {})]


def test_a_bad_range_or_bucket_is_refused(engine: Engine) -> None:
    with Session(engine) as session:
        with pytest.raises(ValueError, match="after"):
            counts_by_kind_over_time(session, since=date(2025, 2, 1), until=date(2025, 1, 1))
        with pytest.raises(ValueError, match="bucket"):
            counts_by_kind_over_time(
                session,
                since=date(2025, 1, 1),
                until=date(2025, 2, 1),
                bucket="day",  # type: ignore[arg-type]
            )


# -- the SVG ----------------------------------------------------------------------------

SERIES = [
    (date(2025, 1, 1), {"recall": 3, "advisory": 1}),
    (date(2025, 2, 1), {}),
    (date(2025, 3, 1), {"recall": 1, "state_law": 2, "seizure": 4}),
]
KINDS_SHOWN = ("recall", "advisory", "state_law", "seizure")


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _by_class(root: ET.Element, tag: str, name: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if e.get("class") == name]


def test_the_chart_is_xml_with_a_bar_per_period_and_a_segment_per_count() -> None:
    root = _parse(stacked_bars_svg(SERIES, kinds=KINDS_SHOWN, title="Alerts by kind"))
    assert len(_by_class(root, "g", "bar")) == 3
    assert len(_by_class(root, "rect", "segment")) == 5
    assert len(_by_class(root, "g", "legend-item")) == 4
    legend = [e.findtext(f"{SVG}text") for e in _by_class(root, "g", "legend-item")]
    assert legend == ["recall", "advisory", "state law", "seizure"]


def test_each_segment_has_a_tooltip_with_its_exact_count() -> None:
    root = _parse(stacked_bars_svg(SERIES, kinds=KINDS_SHOWN, title="Alerts by kind"))
    tips = [e.findtext(f"{SVG}title") for e in _by_class(root, "rect", "segment")]
    assert tips == [
        "recall, 2025-01: 3 alerts",
        "advisory, 2025-01: 1 alert",
        "recall, 2025-03: 1 alert",
        "state law, 2025-03: 2 alerts",
        "seizure, 2025-03: 4 alerts",
    ]


def test_the_chart_is_labelled_for_assistive_technology() -> None:
    root = _parse(stacked_bars_svg(SERIES, kinds=KINDS_SHOWN, title="Alerts by kind"))
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    assert title.text == "Alerts by kind"
    assert "11 alerts" in (desc.text or "")
    assert "seizure 4" in (desc.text or "")
    axis_titles = [e.text for e in root.iter(f"{SVG}text") if e.get("class") == "axis-title"]
    assert axis_titles == ["Alerts", "Month"]


def test_bar_heights_are_proportional_to_the_counts() -> None:
    root = _parse(stacked_bars_svg(SERIES, kinds=KINDS_SHOWN, title="t"))
    heights = [float(e.get("height") or 0) for e in _by_class(root, "rect", "segment")]
    assert heights[0] == pytest.approx(3 * heights[1], abs=0.2)
    assert heights[4] == pytest.approx(4 * heights[2], abs=0.2)


def test_kinds_differ_by_pattern_as_well_as_colour() -> None:
    every_kind = [(date(2025, 1, 1), dict.fromkeys(KINDS, 1))]
    root = _parse(stacked_bars_svg(every_kind, kinds=KINDS, title="t"))
    patterns = list(root.iter(f"{SVG}pattern"))
    marks = [tuple(ET.tostring(child) for child in list(p)[1:]) for p in patterns]
    assert len(set(marks[:8])) == 8  # eight fill patterns before they repeat
    looks = {(next(iter(p)).get("fill"), marks[i]) for i, p in enumerate(patterns)}
    assert len(looks) == len(KINDS)


def test_the_legend_lists_the_kinds_present_and_each_kind_keeps_its_look() -> None:
    sparse = [(date(2025, 1, 1), {"seizure": 2})]
    root = _parse(stacked_bars_svg(sparse, kinds=KINDS_SHOWN, title="t"))
    items = _by_class(root, "g", "legend-item")
    assert [e.findtext(f"{SVG}text") for e in items] == ["seizure"]
    full = _parse(stacked_bars_svg(SERIES, kinds=KINDS_SHOWN, title="t"))
    fills = {
        e.findtext(f"{SVG}text"): e.find(f"{SVG}text").get("fill")  # type: ignore[union-attr]
        for e in _by_class(full, "g", "legend-item")
    }
    assert items[0].find(f"{SVG}text").get("fill") == fills["seizure"]  # type: ignore[union-attr]


def _contrast(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_legend_colours_meet_wcag_aa_contrast_on_white() -> None:
    assert all(_contrast(c) >= 4.5 for c in (*PALETTE, OTHER_COLOUR))
    root = _parse(stacked_bars_svg(SERIES, kinds=KINDS_SHOWN, title="t"))
    for item in _by_class(root, "g", "legend-item"):
        text = item.find(f"{SVG}text")
        assert text is not None
        assert _contrast(text.get("fill") or "#ffffff") >= 4.5


def test_hostile_kind_labels_and_titles_are_escaped() -> None:
    hostile = "<script>alert('x')</script>&\"]]>\x00\x1b"
    series = [(date(2025, 1, 1), {hostile: 2, "recall": 1})]
    svg = stacked_bars_svg(series, kinds=(hostile, "recall"), title=hostile)
    root = _parse(svg)
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    assert "<script>" not in svg
    clean = "<script>alert('x')</script>&\"]]>"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == clean
    legend = [e.findtext(f"{SVG}text") for e in _by_class(root, "g", "legend-item")]
    assert legend[0] == clean
    tips = [e.findtext(f"{SVG}title") for e in _by_class(root, "rect", "segment")]
    assert tips[0] == f"{clean}, 2025-01: 2 alerts"


def test_kinds_not_listed_are_drawn_together_so_totals_stay_true() -> None:
    series = [(date(2025, 1, 1), {"recall": 1, "outbreak": 2, "seizure": 3})]
    root = _parse(stacked_bars_svg(series, kinds=("recall",), title="t"))
    tips = [e.findtext(f"{SVG}title") for e in _by_class(root, "rect", "segment")]
    assert tips == ["recall, 2025-01: 1 alert", f"{OTHER}, 2025-01: 5 alerts"]


@pytest.mark.parametrize(
    "series", [[], [(date(2025, 1, 1), {}), (date(2025, 2, 1), {"recall": 0})]]
)
def test_a_period_without_alerts_says_so(series: Any) -> None:
    root = _parse(stacked_bars_svg(series, kinds=KINDS, title="Nothing yet"))
    texts = [e.text for e in root.iter(f"{SVG}text")]
    assert texts == ["Nothing yet", EMPTY_MESSAGE]
    assert root.get("role") == "img"
    assert not _by_class(root, "rect", "segment")


@pytest.mark.parametrize(("width", "height"), [(720, 260), (360, 200), (1200, 400)])
def test_width_and_height_are_respected(width: int, height: int) -> None:
    weeks = [(date(2025, 1, 6) + timedelta(weeks=n), {"recall": n % 4}) for n in range(52)]
    for series in (weeks, []):
        root = _parse(
            stacked_bars_svg(
                series, kinds=KINDS, title="t", width=width, height=height, bucket="week"
            )
        )
        assert (root.get("width"), root.get("height")) == (str(width), str(height))
        assert root.get("viewBox") == f"0 0 {width} {height}"
        for rect in _by_class(root, "rect", "segment"):
            x, y = float(rect.get("x") or 0), float(rect.get("y") or 0)
            assert x >= 0 and x + float(rect.get("width") or 0) <= width
            assert y >= 0 and y + float(rect.get("height") or 0) <= height


def test_crowded_period_labels_are_thinned_so_they_do_not_overlap() -> None:
    weeks = [(date(2025, 1, 6) + timedelta(weeks=n), {"recall": 1}) for n in range(52)]
    root = _parse(stacked_bars_svg(weeks, kinds=KINDS, title="t", bucket="week"))
    axis = next(e for e in root.iter(f"{SVG}g") if e.get("class") == "x-axis")
    xs = [float(e.get("x") or 0) for e in axis.iter(f"{SVG}text") if e.get("class") is None]
    assert 3 < len(xs) < 52
    assert min(b - a for a, b in itertools.pairwise(xs)) >= 11 * 0.6 * 10


def test_the_same_input_gives_the_same_svg() -> None:
    first = stacked_bars_svg(SERIES, kinds=KINDS_SHOWN, title="Alerts by kind")
    again = stacked_bars_svg(list(SERIES), kinds=list(KINDS_SHOWN), title="Alerts by kind")
    assert first == again
    other = stacked_bars_svg(SERIES, kinds=KINDS_SHOWN, title="Another chart")
    assert _parse(first).get("aria-labelledby") != _parse(other).get("aria-labelledby")
