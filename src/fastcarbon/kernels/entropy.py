"""Entropy-weight and obstacle-degree kernels (000, eqs. 2–8).

For one batch item b (a city, a scenario, a draw... flattened) holding m rows (years, or cities)
of n indicators ``x[b, i, j]``::

    X[i, j] = (x - min_i x) / (max_i x - min_i x)        positive indicator    (000 eq. 2)
    X[i, j] = (max_i x - x) / (max_i x - min_i x)        negative indicator    (000 eq. 3)
    p[i, j] = X[i, j] / Σ_i X[i, j]                                             (000 eq. 4)
    e[j]    = -(1 / ln m) Σ_i p ln p,   0 ln 0 = 0                              (000 eq. 5)
    d[j]    = 1 - e[j],   w[j] = d[j] / Σ_j d[j]                                (000 eqs. 6-7)
    S[i, j] = 1 - X[i, j],   O[i, j] = S w / Σ_j S w                            (000 eq. 8)

Conventions (see :mod:`fastcarbon.core.entropy` for why):

- a constant indicator (max = min) is standardized to 1 in every row, gets e = 1, d = 0, w = 0
  exactly and ``constant[b, j] = True``;
- when every indicator of b is constant, Σ d = 0 and every weight is 0 (the caller decides
  whether that is an error);
- a row whose weighted deviation Σ_j S w is 0 has no obstacle: O = 0 in that row and
  ``no_obstacle[b, i] = True``;
- ranks are competition ranks ("1224"): rank = 1 + number of indicators with a strictly larger
  obstacle degree, so tied indicators share the better rank.

Every work item b reads its own slice and writes only its own outputs in a fixed order, so the
serial and the ``prange`` drivers give bit-identical results.  Non-finite inputs are detected in
the min/max pass; ``bad[b]`` receives the flat index ``i * n + j`` of the first one in row-major
order (-1 when clean) and the outputs of that b are left unspecified.
"""

from __future__ import annotations

import math

from numba import prange

from fastcarbon.kernels._jit import kernel, parallel_kernel

__all__ = [
    "entropy_weights_one",
    "entropy_weights_serial",
    "entropy_weights_parallel",
    "obstacle_degree_one",
    "obstacle_degree_serial",
    "obstacle_degree_parallel",
]


@kernel
def entropy_weights_one(x, negative, standardized, entropy, difference, weight, constant):
    """Entropy weights of one batch item.

    Parameters
    ----------
    x : float64 (m, n)
        Raw indicator values, m >= 2 rows.
    negative : bool (n,)
        True where a smaller value is better (000 eq. 3).
    standardized : float64 (m, n), out
    entropy, difference, weight : float64 (n,), out
    constant : bool (n,), out

    Returns
    -------
    int
        Flat index ``i * n + j`` of the first non-finite value of ``x``, or -1.
    """
    m, n = x.shape
    # first pass: finiteness, in row-major order so the reported element is the first one
    for i in range(m):
        for j in range(n):
            if not math.isfinite(x[i, j]):
                return i * n + j
    ln_m = math.log(m)
    d_sum = 0.0
    for j in range(n):
        lo = x[0, j]
        hi = lo
        for i in range(1, m):
            v = x[i, j]
            lo = min(lo, v)
            hi = max(hi, v)
        span = hi - lo
        if span == 0.0:
            # every row is at once the worst and the best: standardized to 1 (no deviation),
            # uniform proportions, e = 1 exactly rather than ln m / ln m rounded
            for i in range(m):
                standardized[i, j] = 1.0
            constant[j] = True
            entropy[j] = 1.0
            difference[j] = 0.0
            continue
        constant[j] = False
        col_sum = 0.0
        if span == math.inf:
            # hi - lo overflows (finite values of both signs beyond ±9e307): the same ratios from
            # halved values, which cannot overflow; halving is exact, so X is as accurate.
            span = 0.5 * hi - 0.5 * lo
            for i in range(m):
                v = (0.5 * hi - 0.5 * x[i, j]) / span if negative[j] else (0.5 * x[i, j] - 0.5 * lo) / span
                standardized[i, j] = v
                col_sum += v
        else:
            for i in range(m):
                v = (hi - x[i, j]) / span if negative[j] else (x[i, j] - lo) / span
                standardized[i, j] = v
                col_sum += v
        # col_sum >= 1: the best row standardizes to exactly 1
        h = 0.0
        for i in range(m):
            p = standardized[i, j] / col_sum
            if p > 0.0:
                h += p * math.log(p)
        e = 0.0 - h / ln_m  # 0.0 - h, not -h: a one-hot column gives e = +0.0, not -0.0
        entropy[j] = e
        difference[j] = 1.0 - e
        d_sum += 1.0 - e
    for j in range(n):
        weight[j] = difference[j] / d_sum if d_sum > 0.0 else 0.0
    return -1


@kernel
def entropy_weights_serial(x, negative, standardized, entropy, difference, weight, constant, bad):
    """:func:`entropy_weights_one` over the leading axis of ``x`` (B, m, n); ``bad`` (B,) int64."""
    for b in range(x.shape[0]):
        bad[b] = entropy_weights_one(
            x[b], negative, standardized[b], entropy[b], difference[b], weight[b], constant[b]
        )


@parallel_kernel
def entropy_weights_parallel(x, negative, standardized, entropy, difference, weight, constant, bad):
    """:func:`entropy_weights_serial` with the batch items shared among threads."""
    for b in prange(x.shape[0]):
        bad[b] = entropy_weights_one(
            x[b], negative, standardized[b], entropy[b], difference[b], weight[b], constant[b]
        )


@kernel
def obstacle_degree_one(standardized, weight, deviation, obstacle, rank, main_count, no_obstacle):
    """Obstacle degrees of one batch item.

    Parameters
    ----------
    standardized : float64 (m, n)
        Standardized indicators X in [0, 1].
    weight : float64 (n,)
        Indicator weights w >= 0 (need not sum to 1: O is normalized per row).
    deviation, obstacle : float64 (m, n), out
        S = 1 - X and O = S w / Σ_j S w.
    rank : int64 (m, n), out
        Competition rank of O within each row, 1 = largest obstacle.
    main_count : int64 (n,), out
        Number of rows in which indicator j has rank 1 and O > 0.
    no_obstacle : bool (m,), out
        Rows with Σ_j S w = 0 (their O is 0).

    Returns
    -------
    int
        Flat index of the first standardized value outside [0, 1] (or NaN), or -1.
    """
    m, n = standardized.shape
    for j in range(n):
        main_count[j] = 0
    for i in range(m):
        total = 0.0
        for j in range(n):
            x = standardized[i, j]
            if not (x >= 0.0 and x <= 1.0):  # also catches NaN
                return i * n + j
            s = 1.0 - x
            deviation[i, j] = s
            total += s * weight[j]
        no_obstacle[i] = not (total > 0.0)
        for j in range(n):
            obstacle[i, j] = deviation[i, j] * weight[j] / total if total > 0.0 else 0.0
        # n is an indicator count (5 to a few dozen): the O(n^2) count beats sorting and
        # needs no scratch array
        for j in range(n):
            above = 0
            o = obstacle[i, j]
            for k in range(n):
                if obstacle[i, k] > o:
                    above += 1
            rank[i, j] = above + 1
            if above == 0 and o > 0.0:
                main_count[j] += 1
    return -1


@kernel
def obstacle_degree_serial(standardized, weight, deviation, obstacle, rank, main_count, no_obstacle, bad):
    """:func:`obstacle_degree_one` over the leading axis: ``standardized`` (B, m, n), ``weight``
    (B, n); ``bad`` (B,) int64."""
    for b in range(standardized.shape[0]):
        bad[b] = obstacle_degree_one(
            standardized[b], weight[b], deviation[b], obstacle[b], rank[b], main_count[b], no_obstacle[b]
        )


@parallel_kernel
def obstacle_degree_parallel(standardized, weight, deviation, obstacle, rank, main_count, no_obstacle, bad):
    """:func:`obstacle_degree_serial` with the batch items shared among threads."""
    for b in prange(standardized.shape[0]):
        bad[b] = obstacle_degree_one(
            standardized[b], weight[b], deviation[b], obstacle[b], rank[b], main_count[b], no_obstacle[b]
        )
