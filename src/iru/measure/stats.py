"""Small statistics for experiments over seeds: means with Student-t intervals, Fieller's
interval for a ratio of means, medians, and the restricted mean of a survival curve.

Pure numpy and scipy; every figure is a float, nan where it is undefined.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats


def median(values: Iterable[float]) -> float:
    """The median, or nan for no values."""
    got = [v for v in values if math.isfinite(v)]
    return float(np.median(got)) if got else math.nan


def restricted_mean(curve: Sequence[tuple[float, float]], horizon: float) -> float:
    """Area under a survival step curve ``[(t, S(t))]`` from 0 to ``horizon``."""
    area, last_t, last_s = 0.0, 0.0, 1.0
    for t, s in curve:
        if t >= horizon:
            break
        area += (t - last_t) * last_s
        last_t, last_s = t, s
    return area + max(0.0, horizon - last_t) * last_s


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over seeds with its confidence interval (nan where undefined)."""

    mean: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            k: (v if not isinstance(v, float) or math.isfinite(v) else None)
            for k, v in asdict(self).items()
        }


def mean_ci(values: Iterable[float], level: float = 0.95) -> Estimate:
    """Mean of the finite ``values`` and its Student-t confidence interval."""
    xs = np.array([v for v in values if math.isfinite(v)], dtype=np.float64)
    n = int(xs.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(xs.mean())
    if n == 1:
        return Estimate(mean, math.nan, math.nan, 1)
    half = float(stats.t.ppf((1 + level) / 2, n - 1)) * float(xs.std(ddof=1)) / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, n)


def ratio_ci(
    numerator: Sequence[float], denominator: Sequence[float], level: float = 0.95
) -> Estimate:
    """``mean(numerator) / mean(denominator)`` over paired seeds, with Fieller's interval.

    The bounds are the roots of ``(a - r b)^2 = t^2 (v11 - 2 r v12 + r^2 v22)`` where
    ``a, b`` are the means and ``v`` their (co)variances. When the denominator's mean is
    not clearly away from zero the 95 % set is unbounded: either two rays, of which the
    one holding the estimate is returned (e.g. ``[low, inf)``: "at least ``low``"), or the
    whole line (``-inf``/``inf``).
    """
    pairs = [
        (float(x), float(y))
        for x, y in zip(numerator, denominator, strict=True)
        if math.isfinite(x) and math.isfinite(y)
    ]
    n = len(pairs)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    num = np.array([p[0] for p in pairs])
    den = np.array([p[1] for p in pairs])
    a, b = float(num.mean()), float(den.mean())
    ratio = a / b if b else math.nan
    if n == 1:
        return Estimate(ratio, math.nan, math.nan, 1)
    cov = np.cov(num, den, ddof=1) / n
    v11, v12, v22 = float(cov[0, 0]), float(cov[0, 1]), float(cov[1, 1])
    t2 = float(stats.t.ppf((1 + level) / 2, n - 1)) ** 2
    qa = b * b - t2 * v22
    qb = a * b - t2 * v12
    qc = a * a - t2 * v11
    disc = qb * qb - qa * qc
    if qa > 0 and math.isfinite(ratio):  # a bounded interval (it holds a / b: disc >= 0)
        root = math.sqrt(max(disc, 0.0))
        return Estimate(ratio, (qb - root) / qa, (qb + root) / qa, n)
    if qa == 0 or disc <= 0 or not math.isfinite(ratio):
        return Estimate(ratio, -math.inf, math.inf, n)
    low, high = sorted(((qb - math.sqrt(disc)) / qa, (qb + math.sqrt(disc)) / qa))
    # The set is (-inf, low] and [high, inf): give the ray the estimate lies on.
    return (
        Estimate(ratio, high, math.inf, n) if ratio >= high else Estimate(ratio, -math.inf, low, n)
    )


__all__ = ["Estimate", "mean_ci", "median", "ratio_ci", "restricted_mean"]
