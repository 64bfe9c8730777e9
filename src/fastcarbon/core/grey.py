"""Grey forecasting on plain numpy arrays: EGM(1,1), the linear baseline and rolling-origin backtests.

This layer knows shapes, not labels: the time axis is the last one and every leading axis is a
batch of independent series.  It validates dtypes and arguments, flattens the batch, chooses the
serial or the parallel kernel (:mod:`fastcarbon.kernels.grey`), applies an optional shift, and
turns a flagged series into an :class:`UnfittableSeriesError` when ``errors="raise"``.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np

from fastcarbon._format import show, show_index
from fastcarbon.core._common import as_float_array, use_parallel
from fastcarbon.errors import InputError, InvalidValueError
from fastcarbon.kernels import grey as _k

__all__ = [
    "GreyFit",
    "UnfittableSeriesError",
    "fit_egm",
    "fit_linear",
    "forecast_egm",
    "forecast_linear",
    "backtest",
    "describe_flag",
    "GRADE_NAMES",
    "FLAG_NAMES",
    "PARALLEL_THRESHOLD",
]

#: Series × points below which the kernels run serial.  A series of 10 points with a 10-step
#: forecast takes ~85 ns serial (n = 20: ~125 ns), so 2^16 values (~6 500 such series) take
#: ~0.55 ms; waking the OpenMP threads after an idle moment was measured at 0.3–5 ms on the shared
#: 2-vCPU machine (back-to-back calls with spinning threads: B = 1e3 × 10 in 93 µs parallel vs
#: 116 µs serial, a gain only a benchmark loop sees).
PARALLEL_THRESHOLD = 1 << 16

#: grade code → name (000 Table 7); code -1 (:data:`fastcarbon.kernels.grey.GRADE_NONE`) is
#: "not graded"
GRADE_NAMES = ("good", "qualified", "barely qualified", "unqualified")

#: flag bit → meaning (the ``FLAG_*`` codes of :mod:`fastcarbon.kernels.grey`)
FLAG_NAMES = {
    _k.FLAG_MISSING: "NaN or infinite value",
    _k.FLAG_NONPOSITIVE: "value <= 0",
    _k.FLAG_TOO_SHORT: f"fewer than {_k.MIN_POINTS} points",
    _k.FLAG_A_RANGE: "|a| >= 2 (EGM(1,1) meaningless)",
    _k.FLAG_LEVEL_RATIO: "level ratio outside (e^(-2/(n+1)), e^(2/(n+1))) (warning)",
    _k.FLAG_OVERFLOW: "value beyond the float64 range, written as inf (warning)",
}


class GreyFit(NamedTuple):
    """Result of :func:`fit_egm` or :func:`fit_linear`; batch shape ``S`` = the input's leading dims.

    Attributes
    ----------
    params : ndarray S + (2,)
        (a, b) for EGM(1,1); (α, β) of x̂(k) = α + β·k for the linear trend.
    fitted, residual, relative_error : ndarray S + (n,)
        x̂(k); ε(k) = x(k) − x̂(k); |ε(k)|/|x(k)| (fraction).
    forecast : ndarray S + (h,)
        x̂(n+1..n+h).
    mape, C, P : ndarray S
        Mean of ``relative_error`` over k = 1..n; posterior-difference ratio and probability.
    grade : int8 ndarray S
        Index into :data:`GRADE_NAMES`, -1 when not fitted.
    level_ratio_ok : bool ndarray S
        All level ratios admissible (False also where the data are missing or non-positive).
    flag : int32 ndarray S
        Bit-field, see :data:`FLAG_NAMES`; 0 = clean.
    """

    params: np.ndarray
    fitted: np.ndarray
    forecast: np.ndarray
    residual: np.ndarray
    relative_error: np.ndarray
    mape: np.ndarray
    C: np.ndarray
    P: np.ndarray
    grade: np.ndarray
    level_ratio_ok: np.ndarray
    flag: np.ndarray


class UnfittableSeriesError(InvalidValueError):
    """A series that cannot be fitted, with where it is and why.

    Attributes
    ----------
    index : tuple of int
        Position of the series in the batch (the input's leading dims).
    flag : int
        Its flag bits (:data:`FLAG_NAMES`).
    """

    def __init__(self, model: str, index: tuple[int, ...], flag: int, where: str | None = None):
        self.model, self.index, self.flag = model, index, flag
        where = where or (f"series at batch {show_index(index)}" if index else "series")
        super().__init__(
            f"{model}: cannot fit the {where}: {describe_flag(flag, fatal_only=True)}. Allowed: "
            f"at least {_k.MIN_POINTS} finite values > 0 and |a| < 2. Pass errors='ignore' to get "
            f"NaN and a flag for such series instead, or shift= a constant that makes them positive"
        )


def describe_flag(flag: int, fatal_only: bool = False) -> str:
    """The meanings of the bits set in ``flag``, joined by '; ' ("clean" when none).

    >>> describe_flag(2 | 16)
    'value <= 0; level ratio outside (e^(-2/(n+1)), e^(2/(n+1))) (warning)'
    """
    bits = [m for b, m in FLAG_NAMES.items() if flag & b and (not fatal_only or b & _k.FLAG_FATAL)]
    return "; ".join(bits) if bits else "clean"


def _as_series(x, name: str = "x") -> np.ndarray:
    arr = as_float_array(x, name)
    if arr.ndim < 1:
        raise InputError(f"{name}: needs a time axis (the last one), got a scalar")
    return arr


def _check_args(errors: str, horizon: int, shift: float) -> None:
    if errors not in ("raise", "ignore"):
        raise InputError(f"errors must be 'raise' or 'ignore', got {show(errors)}")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 0:
        raise InputError(f"horizon must be an integer >= 0, got {show(horizon)}")
    if not math.isfinite(shift):
        raise InputError(f"shift must be a finite number, got {show(shift)}")


def _fit(model: str, serial, parallel_kern, x, horizon, shift, errors, parallel) -> GreyFit:
    _check_args(errors, horizon, shift)
    x = _as_series(x)
    batch, n = x.shape[:-1], x.shape[-1]
    if errors == "raise" and n < _k.MIN_POINTS and math.prod(batch) > 0:
        raise InputError(
            f"{model}: series have {n} points along the time axis; at least {_k.MIN_POINTS} are "
            f"needed (000: four data points at least)"
        )
    x2 = x.reshape(-1, n)
    xs = x2 + shift if shift != 0.0 else x2
    n_b = x2.shape[0]
    params = np.empty((n_b, 2))
    fitted = np.empty((n_b, n))
    forecast = np.empty((n_b, int(horizon)))
    residual = np.empty((n_b, n))
    relative_error = np.empty((n_b, n))
    stats = np.empty((n_b, 3))
    grade = np.empty(n_b, dtype=np.int8)
    flag = np.empty(n_b, dtype=np.int32)
    parallel = use_parallel(parallel, n_b * n, PARALLEL_THRESHOLD)
    (parallel_kern if parallel else serial)(xs, params, fitted, forecast, residual, relative_error, stats, grade, flag)
    # A series is unfitted (FLAG_FATAL bits) exactly when its grade is GRADE_NONE (-1): one
    # reduction over the int8 grades instead of two passes over the flags.
    if errors == "raise" and n_b and grade.min() < 0:
        first = int(np.flatnonzero(grade < 0)[0])
        idx = tuple(int(k) for k in np.unravel_index(first, batch)) if batch else ()
        raise UnfittableSeriesError(model, idx, int(flag[first]))
    mape = stats[:, 2]
    if shift != 0.0:
        # Back to the caller's scale; relative errors and MAPE are relative to x, not x + c.
        fitted -= shift
        forecast -= shift
        residual = x2 - fitted
        with np.errstate(divide="ignore", invalid="ignore"):
            relative_error = np.abs(residual) / np.abs(x2)
        mape = relative_error.mean(axis=1)
    level_ok = (flag & (_k.FLAG_LEVEL_RATIO | _k.FLAG_MISSING | _k.FLAG_NONPOSITIVE)) == 0
    out = (params, fitted, forecast, residual, relative_error, mape, stats[:, 0], stats[:, 1], grade, level_ok, flag)
    if len(batch) != 1:  # a (B, n) input needs no reshape
        out = tuple(a.reshape(batch + a.shape[1:]) for a in out)
    return GreyFit(*out)


def fit_egm(
    x,
    *,
    horizon: int = 0,
    shift: float = 0.0,
    errors: Literal["raise", "ignore"] = "raise",
    parallel: bool | None = None,
) -> GreyFit:
    """Fit EGM(1,1) to every series of ``x`` (time on the last axis), with diagnostics.

    .. math::

        x^{(0)}(k) + a\\,z^{(1)}(k) = b, \\qquad
        \\hat x^{(0)}(k+1) = \\frac{\\operatorname{expm1}(a)}{a}\\,(b - a\\,x^{(0)}(1))\\,e^{-ak}

    with x1 the cumulative sum and z(k) = (x1(k) + x1(k−1))/2 (Bengbu study, Scientific
    Reports 13:14528 (2023), eqs. 9–13; the expm1 form is fastcarbon's, equal to the paper's
    x1-difference form, METHODS.md).  a and b come from centered least squares on mean-scaled data;
    C, P and the grade from the posterior-difference test (000 Table 7).

    Parameters
    ----------
    x : array_like (..., n)
        Equally spaced values, time on the last axis; every leading axis is a batch of series.
    horizon : int
        Number of points to forecast after the last one.
    shift : float
        Constant c added to ``x`` before fitting and removed from the fitted values and the
        forecast (for a series with values <= 0; METHODS.md).  a and b are those of x + c;
        residuals, C and P are the same on either scale; relative errors and MAPE are on the
        caller's scale.
    errors : {"raise", "ignore"}
        ``"raise"``: a series that cannot be fitted (``FLAG_FATAL`` bits) raises
        :class:`UnfittableSeriesError`.  ``"ignore"``: its outputs are NaN and its flag says why.
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical).  Default: parallel from
        :data:`PARALLEL_THRESHOLD` values on.

    Returns
    -------
    GreyFit

    Raises
    ------
    InputTypeError
        Non-numeric data.
    InputError
        Bad ``horizon``, ``shift`` or ``errors``; fewer than 4 points with ``errors="raise"``.
    UnfittableSeriesError
        A NaN/inf or non-positive value, or |a| >= 2, with ``errors="raise"``.

    Examples
    --------
    >>> from fastcarbon.core.grey import fit_egm, GRADE_NAMES
    >>> fit = fit_egm([223.3, 227.3, 230.5, 238.1, 242.9, 251.1], horizon=2)
    >>> [round(float(v), 6) for v in fit.params]
    [-0.025283, 217.595663]
    >>> fit.forecast.round(4).tolist(), GRADE_NAMES[fit.grade]
    ([256.5532, 263.1223], 'good')
    """
    return _fit("EGM(1,1)", _k.egm_fit, _k.egm_fit_parallel, x, horizon, shift, errors, parallel)


def fit_linear(
    x,
    *,
    horizon: int = 0,
    shift: float = 0.0,
    errors: Literal["raise", "ignore"] = "raise",
    parallel: bool | None = None,
) -> GreyFit:
    """Fit the linear trend x̂(k) = α + β·k, k = 1..n, to every series: the baseline of 000 Table 6.

    Centered least squares, β = Σ(k − k̄)(x − x̄)/Σ(k − k̄)², α = x̄ − β·k̄.  Same arguments,
    outputs, diagnostics and data flags as :func:`fit_egm` (so both models are scored on the
    same series), with ``params`` = (α, β).

    Examples
    --------
    >>> from fastcarbon.core.grey import fit_linear
    >>> fit = fit_linear([1.0, 2.0, 3.0, 4.0], horizon=2)
    >>> fit.params.tolist(), fit.forecast.tolist()
    ([0.0, 1.0], [5.0, 6.0])
    """
    return _fit("linear trend", _k.linear_fit, _k.linear_fit_parallel, x, horizon, shift, errors, parallel)


def forecast_egm(params, x_first, n: int, horizon: int, *, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """EGM(1,1) values x̂0(n+1..n+h) from fitted (a, b), without refitting.

    Parameters
    ----------
    params : array_like S + (2,)
        (a, b) as returned by :func:`fit_egm` (NaN rows give NaN).
    x_first : array_like S
        x0(1) of each series on the caller's scale (the first fitted value).
    n : int
        Length of the fitted series.
    horizon : int
        Number of points.
    shift : float
        The ``shift`` the fit used.

    Returns
    -------
    forecast : ndarray S + (horizon,)
        Identical to ``fit_egm(..., horizon=horizon).forecast``; ±inf beyond the float64 range.
    flag : int32 ndarray S
        ``FLAG_OVERFLOW`` where a value is ±inf, else 0.
    """
    _check_args("raise", horizon, shift)
    p = _as_series(params, "params")
    batch = p.shape[:-1]
    first = np.ascontiguousarray(np.broadcast_to(np.asarray(x_first, dtype=np.float64), batch)).reshape(-1) + shift
    out = np.empty((first.shape[0], int(horizon)))
    flag = np.empty(first.shape[0], dtype=np.int32)
    _k.egm_forecast(p.reshape(-1, 2), first, int(n), out, flag)
    if shift != 0.0:
        out -= shift
    return out.reshape(batch + (int(horizon),)), flag.reshape(batch)


def forecast_linear(params, n: int, horizon: int, *, shift: float = 0.0) -> np.ndarray:
    """Linear-trend values α + β·k, k = n+1..n+h, from fitted (α, β) rows (S + (2,))."""
    _check_args("raise", horizon, shift)
    p = _as_series(params, "params")
    batch = p.shape[:-1]
    out = np.empty((math.prod(batch), int(horizon)))
    _k.linear_forecast(p.reshape(-1, 2), int(n), out)
    if shift != 0.0:
        out -= shift
    return out.reshape(batch + (int(horizon),))


def backtest(
    x, *, horizon: int = 1, min_train: int = _k.MIN_POINTS, shift: float = 0.0, parallel: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Rolling-origin forecasts of EGM(1,1) and the linear trend against the held-out values.

    For each origin o = ``min_train`` .. n−1 (0-based position of the first held-out point), both
    models are fitted on x[..., :o] and forecast the next ``horizon`` points, which are compared
    with x[..., o:o+horizon] (leads past the end of the series are NaN).

    Parameters
    ----------
    x : array_like (..., n)
        Series, time on the last axis.
    horizon : int
        Leads scored per origin (>= 1).
    min_train : int
        Shortest training window (>= 4).
    shift, parallel
        As in :func:`fit_egm`.  Series that cannot be fitted give NaN forecasts (errors="ignore").

    Returns
    -------
    forecast : ndarray (2, n_origin, ...) + (horizon,)
        Forecasts of EGM(1,1) (index 0) and the linear trend (index 1).
    actual : ndarray (n_origin, ...) + (horizon,)
        The held-out values (NaN past the end).

    Examples
    --------
    >>> import numpy as np
    >>> from fastcarbon.core.grey import backtest
    >>> fc, actual = backtest(3.0 + 2.0 * np.arange(8), horizon=2)
    >>> fc.shape, actual.shape  # (model, origin, lead): origins 4..7, leads past the end are NaN
    ((2, 4, 2), (4, 2))
    >>> bool(np.nanmax(np.abs(fc[1] - actual)) < 1e-12)  # the linear trend is exact on a line
    True
    """
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise InputError(f"horizon must be an integer >= 1, got {show(horizon)}")
    if isinstance(min_train, bool) or not isinstance(min_train, (int, np.integer)) or min_train < _k.MIN_POINTS:
        raise InputError(f"min_train must be an integer >= {_k.MIN_POINTS}, got {show(min_train)}")
    x = _as_series(x)
    n = x.shape[-1]
    if n <= min_train:
        raise InputError(
            f"backtest: series have {n} points; with min_train={min_train} at least "
            f"{min_train + 1} are needed (one origin)"
        )
    origins = range(min_train, n)
    padded = np.concatenate([x, np.full(x.shape[:-1] + (horizon,), np.nan)], axis=-1)
    actual = np.stack([padded[..., o : o + horizon] for o in origins])
    forecast = np.empty((2,) + actual.shape)
    for j, o in enumerate(origins):
        train = x[..., :o]
        for m, fit in enumerate((fit_egm, fit_linear)):
            forecast[m, j] = fit(train, horizon=horizon, shift=shift, errors="ignore", parallel=parallel).forecast
    return forecast, actual
