"""Counter-based random numbers: Philox4x32-10 and the variates fastcarbon draws from it.

Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3",
SC'11, doi:10.1145/2063384.2063405) maps a 128-bit counter c = (c0, c1, c2, c3) and a 64-bit key
k = (k0, k1) to 128 random bits, four 32-bit words.  One round, with the multipliers
M0 = 0xD2511F53, M1 = 0xCD9E8D57::

    (hi0, lo0) = M0 * c0          (hi1, lo1) = M1 * c2          (64-bit products)
    c <- (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)

and the key is bumped by the Weyl constants (0x9E3779B9, 0xBB67AE85) between rounds, ten
rounds in all.  There is no state: each output is a pure function of (counter, key), which is
what makes every result of fastcarbon independent of chunking, threads, workers and retries.

**Counter layout.**  fastcarbon keys every variate by (seed, draw, variate index)::

    key     = (seed mod 2**32, seed div 2**32)               seed: integer in [0, 2**64)
    counter = (j mod 2**32, j div 2**32, d mod 2**32, d div 2**32)
              j = variate index div 2 (the block), d = global draw id in [0, 2**64)

One block gives four words (w0, w1, w2, w3), which hold two variates:

- **uniform**: variate 2j from (w0, w1), variate 2j+1 from (w2, w3), each as
  u = (floor((w_a * 2**32 + w_b) / 2**12) + 1/2) * 2**-52 — 52 random bits, on the open interval
  (0, 1): the smallest value is 2**-53, the largest 1 - 2**-53, both exact in float64;
- **normal** (Box–Muller on one block): u1 from (w0, w1), u2 from (w2, w3),
  R = sqrt(-2 ln u1), variate 2j = R cos(2 pi u2), variate 2j+1 = R sin(2 pi u2).
  Each variate index therefore has one fixed value, whichever other variates are drawn;
- **lognormal** exp(mu + sigma z) and **triangular** (inverse CDF of the uniform of the same
  index) follow.

To reproduce one value by hand: ``normal(seed, d, v)`` equals the formula above applied to
``philox4x32(v // 2 % 2**32, v // 2 // 2**32, d % 2**32, d // 2**32, seed % 2**32,
seed // 2**32)``.

**Streams.**  A Monte Carlo that keeps regions independent draws each region's variates from its
own stream, keyed by (seed, stream key, draw, variate index), where the 64-bit stream key ``s``
comes from the region's label (:func:`fastcarbon.core.montecarlo.label_key`), never from its
position.  One Philox call turns (seed, s) into the stream's own Philox key::

    (w0, w1, w2, w3) = philox4x32(s mod 2**32, s div 2**32, seed mod 2**32, seed div 2**32,
                                  0x66617374, 0x73747265)          # key words: "fast", "stre"
    stream_key(seed, s) = w0 + w1 * 2**32

and the stream's variates come from the blocks above with that key in place of the seed.  Its
uniforms are ``uniform(stream_key(seed, s), d, v)``; its normals are the same Box–Muller pairs
computed with fastcarbon's own vectorisable log and sincos (:func:`stream_normal`, below) instead
of libm's scalar calls, 8x faster and within 4e-15 of ``normal(stream_key(seed, s), d, v)``
(relative to max(1, |z|)).  The shared noise (key = seed) keeps :func:`normal`, so results
without streams are unchanged bit for bit.

**Stream normals** (:func:`stream_normal`, :func:`stream_normal_run`): with (u1, u2) the pair's
uniforms, u1 = 2**e f with f in [sqrt(2)/2, sqrt(2)) (exponent and mantissa read from the bits),
s = (f - 1)/(f + 1)::

    ln u1 = e ln2_hi + (2 s + 2 s (s² P(s²)) + e ln2_lo),   P = Σ_{k=1..10} s^(2k-2) / (2k + 1)
    R = sqrt(-2 ln u1);  q = 4 u2,  n = floor(q + 1/2),  θ = (q - n) π/2 in [-π/4, π/4]
    sin θ, cos θ by their Taylor series to θ**17 and θ**18 (Horner), rotated by the quadrant n mod 4
    z_{2j} = R cos(2π u2),  z_{2j+1} = R sin(2π u2)

with ln2_hi + ln2_lo = ln 2 split as in fdlibm.  Every step is a plain IEEE operation (no fused
multiply-add, no reassociation), so the vector loop and the scalar :func:`stream_normal` give the
same bits on every machine with IEEE double arithmetic.  For a fixed key Philox is a bijection of its counter,
so distinct (seed, s) pairs give distinct 128-bit blocks; two streams share a key only if the
first 64 bits of their blocks collide (probability about n**2 / 2**65 for n streams).  Every
stream is a pure function of (seed, s): adding, removing or reordering the others changes
nothing.

Every function here is a serial numba kernel (GIL released) and may be called from a user's own
``@numba.njit`` code.  Integer arguments are read as unsigned 64-bit.  From Python, pass
``numpy.uint64`` values for seeds, draws or indices that may reach 2**63: numba may otherwise
convert a large plain ``int`` to an ``int64`` signature compiled earlier and raise OverflowError.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from fastcarbon.kernels._jit import inline_kernel, kernel, parallel_kernel

__all__ = [
    "philox4x32",
    "uniform_pair",
    "normal_pair",
    "uniform",
    "normal",
    "lognormal",
    "triangular",
    "normal_cdf",
    "triangular_ppf",
    "fill_uniform",
    "fill_normal",
    "fill_normal_parallel",
    "stream_key",
    "fill_stream_keys",
    "normal_block_run",
    "stream_normal_run",
    "stream_normal",
    "exp_run",
]

# Every constant is uint64 so that numba keeps the arithmetic unsigned (uint64 mixed with int64
# literals is promoted to float64 in numba).
_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S12 = np.uint64(12)
_ONE = np.uint64(1)
_TWO_M52 = 2.0 ** -52
_STREAM_K0 = np.uint64(0x66617374)  # "fast"
_MANT = np.uint64(0x000FFFFFFFFFFFFF)
_ONE_BITS = np.uint64(0x3FF0000000000000)
_S52 = np.uint64(52)
_LN2_HI = 6.93147180369123816490e-01  # fdlibm's split of ln 2
_LN2_LO = 1.90821492927058770002e-10
_SQRT2 = 1.4142135623730951
_HALF_PI = 1.5707963267948966
# 2 atanh(s) = ln((1 + s)/(1 - s)): 1/3, 1/5, ... 1/21 (|s| <= 0.1716: the next term is < 1e-17)
_A3, _A5, _A7, _A9, _A11, _A13, _A15, _A17, _A19, _A21 = [1.0 / k for k in range(3, 23, 2)]
# Taylor series of sin and cos on |θ| <= π/4 (the next terms are < 1e-19)
_S3, _S5, _S7, _S9, _S11, _S13, _S15, _S17 = [(-1.0) ** j / math.factorial(2 * j + 1) for j in range(1, 9)]
_C2, _C4, _C6, _C8, _C10, _C12, _C14, _C16, _C18 = [(-1.0) ** j / math.factorial(2 * j) for j in range(1, 10)]
_INV_LN2 = 1.4426950408889634
# Taylor series of exp on |r| <= ln2 / 2 (the next term is < 1e-17)
_E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13 = [1.0 / math.factorial(j) for j in range(2, 14)]
_STREAM_K1 = np.uint64(0x73747265)  # "stre"
_TWO_PI = 2.0 * math.pi


@inline_kernel
def _round(x0, x1, x2, x3, a, b):
    """One Philox4x32 round under the round key (a, b)."""
    p0 = _M0 * x0  # 32 x 32 -> 64 bits: exact in uint64
    p1 = _M1 * x2
    return (p1 >> _S32) ^ x1 ^ a, p1 & _MASK, (p0 >> _S32) ^ x3 ^ b, p0 & _MASK


@inline_kernel
def _bump(a, b):
    """The next round key: + the Weyl constants, mod 2**32."""
    return (a + _W0) & _MASK, (b + _W1) & _MASK


@inline_kernel
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 block: counter (c0..c3) and key (k0, k1), 32-bit words, → four 32-bit words.

    Parameters
    ----------
    c0, c1, c2, c3 : int
        Counter words in [0, 2**32).
    k0, k1 : int
        Key words in [0, 2**32).

    Returns
    -------
    tuple of 4 numpy.uint64
        The output words, each in [0, 2**32).

    Notes
    -----
    Salmon et al. (2011), section 4.2, with R = 10 rounds: round r uses the key
    (k0 + r W0, k1 + r W1) mod 2**32.  Checked against Random123's known-answer vectors
    (``kat_vectors``) in ``tests/test_random.py``.

    Examples
    --------
    >>> [f"{int(w):08x}" for w in philox4x32(0, 0, 0, 0, 0, 0)]
    ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']
    """
    x0 = np.uint64(c0) & _MASK
    x1 = np.uint64(c1) & _MASK
    x2 = np.uint64(c2) & _MASK
    x3 = np.uint64(c3) & _MASK
    a = np.uint64(k0) & _MASK
    b = np.uint64(k1) & _MASK
    # The ten rounds written out (no loop): a loop over blocks that calls this then has no inner
    # loop left, and LLVM vectorises it across blocks (8 blocks per AVX-512 vector; measured 13x
    # faster than the rolled loop).  The same integer operations, so the same words.
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, a, b)
    a, b = _bump(a, b)
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, a, b)
    a, b = _bump(a, b)
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, a, b)
    a, b = _bump(a, b)
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, a, b)
    a, b = _bump(a, b)
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, a, b)
    a, b = _bump(a, b)
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, a, b)
    a, b = _bump(a, b)
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, a, b)
    a, b = _bump(a, b)
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, a, b)
    a, b = _bump(a, b)
    x0, x1, x2, x3 = _round(x0, x1, x2, x3, a, b)
    a, b = _bump(a, b)
    return _round(x0, x1, x2, x3, a, b)


@kernel
def _block(seed, draw, block):
    s = np.uint64(seed)
    d = np.uint64(draw)
    j = np.uint64(block)
    return philox4x32(j & _MASK, j >> _S32, d & _MASK, d >> _S32, s & _MASK, s >> _S32)


@kernel
def _bits_to_uniform(hi, lo):
    """(hi * 2**32 + lo), top 52 bits, mid-point of its cell: exact, in (0, 1)."""
    x = ((hi << _S32) | lo) >> _S12
    return (np.float64(x) + 0.5) * _TWO_M52


@kernel
def uniform_pair(seed, draw, block):
    """Uniform variates 2*block and 2*block + 1 of draw ``draw``: two floats in (0, 1).

    Examples
    --------
    >>> u0, u1 = uniform_pair(7, 0, 0)
    >>> 0.0 < u0 < 1.0 and 0.0 < u1 < 1.0
    True
    """
    w0, w1, w2, w3 = _block(seed, draw, block)
    return _bits_to_uniform(w0, w1), _bits_to_uniform(w2, w3)


@kernel
def normal_pair(seed, draw, block):
    """Standard normal variates 2*block and 2*block + 1 of draw ``draw`` (Box–Muller).

    .. math::

        z_{2j} = \\sqrt{-2 \\ln u_1}\\,\\cos(2\\pi u_2), \\qquad
        z_{2j+1} = \\sqrt{-2 \\ln u_1}\\,\\sin(2\\pi u_2)

    with (u1, u2) = :func:`uniform_pair` of the same block (Box & Muller 1958).  u1 > 0, so the
    radius is finite: |z| <= sqrt(-2 ln 2**-53) ≈ 8.57.

    Examples
    --------
    >>> z0, z1 = normal_pair(7, 0, 0)
    >>> (z0, z1) == (normal(7, 0, 0), normal(7, 0, 1))
    True
    """
    u1, u2 = uniform_pair(seed, draw, block)
    r = math.sqrt(-2.0 * math.log(u1))
    a = _TWO_PI * u2
    return r * math.cos(a), r * math.sin(a)


@kernel
def uniform(seed, draw, index):
    """Uniform variate ``index`` of draw ``draw``, in (0, 1) (layout: module docstring).

    Examples
    --------
    >>> uniform(1, 2, 3) == uniform(1, 2, 3) != uniform(1, 3, 3)
    True
    """
    v = np.uint64(index)
    u0, u1 = uniform_pair(seed, draw, v >> _ONE)
    return u1 if (v & _ONE) else u0


@kernel
def normal(seed, draw, index):
    """Standard normal variate ``index`` of draw ``draw`` (Box–Muller, layout: module docstring).

    Examples
    --------
    >>> round(normal(0, 0, 0), 12) == round(normal(0, 0, 0), 12)
    True
    """
    v = np.uint64(index)
    z0, z1 = normal_pair(seed, draw, v >> _ONE)
    return z1 if (v & _ONE) else z0


@kernel
def lognormal(seed, draw, index, mu, sigma):
    """Lognormal variate exp(mu + sigma z), z = :func:`normal` of the same index.

    Examples
    --------
    >>> import math
    >>> lognormal(3, 4, 5, 0.0, 1.0) == math.exp(normal(3, 4, 5))
    True
    """
    return math.exp(mu + sigma * normal(seed, draw, index))


@kernel
def normal_cdf(x):
    """Standard normal CDF, Φ(x) = erfc(-x / √2) / 2 (accurate in both tails).

    Examples
    --------
    >>> normal_cdf(0.0)
    0.5
    """
    return 0.5 * math.erfc(-x * 0.7071067811865476)


@kernel
def triangular_ppf(u, left, mode, right):
    """Inverse CDF of the triangular distribution on [left, right] with its mode at ``mode``.

    .. math::

        F^{-1}(u) = a + \\sqrt{u (b - a)(c - a)} \\text{ if } u < \\tfrac{c - a}{b - a},
        \\quad b - \\sqrt{(1 - u)(b - a)(b - c)} \\text{ otherwise}

    with a = left, c = mode, b = right (a <= c <= b).

    Examples
    --------
    >>> triangular_ppf(0.5, 0.0, 0.5, 1.0), triangular_ppf(0.0, 0.0, 0.5, 1.0)
    (0.5, 0.0)
    """
    width = right - left
    if width <= 0.0:
        return mode
    if u * width < mode - left:
        return left + math.sqrt(u * width * (mode - left))
    return right - math.sqrt((1.0 - u) * width * (right - mode))


@kernel
def triangular(seed, draw, index, left, mode, right):
    """Triangular variate on [left, right], mode ``mode``: :func:`triangular_ppf` of the
    :func:`uniform` of the same index.

    Examples
    --------
    >>> 1.0 <= triangular(0, 0, 0, 1.0, 2.0, 4.0) <= 4.0
    True
    """
    return triangular_ppf(uniform(seed, draw, index), left, mode, right)


@kernel
def fill_uniform(seed, draw_offset, out):
    """out[d, v] = :func:`uniform` (seed, draw_offset + d, v) for a 2-D float64 array ``out``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.empty((2, 3)); fill_uniform(5, 10, a)
    >>> bool(a[1, 2] == uniform(5, 11, 2))
    True
    """
    n_v = out.shape[1]
    for d in range(out.shape[0]):
        draw = np.uint64(draw_offset) + np.uint64(d)
        for j in range((n_v + 1) // 2):
            u0, u1 = uniform_pair(seed, draw, j)
            out[d, 2 * j] = u0
            if 2 * j + 1 < n_v:
                out[d, 2 * j + 1] = u1


@kernel
def _fill_normal_row(seed, draw, row):
    n_v = row.shape[0]
    for j in range((n_v + 1) // 2):
        z0, z1 = normal_pair(seed, draw, j)
        row[2 * j] = z0
        if 2 * j + 1 < n_v:
            row[2 * j + 1] = z1


@kernel
def fill_normal(seed, draw_offset, out):
    """out[d, v] = :func:`normal` (seed, draw_offset + d, v) for a 2-D float64 array ``out``.

    Bit-identical to :func:`fill_normal_parallel` and to any split of the rows into chunks
    (each chunk with its own ``draw_offset``).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.empty((4, 5)); fill_normal(5, 0, a)
    >>> b = np.empty((2, 5)); fill_normal(5, 2, b)
    >>> bool((a[2:] == b).all()), bool(a[3, 4] == normal(5, 3, 4))
    (True, True)
    """
    for d in range(out.shape[0]):
        _fill_normal_row(seed, np.uint64(draw_offset) + np.uint64(d), out[d])


# A separate function, not `fill_normal` compiled twice: numba's cache ignores the parallel flag.
@parallel_kernel
def fill_normal_parallel(seed, draw_offset, out):
    """Multi-threaded :func:`fill_normal` (rows shared among threads), bit-identical results."""
    for d in prange(out.shape[0]):
        _fill_normal_row(seed, np.uint64(draw_offset) + np.uint64(d), out[d])


@kernel
def stream_key(seed, stream):
    """The Philox key (a 64-bit integer) of stream ``stream`` under ``seed`` (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> k = np.uint64(stream_key(7, 12345))
    >>> w = philox4x32(12345, 0, 7, 0, 0x66617374, 0x73747265)
    >>> int(k) == int(w[0]) + (int(w[1]) << 32)
    True
    >>> normal(k, 0, 3) != normal(7, 0, 3)
    True
    """
    s = np.uint64(seed)
    k = np.uint64(stream)
    w0, w1, _, _ = philox4x32(k & _MASK, k >> _S32, s & _MASK, s >> _S32, _STREAM_K0, _STREAM_K1)
    return w0 | (w1 << _S32)


@kernel
def fill_stream_keys(seed, streams, out):
    """out[i] = :func:`stream_key` (seed, streams[i]) for uint64 arrays ``streams`` and ``out``.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([3, 2**63], dtype=np.uint64); out = np.empty(2, np.uint64)
    >>> fill_stream_keys(1, s, out)
    >>> bool(out[1] == stream_key(1, np.uint64(2**63)))
    True
    """
    for i in range(streams.shape[0]):
        out[i] = stream_key(seed, streams[i])


@kernel
def _uniform_pair_run(key, draw, first, u1, u2):
    """u1[i], u2[i] = :func:`uniform_pair` (key, draw, first + i) for i < n = ``u1.shape[0]``: the
    Philox blocks of a run in one loop over blocks, which LLVM vectorises (integer arithmetic,
    exact in any lane order).  The first pass of :func:`normal_block_run` and
    :func:`stream_normal_run`."""
    k = np.uint64(key)
    k0 = k & _MASK
    k1 = k >> _S32
    d = np.uint64(draw)
    d0 = d & _MASK
    d1 = d >> _S32
    j0 = np.uint64(first)
    for i in range(u1.shape[0]):
        j = j0 + np.uint64(i)
        w0, w1, w2, w3 = philox4x32(j & _MASK, j >> _S32, d0, d1, k0, k1)
        u1[i] = _bits_to_uniform(w0, w1)
        u2[i] = _bits_to_uniform(w2, w3)


@kernel
def normal_block_run(key, draw, first, u1, u2, out):
    """Normals 2·first … 2·(first + n) − 1 of draw ``draw`` under ``key``, n = ``u1.shape[0]``.

    ``out[2i]``, ``out[2i + 1]`` = :func:`normal_pair` (key, draw, first + i): the same values,
    computed in two passes so that the first one vectorises — the Philox blocks and their
    uniforms for the whole run (integer arithmetic, exact in any lane order) into the scratch
    arrays ``u1`` and ``u2`` (float64, n), then Box–Muller on them with the scalar libm
    ``log``/``sqrt``/``sincos`` that :func:`normal_pair` uses, so every value is bit-identical.

    Examples
    --------
    >>> import numpy as np
    >>> out = np.empty(6); normal_block_run(5, 9, 4, np.empty(3), np.empty(3), out)
    >>> bool(out[3] == normal(5, 9, 11)) and bool(out[0] == normal(5, 9, 8))
    True
    """
    n = u1.shape[0]
    _uniform_pair_run(key, draw, first, u1, u2)
    for i in range(n):
        r = math.sqrt(-2.0 * math.log(u1[i]))
        a = _TWO_PI * u2[i]
        out[2 * i] = r * math.cos(a)
        out[2 * i + 1] = r * math.sin(a)


@kernel
def stream_normal_run(key, draw, first, u1, u2, w, k, out):
    """Stream normals 2·first … 2·(first + n) − 1 of draw ``draw`` under ``key`` (n = ``u1.shape[0]``).

    The Box–Muller pairs of :func:`normal_block_run` with the log and sincos of the module
    docstring ("Stream normals"): four loops over the run, each of which LLVM vectorises (Philox
    words and uniforms; exponent and mantissa from the bits; R; the rotated sincos), then
    ``out[2i] = R cos``, ``out[2i + 1] = R sin``.  ``u1``, ``u2``, ``w``, ``k``: float64 scratch
    arrays of n.  Bit-identical to :func:`stream_normal` element by element.

    Examples
    --------
    >>> import numpy as np
    >>> n = 3; out = np.empty(2 * n)
    >>> stream_normal_run(5, 9, 4, np.empty(n), np.empty(n), np.empty(n), np.empty(n), out)
    >>> bool(out[3] == stream_normal(5, 9, 11)), bool(abs(out[3] - normal(5, 9, 11)) < 1e-14)
    (True, True)
    """
    n = u1.shape[0]
    _uniform_pair_run(key, draw, first, u1, u2)
    bits = u1.view(np.uint64)
    wb = w.view(np.uint64)
    for i in range(n):  # u1 = 2**e f, f in [1, 2): exponent and mantissa from the bits
        b = bits[i]
        k[i] = np.float64(np.int64(b >> _S52) - 1023)
        wb[i] = (b & _MANT) | _ONE_BITS
    for i in range(n):  # R = sqrt(-2 ln u1)
        f = w[i]
        e = k[i]
        big = f > _SQRT2
        f = f * 0.5 if big else f
        e = e + 1.0 if big else e
        s = (f - 1.0) / (f + 1.0)
        z = s * s
        p = _A21
        p = p * z + _A19
        p = p * z + _A17
        p = p * z + _A15
        p = p * z + _A13
        p = p * z + _A11
        p = p * z + _A9
        p = p * z + _A7
        p = p * z + _A5
        p = p * z + _A3
        ln_u = e * _LN2_HI + (2.0 * s + 2.0 * s * (z * p) + e * _LN2_LO)
        w[i] = np.sqrt(-2.0 * ln_u)
    for i in range(n):  # cos and sin of 2π u2, by quadrant
        q = 4.0 * u2[i]
        nq = np.floor(q + 0.5)
        t = (q - nq) * _HALF_PI
        t2 = t * t
        sp = _S17
        sp = sp * t2 + _S15
        sp = sp * t2 + _S13
        sp = sp * t2 + _S11
        sp = sp * t2 + _S9
        sp = sp * t2 + _S7
        sp = sp * t2 + _S5
        sp = sp * t2 + _S3
        sn = t + t * (t2 * sp)
        cp = _C18
        cp = cp * t2 + _C16
        cp = cp * t2 + _C14
        cp = cp * t2 + _C12
        cp = cp * t2 + _C10
        cp = cp * t2 + _C8
        cp = cp * t2 + _C6
        cp = cp * t2 + _C4
        cs = 1.0 + t2 * (_C2 + t2 * cp)
        odd = (nq == 1.0) | (nq == 3.0)  # nq in {0, 1, 2, 3, 4}; 4 is a full turn
        c = sn if odd else cs
        sv = cs if odd else sn
        k[i] = -c if (nq == 1.0) | (nq == 2.0) else c
        u2[i] = -sv if (nq == 2.0) | (nq == 3.0) else sv
    for i in range(n):
        out[2 * i] = w[i] * k[i]
        out[2 * i + 1] = w[i] * u2[i]


@kernel
def stream_normal(key, draw, index):
    """Stream normal ``index`` of draw ``draw`` under the Philox key ``key`` (a
    :func:`stream_key`): the scalar form of :func:`stream_normal_run`, the same bits.

    Examples
    --------
    >>> import numpy as np
    >>> k = np.uint64(stream_key(7, 12345))
    >>> abs(stream_normal(k, 0, 3) - normal(k, 0, 3)) < 1e-14
    True
    """
    v = np.uint64(index)
    u1 = np.empty(1)
    u2 = np.empty(1)
    w = np.empty(1)
    k = np.empty(1)
    out = np.empty(2)
    stream_normal_run(key, draw, v >> _ONE, u1, u2, w, k, out)
    return out[1] if (v & _ONE) else out[0]


@kernel
def exp_run(x, scale, out):
    """out[i] = exp(x[i]) for |x[i]| <= 700, in one vectorisable loop (``scale``: int64 scratch of n).

    exp x = 2**n e**r with n = floor(x / ln 2 + 1/2), r = (x - n ln2_hi) - n ln2_lo in
    [-ln2/2, ln2/2] and e**r by its Taylor series to r**13 (Horner); 2**n is built from its
    bits.  Within 2e-16 relative of libm's ``exp`` (a few ulp); plain IEEE operations, so the same
    bits in every lane order.  Used for the lognormal factors of random streams; values outside
    [-700, 700] go through libm's ``exp`` (the bits of 2**n would not hold them).

    Examples
    --------
    >>> import numpy as np, math
    >>> x = np.array([-1.0, 0.0, 0.5, 3.0]); out = np.empty(4); exp_run(x, np.empty(4, np.int64), out)
    >>> bool(np.all(np.abs(out - np.exp(x)) <= 4e-16 * np.exp(x))), bool(out[1] == 1.0)
    (True, True)
    """
    n_x = x.shape[0]
    bits = out.view(np.uint64)
    for i in range(n_x):
        nn = np.floor(x[i] * _INV_LN2 + 0.5)
        nn = min(max(nn, -1020.0), 1020.0)  # |x| <= 700 needs |n| <= 1010
        scale[i] = np.int64(nn)
        # 2**n as bits: (n + 1023) << 52, clamped to a normal number; replaced below if |x| > 700
        bits[i] = np.uint64(min(max(np.int64(nn) + 1023, 1), 2046)) << _S52
    for i in range(n_x):
        nn = np.float64(scale[i])
        r = (x[i] - nn * _LN2_HI) - nn * _LN2_LO
        p = _E13
        p = p * r + _E12
        p = p * r + _E11
        p = p * r + _E10
        p = p * r + _E9
        p = p * r + _E8
        p = p * r + _E7
        p = p * r + _E6
        p = p * r + _E5
        p = p * r + _E4
        p = p * r + _E3
        p = p * r + _E2
        er = 1.0 + r + r * r * p
        out[i] = er * out[i]
    for i in range(n_x):
        if not abs(x[i]) <= 700.0:
            out[i] = math.exp(x[i])
