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

One read of the inputs, fixed order, checked
--------------------------------------------
The work item is one batch item b and all its pairs p.  Per pair: (0) each factor's own elements at
both periods into a small scratch, then their log ratios in one loop over the scratch (219
logarithms for 21 sectors × 8 fuels and the factors of the benchmark, not 5 × 168; the logarithm is
the kernels' own, :func:`_log_ge1`, so that this loop vectorizes); (1) factor by factor, V_i^0,
V_i^T, s_i = Σ_k ln(x_{k,i}^T / x_{k,i}^0) per sub-category, and √V_i^0, √V_i^T; (2) the weights
L(V_i^T, V_i^0) from s_i (:func:`sub_weight`: no logarithm of their own), in a vectorized loop of
their own, then the totals V^0, V^T summed in sub-category order; (3) factor by factor, ΔV_{k,i} =
L_i · ln ratio, written to ``effect_by`` and summed in four interleaved partial sums (i mod 4)
combined in one fixed order; (4) only where some V_i is 0 at an end, the Ang & Liu limits, added
after the others in sub-category order.  Each item writes only ``effect[b]``, ``effect_by[b]``,
``v_base[b]``, ``v_target[b]`` and ``status[b]``, so results are bit-identical for any thread count
and any chunking of the batch.
In a chain (the base of pair p is the target of pair p − 1, as in year-on-year pairs) that
period's elements, already read and checked, and its V_i and √V_i are reused instead of being
read and computed again: the same operations on the same values, so the same bits as the pair
alone (tested).
Every value read is tested (≥ 0 and finite; NaN fails both tests): ``status[b, p]`` is
:data:`BAD_VALUE` when one is not, :data:`BAD_OVERFLOW` when a product V_i overflows or underflows
to 0 from non-zero factors, :data:`BAD_ZERO_TOTAL` when ``multiplicative`` and V^0 or V^T is 0,
else :data:`OK` (outputs of a bad item are left unwritten).

Accuracy and symmetry
---------------------
ln ratios are taken as ±ln(larger/smaller) (one division, one logarithm: an absolute rounding of
about 1e-16 in each, so a factor that changes by 1e-7 has its effect to ~1e-9 relative; log1p of
the relative change would keep every digit but cost 50 % more time per sub-category, measured).
The logarithm is fdlibm's algorithm (:func:`_log_ge1`: error below 1 ulp, within 1 ulp of libm's
``log`` and mostly equal to it), written without branches or calls so that the compiler computes
four at a time; with libm's ``log`` the kernel took 1.25-1.5 times as long (measured on the
benchmark's cases).  L is the logarithmic mean of V_i^T and V_i^0 to a few ulps at any ratio and
magnitude, and L_i · s_i reproduces V_i^T − V_i^0 to rounding, so Σ_k ΔV_k = ΔV to a few ulps of
V^T + V^0 + Σ_{k,i} |ΔV_{k,i}|.  Swapping base and target negates s_i and every ln ratio exactly
and leaves L unchanged: the additive effects change sign bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from fastcarbon.kernels._jit import inline_kernel, kernel, parallel_kernel

__all__ = [
    "OK",
    "BAD_VALUE",
    "BAD_OVERFLOW",
    "BAD_ZERO_TOTAL",
    "log_mean",
    "log_ratio",
    "sub_weight",
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


@intrinsic
def _float_bits(typingctx, x):
    """The bits of a float64 as an int64 (a register move, no memory round trip)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _bits_float(typingctx, x):
    """The float64 whose bits are the int64 ``x``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


# fdlibm's e_log.c (Sun Microsystems 1993, as in FreeBSD and musl): ln(1 + f) = 2 atanh(s),
# s = f/(2 + f), = f − f²/2 + s (f²/2 + R(s²)) with R its minimax polynomial in s²
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_LN2_HI = 6.93147180369123816490e-01  # ln 2 to 32 bits: k · _LN2_HI is exact for |k| < 2048
_LN2_LO = 1.90821492927058770002e-10


@inline_kernel
def _log_ge1(q):
    """ln q for q >= 1 (finite or inf; NaN gives NaN): fdlibm's algorithm (error below 1 ulp),
    written without branches or calls so that a loop of them vectorizes (4 at a time with AVX2;
    libm's ``log`` is an opaque call per element, 2-3 times slower here)."""
    ix = _float_bits(q)
    # q = 2^k · (1 + f) with 1 + f in [√2/2, √2): the exponent is shifted so that the mantissa
    # lands there
    hx = (ix >> 32) + (0x3FF00000 - 0x3FE6A09E)
    k = (hx >> 20) - 0x3FF
    hx = (hx & 0x000FFFFF) + 0x3FE6A09E
    f = _bits_float((hx << 32) | (ix & 0xFFFFFFFF)) - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    dk = float(k)
    y = s * (hfsq + (t2 + t1)) + dk * _LN2_LO - hfsq + f + dk * _LN2_HI
    return y if q < np.inf else q


@inline_kernel
def log_ratio(x1, x0):
    """ln(x1/x0) for x0, x1 > 0, antisymmetric bit for bit: ±ln(larger/smaller).

    The logarithm is :func:`_log_ge1` (below 1 ulp, vectorizable), not libm's ``log``."""
    # max/min and a select, no branch: on real data the sign of a change is as good as random,
    # and a mispredicted branch costs more than the rest of the work per element
    m = _log_ge1(max(x0, x1) / min(x0, x1))
    return m if x1 >= x0 else -m


@inline_kernel
def sub_weight(v0, v1, s):
    """L(V^T, V^0) of one sub-category, given s = Σ_k ln(x_k^T / x_k^0) = ln(V^T / V^0).

    The factors' logarithms are taken anyway, so L needs no logarithm of its own (half the
    logarithms of the pass: 219 instead of 387 per item of 21 sectors × 8 fuels):

    - |s| < 1: L = √(V^0 V^T) · sinh(s/2)/(s/2), the even series of sinh(h)/h in h² to h¹⁴
      (truncation below 1e-16 relative at |h| = 1/2).  Near s = 0, V^T − V^0 would cancel, and
      here L depends on s only quadratically, so neither the cancellation nor the rounding of s
      matters.
    - |s| >= 1: L = (V^T − V^0)/s, no cancellation (the ratio is beyond e).

    Symmetric bit for bit (s changes sign exactly when base and target swap).  Then
    Σ_k L · ln(x_k^T/x_k^0) = L · s reproduces V^T − V^0 to rounding.
    """
    return _weight(v0, v1, math.sqrt(v0), math.sqrt(v1), s)


@inline_kernel
def _weight(v0, v1, r0, r1, s):
    """:func:`sub_weight` given also r0 = √V^0 and r1 = √V^T (a chain reuses the target's)."""
    # both forms, then a select: cheaper than a branch whose outcome is as good as random (in a
    # vectorized loop, as in _items, the select is a blend)
    h = 0.5 * s
    y = h * h
    series = 1.0 + y * (1.0 / 6.0 + y * (1.0 / 120.0 + y * (1.0 / 5040.0 + y * (
        1.0 / 362880.0 + y * (1.0 / 39916800.0 + y * (1.0 / 6227020800.0 + y * (1.0 / 1307674368000.0)))))))
    near = r0 * r1 * series  # √(V^0 V^T) without overflowing V^0 V^T
    far = (v1 - v0) / s
    return near if abs(h) < 0.5 else far


@kernel
def _zero_limits(b, p, code, x0s, x1s, v0s, v1s, sub_index, detail, acc, terms, effect_by):
    """The Ang & Liu (2007) limits of the sub-categories of (b, p) whose V_i is 0 at an end (their
    weight was 0, so they have added 0 so far): added to ``acc`` after the others, in
    sub-category order.  Returns ``code``, or :data:`BAD_OVERFLOW` for a product that under- or
    overflowed (V_i = 0 with no factor 0, or the other end infinite)."""
    n_k = sub_index.shape[0]
    for i in range(sub_index.shape[1]):
        v0 = v0s[i]
        v1 = v1s[i]
        if v0 != 0.0 and v1 != 0.0:
            continue
        z0 = False
        z1 = False
        for k in range(n_k):
            j = sub_index[k, i]
            z0 |= x0s[j] == 0.0
            z1 |= x1s[j] == 0.0
            terms[k] = 0.0
        if v0 == 0.0 and v1 == 0.0:
            # nothing at either end: no effect, unless a product underflowed (1e-200 · 1e-200)
            if not ((v0 == 0.0 and z0) and (v1 == 0.0 and z1)):
                code = BAD_OVERFLOW
        else:
            # one end is 0: the factors that are 0 there share V_i of the other end
            went = v1 if v0 == 0.0 else v0
            m = 0
            for k in range(n_k):
                j = sub_index[k, i]
                z = x0s[j] == 0.0 if v0 == 0.0 else x1s[j] == 0.0
                terms[k] = 1.0 if z else 0.0
                m += 1 if z else 0
            if m == 0 or went == np.inf:
                code = BAD_OVERFLOW
                m = 1
            share = went / m if v0 == 0.0 else -went / m
            for k in range(n_k):
                terms[k] *= share
        for k in range(n_k):
            acc[k] += terms[k]
            if detail:
                effect_by[b, p, k, i] = terms[k]
    return code


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
    v0s = np.empty(n_i)
    v1s = np.empty(n_i)
    r0s = np.empty(n_i)
    r1s = np.empty(n_i)
    ss = np.empty(n_i)
    ws = np.empty(n_i)
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
        # x1s, v1s, r1s hold the target end of the previous pair, read, checked and multiplied
        held = False
        for p in range(pairs.shape[0]):
            # a chain (base = the previous target): that end's values, products and roots are
            # reused, not read and computed again; the same operations on the same values, so
            # the same bits as a fresh pair
            reuse = held and pairs[p, 0] == pairs[p - 1, 1]
            held = False
            if reuse:
                x0s, x1s = x1s, x0s
                v0s, v1s = v1s, v0s
                r0s, r1s = r1s, r0s
            clean = True
            for k in range(n_k):
                f = factors[k]
                o0 = boff[k] + pairs[p, 0] * time_strides[k]
                o1 = boff[k] + pairs[p, 1] * time_strides[k]
                if reuse:
                    for j in range(own_start[k], own_start[k + 1]):
                        c = f[o1 + own_offsets[j]]
                        clean &= (c >= 0.0) & (c < np.inf)
                        x1s[j] = c
                else:
                    for j in range(own_start[k], own_start[k + 1]):
                        a = f[o0 + own_offsets[j]]
                        c = f[o1 + own_offsets[j]]
                        # NaN fails both tests; -0.0 passes (it is a zero)
                        clean &= (a >= 0.0) & (a < np.inf) & (c >= 0.0) & (c < np.inf)
                        x0s[j] = a
                        x1s[j] = c
            if not clean:
                status[b, p] = BAD_VALUE
                continue
            # the log ratios in one loop over contiguous scratch, which the compiler vectorizes
            for j in range(n_j):
                a = x0s[j]
                c = x1s[j]
                lr = log_ratio(c, a)
                lrs[j] = lr if (a > 0.0) & (c > 0.0) else 0.0
            # pass 1, factor by factor: V_i^0, V_i^T and s_i = Σ_k ln ratio (products and sums
            # in factor order, plain gathers the compiler can vectorize), and √V_i for the weights
            if not reuse:
                for i in range(n_i):
                    v0s[i] = x0s[sub_index[0, i]]
                for k in range(1, n_k):
                    for i in range(n_i):
                        v0s[i] *= x0s[sub_index[k, i]]
                for i in range(n_i):
                    r0s[i] = math.sqrt(v0s[i])
            for i in range(n_i):
                j = sub_index[0, i]
                v1s[i] = x1s[j]
                ss[i] = lrs[j]
            for k in range(1, n_k):
                for i in range(n_i):
                    j = sub_index[k, i]
                    v1s[i] *= x1s[j]
                    ss[i] += lrs[j]
            for i in range(n_i):
                r1s[i] = math.sqrt(v1s[i])
            held = True
            # pass 2: the weights L(V_i^T, V_i^0), 0 where V_i is 0 at either end (those take the
            # limits below), in a loop of their own: without a sum in it the compiler vectorizes
            # it and its selects become blends (which form of L applies is as good as random;
            # with the sums in the loop it was 20-30 % slower, measured)
            for i in range(n_i):
                v0 = v0s[i]
                v1 = v1s[i]
                w = _weight(v0, v1, r0s[i], r1s[i], ss[i])
                ws[i] = 0.0 if (v0 == 0.0) | (v1 == 0.0) else w
            # the totals in sub-category order
            s0 = 0.0
            s1 = 0.0
            n_zero = 0
            wild = False
            for i in range(n_i):
                v0 = v0s[i]
                v1 = v1s[i]
                s0 += v0
                s1 += v1
                n_zero += (v0 == 0.0) | (v1 == 0.0)
                wild |= (v0 == np.inf) | (v1 == np.inf)
            code = BAD_OVERFLOW if wild else OK
            # pass 3, factor by factor: ΔV_{k,i} = L_i · ln ratio, summed in four interleaved
            # partial sums (i mod 4, combined in one fixed order): four independent add chains
            # instead of one 4-cycle-latency chain per element
            for k in range(n_k):
                a0 = 0.0
                a1 = 0.0
                a2 = 0.0
                a3 = 0.0
                i = 0
                while i + 4 <= n_i:
                    t0 = ws[i] * lrs[sub_index[k, i]]
                    t1 = ws[i + 1] * lrs[sub_index[k, i + 1]]
                    t2 = ws[i + 2] * lrs[sub_index[k, i + 2]]
                    t3 = ws[i + 3] * lrs[sub_index[k, i + 3]]
                    a0 += t0
                    a1 += t1
                    a2 += t2
                    a3 += t3
                    if detail:
                        effect_by[b, p, k, i] = t0
                        effect_by[b, p, k, i + 1] = t1
                        effect_by[b, p, k, i + 2] = t2
                        effect_by[b, p, k, i + 3] = t3
                    i += 4
                while i < n_i:
                    t0 = ws[i] * lrs[sub_index[k, i]]
                    a0 += t0
                    if detail:
                        effect_by[b, p, k, i] = t0
                    i += 1
                acc[k] = (a0 + a1) + (a2 + a3)
            if n_zero:
                code = _zero_limits(b, p, code, x0s, x1s, v0s, v1s, sub_index, detail, acc, terms, effect_by)
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
    # np.int64(0), not 0: a literal 0 is typed Literal[int](0) and compiles _items once more than
    # the parallel driver's int64 starts (the same holds for the serial grey and Monte Carlo drivers)
    _items(np.int64(0), effect.shape[0], factors, batch_shape, batch_strides, time_strides, own_offsets, own_start,
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
