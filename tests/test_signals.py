"""EARS C1/C2/C3 on synthetic weekly counts: spikes flag, quiet periods and short histories
do not, and the guard band keeps a building rise out of C2's baseline."""

from __future__ import annotations

import pytest

from alerts.signals import METHODS, EarsParams, Method, detect, detect_all

QUIET = [1, 0, 2, 1, 1, 0, 1, 2, 0, 1, 1, 1]


def flagged_weeks(counts: list[int], method: Method = "C2") -> list[int]:
    return [i for i, week in enumerate(detect(counts, method)) if week.flagged]


def test_a_spike_after_a_quiet_baseline_is_flagged_by_c1_c2_and_c3() -> None:
    counts = [*QUIET, 9]

    results = detect_all(counts)

    assert [m for m, weeks in results.items() if weeks[-1].flagged] == ["C1", "C2", "C3"]
    assert flagged_weeks(counts) == [12]


def test_the_c2_week_reports_its_baseline_mean_sd_and_statistic() -> None:
    counts = [*QUIET, 9]

    week = detect(counts, "C2")[-1]

    baseline = QUIET[3:10]  # t-9 .. t-3 for t = 12
    mean = sum(baseline) / 7
    assert week.count == 9
    assert week.baseline_mean == pytest.approx(mean)
    assert week.baseline_sd == pytest.approx(0.6901, abs=1e-4)
    # The sd (0.69) is below the floor of 1.0 report, so the statistic divides by 1.0.
    assert week.scale == 1.0
    assert week.statistic == pytest.approx(9 - mean)
    assert (week.method, week.weeks_used) == ("C2", 7)


def test_c1_uses_the_seven_weeks_just_before_the_current_week() -> None:
    counts = [0, 0, 0, 5, 5, 5, 5, 5, 5, 5, 5]

    week = detect(counts, "C1")[-1]

    assert week.baseline_mean == 5.0
    assert week.baseline_sd == 0.0


def test_a_flat_zero_baseline_does_not_fire_on_one_or_two_reports() -> None:
    for count in (1, 2, 3):
        assert flagged_weeks([0] * 12 + [count]) == []
        assert not detect([0] * 12 + [count], "C1")[-1].flagged


def test_four_reports_over_a_flat_zero_baseline_do_fire() -> None:
    assert flagged_weeks([0] * 12 + [4]) == [12]


def test_a_week_under_the_minimum_count_never_flags_even_with_a_large_statistic() -> None:
    params = EarsParams(min_sd=0.1)
    counts = [0] * 12 + [2]

    week = detect(counts, "C2", params)[-1]

    assert week.statistic is not None and week.statistic > 3
    assert not week.flagged


def test_a_flat_zero_baseline_staying_at_zero_is_quiet() -> None:
    weeks = detect([0] * 20, "C2")

    assert not any(w.flagged for w in weeks)
    assert weeks[-1].statistic == 0.0


def test_a_flat_nonzero_baseline_with_ordinary_noise_is_quiet() -> None:
    counts = [5] * 12 + [7, 5, 8, 4, 6]

    for method in METHODS:
        assert flagged_weeks(counts, method) == []


def test_a_flat_nonzero_baseline_with_a_tripling_is_flagged() -> None:
    assert flagged_weeks([5] * 12 + [15]) == [12]


def test_a_slow_steady_trend_is_not_flagged() -> None:
    counts = [10 + week for week in range(30)]

    for method in METHODS:
        assert flagged_weeks(counts, method) == []


def test_a_noisy_quiet_period_is_not_flagged() -> None:
    counts = QUIET * 3

    for method in METHODS:
        assert flagged_weeks(counts, method) == []


def test_the_guard_band_keeps_a_rise_in_progress_out_of_the_c2_baseline() -> None:
    # The rise starts two weeks before the current week: C1's baseline has absorbed
    # those weeks, C2's (t-9 .. t-3) has not.
    counts = [*QUIET, 5, 8, 9]

    c1 = detect(counts, "C1")[-1]
    c2 = detect(counts, "C2")[-1]

    assert not c1.flagged
    assert c2.flagged
    assert c2.baseline_mean is not None and c2.baseline_mean < 1.5


def test_a_spike_just_before_the_current_week_does_not_raise_the_c2_baseline() -> None:
    with_spike = detect([*QUIET, 20, 1], "C2")[-1]
    without = detect([*QUIET, 1, 1], "C2")[-1]

    assert with_spike.baseline_mean == without.baseline_mean
    assert with_spike.baseline_sd == without.baseline_sd


def test_c3_adds_up_three_moderately_raised_weeks_that_c2_alone_does_not_flag() -> None:
    counts = [*QUIET, 3, 3, 3]

    c2 = detect(counts, "C2")
    c3 = detect(counts, "C3")

    assert not any(w.flagged for w in c2)
    assert c3[-1].flagged
    assert c3[-1].statistic == pytest.approx(
        sum(max(0.0, (w.statistic or 0.0) - 1) for w in c2[-3:])
    )
    assert c3[-1].baseline_mean == c2[-1].baseline_mean


@pytest.mark.parametrize(("method", "needed"), [("C1", 7), ("C2", 9), ("C3", 11)])
def test_short_histories_never_flag(method: Method, needed: int) -> None:
    for length in range(1, needed + 1):
        counts = [0] * (length - 1) + [50]
        weeks = detect(counts, method)

        assert not any(w.flagged for w in weeks)
        assert all(w.statistic is None and w.weeks_used == 0 for w in weeks)
    assert detect([0] * needed + [50], method)[-1].flagged


def test_every_week_gets_a_verdict_in_order() -> None:
    counts = [*QUIET, 9, 0]

    weeks = detect(counts, "C2")

    assert [w.count for w in weeks] == counts
    assert {w.method for w in weeks} == {"C2"}


def test_negative_counts_and_unknown_methods_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        detect([1, -1, 2])
    with pytest.raises(ValueError, match="unknown EARS method 'C4'"):
        detect([1, 2], "C4")  # type: ignore[arg-type]


def test_settings_that_would_divide_by_zero_are_refused() -> None:
    with pytest.raises(ValueError, match="min_sd"):
        EarsParams(min_sd=0)
    with pytest.raises(ValueError, match="baseline_weeks"):
        EarsParams(baseline_weeks=1)
