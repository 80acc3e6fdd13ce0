"""Weekly signals in kept CAERS reports: counted by ISO week, judged by EARS, drafted.

The kratom reports kept by ``openfda_food_event`` are counted per complete ISO week, as
two series: every report, and serious-outcome reports. A week the EARS C2 detector
(``alerts.signals``) flags becomes one ``adverse_event`` draft, with the baseline it was
judged against, the most frequent reactions and the products named. The drafts depend on
the stored records alone, so a re-poll returns the same drafts with the same uids.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from alerts.classify import kind_for
from alerts.draft import AlertDraft, Product
from alerts.signals import DEFAULT, METHODS, Method, WeekSignal, detect_all
from alerts.text import as_utc, day_start_utc, parse_day
from alerts.vocabulary import match_terms
from sources.base import Kept

KIND = "adverse_event"
PRIMARY: Method = "C2"
MAX_REPORT_NUMBERS = 50
TOP_REACTIONS = 5
MAX_PRODUCTS = 20
CAVEAT = (
    "CAERS reports are sent in by consumers, doctors and firms and are not verified by FDA. "
    "A report shows that someone linked a product to a reaction, not that the product caused "
    "it, so these counts cannot establish causation or say how common reactions are."
)


# series name -> (which reports it counts, how a title names them)
_SERIES: dict[str, tuple[Callable[[dict[str, Any]], bool], str, str]] = {
    "reports": (lambda data: True, "Kratom adverse-event reports", "reports"),
    "serious": (
        lambda data: bool(data.get("serious")),
        "Serious kratom adverse-event reports",
        "serious-outcome reports",
    ),
}


# ISO week (its Monday) -> the report data created in it
ByWeek = dict[date, list[dict[str, Any]]]


def monday(day: date) -> date:
    """The Monday that starts ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def iso_week(day: date) -> str:
    """``2018-W10`` for any day of that ISO week."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly(kept: Sequence[Kept], now: datetime) -> tuple[list[date], ByWeek]:
    """Complete ISO weeks from the first report's week to the week before ``now``'s, and
    the reports created in each. Reports without a date, or in the current (incomplete)
    week, are left out. Records gone from the listing still count: openFDA's paged window
    moves, and a report once received stays received.
    """
    moment = as_utc(now)
    assert moment is not None
    last = monday(moment.date()) - timedelta(days=7)
    by_week: ByWeek = {}
    for record in kept:
        day = parse_day(record.data.get("date_created"))
        if day is None or monday(day) > last:
            continue
        by_week.setdefault(monday(day), []).append(record.data)
    if not by_week:
        return [], {}
    first = min(by_week)
    weeks = [first + timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]
    return weeks, by_week


def _top_reactions(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: Counter[str] = Counter()
    for report in reports:
        counts.update({str(term).upper() for term in report.get("reactions") or []})
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"term": term, "reports": n} for term, n in ranked[:TOP_REACTIONS]]


_GLOSS = re.compile(r"seizures?", re.I)


def _for_summary(term: str) -> str | None:
    """A reaction term as the summary may show it, or None.

    The classifier reads the summary to decide the alert's kind; a MedDRA term such as
    SEIZURE would turn a signal into a "seizure" (confiscation) alert. Such terms are
    shown by their plain synonym, or left to the details when there is none.
    """
    if kind_for(term, KIND) == KIND:
        return term
    glossed = _GLOSS.sub("CONVULSION", term)
    return glossed if kind_for(glossed, KIND) == KIND else None


def _products_of(reports: list[dict[str, Any]]) -> list[Product]:
    names: Counter[str] = Counter()
    for report in reports:
        for product in report.get("products") or []:
            name = str(product.get("name_brand") or "")
            if name and match_terms(name):
                names[name] += 1
    ranked = sorted(names.items(), key=lambda item: (-item[1], item[0]))
    return [Product(name=name) for name, _ in ranked[:MAX_PRODUCTS]]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _summary(
    series: str, start: date, signal: WeekSignal, first_base: date, top: list[dict[str, Any]]
) -> str:
    noun = _SERIES[series][2]
    mean, sd, stat = signal.baseline_mean or 0.0, signal.baseline_sd or 0.0, signal.statistic
    shown = [(t, n) for t, n in ((_for_summary(r["term"]), r["reports"]) for r in top) if t]
    reactions = (
        "Most frequent reactions that week: "
        + ", ".join(f"{term} ({n})" for term, n in shown)
        + ". "
        if shown
        else ""
    )
    return (
        f"FDA's CAERS database received {signal.count} {noun} naming kratom products in the "
        f"week of {start.isoformat()} (Monday to Sunday), against an average of {mean:.1f} a "
        f"week (standard deviation {sd:.1f}) over the {signal.weeks_used} weeks from "
        f"{first_base.isoformat()} to "
        f"{(first_base + timedelta(days=7 * signal.weeks_used - 1)).isoformat()}. "
        f"The EARS {PRIMARY} statistic (the excess over the average divided by the standard "
        f"deviation, taken as at least {DEFAULT.min_sd:g} and at least the square root of the "
        f"average) is {stat or 0.0:.1f}; a week is flagged above {DEFAULT.threshold:g}. The "
        f"{DEFAULT.guard_weeks} weeks just before are left out of the baseline so a rise in "
        f"progress is not absorbed. "
        f"{reactions}{CAVEAT}"
    )


def _draft(
    series: str,
    weeks: list[date],
    index: int,
    results: dict[Method, list[WeekSignal]],
    reports: list[dict[str, Any]],
    counts: list[int],
    *,
    source: str,
    url: str,
) -> AlertDraft:
    start = weeks[index]
    signal = results[PRIMARY][index]
    first_base = weeks[index - DEFAULT.guard_weeks - signal.weeks_used]
    top = _top_reactions(reports)
    label, noun = _SERIES[series][1], _SERIES[series][2]
    ordered = sorted(reports, key=lambda r: (str(r.get("date_created")), str(r["report_number"])))
    terms: list[str] = []
    for report in reports:
        terms += [t for t in report.get("matched_terms") or [] if t not in terms]
    others = {
        f"{method.lower()}_{what}": value
        for method in METHODS
        if method != PRIMARY
        for what, value in (
            ("statistic", _round(results[method][index].statistic)),
            ("flagged", results[method][index].flagged),
        )
    }
    return AlertDraft(
        source=source,
        uid=f"signal:{series}:{iso_week(start)}",
        agency="FDA",
        kind=KIND,
        kind_decided=True,
        title=(
            f"{label} above baseline: {signal.count} {noun} in week of {start.isoformat()} "
            f"(baseline {signal.baseline_mean or 0.0:.1f})"
        ),
        url=url,
        summary=_summary(series, start, signal, first_base, top),
        # The signal exists once its week is over.
        published_at=day_start_utc(start + timedelta(days=7)),
        jurisdiction="US",
        products=_products_of(reports),
        matched_terms=terms or ["kratom"],
        details={
            "series": series,
            "week": iso_week(start),
            "week_start": start.isoformat(),
            "count": signal.count,
            "baseline_mean": _round(signal.baseline_mean),
            "baseline_sd": _round(signal.baseline_sd),
            "scale": _round(signal.scale),
            "statistic": _round(signal.statistic),
            "method": f"EARS {PRIMARY}",
            "weeks_used": signal.weeks_used,
            "baseline_from": first_base.isoformat(),
            **others,
            "report_numbers": [str(r["report_number"]) for r in ordered][:MAX_REPORT_NUMBERS],
            "top_reactions": top,
        },
        raw={
            "dataset": "openFDA food/event (CAERS)",
            "weekly_counts": [
                {"week_start": weeks[i].isoformat(), "count": counts[i]}
                for i in range(max(0, index - 9), index + 1)
            ],
        },
    )


def signal_drafts(
    kept: Sequence[Kept], now: datetime, *, source: str, week_url: Callable[[date], str]
) -> list[AlertDraft]:
    """One ``adverse_event`` draft per flagged (series, complete week), oldest first.

    Series: ``reports`` (every kept kratom report) and ``serious`` (serious-outcome
    reports), counted by ISO week of ``date_created``. EARS C2 decides; C1 and C3 are
    reported in the details. uid = ``signal:<series>:<ISO week>``, so the same stored
    records always give the same drafts. ``source`` is the key the drafts carry;
    ``week_url(monday)`` is the address listing a week's reports, each draft's link.
    """
    weeks, by_week = weekly(kept, now)
    drafts: list[AlertDraft] = []
    for series, (counts_it, _, _) in _SERIES.items():
        chosen = [[r for r in by_week.get(week, []) if counts_it(r)] for week in weeks]
        counts = [len(reports) for reports in chosen]
        results = detect_all(counts)
        for index, signal in enumerate(results[PRIMARY]):
            if signal.flagged:
                url = week_url(weeks[index])
                drafts.append(
                    _draft(
                        series, weeks, index, results, chosen[index], counts, source=source, url=url
                    )
                )
    return sorted(drafts, key=lambda d: (str(d.details["week_start"]), d.uid))
