"""Alert counts over time, and server-rendered SVG charts of them (no script, no requests).

``counts_by_kind_over_time`` counts stored alerts per month or week and kind in one
GROUP BY query on SQLite or PostgreSQL. ``stacked_bars_svg`` draws such a series as an
accessible SVG: a title and description, a text legend, axis labels, and a tooltip per
segment. Kinds differ by colour, fill pattern and fixed stacking order, so colour is never
the only cue, and every colour reads on white at WCAG AA contrast (4.5:1) as legend text.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from xml.sax.saxutils import escape

from sqlalchemy import String, and_, func, literal_column, or_
from sqlmodel import Session, col, select

from alerts.models import Alert

Bucket = Literal["month", "week"]
Series = Sequence[tuple[date, dict[str, int]]]

# Dark enough for 4.5:1 on white; neighbours differ in hue, patterns tell the rest apart.
PALETTE = (
    "#1565c0",
    "#c62828",
    "#2e7d32",
    "#6a1b9a",
    "#8a5a00",
    "#00695c",
    "#ad1457",
    "#4e342e",
    "#827717",
    "#9e3b00",
    "#3949ab",
    "#00838f",
)
OTHER = "other kinds"
OTHER_COLOUR = "#595959"
EMPTY_MESSAGE = "No alerts in this period"
# White marks over the kind's colour, on a 6×6 tile: solid, diagonals, lines, dots, hatches.
_MARKS = (
    "",
    '<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#fff" stroke-width="1.2"/>',
    '<path d="M-1,5 l2,2 M0,0 l6,6 M5,-1 l2,2" stroke="#fff" stroke-width="1.2"/>',
    '<path d="M0,3 h6" stroke="#fff" stroke-width="1.2"/>',
    '<path d="M3,0 v6" stroke="#fff" stroke-width="1.2"/>',
    '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
    '<path d="M0,6 l6,-6 M0,0 l6,6" stroke="#fff" stroke-width="0.9"/>',
    '<path d="M0,3 h6 M3,0 v6" stroke="#fff" stroke-width="0.9"/>',
)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FONT = 'font-family="system-ui, sans-serif"'


# -- counting ---------------------------------------------------------------------------


def bucket_start(day: date, bucket: Bucket) -> date:
    """The first day of the month, or the Monday of the ISO week, that holds ``day``."""
    if bucket == "month":
        return day.replace(day=1)
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    raise ValueError(f"bucket must be 'month' or 'week', not {bucket!r}")


def bucket_starts(since: date, until: date, bucket: Bucket) -> list[date]:
    """Every bucket from the one holding ``since`` to the one holding ``until``."""
    starts: list[date] = []
    current, last = bucket_start(since, bucket), bucket_start(until, bucket)
    while current <= last:
        starts.append(current)
        if bucket == "week":
            current += timedelta(days=7)
        else:
            current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return starts


def _bucket_column(dialect: str, bucket: Bucket) -> Any:
    """SQL for the bucket's first day as ``YYYY-MM-DD`` text, in UTC.

    Constants are inlined rather than bound: PostgreSQL sees two bound parameters as two
    expressions, and would refuse to GROUP BY the one it SELECTs.
    """
    moment = func.coalesce(col(Alert.published_at), col(Alert.first_seen_at))
    if dialect == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), moment)
        start = func.date_trunc(literal_column(f"'{bucket}'"), utc)
        return func.to_char(start, literal_column("'YYYY-MM-DD'"), type_=String)
    if dialect == "sqlite":
        # SQLite keeps UTC text; 'weekday 0' moves to the coming Sunday, then back 6 days.
        if bucket == "month":
            return func.strftime(literal_column("'%Y-%m-01'"), moment, type_=String)
        return func.date(
            moment, literal_column("'weekday 0'"), literal_column("'-6 days'"), type_=String
        )
    raise ValueError(f"no bucket expression for the {dialect} database")


def counts_by_kind_over_time(
    session: Session, *, since: date, until: date, bucket: Bucket = "month"
) -> list[tuple[date, dict[str, int]]]:
    """Alerts per bucket and kind, for alerts dated from ``since`` to ``until`` (inclusive).

    An alert is dated by its publication time, else by when it was first seen, in UTC.
    Every bucket in the range is listed, oldest first, with ``{}`` when it has no alerts;
    the first and last buckets count only the days inside the range. ValueError for an
    unknown bucket, ``since`` after ``until``, or a database other than SQLite/PostgreSQL.
    """
    if since > until:
        raise ValueError("since is after until")
    starts = bucket_starts(since, until, bucket)
    low = datetime.combine(since, time(), UTC)
    high = datetime.combine(until + timedelta(days=1), time(), UTC)
    published, first_seen = col(Alert.published_at), col(Alert.first_seen_at)
    in_range = or_(
        and_(published >= low, published < high),
        and_(published.is_(None), first_seen >= low, first_seen < high),
    )
    column = _bucket_column(session.get_bind().dialect.name, bucket).label("bucket")
    kind = col(Alert.kind)
    query = (
        select(column, kind, func.count())
        .where(in_range)
        .group_by(column, kind)
        .order_by(column, kind)
    )
    counts: dict[date, dict[str, int]] = {start: {} for start in starts}
    for start, name, count in session.exec(query):
        counts.setdefault(date.fromisoformat(str(start)[:10]), {})[str(name)] = int(count)
    return sorted(counts.items())


# -- drawing ----------------------------------------------------------------------------


def _text(value: object) -> str:
    """``value`` as XML text or attribute content: escaped, with XML-illegal characters
    (control characters, lone surrogates) dropped."""
    cleaned = _NOT_XML.sub("", str(value))
    return escape(cleaned, {'"': "&quot;", "'": "&#39;"})


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _label(kind: str) -> str:
    return kind.replace("_", " ")


def _period(day: date, bucket: Bucket) -> str:
    return day.strftime("%Y-%m") if bucket == "month" else day.isoformat()


def _alerts(count: int) -> str:
    return "1 alert" if count == 1 else f"{count} alerts"


def _step(top: int) -> int:
    """A 1-2-5 tick step giving at most five intervals up to ``top``."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if top <= step * 5:
                return step
        magnitude *= 10


def _text_width(text: str, size: float = 12) -> float:
    # No font metrics on the server: an average glyph is a bit over half the font size.
    return len(text) * size * 0.6


def _ident(series: Series, kinds: Sequence[str], title: str) -> str:
    """An id prefix fixed by the input, so two charts on one page do not share ids."""
    key = repr(([(d.isoformat(), sorted(c.items())) for d, c in series], list(kinds), title))
    return "chart-" + hashlib.sha256(key.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class _Chart:
    """What is drawn, and where: the data resolved into kinds, cells and a layout."""

    ident: str
    bucket: Bucket
    kinds: list[str]  # with counts in the period, in stacking order
    styles: dict[str, tuple[str, str]]  # kind -> (colour, pattern marks)
    rows: list[tuple[date, list[tuple[str, int]]]]  # non-zero (kind, count) per bucket
    left: float
    plot_top: float
    plot_w: float
    plot_h: float
    legend: list[tuple[str, float, float]]  # kind, x, y

    @property
    def plot_bottom(self) -> float:
        return self.plot_top + self.plot_h

    def pattern(self, kind: str) -> str:
        return f"{self.ident}-p{list(self.styles).index(kind)}"


def _resolve(series: Series, kinds: Sequence[str]) -> tuple[list[str], dict[str, Any], list[Any]]:
    """Kinds in stacking order with their styles, and each bucket's non-zero cells.

    A kind's colour and pattern follow its place in ``kinds``, so it looks the same in
    every chart given the same ``kinds``. Unlisted kinds are summed into ``OTHER``.
    """
    listed = list(dict.fromkeys(kinds))
    styles: dict[str, tuple[str, str]] = {
        kind: (PALETTE[i % len(PALETTE)], _MARKS[i % len(_MARKS)]) for i, kind in enumerate(listed)
    }
    styles[OTHER] = (OTHER_COLOUR, _MARKS[len(listed) % len(_MARKS)])
    known = set(listed)
    rows: list[tuple[date, list[tuple[str, int]]]] = []
    for day, counts in series:
        cells = [(kind, int(counts.get(kind, 0))) for kind in listed]
        cells.append((OTHER, sum(int(n) for k, n in counts.items() if k not in known)))
        rows.append((day, [(kind, n) for kind, n in cells if n > 0]))
    present = {kind for _, cells in rows for kind, _ in cells}
    return [k for k in styles if k in present], styles, rows


def _layout(
    ident: str, bucket: Bucket, kinds: list[str], styles: dict[str, Any], rows: list[Any],
    width: int, height: int,
) -> _Chart:  # fmt: skip
    """Top to bottom: title, plot, period labels, axis title, legend (wrapped to fit)."""
    left, right, pad = 48.0, 12.0, 8.0
    legend: list[tuple[str, float, float]] = []
    x, y = left, 0.0
    for kind in kinds:
        item_w = 16 + _text_width(_label(kind)) + 14
        if x + item_w > width - right and x > left:
            x, y = left, y + 18
        legend.append((kind, x, y))
        x += item_w
    plot_top = 30.0
    plot_h = max(height - pad - (y + 18) - 36 - plot_top, 20.0)
    legend = [(kind, lx, plot_top + plot_h + 36 + ly) for kind, lx, ly in legend]
    plot_w = max(width - left - right, 20.0)
    return _Chart(ident, bucket, kinds, styles, rows, left, plot_top, plot_w, plot_h, legend)


def _defs(chart: _Chart) -> list[str]:
    lines = ["<defs>"]
    for kind in chart.kinds:
        colour, marks = chart.styles[kind]
        lines.append(
            f'<pattern id="{chart.pattern(kind)}" width="6" height="6" '
            f'patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="{colour}"/>'
            f"{marks}</pattern>"
        )
    lines.append("</defs>")
    return lines


def _y_axis(chart: _Chart, scale_top: int, step: int) -> list[str]:
    lines = ['<g class="y-axis" font-size="11" fill="#333">']
    right = chart.left + chart.plot_w
    for value in range(0, scale_top + 1, step):
        y = chart.plot_bottom - value * chart.plot_h / scale_top
        lines.append(
            f'<line x1="{_num(chart.left)}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}" '
            f'stroke="#d0d0d0" stroke-width="1"/><text x="{_num(chart.left - 6)}" '
            f'y="{_num(y + 4)}" text-anchor="end">{value}</text>'
        )
    middle = _num(chart.plot_top + chart.plot_h / 2)
    lines.append(
        f'<text class="axis-title" x="12" y="{middle}" text-anchor="middle" '
        f'transform="rotate(-90 12 {middle})">Alerts</text>'
    )
    lines.append("</g>")
    return lines


def _bars(chart: _Chart, scale_top: int) -> list[str]:
    """One group per bucket, one rect per non-zero count, its exact count in a tooltip."""
    slot = chart.plot_w / len(chart.rows)
    bar_w = max(slot * 0.7, 1.0)
    per_alert = chart.plot_h / scale_top
    lines = ['<g class="bars">']
    for i, (day, cells) in enumerate(chart.rows):
        period = _period(day, chart.bucket)
        x = _num(chart.left + i * slot + (slot - bar_w) / 2)
        lines.append(f'<g class="bar" data-period="{period}">')
        base = chart.plot_bottom
        for kind, n in cells:
            h = n * per_alert
            base -= h
            lines.append(
                f'<rect class="segment" x="{x}" y="{_num(base)}" width="{_num(bar_w)}" '
                f'height="{_num(h)}" fill="url(#{chart.pattern(kind)})" stroke="#fff" '
                f'stroke-width="0.5"><title>{_text(_label(kind))}, {period}: '
                f"{_alerts(n)}</title></rect>"
            )
        lines.append("</g>")
    lines.append("</g>")
    return lines


def _x_axis(chart: _Chart) -> list[str]:
    """The baseline, period labels thinned so they never overlap, and the axis title."""
    slot = chart.plot_w / len(chart.rows)
    every = max(1, math.ceil((_text_width(_period(chart.rows[0][0], chart.bucket), 11) + 8) / slot))
    bottom, right = _num(chart.plot_bottom), _num(chart.left + chart.plot_w)
    lines = [
        '<g class="x-axis" font-size="11" fill="#333">',
        f'<line x1="{_num(chart.left)}" y1="{bottom}" x2="{right}" y2="{bottom}" '
        'stroke="#333" stroke-width="1"/>',
    ]
    for i in range(0, len(chart.rows), every):
        lines.append(
            f'<text x="{_num(chart.left + (i + 0.5) * slot)}" y="{_num(chart.plot_bottom + 14)}" '
            f'text-anchor="middle">{_period(chart.rows[i][0], chart.bucket)}</text>'
        )
    title = "Month" if chart.bucket == "month" else "Week (starting Monday)"
    lines.append(
        f'<text class="axis-title" x="{_num(chart.left + chart.plot_w / 2)}" '
        f'y="{_num(chart.plot_bottom + 30)}" text-anchor="middle">{title}</text>'
    )
    lines.append("</g>")
    return lines


def _legend(chart: _Chart) -> list[str]:
    """A swatch in the kind's pattern, and its name in the kind's (AA-contrast) colour."""
    lines = ['<g class="legend" font-size="12">']
    for kind, x, y in chart.legend:
        colour = chart.styles[kind][0]
        lines.append(
            f'<g class="legend-item"><rect x="{_num(x)}" y="{_num(y)}" width="12" height="12" '
            f'fill="url(#{chart.pattern(kind)})" stroke="{colour}"/><text x="{_num(x + 16)}" '
            f'y="{_num(y + 10)}" fill="{colour}">{_text(_label(kind))}</text></g>'
        )
    lines.append("</g>")
    return lines


def _description(chart: _Chart) -> str:
    totals = [sum(n for _, n in cells) for _, cells in chart.rows]
    per_kind = dict.fromkeys(chart.kinds, 0)
    for _, cells in chart.rows:
        for kind, n in cells:
            per_kind[kind] += n
    unit = chart.bucket
    busiest = max(range(len(totals)), key=lambda i: (totals[i], -i))
    first, last = chart.rows[0][0], chart.rows[-1][0]
    return (
        f"Stacked bar chart of {_alerts(sum(totals))} by kind, one bar per {unit} from "
        f"{_period(first, unit)} to {_period(last, unit)}. Segments are stacked from the "
        "bottom in legend order: "
        + "; ".join(f"{_label(kind)} {n}" for kind, n in per_kind.items())
        + f". Busiest {unit}: {_period(chart.rows[busiest][0], unit)} with "
        f"{_alerts(totals[busiest])}."
    )


def stacked_bars_svg(
    series: Series,
    *,
    kinds: Sequence[str],
    title: str,
    width: int = 720,
    height: int = 260,
    bucket: Bucket = "month",
) -> str:
    """A stacked bar chart of ``series`` (as from ``counts_by_kind_over_time``) as SVG text.

    One bar per bucket, one segment per kind with a count, stacked from the bottom in
    the order of ``kinds``; counts of kinds not in ``kinds`` are drawn as one "other
    kinds" segment on top, so bar heights are always the true totals. The legend lists
    the kinds with a count in the period. The same input gives the same text. With no
    alerts, the chart says so instead of drawing empty axes.
    """
    ident = _ident(series, kinds, title)
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" {_FONT}>',
        f'<title id="{ident}-title">{_text(title)}</title>',
    ]
    drawn, styles, rows = _resolve(series, kinds)
    if not drawn:
        return "\n".join(
            [
                *head,
                f'<desc id="{ident}-desc">{EMPTY_MESSAGE}.</desc>',
                f'<rect width="{width}" height="{height}" fill="#fff"/>',
                f'<text x="8" y="18" font-size="14" font-weight="bold" fill="#1a1a1a">'
                f"{_text(title)}</text>",
                f'<text class="empty" x="{_num(width / 2)}" y="{_num(height / 2)}" '
                f'text-anchor="middle" font-size="14" fill="#333">{EMPTY_MESSAGE}</text>',
                "</svg>",
            ]
        )
    chart = _layout(ident, bucket, drawn, styles, rows, width, height)
    top = max(sum(n for _, n in cells) for _, cells in rows)
    step = _step(top)
    scale_top = math.ceil(top / step) * step
    return "\n".join(
        [
            *head,
            f'<desc id="{ident}-desc">{_text(_description(chart))}</desc>',
            *_defs(chart),
            f'<rect width="{width}" height="{height}" fill="#fff"/>',
            f'<text x="{_num(chart.left)}" y="18" font-size="14" font-weight="bold" '
            f'fill="#1a1a1a">{_text(title)}</text>',
            *_y_axis(chart, scale_top, step),
            *_bars(chart, scale_top),
            *_x_axis(chart),
            *_legend(chart),
            "</svg>",
        ]
    )
