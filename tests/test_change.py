"""The statistics of ``formcheck compare``: SEM/MDC, block length, block bootstrap, verdicts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from formcheck.assess.change import (
    FaultChanges,
    block_length,
    bootstrap_medians,
    change_ci,
    circular_block_indices,
    compare_faults,
    compare_steps,
    consecutive_changes,
    mdc95,
    next_step,
    sem_from_groups,
    split_halves,
    verdict,
)


def ar1(rng: np.random.Generator, n: int, phi: float, sd: float = 1.0) -> np.ndarray:
    """Stationary AR(1): x_t = phi x_{t-1} + e_t, marginal SD ``sd``."""
    e = rng.normal(0.0, sd * math.sqrt(1 - phi**2), n)
    x = np.empty(n)
    x[0] = rng.normal(0.0, sd)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


# --------------------------------------------------------------------------- SEM / MDC


def test_sem_of_pairs_is_rms_difference_over_root_two():
    # d = 2 and 0: SEM = sqrt((4 + 0) / (2 * 2)) = 1
    sem, df = sem_from_groups([[1.0, 3.0], [2.0, 2.0]])
    assert sem == pytest.approx(1.0) and df == 2


def test_sem_of_groups_is_pooled_within_sd():
    # group 1: var 1 (n=3, df 2); group 2: deviations +-2 (df 1, ss 8): sqrt((2 + 8) / 3)
    sem, df = sem_from_groups([[1.0, 2.0, 3.0], [0.0, 4.0], [5.0], [np.nan, 1.0]])
    assert df == 3 and sem == pytest.approx(math.sqrt(10 / 3))


def test_sem_without_repeats_is_nan():
    assert math.isnan(sem_from_groups([[1.0], []])[0])


def test_mdc95_formula():
    assert mdc95(1.0) == pytest.approx(1.96 * math.sqrt(2), rel=1e-3)


def test_split_halves_drops_the_middle_step_and_keeps_order():
    steps = pd.DataFrame({"step": [4, 0, 1, 3, 2], "v": [4.0, 0.0, 1.0, 3.0, 2.0]})
    a, b = split_halves(steps)
    assert a["v"].tolist() == [0.0, 1.0] and b["v"].tolist() == [3.0, 4.0]


def test_sem_estimates_the_known_noise():
    # 400 runners read twice with noise SD 0.7: SEM ~ 0.7 (SE of an SD estimate with
    # df 400 is 0.7 / sqrt(800) = 0.025; 4 SE tolerance)
    rng = np.random.default_rng(3)
    truth = rng.normal(50, 10, 400)
    groups = [[t + rng.normal(0, 0.7), t + rng.normal(0, 0.7)] for t in truth]
    sem, df = sem_from_groups(groups)
    assert df == 400 and sem == pytest.approx(0.7, abs=4 * 0.7 / math.sqrt(800))


# --------------------------------------------------------------------------- blocks


def _pw_theory(phi: float, n: int) -> float:
    """Politis-White optimal circular-block length for AR(1) with unit variance:
    G = 2 phi / (1 - phi)^2, g = (1 + phi) / (1 - phi), b = (2 G^2 / (4/3 g^2))^(1/3) n^(1/3)."""
    big_g = 2 * phi / (1 - phi) ** 2
    g = (1 + phi) / (1 - phi)
    return (2 * big_g**2 / (4 / 3 * g**2)) ** (1 / 3) * n ** (1 / 3)


def test_block_length_is_one_for_independent_steps():
    rng = np.random.default_rng(0)
    assert np.median([block_length(rng.normal(size=200)) for _ in range(20)]) == 1.0


@pytest.mark.parametrize("phi", [0.5, 0.8])
def test_block_length_follows_politis_white_for_ar1(phi):
    # the automatic rule estimates the theoretical optimum; its kernel estimates are
    # biased low at n = 200, so the median over series must land within a factor 1.6
    rng = np.random.default_rng(1)
    bs = [block_length(ar1(rng, 200, phi)) for _ in range(30)]
    theory = _pw_theory(phi, 200)
    assert theory / 1.6 <= np.median(bs) <= theory * 1.6


def test_block_length_grows_with_correlation():
    rng = np.random.default_rng(2)
    med = [np.median([block_length(ar1(rng, 200, p)) for _ in range(20)]) for p in (0.2, 0.5, 0.8)]
    assert med[0] < med[1] < med[2]


def test_circular_blocks_are_runs_of_consecutive_steps():
    rng = np.random.default_rng(0)
    idx = circular_block_indices(10, 4, 50, rng)
    assert idx.shape == (50, 10)
    assert idx.min() >= 0 and idx.max() <= 9
    # within each block of 4, each index follows the previous one modulo 10
    for row in idx:
        for start in (0, 4):
            run = row[start:start + 4]
            assert all((run[k + 1] - run[k]) % 10 == 1 for k in range(len(run) - 1))


def test_change_ci_of_identical_constant_sessions_is_zero():
    ci = change_ci(np.full(20, 3.0), np.full(20, 3.0))
    assert (ci.change, ci.ci_low, ci.ci_high) == (0.0, 0.0, 0.0)


def test_change_ci_needs_three_steps():
    with pytest.raises(ValueError):
        change_ci(np.array([1.0, 2.0]), np.arange(10.0))


def test_change_ci_is_reproducible_with_a_seed():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=30), rng.normal(size=30)
    assert change_ci(a, b, rng=5) == change_ci(a, b, rng=5)


# --------------------------------------------------------------------------- coverage


def _coverage(n: int, phi: float, reps: int, seed: int, shift: float = 2.0, n_boot: int = 500) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        a, b = ar1(rng, n, phi), ar1(rng, n, phi) + shift
        ci = change_ci(a, b, n_boot=n_boot, rng=rng)
        hits += ci.ci_low <= shift <= ci.ci_high
    return hits / reps


def _binomial_tol(p: float, reps: int) -> float:
    """3 binomial standard errors of a coverage estimate from ``reps`` trials."""
    return 3 * math.sqrt(p * (1 - p) / reps)


def test_coverage_near_95_for_independent_steps():
    reps = 300
    cov = _coverage(40, 0.0, reps, seed=11)
    assert abs(cov - 0.95) <= _binomial_tol(0.95, reps)


@pytest.mark.parametrize("phi", [0.0, 0.3, 0.5, 0.8])
def test_coverage_near_95_for_correlated_steps(phi):
    """The issue's bar: coverage within 0.93-0.97 at lag-1 correlation up to 0.8 (200
    steps; 1500 pairs give a binomial SE of 0.006). The block bootstrap read 0.907 at 0.5."""
    cov = np.mean([_coverage(200, phi, 500, seed=s) for s in (12, 13, 14)])
    assert 0.93 <= cov <= 0.97


def test_blocks_matter_for_correlated_steps():
    # the same series resampled step by step (block 1) ignore the correlation: with
    # phi = 0.5 the variance of the median is ~(1 + phi)/(1 - phi) = 3 times what
    # independent resampling assumes, so its interval covers far less (~75%)
    rng = np.random.default_rng(13)
    reps, n = 150, 200
    hit_block = hit_iid = 0
    for _ in range(reps):
        a, b = ar1(rng, n, 0.5), ar1(rng, n, 0.5) + 1.0
        ci = change_ci(a, b, n_boot=500, rng=rng)
        hit_block += ci.ci_low <= 1.0 <= ci.ci_high
        ra, _ = bootstrap_medians(a, 500, rng, block=1)
        rb, _ = bootstrap_medians(b, 500, rng, block=1)
        lo, hi = np.quantile(rb - ra, [0.025, 0.975])
        hit_iid += lo <= 1.0 <= hi
    # the gap is ~0.2; 3 binomial SEs of each estimate at these rates are ~0.05-0.1
    assert hit_block / reps - hit_iid / reps >= 0.08
    assert hit_iid / reps < 0.95 - _binomial_tol(0.95, reps)


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    ("change", "lo", "hi", "mdc", "better", "expected"),
    [
        (-6.0, -8.0, -4.0, 3.0, "higher", "worse"),
        (6.0, 4.0, 8.0, 3.0, "higher", "improved"),
        (6.0, 4.0, 8.0, 3.0, "lower", "worse"),
        (-6.0, -8.0, -4.0, 3.0, "lower", "improved"),
        (2.0, 1.0, 3.0, 3.0, "lower", "no real change"),  # inside the MDC
        (6.0, -1.0, 12.0, 3.0, "lower", "no real change"),  # interval includes 0
        (6.0, 4.0, 8.0, 3.0, None, "changed"),
        (6.0, 4.0, 8.0, None, "lower", "no MDC"),
    ],
)
def test_verdict_table(change, lo, hi, mdc, better, expected):
    assert verdict(change, lo, hi, mdc, better) == expected


def test_verdict_closer_to_level_is_better():
    assert verdict(-4.0, -5.0, -3.0, 2.0, "zero", a_median=5.0, b_median=1.0) == "improved"
    assert verdict(-4.0, -5.0, -3.0, 2.0, "zero", a_median=1.0, b_median=-3.0) == "worse"


def _steps(rng, n, **means):
    return pd.DataFrame({"step": np.arange(n), **{m: mu + ar1(rng, n, 0.4, sd) for m, (mu, sd) in means.items()}})


def test_compare_steps_finds_the_shifted_metric_only():
    rng = np.random.default_rng(7)
    a = _steps(rng, 40, cva_deg=(70.0, 2.0), trunk_lean_deg=(6.0, 1.0))
    b = _steps(rng, 40, cva_deg=(60.0, 2.0), trunk_lean_deg=(6.0, 1.0))
    mdc = {"cva_deg": 4.0, "trunk_lean_deg": 2.0}
    rows = {r.metric: r for r in compare_steps(a, b, mdc, ("cva_deg", "trunk_lean_deg", "head_pitch_deg"))}
    assert rows["cva_deg"].verdict == "worse"
    assert rows["cva_deg"].change == pytest.approx(-10.0, abs=1.5)
    assert rows["trunk_lean_deg"].verdict == "no real change"
    assert rows["head_pitch_deg"].verdict == "not measurable" and rows["head_pitch_deg"].change is None


def test_consecutive_changes_pairs_neighbours():
    rng = np.random.default_rng(8)
    tabs = [_steps(rng, 30, cva_deg=(mu, 1.0)) for mu in (70.0, 70.0, 60.0)]
    out = consecutive_changes(tabs, {"cva_deg": 3.0}, ("cva_deg",), n_boot=500)
    assert [c[0].verdict for c in out] == ["no real change", "worse"]


def test_faults_resolved_new_unchanged():
    f = compare_faults({"forward_head": "moderate", "gaze_down": "mild"},
                       {"forward_head": "mild", "waist_lean": "mild"})
    assert [x["code"] for x in f.resolved] == ["gaze_down"]
    assert [x["code"] for x in f.new] == ["waist_lean"]
    assert f.unchanged == [{"code": "forward_head", "severity_a": "moderate", "severity_b": "mild"}]


def test_next_step_names_what_got_worse_and_gives_the_advice():
    rng = np.random.default_rng(9)
    a = _steps(rng, 40, cva_deg=(70.0, 1.0))
    b = _steps(rng, 40, cva_deg=(60.0, 1.0))
    changes = compare_steps(a, b, {"cva_deg": 3.0}, ("cva_deg",))
    text = next_step(changes, FaultChanges(new=[{"code": "forward_head", "severity_b": "mild"}]))
    assert "CVA proxy" in text and "chin tucks" in text


def test_next_step_without_real_change_says_retest_same_conditions():
    assert "same conditions" in next_step([], FaultChanges())
