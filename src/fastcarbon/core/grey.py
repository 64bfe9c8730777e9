"""Grey forecasting on plain numpy arrays: EGM(1,1), the linear baseline and rolling-origin backtests.

This layer knows shapes, not labels: the time axis is the last one and every leading axis is a
batch of independent series.  It validates dtypes and arguments, flattens the batch, chooses the
serial or the parallel kernel (:mod:`fastcarbon.kernels.grey`), applies an optional shift, and
turns a flagged series into an :class:`UnfittableSeriesError` when ``errors="raise"``.

Ragged series: each series is fitted on its own window, from its first to its last non-NaN value
(leading and trailing NaN are years it does not cover), exactly as if it had been cut out; a NaN
inside the window stays a gap (flagged).  See "Ragged series" in :mod:`fastcarbon.kernels.grey`.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np

from fastcarbon import _options
from fastcarbon._format import show, show_index
from fastcarbon.core._common import (
    as_float_array,
    check_no_alias,
    column_block,
    empty_arrays,
    launch,
    out_array,
    out_fields,
    same_or_new,
    use_parallel,
    writeable,
)
from fastcarbon.errors import CoordinateMismatchError, InputError, InputTypeError, InvalidValueError
from fastcarbon.kernels import grey as _k

__all__ = [
    "GreyFit",
    "PeakAnswer",
    "UnfittableSeriesError",
    "WindowMismatchError",
    "forecast_peak",
    "PEAK_STATUS",
    "PEAK_FROM_SHAPE",
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

#: Series × points below which the kernels run serial by default (3·2^20): the default of the
#: option ``grey_parallel_threshold`` (:func:`fastcarbon.set_options`), which is what dispatch
#: reads.  With another process holding a core, the 2-thread fit waits ~5-10 ms for a time slice
#: whatever its size (benchmarks/threads_busy.py, benchmarks/README.md): its median was
#: 0.82-0.93 x serial from 3.3e5 values on one machine, but 1.1-1.2 x at 1.3e6 and 1.07 x at
#: 2.6e6 on a faster one (2026-12-04).  A series of 10 points costs ~85 ns serial there, so the
#: threshold is ~3e5 such series, ~25 ms of serial work.
PARALLEL_THRESHOLD = _options.DEFAULTS["grey_parallel_threshold"]

#: grade code → name (000 Table 7); code -1 (:data:`fastcarbon.kernels.grey.GRADE_NONE`) is
#: "not graded"
GRADE_NAMES = ("good", "qualified", "barely qualified", "unqualified")

#: flag bit → meaning (the ``FLAG_*`` codes of :mod:`fastcarbon.kernels.grey`)
FLAG_NAMES = {
    _k.FLAG_MISSING: "NaN inside the series (a gap) or infinite value",
    _k.FLAG_NONPOSITIVE: "value <= 0",
    _k.FLAG_TOO_SHORT: f"fewer than {_k.MIN_POINTS} non-NaN values",
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
    first, last : int32 ndarray S
        Positions along the time axis of each series' first and last non-NaN value, the window
        it is fitted on (−1 where it has none).
    n_points : int32 ndarray S
        Number of non-NaN values; for a fitted series the points used, last − first + 1.
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
    first: np.ndarray
    last: np.ndarray
    n_points: np.ndarray


class UnfittableSeriesError(InvalidValueError):
    """A series that cannot be fitted, with where it is and why.

    Attributes
    ----------
    index : tuple of int
        Position of the series in the batch (the input's leading dims).
    flag : int
        Its flag bits (:data:`FLAG_NAMES`).
    n_points : int or None
        Its number of non-NaN values, when known.
    span : (int, int) or None
        Positions of its first and last non-NaN value along the time axis, when known.
    """

    def __init__(self, model: str, index: tuple[int, ...], flag: int, where: str | None = None,
                 n_points: int | None = None, span: tuple[int, int] | None = None, window: str | None = None,
                 argument: str | None = None):
        self.model, self.index, self.flag, self.n_points, self.span = model, index, flag, n_points, span
        where = where or (f"series at batch {show_index(index)}" if index else "series")
        if window is None and span is not None and n_points:
            window = f"positions {span[0]}-{span[1]} of the time axis"
        values = ""
        if n_points is not None:
            values = f" ({n_points} non-NaN value{'' if n_points == 1 else 's'}{', ' + window if window else ''})"
        super().__init__(
            (f"{argument}: " if argument else "") + f"{model}: cannot fit the {where}{values}: {describe_flag(flag, fatal_only=True)}. "
            f"Allowed: at least {_k.MIN_POINTS} finite values > 0 in a row (leading and trailing NaN "
            f"are skipped) and |a| < 2. Pass errors='ignore' to get NaN and a flag for such series "
            f"instead, or shift= a constant that makes them positive"
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


def _positions(first, batch: tuple[int, ...], n: int) -> np.ndarray:
    """``first`` of :func:`forecast_egm` as the kernels' int64 (B,), checked to lie on the axis."""
    arr = np.asarray(first)
    if arr.dtype.kind not in "iu":
        raise InputTypeError(f"first: positions must be integers, got dtype {arr.dtype}")
    if arr.shape != batch:  # (a fit's first already has the batch shape: no broadcast_to, ~5 us)
        try:
            arr = np.broadcast_to(arr, batch)
        except ValueError:
            raise InputError(f"first: shape {arr.shape} does not match the series' batch shape {batch}") from None
    if arr.size and (arr.min() < -1 or arr.max() >= n):
        raise InputError(f"first: positions must lie in 0..{n - 1} (-1: a series without values), "
                         f"got {int(arr.min())}..{int(arr.max())}")
    return writeable(np.ascontiguousarray(arr, dtype=np.int64).reshape(-1))  # a broadcast view is read-only


def _check_args(errors: str, horizon: int, shift: float) -> None:
    if errors not in ("raise", "ignore"):
        raise InputError(f"errors must be 'raise' or 'ignore', got {show(errors)}")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 0:
        raise InputError(f"horizon must be an integer >= 0, got {show(horizon)}")
    if not math.isfinite(shift):
        raise InputError(f"shift must be a finite number, got {show(shift)}")


def _fit_buffers(out, n_b: int, batch: tuple[int, ...], n: int, horizon: int, x2: np.ndarray):
    """The kernel's arrays written into ``out`` (a :class:`GreyFit`): the fields themselves, and
    the (B, 3) stats and window blocks when ``C, P, mape`` and ``first, last, n_points`` are the
    columns of one block as :func:`fit_egm` returns them (else scratch blocks, copied after)."""
    fields = out_fields(out, GreyFit._fields, "fit_egm / fit_linear")
    f = out if isinstance(out, GreyFit) else GreyFit(*fields)
    shapes = {"params": (2,), "fitted": (n,), "forecast": (horizon,), "residual": (n,), "relative_error": (n,)}
    arrays = {k: out_array(getattr(f, k), f"out.{k}", batch + extra, np.float64).reshape((n_b,) + extra)
              for k, extra in shapes.items()}
    for k, dtype in (("grade", np.int8), ("level_ratio_ok", np.bool_), ("flag", np.int32)):
        arrays[k] = out_array(getattr(f, k), f"out.{k}", batch, dtype).reshape(n_b)
    blocks = {}
    for block, names, dtype in (("stats", ("C", "P", "mape"), np.float64),
                                ("window", ("first", "last", "n_points"), np.int32)):
        cols = [out_array(getattr(f, k), f"out.{k}", batch, dtype, contiguous=False) for k in names]
        blocks[block] = column_block(cols, n_b, dtype)
        if blocks[block] is None:  # the caller's own arrays: written from a scratch block
            blocks[block] = np.empty((n_b, 3), dtype=dtype)
            blocks[block + "_copy"] = cols
    check_no_alias({f"out.{k}": getattr(f, k) for k in ("params", "fitted", "forecast", "residual", "relative_error",
                                                        "grade", "level_ratio_ok", "flag")}
                   | {"out.C, .P, .mape": blocks["stats"], "out.first, .last, .n_points": blocks["window"]},
                   {"x": x2})
    return f, arrays, blocks


def _fit(model: str, serial, parallel_kern, x, horizon, shift, errors, parallel, out=None) -> GreyFit:
    _check_args(errors, horizon, shift)
    x = _as_series(x)
    batch, n = x.shape[:-1], x.shape[-1]
    if errors == "raise" and n < _k.MIN_POINTS and math.prod(batch) > 0:
        raise InputError(
            f"{model}: series have {n} points along the time axis; at least {_k.MIN_POINTS} are "
            f"needed (000: four data points at least)"
        )
    x2 = x.reshape(-1, n)
    n_b = x2.shape[0]
    if out is None:  # one allocation for the ten outputs (empty_arrays: why)
        params, fitted, forecast, residual, relative_error, stats, grade, flag, window, level_ok = empty_arrays((
            ((n_b, 2), np.float64), ((n_b, n), np.float64), ((n_b, int(horizon)), np.float64),
            ((n_b, n), np.float64), ((n_b, n), np.float64), ((n_b, 3), np.float64),
            ((n_b,), np.int8), ((n_b,), np.int32), ((n_b, 3), np.int32), ((n_b,), np.bool_)))
    else:
        given, arrays, blocks = _fit_buffers(out, n_b, batch, n, int(horizon), x2)
        params, fitted, forecast, residual, relative_error, grade, flag = (arrays[k] for k in (
            "params", "fitted", "forecast", "residual", "relative_error", "grade", "flag"))
        stats, window = blocks["stats"], blocks["window"]
    xs = x2 + shift if shift != 0.0 else x2
    parallel = use_parallel(parallel, n_b * n, option="grey_parallel_threshold")
    launch(serial, parallel_kern, parallel,
           xs, params, fitted, forecast, residual, relative_error, stats, grade, flag, window)
    _rescale_posterior(xs, fitted, stats, grade, flag, window)
    # A series is unfitted (FLAG_FATAL bits) exactly when its grade is GRADE_NONE (-1): one
    # reduction over the int8 grades instead of two passes over the flags.
    if errors == "raise" and n_b and grade.min() < 0:
        bad = int(np.flatnonzero(grade < 0)[0])
        idx = tuple(int(k) for k in np.unravel_index(bad, batch)) if batch else ()
        w0, w1, count = (int(v) for v in window[bad])
        code = int(flag[bad])
        # The values and window are news only for a ragged series or when they are the reason.
        told = code & (_k.FLAG_TOO_SHORT | _k.FLAG_MISSING) or (w0, w1) != (0, n - 1)
        raise UnfittableSeriesError(model, idx, code, n_points=count if told else None,
                                    span=(w0, w1) if told else None)
    mape = stats[:, 2]
    if shift != 0.0:
        # Back to the caller's scale; relative errors and MAPE are relative to x, not x + c.
        # Outside each window x is NaN, so are the residuals: MAPE is over the window's points.
        # (In place: the same operations in the same order as fresh arrays, so the same bits.)
        fitted -= shift
        forecast -= shift
        residual = np.subtract(x2, fitted, out=None if out is None else residual)
        with np.errstate(divide="ignore", invalid="ignore"):
            relative_error = np.divide(np.abs(residual), np.abs(x2), out=None if out is None else relative_error)
            mape = np.divide(np.where(np.isnan(relative_error), 0.0, relative_error).sum(axis=1), window[:, 2],
                             out=None if out is None else mape)
        mape[grade < 0] = np.nan
    mask = _k.FLAG_LEVEL_RATIO | _k.FLAG_MISSING | _k.FLAG_NONPOSITIVE
    if out is not None:
        np.equal(flag & mask, 0, out=arrays["level_ratio_ok"])
        for block in ("stats", "window"):
            for k, col in enumerate(blocks.get(block + "_copy", ())):
                np.copyto(col, blocks[block][:, k].reshape(col.shape))
        return given
    np.equal(flag & mask, 0, out=level_ok)
    result = (params, fitted, forecast, residual, relative_error, mape, stats[:, 0], stats[:, 1], grade, level_ok,
              flag, window[:, 0], window[:, 1], window[:, 2])
    if len(batch) != 1:  # a (B, n) input needs no reshape
        result = tuple(a.reshape(batch + a.shape[1:]) for a in result)
    return GreyFit(*result)


def _rescale_posterior(xs, fitted, stats, grade, flag, window) -> None:
    """The posterior-difference test of fitted rows whose sums of squares overflowed in the
    kernel (NaN P: values beyond ~1e154), recomputed on the row scaled by its largest value.
    C = S2/S1 and P are scale-free, so the answer is the same test; a row that still cannot be
    tested (its fitted values overflowed) keeps NaN C and P, grade unqualified, and the
    overflow flag, never a grade computed from NaN."""
    # P is in [0, 1] or NaN: its sum is NaN exactly when some P is (one pass in the usual case)
    if not np.isnan(stats[:, 1].sum()):
        return
    lost = np.flatnonzero((grade >= 0) & np.isnan(stats[:, 1]))
    for i in lost:
        w0, w1 = int(window[i, 0]), int(window[i, 1])
        x = xs[i, w0:w1 + 1]
        scale = np.max(np.abs(x))
        with np.errstate(over="ignore", invalid="ignore"):
            xn, en = x / scale, (x - fitted[i, w0:w1 + 1]) / scale
            s1, s2 = float(np.std(xn)), float(np.std(en))
        if not (np.isfinite(s1) and np.isfinite(s2)):
            flag[i] |= _k.FLAG_OVERFLOW
            continue
        c = s2 / s1 if s1 > 0 else (0.0 if s2 == 0 else math.inf)
        p = float(np.mean(np.abs(en - en.mean()) < 0.6745 * s1)) if s1 > 0 else float(s2 == 0)
        stats[i, 0], stats[i, 1] = c, p
        grade[i] = (_k.GRADE_GOOD if p > 0.95 and c < 0.35 else _k.GRADE_QUALIFIED if p > 0.80 and c < 0.5
                    else _k.GRADE_BARELY if p > 0.70 and c < 0.65 else _k.GRADE_UNQUALIFIED)


def fit_egm(
    x,
    *,
    horizon: int = 0,
    shift: float = 0.0,
    errors: Literal["raise", "ignore"] = "raise",
    parallel: bool | None = None,
    out: GreyFit | None = None,
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
        Each series is fitted on its own window, from its first to its last non-NaN value, so
        leading and trailing NaN (years a series does not cover) are allowed; a NaN inside the
        window is a gap (``FLAG_MISSING``), fewer than 4 values are too few (``FLAG_TOO_SHORT``).
        ``fitted`` holds the model from the window's first point to the end of the axis (out of
        sample after the window, where ``residual`` and ``relative_error`` are NaN).
    horizon : int
        Number of points to forecast after the last one of the time axis (for a series that ends
        earlier, its model continues through the points in between).
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
        ``grey_parallel_threshold`` values on (:func:`fastcarbon.set_options`; default
        :data:`PARALLEL_THRESHOLD`).
    out : GreyFit, optional
        Arrays to write the results into: a :class:`GreyFit` (or a tuple in its field order) of
        the shapes and dtypes this call returns, e.g. the result of an earlier call on data of
        the same shape.  Every array must be writeable and must not share memory with ``x`` or
        another field; all but ``C, P, mape`` and ``first, last, n_points`` must be C-contiguous.
        Those two triples are written directly when they are the columns of one (B, 3) block,
        as a returned GreyFit's are (else through a scratch block and a copy).  Returns ``out``
        filled, bit-identical to the allocating call.  With ``shift`` != 0 a few temporaries
        remain.

    Returns
    -------
    GreyFit
        Fresh arrays of one call totalling 128 KiB or more (about 3 000 series of 10 points) are
        views of one allocation (:func:`fastcarbon.core._common.empty_arrays`), which fastcarbon
        keeps (up to 64 MB of such blocks) and hands to a later call once none of its arrays is
        referenced any more, so a loop does not page-fault its outputs anew each call.  Keeping
        any one of the arrays keeps all of that call's output memory: copy a field
        (``fit.params.copy()``) to keep it alone.

    Raises
    ------
    InputTypeError
        Non-numeric data.
    InputError
        Bad ``horizon``, ``shift`` or ``errors``; fewer than 4 points with ``errors="raise"``.
    UnfittableSeriesError
        With ``errors="raise"``: a NaN inside a series' window (a gap) or an infinite value, a
        value <= 0, fewer than 4 non-NaN values, or |a| >= 2; the message gives the series'
        number of values and window when they matter.

    Examples
    --------
    >>> import numpy as np
    >>> from fastcarbon.core.grey import fit_egm, GRADE_NAMES
    >>> fit = fit_egm([223.3, 227.3, 230.5, 238.1, 242.9, 251.1], horizon=2)
    >>> [round(float(v), 6) for v in fit.params]
    [-0.025283, 217.595663]
    >>> fit.forecast.round(4).tolist(), GRADE_NAMES[fit.grade]
    ([256.5532, 263.1223], 'good')

    A series that starts one point late and ends two early is fitted on its six values; the
    model fills the last two points of the axis and the forecast continues it:

    >>> ragged = fit_egm([np.nan, 223.3, 227.3, 230.5, 238.1, 242.9, 251.1, np.nan, np.nan], horizon=1)
    >>> int(ragged.first), int(ragged.last), int(ragged.n_points), ragged.fitted[-2:].round(4).tolist()
    (1, 6, 6, [256.5532, 263.1223])
    """
    return _fit("EGM(1,1)", _k.egm_fit, _k.egm_fit_parallel, x, horizon, shift, errors, parallel, out)


def fit_linear(
    x,
    *,
    horizon: int = 0,
    shift: float = 0.0,
    errors: Literal["raise", "ignore"] = "raise",
    parallel: bool | None = None,
    out: GreyFit | None = None,
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
    return _fit("linear trend", _k.linear_fit, _k.linear_fit_parallel, x, horizon, shift, errors, parallel, out)


def forecast_egm(
    params, x_first, n: int, horizon: int, *, shift: float = 0.0, first=0,
    out: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """EGM(1,1) values at the ``horizon`` points after the n of the time axis, from fitted (a, b),
    without refitting.

    Parameters
    ----------
    params : array_like S + (2,)
        (a, b) as returned by :func:`fit_egm` (NaN rows give NaN).
    x_first : array_like S
        x0(1) of each series on the caller's scale (its first fitted value).
    n : int
        Length of the time axis the series were fitted on.
    horizon : int
        Number of points.
    shift : float
        The ``shift`` the fit used.
    first : array_like S of int
        Position of each series' first point (``GreyFit.first``); 0 for series that fill the axis.
    out : (forecast, flag), optional
        Arrays to write into, as this function returns them (C-contiguous, writeable float64
        S + (horizon,) and int32 S, not sharing memory with ``params``); returned, filled,
        bit-identical to the allocating call.

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
    x1 = np.asarray(x_first, dtype=np.float64)
    if x1.shape != batch:  # (broadcast_to costs ~5 us; a fit's x_first already has the batch shape)
        x1 = np.broadcast_to(x1, batch)
    x1 = x1.reshape(-1) + shift  # a new C-contiguous writeable array, as the kernel needs
    start = _positions(first, batch, n)
    if out is None:
        values, flag = empty_arrays((((x1.shape[0], int(horizon)), np.float64), ((x1.shape[0],), np.int32)))
    else:
        given = out_fields(out, ("forecast", "flag"), "forecast_egm")
        given = (out_array(given[0], "out[0] (forecast)", batch + (int(horizon),), np.float64),
                 out_array(given[1], "out[1] (flag)", batch, np.int32))
        check_no_alias({"out[0] (forecast)": given[0], "out[1] (flag)": given[1]}, {"params": p})
        values, flag = given[0].reshape(x1.shape[0], int(horizon)), given[1].reshape(x1.shape[0])
    _k.egm_forecast(p.reshape(-1, 2), x1, start, int(n), values, flag)
    if shift != 0.0:
        values -= shift
    if out is not None:
        return same_or_new(out, given)
    return values.reshape(batch + (int(horizon),)), flag.reshape(batch)


def forecast_linear(params, n: int, horizon: int, *, shift: float = 0.0, first=0,
                    out: np.ndarray | None = None) -> np.ndarray:
    """Linear-trend values α + β·k at the ``horizon`` points after the n of the time axis, from
    fitted (α, β) rows (S + (2,)); ``first`` as in :func:`forecast_egm` (k = n − first + 1, ...).
    ``out``: a C-contiguous, writeable float64 array S + (horizon,) to write into and return."""
    _check_args("raise", horizon, shift)
    p = _as_series(params, "params")
    batch = p.shape[:-1]
    start = _positions(first, batch, n)
    if out is None:
        values = np.empty((math.prod(batch), int(horizon)))
    else:
        out = out_array(out, "out", batch + (int(horizon),), np.float64)
        check_no_alias({"out": out}, {"params": p})
        values = out.reshape(math.prod(batch), int(horizon))
    _k.linear_forecast(p.reshape(-1, 2), start, int(n), values)
    if shift != 0.0:
        values -= shift
    return values.reshape(batch + (int(horizon),)) if out is None else out


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
        A series that covers only part of the axis (leading or trailing NaN) is fitted, at each
        origin, on its values before the origin; held-out points it does not cover are NaN and
        score nothing.

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


# --- peaks from a grey forecast ------------------------------------------------------------------

#: status codes of :func:`forecast_peak`: code → (name, meaning); "shape" codes are answers the
#: model's monotone shape gives on its own
PEAK_UNDETERMINED = -1
PEAK_IN_DATA = 0
PEAK_IN_DATA_FORECAST_RISING = 1
PEAK_CENSORED = 2
PEAK_FROM_FORECAST = 3
PEAK_STATUS = {
    PEAK_UNDETERMINED: ("undetermined", "series not fitted: no answer (NaN), never 'not peaked'"),
    PEAK_IN_DATA: ("peaked_in_data",
                   "peak and a lower value after it observed; the forecast does not rise: peaked, peak year from the data"),
    PEAK_IN_DATA_FORECAST_RISING: ("peaked_in_data_forecast_rising",
                                   "peak and a lower value after it observed; the forecast rises again but stays below "
                                   "the peak through the horizon: peaked within the horizon, the model disagrees"),
    PEAK_CENSORED: ("censored_by_model_shape",
                    "the path is at its maximum at the horizon end (the forecast rises, above any peak in the data, "
                    "or stays level): not peaked - from the model's monotone shape"),
    PEAK_FROM_FORECAST: ("decline_only_in_forecast",
                         "the data do not fall after their maximum; only the (falling) forecast does: peaked - from "
                         "the model's monotone shape"),
}
#: status codes whose answer comes from the model's monotone shape alone
PEAK_FROM_SHAPE = (PEAK_CENSORED, PEAK_FROM_FORECAST)


class PeakAnswer(NamedTuple):
    """Result of :func:`forecast_peak`; batch shape ``S``.

    Attributes
    ----------
    path : ndarray S + (n + h,)
        Observed values to each series' last observed point, then the model.
    peak_year, peak_value : ndarray S
        Label of the peak (NaN when not peaked or undetermined); maximum of the path (NaN when
        undetermined).
    peaked, peaked_by : float ndarray S
        1.0 yes, 0.0 no, NaN undetermined; ``peaked_by`` is NaN everywhere without ``by``.
    status : int8 ndarray S
        A code of :data:`PEAK_STATUS`.
    """

    path: np.ndarray
    peak_year: np.ndarray
    peak_value: np.ndarray
    peaked: np.ndarray
    peaked_by: np.ndarray
    status: np.ndarray


class WindowMismatchError(CoordinateMismatchError):
    """``observed`` is not the data a fit was made from: a series' window differs.

    Attributes
    ----------
    index : tuple of int
        Position of the series in the batch.
    observed, fitted : (int, int)
        First and last non-NaN positions in ``observed``, and the window of the fit.
    """

    def __init__(self, index, observed, fitted, where: str | None = None, shown: tuple[str, str] | None = None):
        self.index, self.observed, self.fitted = index, tuple(observed), tuple(fitted)
        where = where or (f"series at batch {show_index(index)}" if index else "series")
        shown = shown or (f"positions {observed[0]}-{observed[1]}", f"positions {fitted[0]}-{fitted[1]}")
        super().__init__(
            f"observed: the {where} has values over {shown[0]} but the fit used {shown[1]}; pass the "
            f"data the fit was made from"
        )


def forecast_peak(x, model, first, last, fitted, years, *, by: float | None = None) -> PeakAnswer:
    """Has each series peaked, or will it by ``by``: the observed history, then a fitted model.

    A grey (or linear) model's fitted-plus-forecast path is monotone, so on its own it cannot show
    a peak inside the horizon: its "peak" is its first point (falling) or its last (rising).
    This answers from the *path*: each series' observed values up to its last observed point,
    then the model's values after it (METHODS.md, EGM(1,1)).  On the path:

    - peak = the first maximum; **peaked** when a lower value follows it by the horizon end
      (the rule of :func:`fastcarbon.core.peaks.peak`); else censored (``peak_year`` NaN);
    - **peaked_by** = peaked and peak year <= ``by``;
    - **status** (:data:`PEAK_STATUS`) says where the answer comes from:
      0 the data show the peak and a lower value after it, the forecast does not rise (the
      model only agrees); 1 the same, but the forecast rises again while staying below the peak
      through the horizon (peaked within the horizon; with a longer horizon the exponential would
      pass it); 2 censored: the path ends at its maximum, because the forecast rises (above any
      peak in the data) or stays level; 3 the data do not fall after their maximum and only the
      falling forecast does.  2 and 3 come from the model's monotone shape alone
      (:data:`PEAK_FROM_SHAPE`);
    - a series that was not fitted is undetermined: NaN answers and status -1, never "not
      peaked".

    Parameters
    ----------
    x : array_like S + (n,)
        The observed series the model was fitted to (NaN outside each series' window).
    model : array_like S + (n + h,)
        The model's values on the same grid and h >= 1 steps after it: ``fitted`` then
        ``forecast`` of :func:`fit_egm` or :func:`fit_linear`.
    first, last : array_like S of int
        Each series' window (``GreyFit.first``, ``GreyFit.last``), checked against ``x``.
    fitted : array_like S of bool
        Which series were fitted (``GreyFit.grade >= 0``).
    years : array_like (n + h,)
        Labels of the n + h points (real numbers, increasing).
    by : float, optional
        Target year for ``peaked_by``; at most the last of ``years``.

    Returns
    -------
    PeakAnswer

    Raises
    ------
    WindowMismatchError
        A fitted series whose non-NaN values in ``x`` do not span its window.

    Examples
    --------
    >>> import numpy as np
    >>> from fastcarbon.core.grey import fit_egm, forecast_peak, PEAK_STATUS
    >>> x = np.array([[100., 110, 120, 115, 108, 101, 95],    # peaked in 2013, falling
    ...               [100., 104, 109, 113, 118, 124, 129]])  # rising
    >>> fit = fit_egm(x, horizon=5)
    >>> years = np.arange(2011, 2023)
    >>> ans = forecast_peak(x, np.concatenate([fit.fitted, fit.forecast], -1), fit.first, fit.last,
    ...                     fit.grade >= 0, years, by=2020)
    >>> ans.peak_year.tolist(), ans.peaked_by.tolist(), [PEAK_STATUS[s][0] for s in ans.status]
    ([2013.0, nan], [1.0, 0.0], ['peaked_in_data', 'censored_by_model_shape'])
    """
    x = _as_series(x)
    m = _as_series(model, "model")
    batch, n = x.shape[:-1], x.shape[-1]
    h = m.shape[-1] - n
    if m.shape[:-1] != batch or h < 1:
        raise InputError(f"model: shape {m.shape} must be the batch shape {batch} + ({n} + h,) with h >= 1")
    years = np.asarray(years, dtype=np.float64)
    if years.shape != (n + h,):
        raise InputError(f"years: {years.shape[0] if years.ndim == 1 else years.shape} labels for the {n + h} points")
    if by is not None and not (isinstance(by, (int, float, np.integer, np.floating)) and not isinstance(by, bool)
                               and math.isfinite(by)):
        raise InputTypeError(f"by: a year (a finite real number), got {show(by.item() if isinstance(by, np.generic) else by)}")
    if by is not None and by > years[-1]:
        raise InputError(f"by: {_plain_year(by)} is after the horizon's last year {_plain_year(years[-1])}; "
                         f"forecast further or ask for an earlier year")
    x2, m2 = x.reshape(-1, n), m.reshape(-1, n + h)
    ok = np.broadcast_to(np.asarray(fitted, dtype=bool), batch).reshape(-1)
    s = _positions(first, batch, n)
    e = _positions(last, batch, n)
    # The fit's window must be the observed one (the data the fit was made from).
    valid = ~np.isnan(x2)
    has = valid.any(axis=1)
    obs_first = np.where(has, valid.argmax(axis=1), -1)
    obs_last = np.where(has, n - 1 - valid[:, ::-1].argmax(axis=1), -1)
    wrong = ok & ((obs_first != s) | (obs_last != e))
    if wrong.any():
        k = int(np.flatnonzero(wrong)[0])
        idx = tuple(int(v) for v in np.unravel_index(k, batch)) if batch else ()
        raise WindowMismatchError(idx, (int(obs_first[k]), int(obs_last[k])), (int(s[k]), int(e[k])))
    pos = np.arange(n + h)
    observed = pos <= e[:, None]
    path = np.where(observed, np.concatenate([x2, np.full((len(x2), h), np.nan)], axis=1), m2)
    rows = np.arange(len(x2))
    # first maximum over the path (NaN before a window read as -inf); the same over the data
    filled = np.where(np.isnan(path), -np.inf, path)
    top = filled.argmax(axis=1)
    peak = filled[rows, top]
    data_max = np.where(observed, filled, -np.inf).max(axis=1)
    end = path[:, -1]
    peaked = end < peak
    seen_fall = (top <= e) & (x2[rows, np.maximum(e, 0)] < data_max)  # peak and a fall in the data
    rising = m2[:, -1] > m2[rows, np.maximum(e, 0)]  # the model after the last observation
    status = np.select(
        [~ok, ~peaked, seen_fall & ~rising, seen_fall],
        [PEAK_UNDETERMINED, PEAK_CENSORED, PEAK_IN_DATA, PEAK_IN_DATA_FORECAST_RISING],
        PEAK_FROM_FORECAST,
    ).astype(np.int8)
    nan = np.full(len(x2), np.nan)
    peak_year = np.where(ok & peaked, years[top], np.nan)
    peak_value = np.where(ok, peak, np.nan)
    answer = np.where(ok, peaked.astype(np.float64), np.nan)
    by_answer = nan if by is None else np.where(ok, (peaked & (peak_year <= by)).astype(np.float64), np.nan)
    out = (path, peak_year, peak_value, answer, by_answer, status)
    return PeakAnswer(*(a.reshape(batch + a.shape[1:]) for a in out))


def _plain_year(value: float) -> str:
    """2030, not 2030.0 or np.float64(2030.0)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
