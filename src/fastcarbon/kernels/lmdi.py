"""LMDI-I decomposition kernels (Ang 2004, 2005, 2015; zero values after Ang & Liu 2007).

For the identity V = Σ_i Π_k x_{k,i} over sub-categories i (sector × fuel, ...) and one pair of
periods 0 → T, with V_i = Π_k x_{k,i} and the logarithmic mean L(a, b) = (a − b)/(ln a − ln b),
L(a, a) = a::

    ΔV_{k,i} = L(V_i^T, V_i^0) · ln(x_{k,i}^T / x_{k,i}^0)      (additive, per sub-category)
    ΔV_k     = Σ_i ΔV_{k,i}                                      Σ_k ΔV_k = V^T − V^0
    D_k      = exp(ΔV_k / L(V^T, V^0))                           Π_k D_k = V^T / V^0

Zero values (Ang & Liu 2007, the analytical limits, never a small δ):

- V_i^0 = 0 and V_i^T = 0: every ΔV_{k,i} = 0 (whichever factors are zero, at either end);
- V_i^0 = 0 < V_i^T: the m factors with x_{k,i}^0 = 0 each take V_i^T / m, the others 0
  (Ang & Liu give V_i^T to the one factor that went from 0; with several, fastcarbon splits it
  equally, the symmetric choice: the limit depends on how fast each goes to 0);
- V_i^0 > 0 = V_i^T: the m factors with x_{k,i}^T = 0 each take −V_i^0 / m, the others 0.

Layout: broadcasting without copies
-----------------------------------
Factor k is one flat float64 array ``factors[k]`` (its own dims in any dense order) and three
offset tables place its elements: the batch item b at ``Σ_d pos_d(b) · batch_strides[k, d]``,
the period t at ``t · time_strides[k]``, and its own sub-category elements at
``own_offsets[own_start[k]:own_start[k + 1]]``.  ``sub_index[k, i]`` is the own element that
sub-category i reads.  A factor shared by every draw or fuel has stride 0 there: it is read (and
its logarithm taken) once per own element, not once per sub-category, and nothing is broadcast
in memory.

One pass, fixed order, checked
------------------------------
The work item is one batch item b and all pairs p: per factor, the ratios' logarithms of its own
elements into a small scratch, then one loop over the sub-categories summing every effect in
sub-category order and writing only ``effect[b]``, ``effect_by[b]``, ``v_base[b]``,
``v_target[b]`` and ``status[b]``.  Results are therefore bit-identical for any thread count.
Every value read is tested (≥ 0 and finite; NaN fails both tests): ``status[b, p]`` is
:data:`BAD_VALUE` when one is not, :data:`BAD_OVERFLOW` when a product V_i overflows or underflows
to 0 from non-zero factors, :data:`BAD_ZERO_TOTAL` when ``multiplicative`` and V^0 or V^T is 0,
else :data:`OK` (outputs of a bad item are left unwritten).

Symmetry is exact: ln ratios are taken as ±ln(larger/smaller) and L from the sorted pair, so
swapping base and target negates every additive effect bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from fastcarbon.kernels._jit import inline_kernel, kernel, parallel_kernel

__all__ = [
    "OK",
    "BAD_VALUE",
    "BAD_OVERFLOW",
    "BAD_ZERO_TOTAL",
    "log_mean",
    "log_ratio",
    "lmdi_pairs",
    "lmdi_pairs_parallel",
]

#: codes written to ``status[b, p]``
OK = 0
BAD_VALUE = 1
BAD_OVERFLOW = 2
BAD_ZERO_TOTAL = 3

#: batch items per parallel work block (amortizes the scratch allocation: 64 items of 168
#: sub-categories are ~0.2 ms of work against ~1 us to allocate)
BLOCK = 64


@inline_kernel
def log_mean(a, b):
    """Logarithmic mean L(a, b) = (a − b)/(ln a − ln b), L(a, a) = a, for a, b > 0.

    Symmetric bit for bit (computed from the sorted pair).  Near a = b it is written as
    (hi − lo)/log1p((hi − lo)/lo): hi − lo is exact there (Sterbenz) and log1p keeps every digit,
    where ln a − ln b would cancel (relative error ~1e-6 at a/b = 1 + 1e-10).  Far apart,
    ln(hi/lo) (or ln hi − ln lo when hi/lo overflows) has no cancellation.
    """
    if a == b:
        return a
    hi = max(a, b)
    lo = min(a, b)
    r = hi / lo
    if r <= 2.0:
        d = hi - lo
        return d / math.log1p(d / lo)
    if r < np.inf:
        return (hi - lo) / math.log(r)
    return (hi - lo) / (math.log(hi) - math.log(lo))


@inline_kernel
def log_ratio(x1, x0):
    """ln(x1/x0) for x0, x1 > 0, antisymmetric bit for bit: ±ln(larger/smaller)."""
    if x1 >= x0:
        return math.log(x1 / x0)
    return -math.log(x0 / x1)


@kernel
def _items(lo, hi, factors, batch_shape, batch_strides, time_strides, own_offsets, own_start, sub_index,
           pairs, multiplicative, detail, effect, effect_by, v_base, v_target, status):
    """Batch items lo..hi-1 (all pairs each): the whole computation; see the module docstring."""
    n_k = sub_index.shape[0]
    n_i = sub_index.shape[1]
    n_d = batch_shape.shape[0]
    n_j = own_offsets.shape[0]
    x0s = np.empty(n_j)
    x1s = np.empty(n_j)
    lrs = np.empty(n_j)
    boff = np.empty(n_k, dtype=np.int64)
    acc = np.empty(n_k)
    terms = np.empty(n_k)
    for b in range(lo, hi):
        # offset of batch item b in each factor: b's multi-index (last dim fastest) times strides
        for k in range(n_k):
            boff[k] = 0
        rest = b
        for d in range(n_d - 1, -1, -1):
            pos = rest % batch_shape[d]
            rest //= batch_shape[d]
            for k in range(n_k):
                boff[k] += pos * batch_strides[k, d]
        for p in range(pairs.shape[0]):
            clean = True
            for k in range(n_k):
                f = factors[k]
                o0 = boff[k] + pairs[p, 0] * time_strides[k]
                o1 = boff[k] + pairs[p, 1] * time_strides[k]
                for j in range(own_start[k], own_start[k + 1]):
                    a = f[o0 + own_offsets[j]]
                    c = f[o1 + own_offsets[j]]
                    # NaN fails both tests; -0.0 passes (it is a zero)
                    clean &= (a >= 0.0) & (a < np.inf) & (c >= 0.0) & (c < np.inf)
                    x0s[j] = a
                    x1s[j] = c
                    lrs[j] = log_ratio(c, a) if a > 0.0 and c > 0.0 else 0.0
            if not clean:
                status[b, p] = BAD_VALUE
                continue
            for k in range(n_k):
                acc[k] = 0.0
            s0 = 0.0
            s1 = 0.0
            code = OK
            for i in range(n_i):
                v0 = 1.0
                v1 = 1.0
                for k in range(n_k):
                    j = sub_index[k, i]
                    v0 *= x0s[j]
                    v1 *= x1s[j]
                s0 += v0
                s1 += v1
                if v0 > 0.0 and v1 > 0.0:
                    if v0 == np.inf or v1 == np.inf:
                        code = BAD_OVERFLOW
                    w = log_mean(v1, v0)
                    for k in range(n_k):
                        terms[k] = w * lrs[sub_index[k, i]]
                elif v0 == 0.0 and v1 == 0.0:
                    # a zero factor at each end, or else a product underflowed (1e-200 · 1e-200)
                    z0 = False
                    z1 = False
                    for k in range(n_k):
                        j = sub_index[k, i]
                        z0 |= x0s[j] == 0.0
                        z1 |= x1s[j] == 0.0
                        terms[k] = 0.0
                    if not (z0 and z1):
                        code = BAD_OVERFLOW
                else:
                    # exactly one end is 0: the factors that are 0 there share V_i of the other end
                    went = v1 if v0 == 0.0 else v0
                    m = 0
                    for k in range(n_k):
                        j = sub_index[k, i]
                        z = x0s[j] == 0.0 if v0 == 0.0 else x1s[j] == 0.0
                        terms[k] = 1.0 if z else 0.0
                        m += 1 if z else 0
                    if m == 0 or went == np.inf:  # a product under- or overflowed
                        code = BAD_OVERFLOW
                        m = 1
                    share = went / m if v0 == 0.0 else -went / m
                    for k in range(n_k):
                        terms[k] *= share
                for k in range(n_k):
                    acc[k] += terms[k]
                    if detail:
                        effect_by[b, p, k, i] = terms[k]
            if code == OK and multiplicative and (s0 == 0.0 or s1 == 0.0):
                code = BAD_ZERO_TOTAL
            if code == OK and (s0 == np.inf or s1 == np.inf):
                code = BAD_OVERFLOW
            status[b, p] = code
            v_base[b, p] = s0
            v_target[b, p] = s1
            if code != OK:
                continue
            if multiplicative:
                # exp(ΔV_k / L(V^T, V^0)): a ratio of logs, so large changes cannot overflow
                w = log_mean(s1, s0)
                for k in range(n_k):
                    effect[b, p, k] = math.exp(acc[k] / w)
                    if detail:
                        for i in range(n_i):
                            effect_by[b, p, k, i] = math.exp(effect_by[b, p, k, i] / w)
            else:
                for k in range(n_k):
                    effect[b, p, k] = acc[k]


@kernel
def lmdi_pairs(factors, batch_shape, batch_strides, time_strides, own_offsets, own_start, sub_index, pairs,
               multiplicative, detail, effect, effect_by, v_base, v_target, status):
    """LMDI-I effects of every batch item and pair of periods, serial (GIL released).

    Parameters
    ----------
    factors : tuple of K float64 arrays (n_k,)
        Each factor's own values, flat.
    batch_shape : int64 array (D,)
        The full batch shape; B = its product (1 for D = 0).
    batch_strides : int64 array (K, D)
        Element stride of each factor along each batch dim (0 where the factor lacks it).
    time_strides : int64 array (K,)
        Element stride along the period axis (0 for a factor constant over it).
    own_offsets, own_start : int64 arrays (J,), (K + 1,)
        Offsets of each factor's own sub-category elements, factor k at
        ``own_offsets[own_start[k]:own_start[k + 1]]``.
    sub_index : int64 array (K, I)
        The entry of ``own_offsets`` that sub-category i reads in factor k.
    pairs : int64 array (P, 2)
        (base, target) period indices.
    multiplicative : bool
        Write D_k (and per sub-category exp(ΔV_{k,i}/L(V^T, V^0))) instead of ΔV_k, ΔV_{k,i}.
    detail : bool
        Write ``effect_by``; when False it is not touched (pass a (1, 1, 1, 1) array).
    effect : float64 array (B, P, K), written
    effect_by : float64 array (B, P, K, I), written when ``detail``
    v_base, v_target : float64 arrays (B, P), written: V^0 and V^T
    status : int8 array (B, P), written: :data:`OK` or the code of what went wrong

    Notes
    -----
    Callable from a user's own ``@numba.njit`` code.  Bit-identical to
    :func:`lmdi_pairs_parallel`.
    """
    _items(0, effect.shape[0], factors, batch_shape, batch_strides, time_strides, own_offsets, own_start,
           sub_index, pairs, multiplicative, detail, effect, effect_by, v_base, v_target, status)


# A separate Python function, not `lmdi_pairs` compiled twice: numba's on-disk cache keys on the
# function and signature, not on the `parallel` flag (see kernels/accounting.py).
@parallel_kernel
def lmdi_pairs_parallel(factors, batch_shape, batch_strides, time_strides, own_offsets, own_start, sub_index,
                        pairs, multiplicative, detail, effect, effect_by, v_base, v_target, status):
    """Multi-threaded :func:`lmdi_pairs`: blocks of batch items shared among threads, bit-identical."""
    n_b = effect.shape[0]
    n_blocks = (n_b + BLOCK - 1) // BLOCK
    for blk in prange(n_blocks):
        lo = blk * BLOCK
        _items(lo, min(lo + BLOCK, n_b), factors, batch_shape, batch_strides, time_strides, own_offsets,
               own_start, sub_index, pairs, multiplicative, detail, effect, effect_by, v_base, v_target, status)
