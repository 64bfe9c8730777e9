"""Summaries of Monte Carlo draws with their Monte Carlo errors, on plain numpy arrays.

One call reduces the draw axis of emissions (..., D, ..., T) to everything a sweep reports: the
quantile bands with distribution-free confidence intervals, the mean and standard deviation with
the standard error of the mean, the probability of having peaked by each year, the peak-year
distribution and the censored share, and the probability of being at or below a target, each
probability with its binomial standard error; :func:`draws_needed` says how many draws a
stated precision needs.  The work is one fused kernel pass per batch row
(:func:`fastcarbon.kernels.quantile.draw_summary`).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal, NamedTuple

import numpy as np

from fastcarbon._format import show
from fastcarbon.core._common import launch, named_buffers, same_or_new, show_number, use_parallel, writeable
from fastcarbon.core.peaks import check_years
from fastcarbon.core.quantiles import check_probabilities, raise_nonfinite
from fastcarbon.errors import (
    InputError,
    InputTypeError,
    InvalidValueError,
    NonFiniteSampleError,
    OverflowResultError,
    ShapeError,
)
from fastcarbon.kernels import quantile as _kernels

__all__ = ["DrawSummary", "summarize_draws", "draws_needed", "order_statistic_interval", "normal_quantile"]


class DrawSummary(NamedTuple):
    """What :func:`summarize_draws` returns; ``batch`` is the emissions' shape without the draw
    and year axes, Q the number of quantiles, T the number of years."""

    #: (Q, *batch, T) the quantiles over the draws (numpy's "linear" method)
    quantile: np.ndarray
    #: (Q, *batch, T) lower bound of each quantile's confidence interval, an order statistic
    quantile_low: np.ndarray
    #: (Q, *batch, T) upper bound of each quantile's confidence interval, an order statistic
    quantile_high: np.ndarray
    #: (Q,) whether the interval reaches the stated level (False: too few draws, the sample range)
    quantile_ci_exact: np.ndarray
    #: (Q,) the interval's coverage P(l <= B < u), B ~ Binomial(n, q), for continuous draws
    quantile_ci_coverage: np.ndarray
    #: (*batch, T) mean over the draws
    mean: np.ndarray
    #: (*batch, T) standard deviation over the draws (ddof 0)
    std: np.ndarray
    #: (*batch, T) standard error of the mean, std / sqrt(D)
    mean_se: np.ndarray
    #: (*batch, T) P(peak year <= years[t]); censored draws never count
    peak_probability: np.ndarray
    #: (*batch, T) its binomial standard error sqrt(p (1 - p) / D)
    peak_probability_se: np.ndarray
    #: (*batch, T) share of draws peaking in years[t]
    peak_year_probability: np.ndarray
    #: (*batch,) share of draws with no peak within the horizon (NaN draws included)
    censored_share: np.ndarray
    #: (*batch,) its binomial standard error
    censored_share_se: np.ndarray
    #: (*batch,) P(E[target_year] <= target); None without a target
    prob_below: np.ndarray | None
    #: (*batch,) its binomial standard error; None without a target
    prob_below_se: np.ndarray | None
    #: D, the number of draws
    n_draws: int


def normal_quantile(p: float) -> float:
    """Φ⁻¹(p), the standard normal quantile (scipy's ``ndtri``)."""
    from scipy.special import ndtri

    return float(ndtri(p))


def _check_level(level) -> float:
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.integer, np.floating)):
        raise InputTypeError(f"level: must be a number in (0, 1), got {show(level)}")
    if not 0.0 < float(level) < 1.0:
        raise InvalidValueError(f"level: must be in (0, 1) (e.g. 0.95), got {show(level)}")
    return float(level)


@lru_cache(maxsize=512)
def order_statistic_interval(n: int, q: float, level: float = 0.95) -> tuple[int, int, float, bool]:
    """Ranks of the distribution-free confidence interval for the q-quantile from n draws.

    The number B of draws below the true quantile ξ_q is Binomial(n, q), so for the order
    statistics x_(1) <= ... <= x_(n) (1-based) of continuous draws

    .. math::

        P\\left(x_{(l)} \\le \\xi_q < x_{(u)}\\right) = P(l \\le B < u)
        = F(u - 1) - F(l - 1),

    with F the Binomial(n, q) CDF (Conover 1999, *Practical Nonparametric Statistics*, 3rd ed.,
    section 3.2; Hahn & Meeker 1991, *Statistical Intervals*, section 5.2).  The interval returned
    is the shortest in ranks: the smallest u - l whose best placement reaches ``level``; among
    placements of that width, the one of largest coverage (then the lowest l).  For discrete draws
    (ties) the coverage is at least this.

    Returns
    -------
    (l, u, coverage, exact) : (int, int, float, bool)
        1-based ranks with 1 <= l <= u <= n, the coverage P(l <= B < u), and whether it reaches
        ``level``.  When no interval does (too few draws for this q and level, e.g. q = 0 or 1,
        or n = 1), the sample range (1, n) and ``exact`` False.

    Examples
    --------
    >>> l, u, coverage, exact = order_statistic_interval(1000, 0.5)
    >>> l, u, round(coverage, 4), exact
    (469, 531, 0.95, True)
    >>> l, u, coverage, exact = order_statistic_interval(20, 0.05)  # too few draws for 95 %
    >>> l, u, round(coverage, 4), exact
    (1, 20, 0.6415, False)
    """
    # scipy.special, not scipy.stats.binom: importing scipy.stats took 0.45 s of a process's first
    # summarize_draws call; the values agree with binom.cdf to 3e-14 (n up to 1e5, scipy 1.17)
    from scipy.special import betainc

    if n < 2:
        return 1, n, 0.0, False
    # below[j] = P(B < j) for j = 0 .. n, so coverage(l, u) = below[u] - below[l]; the Binomial(n, q)
    # CDF P(B <= k) is the regularised incomplete beta I_{1-q}(n - k, k + 1) (Abramowitz & Stegun
    # 26.5.24 with I_x(a, b) = 1 - I_{1-x}(b, a)); n - k >= 1 here
    k = np.arange(n)
    below = np.concatenate(([0.0], betainc(n - k, k + 1, 1.0 - q)))

    def best(w):
        cov = below[1 + w:n + 1] - below[1:n + 1 - w]  # l = 1 .. n - w
        j = int(np.argmax(cov))
        return j + 1, float(cov[j])

    l_max, c_max = best(n - 1)
    if c_max < level:
        return 1, n, c_max, False
    lo, hi = 1, n - 1  # the best coverage grows with the width: bisect for the smallest
    while lo < hi:
        mid = (lo + hi) // 2
        if best(mid)[1] >= level:
            hi = mid
        else:
            lo = mid + 1
    l, c = best(lo)
    return l, l + lo, c, True


def _raise_first(x: np.ndarray, mask: np.ndarray, hint: str) -> None:
    idx = tuple(int(k) for k in np.argwhere(mask)[0])
    raise NonFiniteSampleError("e", idx, float(x[idx]), hint)


def _target_index(target_year, years: np.ndarray) -> int:
    if isinstance(target_year, (bool, np.bool_)) or not isinstance(target_year, (int, float, np.integer, np.floating)):
        raise InputTypeError(f"target_year: must be a year (a number), got {show(target_year)}")
    hit = np.flatnonzero(years == float(target_year))
    if hit.size == 0:
        raise InputError(f"target_year: {show(target_year)} is not one of the years "
                         f"({show_number(years[0])}..{show_number(years[-1])}, {years.size} of them)")
    return int(hit[0])


def summarize_draws(
    e,
    years,
    *,
    quantiles=(0.05, 0.5, 0.95),
    level: float = 0.95,
    target=None,
    target_year=None,
    axis: int = 0,
    nan_policy: Literal["raise", "propagate"] = "raise",
    parallel: bool | None = None,
    out: DrawSummary | None = None,
) -> DrawSummary:
    """Quantile bands, peak probabilities, mean and target probability of Monte Carlo draws,
    each with its Monte Carlo error, in one pass.

    With D draws along ``axis`` and the years last, for every batch row and year:

    - quantiles by numpy's "linear" method (:func:`fastcarbon.core.quantile`) and their
      distribution-free ``level`` confidence intervals [x_(l), x_(u)], order statistics whose
      ranks come from Binomial(D, q) (:func:`order_statistic_interval`; Conover 1999, section 3.2);
      where D draws are too few for ``level`` (e.g. q = 0 or 1) the interval is the sample range
      and ``quantile_ci_exact`` is False for that q;
    - mean, standard deviation (ddof 0) and the standard error of the mean std/√D;
    - peaks as :func:`fastcarbon.peaks.peak` defines them (Dai et al. 2025, section 4): the peak
      year of a draw is the first year of its maximum; a draw whose maximum is not followed by a
      lower value is censored and never counts as peaked (nor does a draw holding NaN under
      ``nan_policy="propagate"``).  ``peak_year_probability[t]`` is the share of draws peaking
      in years[t], ``peak_probability[t]`` = P(peak year <= years[t]) its running sum, and
      ``censored_share`` = 1 - peak_probability[-1];
    - with ``target`` and ``target_year``: ``prob_below`` = P(E[target_year] <= target);
    - every probability p with its binomial standard error √(p(1 - p)/D).

    Parameters
    ----------
    e : array_like (..., D, ..., T)
        Real numbers: draws along ``axis``, years along the last axis, any other axes batch.
    years : array_like (T,)
        Strictly increasing years.
    quantiles : sequence of float
        Probabilities in [0, 1], in the order wanted.
    level : float
        Confidence level of the quantiles' intervals, in (0, 1).
    target : float or array_like, optional
        Threshold(s) in the units of ``e``, broadcastable to the batch shape; needs ``target_year``.
    target_year : number, optional
        One of ``years``; without ``target`` it is not used (``prob_below`` is None).
    axis : int
        The draw axis; not the last (the year) axis.
    nan_policy : {"raise", "propagate"}
        "raise": :class:`~fastcarbon.errors.NonFiniteSampleError` at the first NaN.  "propagate":
        a NaN draw is censored and not below target, and the quantiles, mean and std of the years
        it is NaN in are NaN.  Infinities always raise.
    parallel : bool, optional
        Serial or multi-threaded kernel (bit-identical); default by size
        (``parallel_threshold``, :func:`fastcarbon.set_options`).
    out : DrawSummary, optional
        Arrays to write into, as this function returns them (e.g. an earlier call's result for
        draws of the same shape and the same quantiles): C-contiguous, writeable, float64 (bool
        for ``quantile_ci_exact``), not sharing memory with ``e`` or each other; ``prob_below``
        and ``prob_below_se`` may be None without a target; ``n_draws`` is not read.  Returned,
        filled, bit-identical to the allocating call, with no draw-sized temporary.

    Returns
    -------
    DrawSummary
        Named tuple of numpy arrays (see :class:`DrawSummary`).

    Raises
    ------
    InputTypeError, InputError, ShapeError, InvalidValueError
        Non-numeric or empty data, a bad ``axis``, ``years``, ``quantiles``, ``level``,
        ``target`` or ``target_year``.
    NonFiniteSampleError
        NaN (with ``nan_policy="raise"``) or an infinity in ``e``.
    OverflowResultError
        Finite draws whose sum over the draws overflows (the mean).

    Notes
    -----
    Memory: the outputs plus one (T, D) float64 scratch slab per thread (and per block of rows
    under ``parallel``); ``e`` is not copied when it is C-ordered float64, whatever ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastcarbon.core import summarize_draws
    >>> e = np.array([[1.0, 3.0, 2.0], [1.0, 2.0, 3.0], [4.0, 2.0, 1.0], [2.0, 3.0, 0.0]])
    >>> s = summarize_draws(e, [2020, 2021, 2022], quantiles=[0.5], target=1.5, target_year=2022)
    >>> s.quantile[0].tolist(), s.peak_probability.tolist(), float(s.censored_share)
    ([1.5, 2.5, 1.5], [0.25, 0.75, 0.75], 0.25)
    >>> float(s.prob_below), round(float(s.prob_below_se), 3), s.n_draws
    (0.5, 0.25, 4)
    """
    x = np.asarray(e)
    if x.dtype.kind not in "iuf":
        raise InputTypeError(f"e: data must be real numbers (int or float), got dtype {x.dtype}")
    if nan_policy not in ("raise", "propagate"):
        raise InputError(f"nan_policy: must be 'raise' or 'propagate', got {show(nan_policy)}")
    if x.ndim < 2:
        raise InputError(f"e: needs a draw axis and a year axis (the last), got shape {x.shape}")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise InputTypeError(f"axis: must be an integer, got {show(axis)}")
    if not -x.ndim <= axis < x.ndim - 1 and axis != -x.ndim:
        if axis in (-1, x.ndim - 1):
            raise InputError(f"axis: {show(axis)} is the year axis (the last); the draws must be on another axis")
        raise InputError(f"axis: {show(axis)} is out of range for e with {x.ndim} dims (shape {x.shape})")
    axis = int(axis) % x.ndim
    if axis == x.ndim - 1:
        raise InputError(f"axis: {show(axis)} is the year axis (the last); the draws must be on another axis")
    n_d, n_t = x.shape[axis], x.shape[-1]
    if n_d == 0 or n_t == 0:
        raise ShapeError(f"e: needs at least one draw and one year, got shape {x.shape} (draw axis {axis})")
    y = check_years(years, n_t)
    qs, _ = check_probabilities(quantiles, "quantiles")
    level = _check_level(level)
    batch = x.shape[:axis] + x.shape[axis + 1:-1]
    n_b = int(np.prod(batch, dtype=np.int64))
    if target is None:
        t_target = -1
        tgt = np.zeros(n_b)
    else:
        if target_year is None:
            raise InputError("target: needs target_year, the year whose emissions are compared with it")
        t_target = _target_index(target_year, y)
        tv = np.asarray(target)
        if tv.dtype.kind not in "iuf":
            raise InputTypeError(f"target: must be numbers, got {show(target)} (dtype {tv.dtype})")
        try:
            tgt = writeable(np.ascontiguousarray(np.broadcast_to(tv.astype(np.float64), batch)).reshape(n_b))
        except ValueError:
            raise InputError(f"target: shape {tv.shape} does not broadcast to the batch shape {batch}") from None
        raise_nonfinite(tgt.reshape(batch), "target")

    ranks = [order_statistic_interval(n_d, float(v), level) for v in qs]
    ci_lo = np.array([r[0] - 1 for r in ranks], dtype=np.int64)
    ci_hi = np.array([r[1] - 1 for r in ranks], dtype=np.int64)

    # (P, D, S, T) with the batch axes before and after the draws merged: a view of C-ordered
    # input (and of the moved-axis views xarray passes), whatever axis the draws are on
    pre = int(np.prod(x.shape[:axis], dtype=np.int64))
    post = int(np.prod(x.shape[axis + 1:-1], dtype=np.int64))
    slabs = x.astype(np.float64, copy=False).reshape(pre, n_d, post, n_t)
    n_q = qs.size
    if out is None:
        quant, q_low, q_high = (np.empty((n_q, n_b, n_t)) for _ in range(3))
        mean, std, peak_count = (np.empty((n_b, n_t)) for _ in range(3))
        censored, below = np.empty(n_b), np.full(n_b, np.nan)
    else:
        given = _summary_buffers(out, n_q, batch, n_t, t_target >= 0, x)
        quant, q_low, q_high = (given[k].reshape(n_q, n_b, n_t) for k in ("quantile", "quantile_low", "quantile_high"))
        mean, std = given["mean"].reshape(n_b, n_t), given["std"].reshape(n_b, n_t)
        # the kernel's peak counts go straight into peak_year_probability, divided by D below
        peak_count = given["peak_year_probability"].reshape(n_b, n_t)
        censored = given["censored_share"].reshape(n_b)
        below = given["prob_below"].reshape(n_b) if t_target >= 0 else np.empty(n_b)
        below.fill(np.nan)
    if n_b:
        launch(_kernels.draw_summary, _kernels.draw_summary_parallel, use_parallel(parallel, x.size),
               slabs, qs, ci_lo, ci_hi, t_target, tgt, quant, q_low, q_high, mean, std, peak_count, censored, below)

    # The mean is finite exactly for the rows and years without NaN, infinity or overflow: only
    # those columns are looked at again, so clean input costs one test per output value.
    wild = ~np.isfinite(mean)
    if wild.any():
        bw, tw = np.nonzero(wild)
        cols = slabs[bw // post, :, bw % post, tw]  # (wild cells, D): only those columns are read
        has_nan = np.isnan(cols).any(axis=1)
        hint = "drop or fill the broken draws first"
        if np.isinf(cols).any():
            _raise_first(x, np.isinf(x), hint + "; an infinity is an error upstream, e.g. an overflow")
        if nan_policy == "raise" and has_nan.any():
            _raise_first(x, np.isnan(x), hint + "; nan_policy='propagate' makes a NaN draw censored and its "
                         "years' quantiles NaN")
        if not has_nan.all():
            j = int(np.argmax(~has_nan))
            b, t = int(bw[j]), int(tw[j])
            idx = tuple(int(k) for k in np.unravel_index(b, batch)) if batch else ()
            raise OverflowResultError("mean", (*idx, t), float(mean[b, t]),
                                      hint="the sum over the draws exceeds it; check the draws' magnitudes")

    root = math.sqrt(n_d)
    if out is not None:
        return _summary_into(out, given, ranks, n_d, root, t_target >= 0)
    peak_year_p = peak_count / n_d
    peak_p = np.cumsum(peak_count, axis=1) / n_d
    cens = censored

    def se(p):
        return np.sqrt(p * (1.0 - p) / n_d)

    prob_below = below.reshape(batch) if t_target >= 0 else None
    return DrawSummary(
        quantile=quant.reshape(n_q, *batch, n_t),
        quantile_low=q_low.reshape(n_q, *batch, n_t),
        quantile_high=q_high.reshape(n_q, *batch, n_t),
        quantile_ci_exact=np.array([r[3] for r in ranks], dtype=bool),
        quantile_ci_coverage=np.array([r[2] for r in ranks]),
        mean=mean.reshape(*batch, n_t),
        std=std.reshape(*batch, n_t),
        mean_se=(std / root).reshape(*batch, n_t),
        peak_probability=peak_p.reshape(*batch, n_t),
        peak_probability_se=se(peak_p).reshape(*batch, n_t),
        peak_year_probability=peak_year_p.reshape(*batch, n_t),
        censored_share=cens.reshape(batch),
        censored_share_se=se(cens).reshape(batch),
        prob_below=prob_below,
        prob_below_se=None if prob_below is None else se(below).reshape(batch),
        n_draws=int(n_d),
    )


def _summary_buffers(out, n_q: int, batch: tuple[int, ...], n_t: int, with_target: bool, e: np.ndarray) -> dict:
    """The fields of ``out`` (a :class:`DrawSummary`) checked as :func:`summarize_draws` writes them."""
    per_year, per_row = (*batch, n_t), tuple(batch)
    specs = {k: ((n_q, *per_year), np.float64) for k in ("quantile", "quantile_low", "quantile_high")}
    specs |= {"quantile_ci_exact": ((n_q,), np.bool_), "quantile_ci_coverage": ((n_q,), np.float64)}
    specs |= {k: (per_year, np.float64) for k in ("mean", "std", "mean_se", "peak_probability",
                                                    "peak_probability_se", "peak_year_probability")}
    specs |= {k: (per_row, np.float64) for k in ("censored_share", "censored_share_se")}
    if with_target:
        specs |= {k: (per_row, np.float64) for k in ("prob_below", "prob_below_se")}
        fields = dict(zip(DrawSummary._fields, out))
        for k in ("prob_below", "prob_below_se"):
            if isinstance(out, tuple) and len(out) == len(DrawSummary._fields) and fields[k] is None:
                raise InputError(f"out.{k}: is None, but a target is given; pass an array of the batch shape {per_row} "
                                 f"(an earlier call's result with a target has one)")
    return named_buffers(out, DrawSummary, "summarize_draws", specs, {"e": e})


def _summary_into(out, given: dict, ranks, n_d: int, root: float, with_target: bool) -> DrawSummary:
    """The derived fields of :func:`summarize_draws` written in place into ``given`` (the same
    operations, in the same order, as the allocating path: the same bits)."""
    def se_into(p, into):  # sqrt(p (1 - p) / D)
        np.subtract(1.0, p, out=into)
        np.multiply(p, into, out=into)
        np.divide(into, n_d, out=into)
        np.sqrt(into, out=into)

    g = given
    g["quantile_ci_exact"][...] = [r[3] for r in ranks]
    g["quantile_ci_coverage"][...] = [r[2] for r in ranks]
    np.divide(g["std"], root, out=g["mean_se"])
    np.cumsum(g["peak_year_probability"], axis=-1, out=g["peak_probability"])  # counts: the running sum first
    np.divide(g["peak_probability"], n_d, out=g["peak_probability"])
    np.divide(g["peak_year_probability"], n_d, out=g["peak_year_probability"])
    se_into(g["peak_probability"], g["peak_probability_se"])
    se_into(g["censored_share"], g["censored_share_se"])
    if with_target:
        se_into(g["prob_below"], g["prob_below_se"])
    else:
        g["prob_below"] = g["prob_below_se"] = None
    return same_or_new(out, DrawSummary(**g, n_draws=int(n_d)))


def draws_needed(p, half_width, level: float = 0.95) -> np.ndarray:
    """Draws needed for a probability estimate to be within ± ``half_width`` at ``level``.

    The normal approximation to the binomial proportion (e.g. Cochran 1977, *Sampling
    Techniques*, 3rd ed., eq. 4.2):

    .. math::

        n = \\left\\lceil \\frac{z^2\\, p (1 - p)}{h^2} \\right\\rceil, \\qquad
        z = Φ^{-1}\\!\\left(\\frac{1 + level}{2}\\right).

    Use the estimated p of a pilot run (or 0.5, the worst case).

    Parameters
    ----------
    p : float or array_like
        Probabilities in [0, 1].
    half_width : float or array_like
        Wanted half-width h of the interval, > 0 (0.01: ±1 percentage point); broadcasts with p.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    numpy.ndarray
        int64, the broadcast shape of ``p`` and ``half_width`` (0-d for scalars); 0 where p is 0 or 1.

    Examples
    --------
    >>> from fastcarbon.core import draws_needed
    >>> int(draws_needed(0.5, 0.01)), draws_needed([0.1, 0.9], 0.01).tolist()
    (9604, [3458, 3458])
    """
    level = _check_level(level)
    pv, hv = np.asarray(p), np.asarray(half_width)
    for name, v in (("p", pv), ("half_width", hv)):
        if v.dtype.kind not in "iuf":
            raise InputTypeError(f"{name}: must be numbers, got {show(v)} (dtype {v.dtype})")
    pv, hv = pv.astype(np.float64), hv.astype(np.float64)
    bad = ~((pv >= 0.0) & (pv <= 1.0))
    if bad.any():
        raise InvalidValueError(f"p: probabilities must be in [0, 1], got {show(pv[bad].reshape(-1)[0])}")
    bad = ~((hv > 0.0) & np.isfinite(hv))
    if bad.any():
        raise InvalidValueError(f"half_width: must be a finite number > 0 (0.01 is ±1 percentage point), "
                                f"got {show(hv[bad].reshape(-1)[0])}")
    try:
        pv, hv = np.broadcast_arrays(pv, hv)
    except ValueError:
        raise InputError(f"p and half_width: shapes {pv.shape} and {hv.shape} do not broadcast") from None
    z = normal_quantile(0.5 * (1.0 + level))
    return np.ceil(z * z * pv * (1.0 - pv) / (hv * hv)).astype(np.int64)
