"""Peak, net-zero and cumulative-emissions kernels: one pass over each trajectory.

For one series x[0..T-1] at years y[0..T-1] (strictly increasing), with threshold h and target
year Y (conventions of Dai et al. 2025, Chongqing CQ-LEAP study, section 4: "peak in 2027 at
101 million t", "peak before 2030", "net-zero by 2060")::

    k            = first index of max(x)                 (ties: first occurrence, as np.argmax)
    peaked       = x[T-1] < x[k]                         (a decline after the maximum is observed)
    peak_year    = y[k] if peaked else NaN               (censored: no peak within the horizon)
    peak_value   = x[k]                                  (the maximum over the horizon, always)
    peaked_by    = peaked and y[k] <= Y
    net_zero     = any x[t] <= h
    net_zero_year= y[first t with x[t] <= h] if net_zero else NaN
    cumulative   = x[0] + x[1] + ... + x[T-1]            (summed in this order)

A series whose maximum is also its last value is *censored*: still rising into the horizon end,
or on a plateau that lasts to the horizon end (``[1, 3, 3]``), or back at its maximum at the end
(``[3, 1, 3]``).  None of these shows the series turning down, so none is reported as a peak.
A series of one year is always censored.

A series holding any NaN gives NaN ``peak_year``, ``peak_value``, ``net_zero_year`` and
``cumulative_emissions`` and False flags: a gap may hide the peak or the crossing of the threshold.
Infinities are not screened here (a second test per value cost 15-50 % on 1e6 × 41 series): a
series holding ±inf, like a finite one whose sum overflows, gets a non-finite
``cumulative_emissions``, by which the numpy API (:func:`fastcarbon.core.peaks.peak`) finds
and rejects it, looking at those series only.

Every work item (one series) reads its row once and writes only its own outputs, summing in a
fixed order, so the parallel driver is bit-identical to the serial one for any thread count.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from fastcarbon.kernels._jit import inline_kernel, kernel, parallel_kernel

__all__ = ["peak_stats", "peak_stats_parallel"]


# Per-row helpers take one array at most and return scalars; the drivers do the stores.  Passing
# the seven output arrays to a per-row helper made numba increment and decrement their reference
# counts on every row (16 atomic operations per 41-value row): the serial driver took 137 ms on
# 1e6 × 41 trajectories, against 32 ms in this form (measured on 2 vCPUs, one thread).
@inline_kernel
def _scan(emissions, b, threshold):
    """The single pass over row ``b``: (max, first index of the max, first index <= threshold or
    -1, the sum in year order, whether the row holds no NaN)."""
    n_t = emissions.shape[1]
    best = emissions[b, 0]
    k_best = 0
    k_zero = -1
    total = 0.0
    clean = True
    for t in range(n_t):
        v = emissions[b, t]
        total += v
        # NaN fails every comparison: it never becomes the maximum, never crosses the threshold.
        clean &= v == v
        if v > best:
            best = v
            k_best = t
        if k_zero < 0 and v <= threshold:
            k_zero = t
    return best, k_best, k_zero, total, clean


@inline_kernel
def _finish(best, year_best, k_zero, year_zero, total, clean, last, target):
    """The outputs of one row from its scan: (peak_year, peak_value, peaked, peaked_by,
    net_zero_year, net_zero, cumulative_emissions); ``year_zero`` is ignored when k_zero < 0."""
    if not clean:
        return np.nan, np.nan, False, False, np.nan, False, np.nan
    # x[0] may be NaN only when the row is not clean, handled above.
    has_peak = last < best
    return (
        year_best if has_peak else np.nan,
        best,
        has_peak,
        has_peak and year_best <= target,  # False for a NaN target
        year_zero if k_zero >= 0 else np.nan,
        k_zero >= 0,
        total,
    )


@kernel
def peak_stats(emissions, years, threshold, target, peak_year, peak_value, peaked, peaked_by,
               net_zero_year, net_zero, cumulative_emissions):
    """Peak, net-zero year and cumulative emissions of each row, serial (GIL released).

    Parameters
    ----------
    emissions : float64 array (B, T)
        One trajectory per row, T >= 1 years.
    years : float64 array (T,)
        Strictly increasing years (not checked here: the numpy API checks them).
    threshold : float
        Net-zero threshold h: the first year with emissions <= h is the net-zero year.
    target : float
        Target year Y for ``peaked_by``; NaN gives False everywhere.
    peak_year, peak_value, net_zero_year, cumulative_emissions : float64 arrays (B,), written
    peaked, peaked_by, net_zero : bool arrays (B,), written
        See the module docstring for the definitions.

    Notes
    -----
    Callable from a user's own ``@numba.njit`` code.  Results are bit-identical to
    :func:`peak_stats_parallel`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 3.0, 2.0, -0.5], [1.0, 2.0, 3.0, 3.0]])
    >>> years = np.array([2020.0, 2030.0, 2040.0, 2050.0])
    >>> f = [np.empty(2) for _ in range(4)]
    >>> b = [np.empty(2, dtype=np.bool_) for _ in range(3)]
    >>> peak_stats(x, years, 0.0, 2030.0, f[0], f[1], b[0], b[1], f[2], b[2], f[3])
    >>> f[0], b[0], b[1]  # peak year, peaked, peaked by 2030
    (array([2030.,   nan]), array([ True, False]), array([ True, False]))
    >>> f[2], f[3]  # net-zero year, cumulative emissions
    (array([2050.,   nan]), array([5.5, 9. ]))
    """
    last = emissions.shape[1] - 1
    for b in range(emissions.shape[0]):
        best, k_best, k_zero, total, clean = _scan(emissions, b, threshold)
        (peak_year[b], peak_value[b], peaked[b], peaked_by[b], net_zero_year[b], net_zero[b],
         cumulative_emissions[b]) = _finish(best, years[k_best], k_zero, years[max(k_zero, 0)],
                                            total, clean, emissions[b, last], target)


# A separate Python function, not `peak_stats` compiled twice: numba's on-disk cache keys on the
# function and signature, not on the `parallel` flag (see kernels/accounting.py).
@parallel_kernel
def peak_stats_parallel(emissions, years, threshold, target, peak_year, peak_value, peaked,
                        peaked_by, net_zero_year, net_zero, cumulative_emissions):
    """Multi-threaded :func:`peak_stats`: rows shared among threads, bit-identical results."""
    last = emissions.shape[1] - 1
    for b in prange(emissions.shape[0]):
        best, k_best, k_zero, total, clean = _scan(emissions, b, threshold)
        (peak_year[b], peak_value[b], peaked[b], peaked_by[b], net_zero_year[b], net_zero[b],
         cumulative_emissions[b]) = _finish(best, years[k_best], k_zero, years[max(k_zero, 0)],
                                            total, clean, emissions[b, last], target)
