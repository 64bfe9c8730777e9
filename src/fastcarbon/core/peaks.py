"""Peak analysis of emission trajectories on plain numpy arrays (001, section 4).

This layer validates the emissions and the years, moves the year axis last, flattens every other
axis into rows, picks the serial or the parallel kernel of :mod:`fastcarbon.kernels.peaks`, and
reshapes the per-series results back.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np

from fastcarbon._format import show, show_index
from fastcarbon.core._common import (
    check_no_alias,
    check_time_values,
    launch,
    out_array,
    out_fields,
    use_parallel,
)
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, OverflowResultError
from fastcarbon.kernels import peaks as _kernels

__all__ = ["peak", "PeakResult", "NaNTrajectoryError", "InfiniteTrajectoryError"]


class PeakResult(NamedTuple):
    """Per-trajectory results of :func:`peak`; every field has the input's shape without the
    year axis."""

    #: year of the first maximum, NaN where censored (no peak within the horizon) or NaN input
    peak_year: np.ndarray
    #: the maximum over the horizon (also where censored), NaN for NaN input
    peak_value: np.ndarray
    #: True where the maximum is followed by a lower value within the horizon
    peaked: np.ndarray
    #: True where peaked and ``peak_year <= target``; None when no target was given
    peaked_by: np.ndarray | None
    #: first year with emissions <= threshold, NaN where never reached or NaN input
    net_zero_year: np.ndarray
    #: True where some year has emissions <= threshold
    net_zero: np.ndarray
    #: sum of the values over all years of the horizon, NaN for NaN input
    cumulative_emissions: np.ndarray


class NaNTrajectoryError(InvalidValueError):
    """A trajectory holds NaN and ``nan_policy="raise"``.

    Attributes
    ----------
    index : tuple of int
        Position of the first NaN in the emissions array as it was passed.
    """

    def __init__(self, index: tuple[int, ...], where: str | None = None):
        self.index = index
        super().__init__(
            f"emissions: NaN at {where or show_index(index)}; with nan_policy='raise' every value "
            f"must be a number (use nan_policy='propagate' to get NaN results for such series)"
        )


class InfiniteTrajectoryError(InvalidValueError):
    """A trajectory holds +inf or -inf; raised whatever ``nan_policy`` is.

    NaN marks a missing year and can propagate; an infinity is no emission level (+inf would be
    "the peak", -inf a "net zero"), usually an overflow or a division by zero upstream.

    Attributes
    ----------
    index : tuple of int
        Position of the first infinity in the emissions array as it was passed.
    value : float
    """

    def __init__(self, index: tuple[int, ...], value: float, where: str | None = None):
        self.index, self.value = index, value
        super().__init__(
            f"emissions: {show(value)} at {where or f'index {index}'}; trajectories must be finite "
            f"(NaN may mark a missing year, an infinity is an error upstream, e.g. an overflow)"
        )


def check_years(years, n_t: int, name: str = "years") -> np.ndarray:
    """``years`` as a float64 array of length ``n_t``, or an error saying what is wrong.

    Years must be real numbers (not bool, not datetimes), finite, and strictly increasing.
    """
    arr = np.asarray(years)
    if arr.dtype.kind in "iuf" and (arr.ndim != 1 or arr.shape[0] != n_t):
        raise InputError(f"{name}: must be 1-D with one year per step ({n_t}), got shape {arr.shape}")
    # the one time-axis rule of the package (5-year steps are fine for a peak)
    return check_time_values(arr, name, "increasing", sort_hint="np.argsort(years) on the years and the series")


def _raise_infinite(rows: np.ndarray, wild: np.ndarray, batch: tuple[int, ...], axis: int) -> None:
    """:class:`InfiniteTrajectoryError` at the first infinity among the ``wild`` series, by its
    index in the emissions as passed (``rows`` holds them with the year axis moved last)."""
    picked = np.flatnonzero(wild)
    inf = np.isinf(rows[picked])
    if inf.any():
        k, t = np.unravel_index(int(np.argmax(inf)), inf.shape)
        lead = np.unravel_index(int(picked[k]), batch) if batch else ()
        idx = [int(i) for i in lead]
        idx.insert(axis, int(t))
        raise InfiniteTrajectoryError(tuple(idx), float(rows[picked[k], t]))


def _scalar(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputTypeError(f"{name}: must be a real number, got {show(value)}")
    if not math.isfinite(value):
        raise InvalidValueError(f"{name}: must be finite, got {show(value)}")
    return float(value)


def _peak_buffers(out, batch: tuple[int, ...], with_target: bool, emissions: np.ndarray) -> dict:
    """The fields of ``out`` (a :class:`PeakResult`) checked as the kernel's outputs."""
    fields = dict(zip(PeakResult._fields, out_fields(out, PeakResult._fields, "peak")))
    given = {}
    for k, v in fields.items():
        if k == "peaked_by" and v is None and not with_target:
            given[k] = None  # the kernel's peaked_by is then scratch
            continue
        if k == "peaked_by" and v is None:
            raise InputError("out.peaked_by: is None, but a target is given; pass a bool array of the batch shape "
                             f"{batch} (an earlier call's result with a target has one)")
        dtype = np.bool_ if k in ("peaked", "peaked_by", "net_zero") else np.float64
        given[k] = out_array(v, f"out.{k}", batch, dtype)
    check_no_alias({f"out.{k}": v for k, v in given.items()}, {"emissions": emissions})
    return given


def peak(
    emissions,
    years,
    *,
    axis: int = -1,
    threshold: float = 0.0,
    target: float | None = None,
    nan_policy: Literal["propagate", "raise"] = "propagate",
    parallel: bool | None = None,
    out: PeakResult | None = None,
) -> PeakResult:
    """Peak year and value, censoring, net-zero year and cumulative emissions of each trajectory.

    For each series x over strictly increasing years y (Dai et al. 2025, *Green and Low-Carbon
    Economy*, section 4: peak year and value, peaking before 2030, net-zero by 2060):

    - peak: k = first index of max(x) (ties go to the first occurrence, as ``np.argmax``);
      the series has *peaked* when a lower value follows, x[-1] < x[k].  Otherwise it is
      *censored* (no peak within the horizon): still rising at the last year, on a plateau that
      lasts to the last year, or back at its maximum there.  ``peak_year`` is y[k] where peaked,
      NaN where censored; ``peak_value`` is x[k] in both cases (for a censored series a lower
      bound of the eventual peak).
    - ``peaked_by``: peaked and y[k] <= ``target`` (the peak lies in the target year or earlier).
    - net-zero year: the first y[t] with x[t] <= ``threshold``; NaN and ``net_zero`` False when
      no year reaches it.
    - cumulative_emissions: the plain sum of the values over the horizon, Σ_t x[t], in the input's units
      "summed over years" (for annual emissions, the total emitted over the horizon; with
      non-annual steps it is the sum of the listed values, not an integral — interpolate first).

    Parameters
    ----------
    emissions : array_like (..., T, ...)
        Trajectories, finite real numbers (NaN: see ``nan_policy``); negative values (net
        sinks) are allowed.
    years : array_like (T,)
        Year of each step along ``axis``: real, finite, strictly increasing.
    axis : int
        The year axis of ``emissions``.
    threshold : float
        Net-zero threshold, in the units of ``emissions`` (default 0).
    target : float, optional
        Target year for ``peaked_by``; without it ``peaked_by`` is None.
    nan_policy : {"propagate", "raise"}
        "propagate": a series holding any NaN gets NaN years, values and cumulative_emissions, and False
        flags (a gap may hide the peak or the threshold crossing, so nothing is skipped).
        "raise": :class:`NaNTrajectoryError` at the first NaN.
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical results).  Default:
        parallel from ``parallel_threshold`` elements (:func:`fastcarbon.set_options`) when
        more than one thread is available.
    out : PeakResult, optional
        Arrays to write into: a :class:`PeakResult` (or a tuple in its field order) as this
        function returns, e.g. an earlier call's result for emissions of the same shape:
        C-contiguous, writeable, float64 for the years, values and sums and bool for the flags,
        shaped like ``emissions`` without ``axis``, not sharing memory with ``emissions``.
        ``peaked_by`` may be None when no ``target`` is given (an array is needed with one).
        Returns the result on those arrays, bit-identical to the allocating call.

    Returns
    -------
    PeakResult
        Named tuple of arrays shaped like ``emissions`` without ``axis``.

    Raises
    ------
    InputTypeError
        Non-numeric emissions or years, non-numeric threshold or target.
    InputError
        ``years`` of the wrong shape, an empty year axis, a bad ``axis`` or ``nan_policy``.
    InvalidValueError
        Years not finite or not strictly increasing, a non-finite threshold or target.
    NaNTrajectoryError
        NaN in ``emissions`` with ``nan_policy="raise"``.
    InfiniteTrajectoryError
        +inf or -inf in ``emissions`` (whatever ``nan_policy``).
    OverflowResultError
        Finite emissions whose sum over the years (``cumulative_emissions``) exceeds the
        float64 range.

    Examples
    --------
    >>> import numpy as np
    >>> from fastcarbon.core.peaks import peak
    >>> x = np.array([[100.0, 108.0, 104.0, 60.0, -2.0],    # peaks, then net zero
    ...               [100.0, 104.0, 108.0, 112.0, 115.0],  # still rising: censored
    ...               [100.0, 108.0, 108.0, 90.0, 80.0]])   # tie: first occurrence
    >>> r = peak(x, [2020, 2030, 2040, 2050, 2060], target=2030)
    >>> r.peak_year, r.peaked, r.peaked_by
    (array([2030.,   nan, 2030.]), array([ True, False,  True]), array([ True, False,  True]))
    >>> r.peak_value, r.net_zero_year, r.cumulative_emissions
    (array([108., 115., 108.]), array([2060.,   nan,   nan]), array([370., 539., 486.]))
    """
    x = np.asarray(emissions)
    if x.dtype.kind not in "iuf":
        raise InputTypeError(f"emissions: data must be real numbers (int or float), got dtype {x.dtype}")
    if nan_policy not in ("propagate", "raise"):
        raise InputError(f"nan_policy must be 'propagate' or 'raise', got {show(nan_policy)}")
    if x.ndim == 0:
        raise InputError("emissions: needs a year axis, got a scalar")
    if not -x.ndim <= axis < x.ndim:
        raise InputError(f"axis {axis} is out of range for emissions with {x.ndim} dims (shape {x.shape})")
    axis %= x.ndim
    n_t = x.shape[axis]
    if n_t == 0:
        raise InputError(f"emissions: the year axis ({axis}) is empty; at least one year is needed")
    y = check_years(years, n_t)
    threshold = _scalar(threshold, "threshold")
    target_f = np.nan if target is None else _scalar(target, "target")

    # float64 rows with the year last and contiguous: one compiled signature, one cache entry.
    rows = np.ascontiguousarray(np.moveaxis(x, axis, -1), dtype=np.float64)
    batch = rows.shape[:-1]
    rows = rows.reshape(-1, n_t)
    n_b = rows.shape[0]
    parallel = use_parallel(parallel, rows.size)
    if out is None:
        f = [np.empty(n_b) for _ in range(4)]
        b = [np.empty(n_b, dtype=np.bool_) for _ in range(3)]
    else:
        given = _peak_buffers(out, batch, target is not None, x)
        f = [given[k].reshape(n_b) for k in ("peak_year", "peak_value", "net_zero_year", "cumulative_emissions")]
        b = [given[k].reshape(n_b) if given[k] is not None else np.empty(n_b, dtype=np.bool_)
             for k in ("peaked", "peaked_by", "net_zero")]
    launch(_kernels.peak_stats, _kernels.peak_stats_parallel, parallel,
           rows, y, threshold, target_f, f[0], f[1], b[0], b[1], f[2], b[2], f[3])

    # cumulative_emissions is finite exactly for the finite series that do not overflow: a NaN
    # makes it NaN, an infinity ±inf or NaN.  Only those series are looked at again, so a clean
    # input costs one test per series, not per value.
    wild = ~np.isfinite(f[3])
    if wild.any():
        _raise_infinite(rows, wild, batch, axis)
        nan_rows = np.isnan(f[1])  # peak_value is NaN exactly for the series holding a NaN
        overflow = wild & ~nan_rows
        if overflow.any():
            b0 = int(np.argmax(overflow))
            idx = tuple(int(k) for k in np.unravel_index(b0, batch))
            raise OverflowResultError(
                "cumulative_emissions", idx, float(f[3][b0]),
                hint="the sum over the years exceeds it; check the emissions' units or magnitudes",
            )
        if nan_policy == "raise" and nan_rows.any():
            # The error path only, so the second look at the whole input costs nothing in normal use.
            idx = tuple(int(k) for k in np.argwhere(np.isnan(x))[0])
            raise NaNTrajectoryError(idx)

    if out is not None:
        result = PeakResult(**given)._replace(peaked_by=given["peaked_by"] if target is not None else None)
        # the caller's own object back when it holds exactly these arrays
        return out if isinstance(out, PeakResult) and all(a is b for a, b in zip(out, result)) else result

    def shaped(a):
        return a.reshape(batch)

    return PeakResult(
        peak_year=shaped(f[0]),
        peak_value=shaped(f[1]),
        peaked=shaped(b[0]),
        peaked_by=shaped(b[1]) if target is not None else None,
        net_zero_year=shaped(f[2]),
        net_zero=shaped(b[2]),
        cumulative_emissions=shaped(f[3]),
    )
