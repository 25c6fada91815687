"""How big a change between two sessions is real: pure statistics, no files.

Two sessions A (before) and B (after) each give a table of per-step values. For each key
metric this module estimates the change of the clip median, ``B - A``, with a 95%
confidence interval that allows for a runner's posture in one step being correlated with
the next: each median's variance is the long-run (HAC, Newey-West Bartlett) variance of
its influence function, with a bandwidth of 15% of the steps, and the interval uses
the fixed-b critical value of Kiefer & Vogelsang (2005). On AR(1) series of 200 steps its
coverage measured 0.94-0.95 at lag-1 correlations 0-0.8 (:data:`HAC_B`). (A circular block bootstrap with
the Politis & White 2004 block length, kept here as :func:`bootstrap_medians`, gave
0.83-0.93.)

A change is **real** when both

1. it is larger than formcheck's minimal detectable change (MDC95, measured by
   ``benchmarks/reliability.py``: session-to-session noise, camera placement included), and
2. its 95% confidence interval excludes zero (the step-to-step spread of these two clips
   cannot explain it).

Its direction is then judged with the metric's better direction
(:data:`formcheck.assess.norms.BETTER`): "improved" or "worse"; "changed" for a metric
with no better direction (cadence). Otherwise "no real change". A metric with no MDC
(too few re-test records) gets "no MDC" rather than a verdict.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from formcheck.assess.norms import ADVICE, BETTER, THRESHOLDS
from formcheck.model import registry

#: The metrics that compare, history and the reliability study cover, in display order
#: (the registry's key metrics, :data:`formcheck.model.registry.KEY_METRICS`).
SIDE_KEY_METRICS: tuple[str, ...] = tuple(
    m for m in registry.KEY_METRICS if registry.BY_KEY[m].views in ("side", "any"))
FRONT_KEY_METRICS: tuple[str, ...] = tuple(
    m for m in registry.KEY_METRICS if registry.BY_KEY[m].views == "front")
KEY_METRICS: tuple[str, ...] = SIDE_KEY_METRICS + FRONT_KEY_METRICS

METRIC_UNITS: dict[str, str] = registry.UNITS
METRIC_LABELS: dict[str, str] = registry.SHORT_LABELS

Z95 = 1.959963984540054


# --------------------------------------------------------------------------- reliability


def sem_from_groups(groups: Sequence[Sequence[float]]) -> tuple[float, int]:
    """Standard error of measurement from repeated readings of several runners.

    ``SEM = sqrt(MS_within)``, the within-runner mean square of a one-way analysis of
    variance: ``MS_within = sum_g sum_i (x_gi - mean_g)^2 / df`` with
    ``df = sum_g (n_g - 1)`` (Weir 2005; Hopkins 2000 "typical error"). For pairs
    ``(x_g1, x_g2)`` this is ``sqrt(sum_g d_g^2 / 2G)``. Non-finite readings are
    dropped; groups with fewer than two readings add nothing.

    Parameters
    ----------
    groups : sequence of sequence of float
        Per runner, the repeated readings of one metric (same units throughout).

    Returns
    -------
    sem : float
        The standard error of measurement, in the readings' units; NaN with no group of
        two or more readings.
    df : int
        The within-runner degrees of freedom; 0 with no such group.
    """
    ss, df = 0.0, 0
    for g in groups:
        x = np.asarray(g, dtype=float)
        x = x[np.isfinite(x)]
        if x.size < 2:
            continue
        ss += float(((x - x.mean()) ** 2).sum())
        df += x.size - 1
    return (math.sqrt(ss / df), df) if df else (math.nan, 0)


def mdc95(sem: float) -> float:
    """Minimal detectable change at 95% confidence: ``1.96 * sqrt(2) * SEM``.

    The difference between two readings that measurement noise alone exceeds in 5% of
    re-tests (the difference of two readings has standard deviation ``sqrt(2) SEM``).

    Parameters
    ----------
    sem : float
        Standard error of measurement, in the metric's unit.

    Returns
    -------
    float
        MDC95, in the metric's unit.
    """
    return Z95 * math.sqrt(2.0) * sem


def split_halves(steps: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First and second half of a step table (by step order, equal sizes).

    With an odd number of steps the middle step is left out, so both halves have
    ``n // 2`` steps.

    Parameters
    ----------
    steps : pandas.DataFrame
        A step table (``step`` column: the order).

    Returns
    -------
    first, second : pandas.DataFrame
        Equal halves, indexes reset.
    """
    ordered = steps.sort_values("step") if "step" in steps else steps
    h = len(ordered) // 2
    return ordered.iloc[:h].reset_index(drop=True), ordered.iloc[len(ordered) - h:].reset_index(drop=True)


# --------------------------------------------------------------------------- bootstrap


def _flat_top(t: np.ndarray) -> np.ndarray:
    """Politis-Romano flat-top lag window: 1 for |t| <= 1/2, 2(1 - |t|) to |t| = 1, 0 after."""
    a = np.abs(t)
    return np.where(a <= 0.5, 1.0, np.where(a <= 1.0, 2.0 * (1.0 - a), 0.0))


def block_length(x: np.ndarray) -> float:
    """Block length for a circular block bootstrap of the series ``x``.

    Politis & White (2004) with Patton, Politis & White (2009): with sample
    autocovariances ``R(k)`` and autocorrelations ``rho(k)``, ``m`` is the smallest lag
    after which ``K_N = max(5, ceil(sqrt(log10 n)))`` autocorrelations in a row stay
    below ``2 sqrt(log10(n) / n)``; with ``M = 2m`` and the flat-top window
    ``lambda``,

        G = sum_{|k|<=M} lambda(k/M) |k| R(k),   g = sum_{|k|<=M} lambda(k/M) R(k),
        D = (4/3) g^2,   b = (2 G^2 / D)^(1/3) n^(1/3),

    clipped to ``[1, min(3 sqrt(n), n/3)]``. Uncorrelated steps give ``b = 1`` (the
    ordinary bootstrap); a series with slow drift gives long blocks. Non-finite values
    are dropped first.

    Parameters
    ----------
    x : numpy.ndarray
        The per-step series, in step order; non-finite values are dropped.

    Returns
    -------
    float
        The block length in steps, at least 1 (1 with fewer than 8 finite values or no
        variation).
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 8:
        return 1.0
    xc = x - x.mean()
    acov = np.array([xc[: n - k] @ xc[k:] / n for k in range(n)])
    if acov[0] <= 0:
        return 1.0
    rho = acov / acov[0]
    kn = max(5, math.ceil(math.sqrt(math.log10(n))))
    m_max = math.ceil(math.sqrt(n)) + kn
    b_max = math.ceil(min(3.0 * math.sqrt(n), n / 3.0))
    thresh = 2.0 * math.sqrt(math.log10(n) / n)
    m_hat = m_max
    for m in range(0, m_max):
        if m + kn >= n:
            break
        if np.all(np.abs(rho[m + 1: m + kn + 1]) < thresh):
            m_hat = m
            break
    M = min(2 * m_hat, m_max, n - 1)
    if M == 0:
        return 1.0
    k = np.arange(-M, M + 1)
    lam = _flat_top(k / M)
    r = acov[np.abs(k)]
    g = float((lam * r).sum())
    big_g = float((lam * np.abs(k) * r).sum())
    if g <= 0:
        return 1.0
    b = (2.0 * big_g**2 / ((4.0 / 3.0) * g**2)) ** (1.0 / 3.0) * n ** (1.0 / 3.0)
    return float(min(max(b, 1.0), b_max))


def circular_block_indices(n: int, block: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n)`` resampling indices of a circular block bootstrap.

    Each resample joins ``ceil(n / block)`` blocks of ``block`` consecutive indices, each
    starting at a uniformly drawn step and wrapping from the last step to the first
    (Politis & Romano 1992), cut to length ``n``.

    Parameters
    ----------
    n : int
        Length of the series (and of each resample).
    block : int
        Block length, clipped to ``[1, n]``.
    n_boot : int
        Number of resamples.
    rng : numpy.random.Generator
        Source of the block starts.

    Returns
    -------
    numpy.ndarray
        Integer array of shape ``(n_boot, n)``, indices into the series.
    """
    block = max(1, min(int(block), n))
    n_blocks = -(-n // block)
    starts = rng.integers(0, n, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]) % n
    return idx.reshape(n_boot, n_blocks * block)[:, :n]


def bootstrap_medians(x: np.ndarray, n_boot: int, rng: np.random.Generator,
                      block: float | None = None) -> tuple[np.ndarray, int]:
    """Bootstrap replicates of the median of ``x`` (finite values, in step order).

    Returns the ``n_boot`` replicate medians and the block length used (rounded
    :func:`block_length` unless given).

    Parameters
    ----------
    x : numpy.ndarray
        The per-step series; non-finite values are dropped.
    n_boot : int
        Number of bootstrap replicates.
    rng : numpy.random.Generator
        Random generator for the resampling.
    block : float, optional
        Block length in steps (rounded, at least 1); None: :func:`block_length` of ``x``.

    Returns
    -------
    medians : numpy.ndarray
        ``(n_boot,)`` replicate medians.
    block : int
        The block length used.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    b = int(round(block_length(x) if block is None else block))
    b = max(1, b)
    idx = circular_block_indices(x.size, b, n_boot, rng)
    return np.median(x[idx], axis=1), b


# --------------------------------------------------------------------------- HAC interval

#: Bartlett bandwidth as a fraction of the session's steps (fixed-b, Kiefer & Vogelsang
#: 2005). With it, the coverage of the change interval on pairs of AR(1) series of 200
#: steps measured 0.952, 0.950, 0.947, 0.942 at lag-1 correlations 0, 0.3, 0.5, 0.8
#: (1500 pairs each, tests/test_change.py); at 100 steps 0.927, 0.930, 0.932, 0.908
#: (at 0.8 that is about 11 independent steps). 0.1 and 0.15 covered 0.91-0.945 at 200
#: steps and 0.8.
HAC_B = 0.2


def fixed_b_critical_value(b: float) -> float:
    """The 97.5% quantile of the fixed-b t statistic with the Bartlett kernel (Kiefer &
    Vogelsang 2005, their polynomial fit): ``1.96 + 2.9694 b + 0.4160 b^2 - 0.5324 b^3``.
    It widens the interval for the extra spread of a HAC variance estimated from the same
    steps.

    Parameters
    ----------
    b : float
        The Bartlett bandwidth as a fraction of the sample size (e.g. :data:`HAC_B`).

    Returns
    -------
    float
        The critical value (1.96 at ``b = 0``).
    """
    return Z95 + 2.9694 * b + 0.4160 * b * b - 0.5324 * b ** 3


def bartlett_lrv(u: np.ndarray, lags: int) -> float:
    """Long-run variance of ``u`` (Newey-West, Bartlett weights ``1 - k / lags``).

    Parameters
    ----------
    u : numpy.ndarray
        The series (1-D, all finite), demeaned here.
    lags : int
        The Bartlett bandwidth; autocovariances up to lag ``lags - 1`` are used.

    Returns
    -------
    float
        The long-run variance, at least 0.
    """
    u = np.asarray(u, dtype=float)
    n = u.size
    uc = u - u.mean()
    s = float(uc @ uc) / n
    for k in range(1, min(lags, n)):
        s += 2.0 * (1.0 - k / lags) * float(uc[k:] @ uc[:-k]) / n
    return max(s, 0.0)


def density_at(x: np.ndarray, at: float) -> tuple[float, float]:
    """Density of ``x`` at ``at`` and the bandwidth ``h``: a Gaussian kernel estimate
    (Silverman's bandwidth) with its ``h^2`` smoothing bias removed by Richardson
    extrapolation, ``2 f_h - f_{h sqrt 2}`` (the plain estimate when that is not
    positive). NaN when ``x`` does not vary.

    Parameters
    ----------
    x : numpy.ndarray
        The sample (1-D, finite values).
    at : float
        Where to evaluate the density, in the units of ``x``.

    Returns
    -------
    density : float
        The density estimate at ``at`` (per unit of ``x``); NaN when ``x`` does not vary.
    h : float
        The kernel bandwidth, in the units of ``x``; NaN when ``x`` does not vary.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    sd = float(np.std(x, ddof=1)) if n > 1 else 0.0
    iqr = float(np.subtract(*np.percentile(x, [75, 25])))
    spread = min(sd, iqr / 1.34) if iqr > 0 else sd
    if not spread > 0:
        return float("nan"), float("nan")
    h = 0.9 * spread * n ** -0.2

    def kde(hh: float) -> float:
        return float(np.mean(np.exp(-0.5 * ((x - at) / hh) ** 2)) / (hh * math.sqrt(2.0 * math.pi)))

    f1 = kde(h)
    f = 2.0 * f1 - kde(h * math.sqrt(2.0))
    return (f if f > 0 else f1), h


def median_variance(x: np.ndarray, b: float | None = None) -> tuple[float, int]:
    """Variance of the median of a correlated series, and the Bartlett lags used.

    The median's influence function is ``(1/2 - 1{x <= m}) / f(m)``, so its variance is
    the long-run variance of the indicator ``1{x_t <= m}`` over ``n f(m)^2``
    (:func:`bartlett_lrv` with ``ceil(b n)`` lags, :func:`density_at`). The indicator is
    smoothed, ``Phi((m - x_t) / h)`` with the density's bandwidth ``h``: at the sample
    median the raw indicator's variance is exactly 1/4 in every sample, so the fixed-b
    critical value, made for a variance estimated with its own noise, over-covered (0.97
    with independent steps). 0 for a constant series.

    Parameters
    ----------
    x : numpy.ndarray
        The per-step series (1-D, finite values), in step order.
    b : float, optional
        Bartlett bandwidth as a fraction of the steps; None: :data:`HAC_B`.

    Returns
    -------
    variance : float
        The variance of the median, in squared units of ``x``; 0 for a constant series.
    lags : int
        The Bartlett lags used, ``max(1, ceil(b n))``.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    m = float(np.median(x))
    lags = max(1, math.ceil((HAC_B if b is None else b) * n))
    f, h = density_at(x, m)
    if not math.isfinite(f):
        return 0.0, lags
    u = special.ndtr((m - x) / h)
    return bartlett_lrv(u, lags) / (n * f * f), lags


@dataclass(frozen=True)
class ChangeCI:
    """Change of the median ``B - A`` with its 95% interval; ``block_a``/``block_b`` are
    the Bartlett lags of each session's HAC variance (the name is kept for compare.json)."""

    a_median: float
    b_median: float
    change: float
    ci_low: float
    ci_high: float
    n_a: int
    n_b: int
    block_a: int
    block_b: int


def change_ci(a: np.ndarray, b: np.ndarray, n_boot: int = 4000, level: float = 0.95,
              rng: np.random.Generator | int | None = 0) -> ChangeCI:
    """Median of ``b`` minus median of ``a``, with a HAC interval.

    The two sessions are independent; each median's variance allows for the correlation
    of neighbouring steps (:func:`median_variance`: Bartlett long-run variance with a
    bandwidth of ``HAC_B`` of the steps), and the interval is the change
    ``+- fixed_b_critical_value(HAC_B) * sqrt(var_a + var_b)``. The circular block
    bootstrap that came before (:func:`bootstrap_medians`) under-covered with correlated
    steps (0.83-0.93 at lag-1 0.3-0.7). ``n_boot`` and ``rng`` are accepted for
    compatibility and unused; only ``level`` 0.95 is supported. Needs at least 3 finite
    values per session.

    Parameters
    ----------
    a : numpy.ndarray
        Per-step values of the first session (non-finite values dropped).
    b : numpy.ndarray
        Per-step values of the second session, same units.
    n_boot : int, optional
        Unused (kept for compatibility).
    level : float, optional
        Interval level; only 0.95 is supported.
    rng : numpy.random.Generator or int or None, optional
        Unused (kept for compatibility).

    Returns
    -------
    ChangeCI
        Both medians, the change ``B - A``, its 95% interval, the finite step counts and the
        Bartlett lags of each session.

    Raises
    ------
    ValueError
        ``level`` other than 0.95, or fewer than 3 finite values in either session.
    """
    if abs(level - 0.95) > 1e-9:
        raise ValueError("only a 95% interval is supported (the fixed-b critical value is for 95%)")
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 3 or b.size < 3:
        raise ValueError(f"need at least 3 steps per session (got {a.size} and {b.size})")
    va, la = median_variance(a)
    vb, lb = median_variance(b)
    half = fixed_b_critical_value(HAC_B) * math.sqrt(va + vb)
    ma, mb = float(np.median(a)), float(np.median(b))
    d = mb - ma
    return ChangeCI(ma, mb, d, d - half, d + half, int(a.size), int(b.size), la, lb)


# --------------------------------------------------------------------------- verdicts


def verdict(change: float, ci_low: float, ci_high: float, mdc: float | None,
            better: str | None, a_median: float | None = None,
            b_median: float | None = None) -> str:
    """"improved" / "worse" / "changed" / "no real change" / "no MDC".

    Real = ``|change| > mdc`` and the interval excludes 0. ``better``: "higher",
    "lower", "zero" (closer to 0 is better: judged on ``|b_median| - |a_median|``) or
    None (no better direction: "changed").

    Parameters
    ----------
    change : float
        B minus A (the metric's unit).
    ci_low, ci_high : float
        The change's 95% interval.
    mdc : float or None
        MDC95 of the metric (None or NaN: "no MDC").
    better : str or None
        "higher", "lower", "zero" or None.
    a_median, b_median : float, optional
        The sessions' medians (for ``better="zero"``).

    Returns
    -------
    str
    """
    if mdc is None or not math.isfinite(mdc):
        return "no MDC"
    real = abs(change) > mdc and (ci_low > 0 or ci_high < 0)
    if not real:
        return "no real change"
    if better == "higher":
        return "improved" if change > 0 else "worse"
    if better == "lower":
        return "improved" if change < 0 else "worse"
    if better == "zero" and a_median is not None and b_median is not None:
        return "improved" if abs(b_median) < abs(a_median) else "worse"
    return "changed"


@dataclass
class MetricChange:
    """One metric's comparison (one row of compare.json)."""

    metric: str
    label: str
    unit: str
    a_median: float | None
    b_median: float | None
    change: float | None
    ci_low: float | None
    ci_high: float | None
    mdc95: float | None
    verdict: str
    better: str | None
    n_a: int = 0
    n_b: int = 0
    block_a: int | None = None
    block_b: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_steps(steps_a: pd.DataFrame, steps_b: pd.DataFrame, mdc: Mapping[str, float | None],
                  metrics: Sequence[str] = KEY_METRICS, n_boot: int = 4000,
                  seed: int = 0) -> list[MetricChange]:
    """Compare two step tables metric by metric (see the module docstring).

    ``mdc`` maps metric -> MDC95 (None or missing: no verdict). A metric missing from
    either table, or with fewer than 3 finite steps in either, is "not measurable"
    (with the reason) rather than a number. The interval is deterministic (``n_boot`` and
    ``seed`` are unused since the HAC interval replaced the bootstrap).

    Parameters
    ----------
    steps_a, steps_b : pandas.DataFrame
        Step tables of the earlier (A) and later (B) session.
    mdc : mapping of str to float or None
        Metric -> MDC95.
    metrics : sequence of str
        The metrics compared, in order.
    n_boot, seed : int
        Unused (kept for callers of the bootstrap version).

    Returns
    -------
    list of MetricChange
        One per metric, in ``metrics`` order.
    """
    rng = np.random.default_rng(seed)
    out = []
    for m in metrics:
        label, unit, better = METRIC_LABELS.get(m, m), METRIC_UNITS.get(m, ""), BETTER.get(m)
        a = steps_a[m].to_numpy(float) if m in steps_a else np.array([])
        b = steps_b[m].to_numpy(float) if m in steps_b else np.array([])
        na, nb = int(np.isfinite(a).sum()), int(np.isfinite(b).sum())
        if na < 3 or nb < 3:
            out.append(MetricChange(
                m, label, unit, _med(a), _med(b), None, None, None, mdc.get(m), "not measurable",
                better, na, nb,
                reason=f"needs 3 or more measured steps in both sessions (A: {na}, B: {nb})"))
            continue
        ci = change_ci(a, b, n_boot=n_boot, rng=rng)
        v = verdict(ci.change, ci.ci_low, ci.ci_high, mdc.get(m), better, ci.a_median, ci.b_median)
        out.append(MetricChange(m, label, unit, ci.a_median, ci.b_median, ci.change, ci.ci_low,
                                ci.ci_high, mdc.get(m), v, better, na, nb, ci.block_a, ci.block_b))
    return out


def _med(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else None


@dataclass
class FaultChanges:
    """Faults resolved (in A only), new (in B only) and unchanged (in both)."""

    resolved: list[dict[str, Any]] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_faults(a: Mapping[str, str], b: Mapping[str, str]) -> FaultChanges:
    """Fault code -> severity of each session, sorted into resolved / new / unchanged.

    "unchanged" means present in both; the severities of both are kept so a reader
    can see a moderate fault become mild.

    Parameters
    ----------
    a, b : mapping of str to str
        Fault code -> severity, of the earlier (A) and later (B) session.

    Returns
    -------
    FaultChanges
    """
    out = FaultChanges()
    for code in a:
        if code in b:
            out.unchanged.append({"code": code, "severity_a": a[code], "severity_b": b[code]})
        else:
            out.resolved.append({"code": code, "severity_a": a[code]})
    for code in b:
        if code not in a:
            out.new.append({"code": code, "severity_b": b[code]})
    return out


#: Fault code -> the metric whose change speaks to it.
FAULT_METRIC: dict[str, str] = {t.fault: t.metric for t in THRESHOLDS.values()}
FAULT_METRIC["excessive_bounce"] = "vertical_oscillation_torso"


def next_step(changes: Sequence[MetricChange], faults: FaultChanges) -> str:
    """One paragraph: what to do after this re-test.

    Worse metrics first (with the advice for the fault they feed), then faults that are
    new or still there, then improvements; with no real change, keep going and re-test
    under the same conditions.

    Parameters
    ----------
    changes : sequence of MetricChange
        :func:`compare_steps`.
    faults : FaultChanges
        :func:`compare_faults`.

    Returns
    -------
    str
    """
    worse = [c for c in changes if c.verdict == "worse"]
    improved = [c for c in changes if c.verdict == "improved"]
    parts = []
    if worse:
        names = ", ".join(c.label for c in worse)
        parts.append(f"Worse beyond formcheck's noise: {names}.")
    worse_metrics = {c.metric for c in worse}
    listed = faults.new + faults.unchanged
    # the fault behind a metric that got worse first, then new faults, then the rest
    listed.sort(key=lambda f: (FAULT_METRIC.get(f["code"]) not in worse_metrics, f not in faults.new))
    for f in listed:
        code = f["code"]
        if code in ADVICE:
            state = "New" if f in faults.new else "Still there"
            parts.append(f"{state}: {code.replace('_', ' ')}. {ADVICE[code]}")
            break
    if improved:
        parts.append("Real improvement in " + ", ".join(c.label for c in improved)
                     + ": keep doing what you changed.")
    if not worse and not improved:
        parts.append(
            "No change is larger than formcheck's measurement noise. If you have been doing "
            "drills, keep them up for a few more weeks, then film again under the same "
            "conditions (camera position and height, speed, shoes) so that a change can show."
        )
    resolved = [f["code"].replace("_", " ") for f in faults.resolved]
    if resolved:
        parts.append("Resolved since the first session: " + ", ".join(resolved) + ".")
    return " ".join(parts)


def consecutive_changes(step_tables: Sequence[pd.DataFrame], mdc: Mapping[str, float | None],
                        metrics: Sequence[str] = KEY_METRICS, n_boot: int = 2000,
                        seed: int = 0) -> list[list[MetricChange]]:
    """Each session against the one before it: ``result[i]`` compares session ``i`` with
    session ``i + 1`` (see :func:`compare_steps`).

    Parameters
    ----------
    step_tables : sequence of pandas.DataFrame
        Step tables in session order.
    mdc : mapping of str to float or None
        Metric -> MDC95.
    metrics : sequence of str
        The metrics compared.
    n_boot, seed : int
        Passed on to :func:`compare_steps` (unused there).

    Returns
    -------
    list of list of MetricChange
        ``len(step_tables) - 1`` comparisons.
    """
    return [compare_steps(a, b, mdc, metrics, n_boot=n_boot, seed=seed)
            for a, b in itertools.pairwise(step_tables)]
