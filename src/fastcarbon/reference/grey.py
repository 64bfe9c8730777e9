"""References for the grey forecasting kernels (EGM(1,1) and the linear baseline).

Every function takes ``x`` (B, n), B series of n equally spaced points, and a horizon h, and
returns ``(params (B, 2), fitted (B, n), forecast (B, h))`` with params (a, b) for EGM(1,1) and
(α, β) for the linear trend x̂(k) = α + β·k, k = 1..n.  They do not flag bad series.

Ragged series get the kernels' window rule, written the obvious way (:func:`on_windows`): each
series is cut to its window, from its first to its last non-NaN value, fitted as a series of its
own with the horizon that reaches the end of the grid plus h, and its values are put back at
their positions (NaN before the window; the model after it).  Windows of fewer than 4 points give
NaN.

- ``egm_loop``: plain Python, one series at a time, written line by line from METHODS.md (the
  obviously-correct reference of :func:`fastcarbon.kernels.grey.egm_fit`);
- ``egm_lstsq_loop``: what peer grey-model libraries do — per series, ``np.linalg.lstsq`` on
  B = [−z, 1], Y = x0(2..n), and the time response through x̂1 and its first differences;
- ``egm_numpy``: the vectorized numpy closed form over all series at once (centered least squares
  and the expm1 form, as the kernel), what a careful numpy user writes;
- ``posterior_loop``: C, P and the grade of one fit, in plain Python.
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = [
    "REGISTRY",
    "on_windows",
    "egm_loop",
    "egm_lstsq_loop",
    "egm_numpy",
    "linear_loop",
    "linear_numpy",
    "posterior_loop",
    "GRADE_NAMES",
]

#: grade names by code (the kernels' GRADE_* constants)
GRADE_NAMES = ("good", "qualified", "barely qualified", "unqualified")


#: fewest points a fit needs (METHODS.md)
MIN_POINTS = 4


def on_windows(fit):
    """Give a reference written for full series the window rule for ragged ones.

    Rows are grouped by their window (first and last non-NaN position), each group is cut out
    and fitted at once by ``fit(x_cut, horizon_cut)``, with ``horizon_cut`` the grid points after
    the window plus ``horizon``, and the results are placed back.
    """

    @functools.wraps(fit)
    def ragged(x, horizon: int = 0):
        x = np.asarray(x, dtype=np.float64)
        if not np.isnan(x[:, [0, -1]]).any():  # every window is the whole grid (B reads, not B·n)
            return fit(x, horizon)
        b, n = x.shape
        valid = ~np.isnan(x)
        has = valid.any(axis=1)
        first = np.where(has, valid.argmax(axis=1), -1)
        last = np.where(has, n - 1 - valid[:, ::-1].argmax(axis=1), -1)
        params = np.full((b, 2), np.nan)
        fitted = np.full((b, n), np.nan)
        forecast = np.full((b, horizon), np.nan)
        for s, e in {(int(s), int(e)) for s, e in zip(first, last) if e - s + 1 >= MIN_POINTS}:
            rows = np.flatnonzero((first == s) & (last == e))
            p, f, fc = fit(x[rows, s : e + 1], n - 1 - e + horizon)
            params[rows] = p
            fitted[rows, s:] = np.concatenate([f, fc[:, : n - 1 - e]], axis=1)
            forecast[rows] = fc[:, n - 1 - e :]
        return params, fitted, forecast

    return ragged


def _egm_one(x0: list[float], h: int) -> tuple[float, float, list[float], list[float]]:
    n = len(x0)
    x1 = [sum(x0[: k + 1]) for k in range(n)]
    z = [0.5 * (x1[k] + x1[k - 1]) for k in range(1, n)]
    y = x0[1:]
    zm, ym = sum(z) / len(z), sum(y) / len(y)
    a = -sum((zk - zm) * (yk - ym) for zk, yk in zip(z, y)) / sum((zk - zm) ** 2 for zk in z)
    b = ym + a * zm
    phi = math.expm1(a) / a if a != 0.0 else 1.0
    values = [x0[0]] + [phi * (b - a * x0[0]) * math.exp(-a * k) for k in range(1, n + h)]
    return a, b, values[:n], values[n:]


@on_windows
def egm_loop(x, horizon: int = 0):
    """EGM(1,1) by plain Python loops, series by series, following METHODS.md literally."""
    x = np.asarray(x, dtype=np.float64)
    params = np.empty((x.shape[0], 2))
    fitted = np.empty(x.shape)
    forecast = np.empty((x.shape[0], horizon))
    for i, row in enumerate(x):
        a, b, fit, fc = _egm_one([float(v) for v in row], horizon)
        params[i] = a, b
        fitted[i], forecast[i] = fit, fc
    return params, fitted, forecast


@on_windows
def egm_lstsq_loop(x, horizon: int = 0):
    """EGM(1,1) per series with ``np.linalg.lstsq`` and the x̂1-difference response."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[1]
    params = np.empty((x.shape[0], 2))
    fitted = np.empty(x.shape)
    forecast = np.empty((x.shape[0], horizon))
    k = np.arange(n + horizon)
    for i, row in enumerate(x):
        x1 = np.cumsum(row)
        z = 0.5 * (x1[1:] + x1[:-1])
        design = np.column_stack([-z, np.ones(n - 1)])
        (a, b), *_ = np.linalg.lstsq(design, row[1:], rcond=None)
        x1_hat = (row[0] - b / a) * np.exp(-a * k) + b / a
        x0_hat = np.concatenate([[row[0]], np.diff(x1_hat)])
        params[i] = a, b
        fitted[i], forecast[i] = x0_hat[:n], x0_hat[n:]
    return params, fitted, forecast


@on_windows
def egm_numpy(x, horizon: int = 0):
    """EGM(1,1) for all series at once with numpy: centered least squares on mean-scaled data and
    the expm1 time response, the same formulas as the kernel, in whole-array operations."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[1]
    scale = x.mean(axis=1, keepdims=True)
    s = x / scale
    x1 = np.cumsum(s, axis=1)
    z = 0.5 * (x1[:, 1:] + x1[:, :-1])
    y = s[:, 1:]
    dz = z - z.mean(axis=1, keepdims=True)
    dy = y - y.mean(axis=1, keepdims=True)
    a = -(dz * dy).sum(axis=1) / (dz * dz).sum(axis=1)
    b = (y.mean(axis=1) + a * z.mean(axis=1)) * scale[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(a != 0.0, np.expm1(a) / a, 1.0)
    g = phi * (b - a * x[:, 0])
    k = np.arange(1, n + horizon)
    values = g[:, None] * np.exp(-a[:, None] * k)
    fitted = np.concatenate([x[:, :1], values[:, : n - 1]], axis=1)
    return np.stack([a, b], axis=1), fitted, values[:, n - 1 :]


@on_windows
def linear_loop(x, horizon: int = 0):
    """Linear trend x̂(k) = α + β·k by ``np.polyfit``, series by series."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[1]
    k = np.arange(1, n + horizon + 1, dtype=np.float64)
    params = np.empty((x.shape[0], 2))
    values = np.empty((x.shape[0], n + horizon))
    for i, row in enumerate(x):
        beta, alpha = np.polyfit(k[:n], row, 1)
        params[i] = alpha, beta
        values[i] = alpha + beta * k
    return params, values[:, :n], values[:, n:]


@on_windows
def linear_numpy(x, horizon: int = 0):
    """Linear trend for all series at once: centered least squares in whole-array operations."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[1]
    k = np.arange(1, n + horizon + 1, dtype=np.float64)
    dk = k[:n] - k[:n].mean()
    beta = ((x - x.mean(axis=1, keepdims=True)) * dk).sum(axis=1) / (dk * dk).sum()
    alpha = x.mean(axis=1) - beta * k[:n].mean()
    values = alpha[:, None] + beta[:, None] * k
    return np.stack([alpha, beta], axis=1), values[:, :n], values[:, n:]


def posterior_loop(x0, fitted) -> tuple[float, float, str]:
    """Posterior-difference test of one fit (Liu Sifeng's convention, METHODS.md): (C, P, grade).

    ε(k) = x0(k) − x̂0(k) over all n points; S1, S2 population standard deviations of x0 and ε;
    C = S2/S1; P = share of k with |ε(k) − ε̄| < 0.6745·S1.
    """
    x0 = [float(v) for v in x0]
    eps = [xv - float(fv) for xv, fv in zip(x0, fitted)]
    n = len(x0)
    xm, em = sum(x0) / n, sum(eps) / n
    s1 = math.sqrt(sum((v - xm) ** 2 for v in x0) / n)
    s2 = math.sqrt(sum((e - em) ** 2 for e in eps) / n)
    c = s2 / s1 if s1 > 0.0 else math.nan  # undefined for constant data
    p = sum(abs(e - em) < 0.6745 * s1 for e in eps) / n
    if p > 0.95 and c < 0.35:
        grade = GRADE_NAMES[0]
    elif p > 0.80 and c < 0.5:
        grade = GRADE_NAMES[1]
    elif p > 0.70 and c < 0.65:
        grade = GRADE_NAMES[2]
    else:
        grade = GRADE_NAMES[3]
    return c, p, grade


#: kernel family → {reference name: function}, merged into :data:`fastcarbon.reference.REGISTRY`
REGISTRY = {
    "egm": {
        "loop": egm_loop,
        "lstsq": egm_lstsq_loop,
        "numpy": egm_numpy,
    },
    "linear": {
        "loop": linear_loop,
        "numpy": linear_numpy,
    },
}
