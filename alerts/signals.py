"""EARS aberration detection (C1, C2, C3) on weekly counts. Pure functions, no I/O.

The CDC's Early Aberration Reporting System compares the current count with the mean and
standard deviation of a short moving baseline, here counted in weeks instead of days:

* **C1**: baseline = the 7 weeks just before the current week (t-7 .. t-1).
* **C2**: the same, with a 2-week guard band (baseline t-9 .. t-3), so a rise that
  started a week or two ago is not absorbed into its own baseline.
* **C3**: the sum of ``max(0, C2 - 1)`` over the current and the two previous weeks:
  several moderately raised weeks in a row add up.

C1 and C2 flag when ``(count - mean) / scale > 3``; C3 flags when its sum is above 2.

Two guards keep tiny counts from firing, as kratom reports are few and bursty:

* ``scale = max(sd, sqrt(mean), min_sd)``. Seven weeks of small counts often have a
  sample sd of 0 (a flat baseline), which would make any change infinite. Counts of
  reports behave roughly like Poisson counts, whose sd is ``sqrt(mean)``, so the scale
  never goes below that; ``min_sd`` (1.0) covers a baseline mean near zero.
* ``min_count`` (3): a week with fewer reports than this never flags, whatever its
  statistic. With the defaults, one or two reports over an empty baseline never fire;
  four do (4 > 0 + 3 x 1.0).

A week whose baseline is not complete (the history is too short) gets no statistic and
never flags.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Method = Literal["C1", "C2", "C3"]
METHODS: tuple[Method, ...] = ("C1", "C2", "C3")


@dataclass(frozen=True)
class EarsParams:
    """Detector settings; the defaults are the CDC's, plus the two small-count guards."""

    baseline_weeks: int = 7
    guard_weeks: int = 2  # C2 and C3 only
    threshold: float = 3.0  # C1 and C2
    c3_threshold: float = 2.0
    min_sd: float = 1.0
    min_count: int = 3

    def __post_init__(self) -> None:
        if self.baseline_weeks < 2:
            raise ValueError("baseline_weeks must be at least 2 to have a standard deviation")
        if self.guard_weeks < 0 or self.min_count < 0:
            raise ValueError("guard_weeks and min_count cannot be negative")
        if self.min_sd <= 0:
            raise ValueError("min_sd must be positive, or a flat zero baseline divides by zero")


DEFAULT = EarsParams()


@dataclass(frozen=True)
class WeekSignal:
    """The detector's verdict on one week.

    ``baseline_mean``/``baseline_sd`` describe the baseline weeks (for C3: the current
    week's C2 baseline); ``scale`` is the divisor actually used (the sd after the floor);
    ``statistic`` is None and ``flagged`` False when the history is too short
    (``weeks_used`` is then 0).
    """

    count: int
    baseline_mean: float | None
    baseline_sd: float | None
    scale: float | None
    statistic: float | None
    flagged: bool
    method: Method
    weeks_used: int


def _check(counts: Sequence[int]) -> None:
    for count in counts:
        if count < 0:
            raise ValueError(f"weekly counts cannot be negative, got {count}")


def _moving(
    counts: Sequence[int], guard: int, method: Method, params: EarsParams
) -> list[WeekSignal]:
    """C1 (guard 0) or C2 (guard ``params.guard_weeks``) for every week."""
    size = params.baseline_weeks
    out: list[WeekSignal] = []
    for t, count in enumerate(counts):
        start = t - guard - size
        if start < 0:
            out.append(WeekSignal(count, None, None, None, None, False, method, 0))
            continue
        window = counts[start : t - guard]
        mean = statistics.fmean(window)
        sd = statistics.stdev(window)
        scale = max(sd, math.sqrt(mean), params.min_sd)
        stat = (count - mean) / scale
        flagged = stat > params.threshold and count >= params.min_count
        out.append(WeekSignal(count, mean, sd, scale, stat, flagged, method, size))
    return out


def _c3(c2: list[WeekSignal], params: EarsParams) -> list[WeekSignal]:
    """C3 from the C2 results: needs a C2 statistic for the week and the two before it."""
    out: list[WeekSignal] = []
    for t, week in enumerate(c2):
        recent = [w.statistic for w in c2[max(0, t - 2) : t + 1]]
        if t < 2 or any(s is None for s in recent):
            out.append(WeekSignal(week.count, None, None, None, None, False, "C3", 0))
            continue
        stat = sum(max(0.0, s - 1.0) for s in recent if s is not None)
        flagged = stat > params.c3_threshold and week.count >= params.min_count
        out.append(
            WeekSignal(
                week.count,
                week.baseline_mean,
                week.baseline_sd,
                week.scale,
                stat,
                flagged,
                "C3",
                week.weeks_used,
            )
        )
    return out


def detect(
    counts: Sequence[int], method: Method = "C2", params: EarsParams = DEFAULT
) -> list[WeekSignal]:
    """One ``WeekSignal`` per week of ``counts`` (oldest first) by ``method``.

    Raises ValueError for a negative count or an unknown method.
    """
    _check(counts)
    if method == "C1":
        return _moving(counts, 0, "C1", params)
    if method == "C2":
        return _moving(counts, params.guard_weeks, "C2", params)
    if method == "C3":
        return _c3(_moving(counts, params.guard_weeks, "C2", params), params)
    raise ValueError(f"unknown EARS method {method!r}; known: {', '.join(METHODS)}")


def detect_all(
    counts: Sequence[int], params: EarsParams = DEFAULT
) -> dict[Method, list[WeekSignal]]:
    """C1, C2 and C3 for the same counts (ValueError for a negative count)."""
    return {method: detect(counts, method, params) for method in METHODS}
