"""Exact quantiles along the draw axis, and every summary of Monte Carlo draws in one pass.

**Quantiles** by numpy's default method ("linear", Hyndman & Fan 1996, type 7).  For n values
with order statistics x_(0) <= ... <= x_(n-1) (0-based) and a probability q in [0, 1]::

    h  = (n - 1) q                      (the "virtual index")
    lo = floor(h), hi = lo + 1;  where h >= n - 1: lo = hi = n - 1 and the weight uses lo = -1
    g  = h - lo
    d  = x_(hi) - x_(lo)
    Q  = x_(lo) + d g          if g < 0.5
       = x_(hi) - d (1 - g)    if g >= 0.5

the two expressions of numpy's ``_lerp`` (the second is exact at g = 1 and monotone near it), so
the results are numpy's bit for bit when the order statistics are.  The order statistics come
from *selection*, not sorting: the needed ranks (``lo`` and ``hi`` of every q, and the ranks of
the confidence intervals in :func:`draw_summary`) are found by quickselect on a scratch copy,
divide and conquer over the sorted ranks (the middle rank first, then the ranks below it inside
the part below, the ranks above inside the part above), so several quantiles share the
partitioning; a rank at the edge of its range (the upper neighbour x_(lo+1) once x_(lo) is in
place) is one minimum scan.  Partitioning is a branch-free Lomuto scheme around median-of-three
pivots (values equal to the pivot gathered in a second pass, so ties cost nothing extra), with
insertion sort on short ranges and, after too many rounds (an adversarial order), a sort of what
is left, so the worst case is O(n log n).  For n = 1000 and 3 quantiles, selection took 0.10 s on 12 300 rows where
sorting each row took 0.60 s (one thread), and the branch-free partition 0.10 s where Hoare's
branching one took 0.26 s.

A row holding NaN gives NaN for all its quantiles (as ``np.quantile`` does); the numpy API
raises on NaN instead.

**Draw summaries** (:func:`draw_summary`): one pass per batch row over its (D draws, T years)
slab gives the quantiles with their order-statistic confidence bounds, the mean and standard
deviation over the draws, and the peak statistics of :mod:`fastcarbon.kernels.peaks`: the peak
of a draw is the first year of its maximum, a draw whose maximum is not followed by a lower
value is censored, and a draw holding NaN is censored.

Every work item (a tile of rows) reads its input and writes only its own outputs, in a fixed
order, so the parallel drivers are bit-identical to the serial ones for any thread count.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from fastcarbon.kernels._jit import inline_kernel, kernel, parallel_kernel

__all__ = ["linear_plan", "select", "select_many", "quantile_tiles", "quantile_tiles_parallel", "draw_summary",
           "draw_summary_parallel", "TILE"]

#: columns gathered together when the draw axis is not the last one: a strided column read one
#: at a time touches a cache line per value, 16 neighbouring columns share their lines.
TILE = 16
#: below this length a range is finished by insertion sort
_SMALL = 16


@inline_kernel
def _swap(a, i, j):
    t = a[i]
    a[i] = a[j]
    a[j] = t


@inline_kernel
def _insertion_sort(a, left, right):
    for i in range(left + 1, right + 1):
        v = a[i]
        j = i - 1
        while j >= left and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


@inline_kernel
def _move_extreme(a, left, right, to, smallest):
    best = a[left]
    k_best = left
    if smallest:
        for i in range(left + 1, right + 1):
            if a[i] < best:
                best = a[i]
                k_best = i
    else:
        for i in range(left + 1, right + 1):
            if a[i] > best:
                best = a[i]
                k_best = i
    _swap(a, k_best, to)


@inline_kernel
def _median3(a, b, c):
    if a > b:
        a, b = b, a
    if b > c:
        b = c
    return a if a > b else b


@inline_kernel
def _partition_below(a, left, right, pivot, or_equal):
    """Move the values < pivot (<= pivot with ``or_equal``) of a[left:right+1] to its front;
    returns the end of that front part.  Branch-free (Lomuto's scheme with the swap done
    unconditionally): on random draws half the comparisons of a branching partition are
    mispredicted, which made Hoare's scheme 2.5 times slower here."""
    j = left
    for i in range(left, right + 1):
        v = a[i]
        a[i] = a[j]
        a[j] = v
        if or_equal:
            j += v <= pivot
        else:
            j += v < pivot
    return j


@kernel
def select(a, left, right, k):
    """Partially order ``a[left:right+1]`` in place so that ``a[k]`` is its (k - left)-th
    smallest value, everything in ``a[left:k]`` is <= ``a[k]`` and everything in
    ``a[k+1:right+1]`` is >= it.  ``a`` must hold no NaN.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([5.0, 1.0, 4.0, 2.0, 3.0])
    >>> select(a, 0, 4, 1); float(a[1]), bool((a[:1] <= a[1]).all() and (a[2:] >= a[1]).all())
    (2.0, True)
    """
    # Rounds of a well-behaved quickselect shrink the range geometrically; past this many the
    # order is adversarial and the rest is sorted (introselect's guard).
    budget = 2 * int(math.log2(right - left + 2)) + 8
    while right - left > _SMALL:
        # the smallest or largest of the range is one scan, not a partition (the upper neighbour
        # of a quantile's lower order statistic is the minimum of what lies above it)
        if k == left:
            _move_extreme(a, left, right, left, True)
            return
        if k == right:
            _move_extreme(a, left, right, right, False)
            return
        if budget == 0:
            a[left:right + 1].sort()
            return
        budget -= 1
        pivot = _median3(a[left], a[(left + right) >> 1], a[right])
        j = _partition_below(a, left, right, pivot, False)
        if k < j:
            right = j - 1
            continue
        # a[j:] >= pivot: gather the values equal to the pivot (ties, e.g. repeated draws) so
        # that the range always shrinks by at least the pivot
        j2 = _partition_below(a, j, right, pivot, True)
        if k < j2:
            return
        left = j2
    _insertion_sort(a, left, right)


@kernel
def select_many(a, ks, stack):
    """Partially order ``a`` in place so that ``a[k]`` is its k-th smallest value (0-based) for
    every k of ``ks`` (sorted, unique, in [0, len(a))).  ``stack``: int64 scratch of at least
    4 (len(ks) + 1) values.  ``a`` must hold no NaN.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([9.0, 7.0, 8.0, 1.0, 3.0, 2.0, 6.0, 5.0, 4.0, 0.0])
    >>> select_many(a, np.array([0, 4, 9]), np.empty(16, np.int64)); a[[0, 4, 9]].tolist()
    [0.0, 4.0, 9.0]
    """
    # (first rank, last rank, left, right) segments still to do, as a stack (at most len(ks) + 1
    # deep: each segment popped pushes at most two)
    stack[0] = 0
    stack[1] = ks.shape[0] - 1
    stack[2] = 0
    stack[3] = a.shape[0] - 1
    top = 1
    while top > 0:
        top -= 1
        r0 = stack[4 * top]
        r1 = stack[4 * top + 1]
        left = stack[4 * top + 2]
        right = stack[4 * top + 3]
        if r0 > r1:
            continue
        m = (r0 + r1) >> 1
        k = ks[m]
        select(a, left, right, k)
        if r0 < m:
            stack[4 * top] = r0
            stack[4 * top + 1] = m - 1
            stack[4 * top + 2] = left
            stack[4 * top + 3] = k - 1
            top += 1
        if m < r1:
            stack[4 * top] = m + 1
            stack[4 * top + 1] = r1
            stack[4 * top + 2] = k + 1
            stack[4 * top + 3] = right
            top += 1


@kernel
def linear_plan(n, q, extra):
    """The ranks and weights of numpy's "linear" quantiles of ``n`` values (module docstring).

    Parameters
    ----------
    n : int
        Number of values, >= 1.
    q : float64 array (Q,)
        Probabilities in [0, 1].
    extra : int64 array (E,)
        Further 0-based ranks wanted (e.g. confidence bounds), in [0, n); may be empty.

    Returns
    -------
    ks : int64 array (K,)
        The sorted unique ranks to select.
    lo_at, hi_at : int64 arrays (Q,)
        Position in ``ks`` of the lower and upper order statistic of each q.
    gamma : float64 array (Q,)
        The interpolation weight g of each q.
    extra_at : int64 array (E,)
        Position in ``ks`` of each ``extra`` rank.

    Examples
    --------
    >>> import numpy as np
    >>> ks, lo_at, hi_at, g, _ = linear_plan(5, np.array([0.5, 0.9, 1.0]), np.empty(0, np.int64))
    >>> ks.tolist(), ks[lo_at].tolist(), ks[hi_at].tolist(), g.tolist()
    ([2, 3, 4], [2, 3, 4], [3, 4, 4], [0.0, 0.6000000000000001, 5.0])
    """
    n_q = q.shape[0]
    lo = np.empty(n_q, np.int64)
    hi = np.empty(n_q, np.int64)
    gamma = np.empty(n_q)
    for i in range(n_q):
        h = (n - 1) * q[i]
        f = math.floor(h)
        if h >= n - 1:  # numpy's "above bounds": both neighbours are the maximum, index -1
            lo[i] = n - 1
            hi[i] = n - 1
            gamma[i] = h + 1.0
        else:
            lo[i] = int(f)
            hi[i] = int(f) + 1
            gamma[i] = h - f
    every = np.concatenate((lo, hi, extra))
    ks = np.unique(every)
    lo_at = np.searchsorted(ks, lo)
    hi_at = np.searchsorted(ks, hi)
    extra_at = np.searchsorted(ks, extra)
    return ks, lo_at, hi_at, gamma, extra_at


@inline_kernel
def _lerp(a, b, g):
    d = b - a
    if g >= 0.5:
        return b - d * (1.0 - g)
    return a + d * g


@inline_kernel
def _tile_quantiles(x, p, s0, width, lo_at, hi_at, gamma, ks, out, scratch, picked, stack):
    """Gather columns s0 .. s0 + width - 1 of x[p] into scratch rows, select, interpolate."""
    n = x.shape[1]
    for d in range(n):
        for s in range(width):
            scratch[s, d] = x[p, d, s0 + s]
    n_q = gamma.shape[0]
    for s in range(width):
        row = scratch[s]
        clean = True
        for d in range(n):
            clean &= row[d] == row[d]
        if not clean:
            for i in range(n_q):
                out[i, p, s0 + s] = np.nan
            continue
        select_many(row, ks, stack)
        for j in range(ks.shape[0]):
            picked[j] = row[ks[j]]
        for i in range(n_q):
            out[i, p, s0 + s] = _lerp(picked[lo_at[i]], picked[hi_at[i]], gamma[i])


@inline_kernel
def _quantile_item(x, item, n_tiles, lo_at, hi_at, gamma, ks, out):
    n = x.shape[1]
    n_s = x.shape[2]
    tile = TILE if n_s > 1 else 1
    p = item // n_tiles
    s0 = (item % n_tiles) * tile
    width = min(tile, n_s - s0)
    scratch = np.empty((tile, n))
    picked = np.empty(ks.shape[0])
    stack = np.empty(4 * (ks.shape[0] + 1), np.int64)
    _tile_quantiles(x, p, s0, width, lo_at, hi_at, gamma, ks, out, scratch, picked, stack)


@kernel
def quantile_tiles(x, q, out):
    """Quantiles of ``x`` along its middle axis, numpy's "linear" method, serial (GIL released).

    Parameters
    ----------
    x : float64 array (P, N, S), any strides
        N >= 1 values per (p, s); axis 1 is reduced.
    q : float64 array (Q,)
        Probabilities in [0, 1] (not checked here: the numpy API checks them).
    out : float64 array (Q, P, S), written
        ``out[i, p, s]`` = ``np.quantile(x[p, :, s], q[i])``; NaN where x[p, :, s] holds NaN.

    Notes
    -----
    Callable from a user's own ``@numba.njit`` code; bit-identical to
    :func:`quantile_tiles_parallel`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(12.0).reshape(1, 4, 3)
    >>> out = np.empty((2, 1, 3))
    >>> quantile_tiles(x, np.array([0.5, 1.0]), out); out[:, 0].tolist()
    [[4.5, 5.5, 6.5], [9.0, 10.0, 11.0]]
    """
    n_s = x.shape[2]
    tile = TILE if n_s > 1 else 1
    n_tiles = (n_s + tile - 1) // tile
    ks, lo_at, hi_at, gamma, _ = linear_plan(x.shape[1], q, np.empty(0, np.int64))
    for item in range(x.shape[0] * n_tiles):
        _quantile_item(x, item, n_tiles, lo_at, hi_at, gamma, ks, out)


# A separate Python function, not `quantile_tiles` compiled twice: numba's on-disk cache keys on
# the function and signature, not on the `parallel` flag (see kernels/accounting.py).
@parallel_kernel
def quantile_tiles_parallel(x, q, out):
    """Multi-threaded :func:`quantile_tiles`: tiles shared among threads, bit-identical results."""
    n_s = x.shape[2]
    tile = TILE if n_s > 1 else 1
    n_tiles = (n_s + tile - 1) // tile
    ks, lo_at, hi_at, gamma, _ = linear_plan(x.shape[1], q, np.empty(0, np.int64))
    for item in prange(x.shape[0] * n_tiles):
        _quantile_item(x, item, n_tiles, lo_at, hi_at, gamma, ks, out)


@inline_kernel
def _summary_row(e, b, lo_at, hi_at, gamma, ks, ci_lo_at, ci_hi_at, t_target, target,
                 quant, q_low, q_high, mean, std, peak_count, below, slab, picked, stack):
    """Every summary of batch row ``b``; returns the number of censored draws."""
    n_d = e.shape[1]
    n_t = e.shape[3]
    p = b // e.shape[2]
    s = b % e.shape[2]
    last = n_t - 1
    n_cens = 0
    n_below = 0
    for t in range(n_t):
        peak_count[b, t] = 0.0
    for d in range(n_d):
        # the peak scan of kernels/peaks.py, fused with the transposing copy into the slab
        best = e[p, d, s, 0]
        k_best = 0
        clean = True
        for t in range(n_t):
            v = e[p, d, s, t]
            slab[t, d] = v
            clean &= v == v
            if v > best:
                best = v
                k_best = t
        if clean and e[p, d, s, last] < best:
            peak_count[b, k_best] += 1.0
        else:
            n_cens += 1
        if t_target >= 0 and e[p, d, s, t_target] <= target[b]:  # NaN is never below
            n_below += 1
    if t_target >= 0:
        below[b] = n_below / n_d
    n_q = gamma.shape[0]
    for t in range(n_t):
        row = slab[t]
        total = 0.0
        for d in range(n_d):
            total += row[d]
        m = total / n_d
        ss = 0.0
        for d in range(n_d):
            dv = row[d] - m
            ss += dv * dv
        mean[b, t] = m
        std[b, t] = math.sqrt(ss / n_d)
        if m != m:  # a NaN draw (or inf - inf): no order statistics
            for i in range(n_q):
                quant[i, b, t] = np.nan
                q_low[i, b, t] = np.nan
                q_high[i, b, t] = np.nan
            continue
        select_many(row, ks, stack)
        for j in range(ks.shape[0]):
            picked[j] = row[ks[j]]
        for i in range(n_q):
            quant[i, b, t] = _lerp(picked[lo_at[i]], picked[hi_at[i]], gamma[i])
            q_low[i, b, t] = picked[ci_lo_at[i]]
            q_high[i, b, t] = picked[ci_hi_at[i]]
    return n_cens


@inline_kernel
def _summary_rows(e, b0, b1, q, ci_lo, ci_hi, t_target, target, quant, q_low, q_high, mean, std,
                  peak_count, censored, below):
    n_d = e.shape[1]
    n_t = e.shape[3]
    ks, lo_at, hi_at, gamma, extra_at = linear_plan(n_d, q, np.concatenate((ci_lo, ci_hi)))
    n_q = q.shape[0]
    ci_lo_at = extra_at[:n_q]
    ci_hi_at = extra_at[n_q:]
    slab = np.empty((n_t, n_d))
    picked = np.empty(ks.shape[0])
    stack = np.empty(4 * (ks.shape[0] + 1), np.int64)
    for b in range(b0, b1):
        n_cens = _summary_row(e, b, lo_at, hi_at, gamma, ks, ci_lo_at, ci_hi_at, t_target, target,
                              quant, q_low, q_high, mean, std, peak_count, below, slab, picked, stack)
        censored[b] = n_cens / n_d


@kernel
def draw_summary(e, q, ci_lo, ci_hi, t_target, target, quant, q_low, q_high, mean, std,
                 peak_count, censored, below):
    """Quantiles with confidence bounds, mean, std and peak counts of Monte Carlo draws, serial.

    Parameters
    ----------
    e : float64 array (P, D, S, T), any strides
        D >= 1 draws of B = P·S trajectories over T >= 1 years: batch row b = p·S + s is
        e[p, :, s, :] (so draws between batch axes need no copy: ``x.reshape(P, D, S, T)``).
    q : float64 array (Q,)
        Probabilities in [0, 1].
    ci_lo, ci_hi : int64 arrays (Q,)
        0-based ranks of the lower and upper confidence bound of each quantile.
    t_target : int
        Year index for ``below``; -1: not computed.
    target : float64 array (B,)
        Threshold of each row for ``below``.
    quant, q_low, q_high : float64 arrays (Q, B, T), written
        The quantiles (numpy's "linear") and the order statistics at ``ci_lo``, ``ci_hi``;
        NaN where a draw is NaN in that year.
    mean, std : float64 arrays (B, T), written
        Mean and standard deviation (ddof 0, two passes) over the draws, summed in draw order.
    peak_count : float64 array (B, T), written
        Number of draws peaking in each year (censored and NaN draws excluded).
    censored : float64 array (B,), written
        Share of censored draws (NaN draws included).
    below : float64 array (B,), written when t_target >= 0
        Share of draws with e[p, d, s, t_target] <= target[b] (NaN counts as not below).

    Notes
    -----
    Scratch: one (T, D) slab per thread.  Bit-identical to :func:`draw_summary_parallel`.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.array([[1.0, 3.0, 2.0], [1.0, 2.0, 3.0], [4.0, 2.0, 1.0], [2.0, 3.0, 0.0]])[None, :, None, :]
    >>> f = [np.empty((1, 1, 3)) for _ in range(3)] + [np.empty((1, 3)) for _ in range(3)]
    >>> cens, below = np.empty(1), np.empty(1)
    >>> draw_summary(e, np.array([0.5]), np.array([0]), np.array([3]), 2,
    ...              np.array([1.5]), *f, cens, below)
    >>> f[0][0, 0].tolist(), f[5][0].tolist(), float(cens[0]), float(below[0])
    ([1.5, 2.5, 1.5], [1.0, 2.0, 0.0], 0.25, 0.5)
    """
    _summary_rows(e, 0, e.shape[0] * e.shape[2], q, ci_lo, ci_hi, t_target, target, quant, q_low, q_high, mean,
                  std, peak_count, censored, below)


@parallel_kernel
def draw_summary_parallel(e, q, ci_lo, ci_hi, t_target, target, quant, q_low, q_high, mean, std,
                          peak_count, censored, below):
    """Multi-threaded :func:`draw_summary`: rows shared among threads, bit-identical results."""
    n_b = e.shape[0] * e.shape[2]
    # a few more blocks than threads (one slab each) balance rows of uneven selection cost
    n_blocks = min(n_b, 8 * 64)
    for k in prange(n_blocks):
        b0 = (k * n_b) // n_blocks
        b1 = ((k + 1) * n_b) // n_blocks
        _summary_rows(e, b0, b1, q, ci_lo, ci_hi, t_target, target, quant, q_low, q_high, mean,
                      std, peak_count, censored, below)
