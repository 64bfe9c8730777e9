"""Counter-based random numbers (:mod:`fastcarbon.kernels.random`): known answers, the documented
counter layout, statistics of 1e6 variates, independence, and reproducibility across threads and
chunks."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from fastcarbon.kernels import random as rnd

# Random123 kat_vectors (Salmon et al. 2011), "philox4x32 10": counter[4] key[2] -> output[4].
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]

N = 10**6
U32 = st.integers(0, 2**32 - 1)
U64 = st.integers(0, 2**64 - 1)


def philox_python(ctr, key):
    """Philox4x32-10 written out on Python ints (Salmon et al. 2011, section 4.2)."""
    c = list(ctr)
    k0, k1 = key
    for r in range(10):
        if r:
            k0 = (k0 + 0x9E3779B9) & 0xFFFFFFFF
            k1 = (k1 + 0xBB67AE85) & 0xFFFFFFFF
        p0 = 0xD2511F53 * c[0]
        p1 = 0xCD9E8D57 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k0, p1 & 0xFFFFFFFF, (p0 >> 32) ^ c[3] ^ k1, p0 & 0xFFFFFFFF]
    return tuple(c)


def normal_by_hand(seed, draw, index):
    """The module docstring's recipe for one normal, on Python ints and floats."""
    j = index // 2
    w = philox_python((j % 2**32, j >> 32, draw % 2**32, draw >> 32), (seed % 2**32, seed >> 32))
    u1 = (((w[0] << 32 | w[1]) >> 12) + 0.5) * 2.0**-52
    u2 = (((w[2] << 32 | w[3]) >> 12) + 0.5) * 2.0**-52
    r = math.sqrt(-2.0 * math.log(u1))
    return r * (math.sin if index % 2 else math.cos)(2.0 * math.pi * u2)


@pytest.fixture(scope="module")
def normals():
    out = np.empty((1000, N // 1000))
    rnd.fill_normal_parallel(20250101, 0, out)
    return out


@pytest.mark.parametrize("ctr, key, expected", KAT)
def test_known_answer_vectors(ctr, key, expected):
    assert tuple(int(w) for w in rnd.philox4x32(*ctr, *key)) == expected
    assert philox_python(ctr, key) == expected


@given(st.tuples(U32, U32, U32, U32), st.tuples(U32, U32))
def test_philox_matches_python_ints(ctr, key):
    assert tuple(int(w) for w in rnd.philox4x32(*ctr, *key)) == philox_python(ctr, key)


@given(U64, U64, U64)
def test_documented_layout_reproduces_a_single_normal(seed, draw, index):
    # Same formula, same libm calls: equal to rounding of cos/sin/log between numba and CPython.
    # np.uint64: a plain int >= 2**63 may be converted to an int64 signature compiled earlier.
    u = np.uint64
    assert rnd.normal(u(seed), u(draw), u(index)) == pytest.approx(normal_by_hand(seed, draw, index), rel=1e-13, abs=1e-15)


def test_uniform_extremes_are_inside_the_open_interval():
    lo = rnd._bits_to_uniform(np.uint64(0), np.uint64(0))
    hi = rnd._bits_to_uniform(np.uint64(0xFFFFFFFF), np.uint64(0xFFFFFFFF))
    assert lo == 2.0**-53 and hi == 1.0 - 2.0**-53 and hi < 1.0


def test_normal_moments_and_ks(normals):
    z = normals.ravel()
    # Mean: sd 1/sqrt(N) = 0.001; variance: sd sqrt(2/N) = 0.0014.  Five standard errors each.
    assert abs(z.mean()) < 5 / math.sqrt(N)
    assert abs(z.var() - 1.0) < 5 * math.sqrt(2 / N)
    ks = stats.kstest(z, "norm")
    assert ks.pvalue > 1e-3, ks
    # Tails: P(|z| > 3) = 0.0026998
    tail = np.mean(np.abs(z) > 3.0)
    assert abs(tail - 0.0026998) < 5 * math.sqrt(0.0027 / N)


def test_uniform_ks():
    u = np.empty((1000, 1000))
    rnd.fill_uniform(11, 0, u)
    assert 0.0 < u.min() and u.max() < 1.0
    assert stats.kstest(u.ravel(), "uniform").pvalue > 1e-3


def test_lognormal_and_triangular_distributions():
    n = 200_000
    logn = np.array([rnd.lognormal(3, d, 0, 0.1, 0.5) for d in range(n // 10)])
    assert stats.kstest(np.log(logn), "norm", args=(0.1, 0.5)).pvalue > 1e-3
    tri = np.array([rnd.triangular(3, d, 1, 1.0, 1.5, 4.0) for d in range(n // 10)])
    assert stats.kstest(tri, "triang", args=(0.5 / 3.0, 1.0, 3.0)).pvalue > 1e-3


def test_normal_cdf_matches_scipy():
    x = np.linspace(-9, 9, 101)
    np.testing.assert_allclose([rnd.normal_cdf(v) for v in x], stats.norm.cdf(x), rtol=1e-14, atol=1e-300)


def _corr(a, b):
    return float(np.corrcoef(a, b)[0, 1])


def test_no_correlation_between_neighbours(normals):
    bound = 5 / math.sqrt(normals.size)  # five standard errors of a sample correlation
    # neighbouring draws, same variate
    assert abs(_corr(normals[:-1].ravel(), normals[1:].ravel())) < 5 / math.sqrt(normals[1:].size)
    # neighbouring variates within a Box–Muller pair (cos, sin) and across pairs
    assert abs(_corr(normals[:, 0::2].ravel(), normals[:, 1::2].ravel())) < 2 * bound
    assert abs(_corr(normals[:, 1:-1:2].ravel(), normals[:, 2::2].ravel())) < 2 * bound
    # squares too: a shared Box–Muller radius would show up here
    sq = normals**2
    assert abs(_corr(sq[:-1].ravel(), sq[1:].ravel())) < 2 * bound
    assert abs(_corr(sq[:, 1:-1:2].ravel(), sq[:, 2::2].ravel())) < 2 * bound
    # neighbouring seeds
    other = np.empty((100, 1000))
    rnd.fill_normal(20250102, 0, other)
    assert abs(_corr(normals[:100].ravel(), other.ravel())) < 5 / math.sqrt(other.size)


def test_threads_and_chunks_are_bit_identical():
    whole = np.empty((257, 31))
    rnd.fill_normal(42, 1000, whole)
    chunks = [np.empty((n, 31)) for n in (1, 100, 156)]
    start = 1000
    for c in chunks:
        rnd.fill_normal(42, start, c)
        start += c.shape[0]
    assert np.array_equal(whole, np.concatenate(chunks))
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            par = np.empty_like(whole)
            rnd.fill_normal_parallel(42, 1000, par)
            assert np.array_equal(whole, par)
    finally:
        numba.set_num_threads(before)


def test_callable_from_user_njit_code():
    @numba.njit
    def user(seed, n):
        s = 0.0
        for d in range(n):
            s += rnd.normal(seed, d, 3) + rnd.uniform(seed, d, 3) + rnd.triangular(seed, d, 3, 0.0, 0.5, 1.0)
        return s

    expected = sum(rnd.normal(9, d, 3) + rnd.uniform(9, d, 3) + rnd.triangular(9, d, 3, 0.0, 0.5, 1.0) for d in range(50))
    assert user(9, 50) == expected


def test_keys_and_counters_change_the_output():
    base = rnd.normal(1, 2, 3)
    assert base != rnd.normal(2, 2, 3) and base != rnd.normal(1, 3, 3) and base != rnd.normal(1, 2, 4)
    # the high words of seed and draw are used (they go to k1 and c3)
    assert rnd.normal(1 + 2**32, 2, 3) != base and rnd.normal(1, 2 + 2**32, 3) != base
