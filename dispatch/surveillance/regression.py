"""Count regression with day-of-week and trend, and a CUSUM on it: the detector that knows
Mondays are busy and winter is coming, where EARS only knows last week.

Baseline (Farrington-style; Farrington CP, Andrews NJ, Beale AD, Catchpole MA, "A statistical
algorithm for the early detection of outbreaks of infectious disease", JRSS A 1996;159:547-563):
a quasi-Poisson GLM, log link, fitted with ``statsmodels`` per syndrome on the last
``fit_days`` days of every area at once (see :func:`baseline` for how),

    log E[x(a, t)] = area(a) + day_of_week(t) + trend * t,

dispersion phi = Pearson chi-square / residual df (floored at 1). Farrington's protection against
past outbreaks: area-days whose Anscombe residual exceeds 2.58 are replaced by their fitted value
and the model is fitted again, three times (the first fit is inflated by the outbreak itself,
so the imputed values are refined on each pass). The model is
refitted every ``refit_every`` days and predicts the days until the next refit, so the days being
judged never train their own baseline. Areas without a call in the fit window expect half a call
per window (a weak prior, so one call is not infinitely surprising).

Monitoring (Höhle M, Paul M, "Count data regression charts for the monitoring of surveillance
time series", CSDA 2008;52:4357-4368): a likelihood-ratio CUSUM per area for a shift of the
mean from mu(t) to ``ratio`` x mu(t) (2: a doubling),

    S(t) = max(0, S(t-1) + (x(t) ln(ratio) - (ratio - 1) mu(t)) / phi),

``alert`` when S(t) >= ``h_alert``, ``warning`` when S(t) >= ``h_warning``; S restarts at 0 after
an alert, as a chart does after it has been answered. h = 8 (alert) and 5 (warning) were
chosen on ``bench/surveillance.py`` with seed 18 (37 resolution-7 cells, 600 calls a day): at
most one false alert per syndrome per month city-wide; the reported bench uses another seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import statsmodels.api as sm
from numpy.typing import NDArray

from dispatch.surveillance.signals import Detection, Level

F64 = NDArray[np.float64]
METHOD = "regression-cusum"
FIT_DAYS = 56
REFIT_EVERY = 7
RATIO = 2.0
H_WARNING = 5.0
H_ALERT = 8.0
_OUTLIER = 2.58
_PASSES = 3


@dataclass(frozen=True)
class Baseline:
    """``expected[a, t]`` (NaN where not predicted) and ``dispersion[t]``; ``log_variance[t]``,
    when known, is the variance of the log of the predicted city curve on day t (the GLM's
    parameter uncertainty, scaled by the city series' own dispersion): how far the baseline
    itself may be off, shared by every area and by the days of one refit."""

    expected: F64
    dispersion: F64
    log_variance: F64 | None = None


def _design(days: Sequence[date], t: NDArray[np.int64]) -> F64:
    """Intercept, weekday indicators (Monday is the reference) and a trend in weeks."""
    weekday = np.array([days[int(ti)].weekday() for ti in t])
    x = np.zeros((len(t), 8), dtype=np.float64)
    x[:, 0] = 1.0
    x[weekday > 0, weekday[weekday > 0]] = 1.0
    x[:, 7] = t / 7.0
    return x


def _fit_city_cov(y: F64, design: F64) -> tuple[F64, F64]:
    """Coefficients and their quasi-Poisson covariance (Poisson covariance x the city series'
    Pearson dispersion, at least 1)."""
    result = sm.GLM(y, design, family=sm.families.Poisson()).fit()
    dof = max(len(y) - design.shape[1], 1)
    phi = max(1.0, float(result.pearson_chi2) / dof)
    cov = np.asarray(result.cov_params(), dtype=np.float64) * phi
    return np.asarray(result.params, dtype=np.float64), cov


def baseline(
    counts: F64,
    days: Sequence[date],
    *,
    start: int,
    stop: int | None = None,
    fit_days: int = FIT_DAYS,
    refit_every: int = REFIT_EVERY,
) -> Baseline:
    """Expected counts for days ``start`` .. ``stop - 1`` of ``counts`` (areas x days), each
    predicted from the ``fit_days`` before its refit day. ``start`` must leave a full window.

    The area model's weekday and trend coefficients are those of the city-wide series (for a
    Poisson model with one intercept per area and covariates shared by all areas the two
    maximum-likelihood estimates coincide, and a 56 x 8 fit is a hundred times cheaper than a
    cells x 56 one); each area's intercept is its share of the window's calls.
    """
    x = np.asarray(counts, dtype=np.float64)
    n_areas, n_days = x.shape
    stop = n_days if stop is None else stop
    if start < fit_days or stop > n_days or len(days) != n_days:
        raise ValueError("need fit_days of history before start, and one date per day")
    expected = np.full((n_areas, n_days), np.nan)
    dispersion = np.full(n_days, np.nan)
    log_variance = np.full(n_days, np.nan)
    floor = 0.5 / fit_days
    for t0 in range(start, stop, refit_every):
        t1 = min(t0 + refit_every, stop)
        fit_t = np.arange(t0 - fit_days, t0)
        pred_t = np.arange(t0, t1)
        window = x[:, t0 - fit_days : t0].copy()
        if window.sum() == 0:
            expected[:, t0:t1] = floor
            dispersion[t0:t1] = 1.0
            log_variance[t0:t1] = 0.0
            continue
        design = _design(days, fit_t)
        params, cov = _fit_city_cov(window.sum(axis=0), design)
        fitted, phi = _area_fit(window, np.exp(design @ params))
        outliers = _anscombe(window, fitted, phi) > _OUTLIER
        for _ in range(_PASSES if outliers.any() else 0):
            # Farrington: past outbreaks must not raise the baseline. Outlying area-days take
            # the value the model fitted without them (imputed again on every pass).
            window[outliers] = fitted[outliers]
            params, cov = _fit_city_cov(window.sum(axis=0), design)
            fitted, phi = _area_fit(window, np.exp(design @ params))
            outliers |= _anscombe(window, fitted, phi) > _OUTLIER
        shares = window.sum(axis=1) / window.sum()
        pred_design = _design(days, pred_t)
        city = np.exp(pred_design @ params)
        expected[:, t0:t1] = np.maximum(np.outer(shares, city), floor)
        dispersion[t0:t1] = phi
        log_variance[t0:t1] = np.einsum("ti,ij,tj->t", pred_design, cov, pred_design)
    return Baseline(expected, dispersion, log_variance)


def _anscombe(x: F64, mu: F64, phi: float) -> F64:
    """Anscombe residuals of a (quasi-)Poisson fit, as Farrington uses: unlike Pearson
    residuals they are not skewed at small means (one call where 0.3 is expected is no outlier)."""
    mu = np.maximum(mu, 1e-9)
    value = 1.5 * (np.cbrt(x) ** 2 - np.cbrt(mu) ** 2) / (mu ** (1 / 6) * math.sqrt(phi))
    return np.asarray(value, dtype=np.float64)


def _area_fit(window: F64, city: F64) -> tuple[F64, float]:
    """Fitted area x day means from the city curve and area shares; dispersion phi = Pearson
    chi-square / residual degrees of freedom over the areas with calls, at least 1."""
    shares = window.sum(axis=1) / window.sum()
    fitted = np.outer(shares, city)
    seen = shares > 0
    dof = int(seen.sum()) * window.shape[1] - int(seen.sum()) - 7
    if dof <= 0:
        return fitted, 1.0
    chi2 = float((((window - fitted) ** 2)[seen] / fitted[seen]).sum())
    return fitted, max(1.0, chi2 / dof)


def cusum(
    counts: F64,
    base: Baseline,
    *,
    ratio: float = RATIO,
    h_warning: float = H_WARNING,
    h_alert: float = H_ALERT,
) -> tuple[F64, NDArray[np.int8]]:
    """The CUSUM statistic (areas x days, NaN where there is no baseline) and the level per day
    (0 none, 1 warning, 2 alert)."""
    x = np.asarray(counts, dtype=np.float64)
    stat = np.full(x.shape, np.nan)
    level = np.zeros(x.shape, dtype=np.int8)
    log_ratio = math.log(ratio)
    s = np.zeros(x.shape[0])
    for t in range(x.shape[1]):
        mu = base.expected[:, t]
        if np.isnan(mu).all():
            continue
        s = np.maximum(0.0, s + (x[:, t] * log_ratio - (ratio - 1.0) * mu) / base.dispersion[t])
        stat[:, t] = s
        level[:, t] = np.where(s >= h_alert, 2, np.where(s >= h_warning, 1, 0))
        s = np.where(s >= h_alert, 0.0, s)
    return stat, level


def detections(
    counts: F64,
    days: Sequence[date],
    areas: Sequence[str],
    *,
    syndrome: str,
    start: int,
    stop: int | None = None,
) -> list[Detection]:
    """Warnings and alerts of the regression CUSUM for days ``start`` .. ``stop - 1``."""
    base = baseline(counts, days, start=start, stop=stop)
    stat, level = cusum(counts, base)
    out: list[Detection] = []
    for a, t in zip(*np.nonzero(level), strict=True):
        out.append(
            Detection(
                method=METHOD,
                syndrome=syndrome,
                areas=frozenset({areas[int(a)]}),
                day=days[int(t)],
                observed=float(counts[a, t]),
                expected=float(base.expected[a, t]),
                statistic=float(stat[a, t]),
                level=Level.ALERT if level[a, t] == 2 else Level.WARNING,
            )
        )
    return out
