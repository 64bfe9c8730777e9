"""LMDI-I decomposition (issue 14): kernels against the loop reference, the identities the method
guarantees, the zero cases of Ang & Liu (2007), the labelled API, dask, and bad input."""

from __future__ import annotations

import math

import dask
import numba
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastcarbon.core import lmdi as core
from fastcarbon.decompose import TotalMismatchError, lmdi
from fastcarbon.errors import (
    FastcarbonError,
    InvalidValueError,
    MissingDimensionError,
    OverflowResultError,
    UnknownLabelError,
)
from fastcarbon.kernels import log_mean, log_ratio
from fastcarbon.kernels.lmdi import _log_ge1
from fastcarbon.reference.lmdi import lmdi_loops, lmdi_numpy, log_mean_reference

# ----------------------------------------------------------------------------- strategies

positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw, elements=positive, max_k=5):
    """(factors, pairs, n_over): K factors of shape (*batch, T, *over) with random size-1 axes
    (constant along a batch dim, over T, or over a sub-category dim), and pairs of periods."""
    n_over = draw(st.integers(0, 2))
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    n_t = draw(st.integers(2, 4))
    over = tuple(draw(st.integers(1, 4)) for _ in range(n_over))
    full = batch + (n_t,) + over
    n_k = draw(st.integers(1, max_k))
    factors = []
    for k in range(n_k):
        keep = [draw(st.booleans()) or (k == 0 and a == len(batch)) for a in range(len(full))]
        drop = draw(st.integers(0, len(batch)))  # numpy broadcasting also drops leading axes
        shape = tuple(s if k else 1 for s, k in zip(full, keep))[drop:]
        factors.append(draw(hnp.arrays(np.float64, shape, elements=elements)))
    pairs = draw(st.lists(st.tuples(st.integers(0, n_t - 1), st.integers(0, n_t - 1)), min_size=1, max_size=4))
    return factors, np.array(pairs), n_over


def gross(r, n_over):
    """Σ_k Σ_i |ΔV_{k,i}| per batch item and pair: the scale of the rounding of Σ_k ΔV_k."""
    return np.abs(r.effect_by).sum(axis=tuple(range(-n_over - 1, 0)))


# ----------------------------------------------------------------------------- L(a, b)


def test_log_mean_exact_values_and_limits():
    assert log_mean(3.0, 3.0) == 3.0
    assert log_mean(math.e, 1.0) == pytest.approx(math.e - 1, rel=1e-15)
    assert log_mean(2.0, 1.0) == log_mean(1.0, 2.0)  # symmetric bit for bit
    # extreme ratios: hi/lo overflows, the difference of the logs does not
    assert log_mean(1e300, 1e-300) == pytest.approx(1e300 / (math.log(1e300) - math.log(1e-300)), rel=1e-14)
    assert log_mean_reference(5.0, 0.0) == 0.0 and log_mean_reference(0.0, 5.0) == 0.0


@pytest.mark.parametrize("x", [1e-15, 1e-12, 1e-9, 1e-6, 1e-3, -1e-9, -1e-3])
def test_log_mean_has_no_cancellation_near_equal_arguments(x):
    a = 7.0
    b = a * (1 + x)
    # series of L(a, a(1 + x)) = a·x/log1p(x) = a(1 + x/2 − x²/12 + x³/24 − ...), relative to b/a - 1
    # as stored (b is rounded)
    xs = (b - a) / a
    series = a * (1 + xs / 2 - xs**2 / 12 + xs**3 / 24 - 19 * xs**4 / 720)
    assert log_mean(b, a) == pytest.approx(series, rel=4e-16)
    assert log_mean_reference(b, a) == pytest.approx(series, rel=4e-16)
    naive = (b - a) / (math.log(b) - math.log(a))  # what the plain formula loses
    if abs(x) <= 1e-9:  # loses the x/2 term's digits: 1e3 times the kernel's error or more
        assert abs(naive / series - 1) > 1e-13


@given(st.floats(1e-200, 1e200), st.floats(1e-200, 1e200))
def test_log_mean_matches_the_reference_and_lies_between_geometric_and_arithmetic(a, b):
    got = log_mean(a, b)
    assert got == pytest.approx(log_mean_reference(a, b), rel=1e-14)
    assert got == log_mean(b, a)
    assert math.sqrt(a) * math.sqrt(b) * (1 - 1e-14) <= got <= (a / 2 + b / 2) * (1 + 1e-14)


# ----------------------------------------------------------------------------- exactness


@given(problems())
def test_additive_effects_sum_to_the_change(prob):
    factors, pairs, n_over = prob
    r = core.lmdi(factors, pairs, n_over=n_over)
    assert np.array_equal(r.total, r.v_target - r.v_base)
    scale = r.v_base + r.v_target + gross(r, n_over)
    assert (np.abs(r.effect.sum(-1) - r.total) <= 1e-12 * scale).all()
    # and each sub-category's effects sum to its own change, which sum to the total
    np.testing.assert_allclose(r.effect_by.sum(axis=tuple(range(-n_over, 0))), r.effect, rtol=1e-12,
                               atol=1e-12 * scale.max())


@given(problems())
def test_multiplicative_effects_multiply_to_the_ratio(prob):
    factors, pairs, n_over = prob
    r = core.lmdi(factors, pairs, n_over=n_over, kind="multiplicative")
    add = core.lmdi(factors, pairs, n_over=n_over)
    assert np.array_equal(r.total, r.v_target / r.v_base)
    w = np.vectorize(log_mean_reference)(r.v_target, r.v_base)
    scale = (r.v_base + r.v_target + gross(add, n_over)) / w  # the rounding of Σ_k ln D_k
    assert (np.abs(np.log(r.effect).sum(-1) - np.log(r.total)) <= 1e-12 * scale).all()
    assert (np.abs(np.prod(r.effect, axis=-1) / r.total - 1) <= 1e-12 * scale * np.maximum(1, r.total)).all()


@given(problems())
def test_kernel_equals_the_loop_reference(prob):
    factors, pairs, n_over = prob
    for kind in ("additive", "multiplicative"):
        r = core.lmdi(factors, pairs, n_over=n_over, kind=kind)
        ref = lmdi_loops(factors, pairs, n_over, kind)
        scale = (r.v_base + r.v_target)[..., None]
        np.testing.assert_allclose(r.v_base, ref["v_base"], rtol=1e-14)
        np.testing.assert_allclose(r.v_target, ref["v_target"], rtol=1e-14)
        if kind == "additive":
            assert (np.abs(r.effect - ref["effect"]) <= 1e-13 * scale).all()
        else:
            np.testing.assert_allclose(r.effect, ref["effect"], rtol=1e-11)
        np.testing.assert_allclose(r.effect_by, ref["effect_by"], rtol=1e-12, atol=1e-13 * scale.max())


@given(problems())
def test_numpy_baseline_agrees(prob):
    factors, pairs, n_over = prob
    r = core.lmdi(factors, pairs, n_over=n_over)
    ref = lmdi_numpy(factors, pairs, n_over)
    scale = (r.v_base + r.v_target)[..., None]
    assert np.abs(r.effect - ref["effect"]).max() <= 1e-9 * scale.max()


@given(problems())
def test_swapping_base_and_target_negates_and_inverts(prob):
    factors, pairs, n_over = prob
    fwd = core.lmdi(factors, pairs, n_over=n_over)
    back = core.lmdi(factors, pairs[:, ::-1], n_over=n_over)
    # bit for bit: ±ln(larger/smaller) and L of the sorted pair
    assert np.array_equal(back.effect, -fwd.effect)
    assert np.array_equal(back.effect_by, -fwd.effect_by)
    assert np.array_equal(back.total, -fwd.total)
    mf = core.lmdi(factors, pairs, n_over=n_over, kind="multiplicative")
    mb = core.lmdi(factors, pairs[:, ::-1], n_over=n_over, kind="multiplicative")
    np.testing.assert_allclose(mb.effect * mf.effect, 1.0, rtol=1e-13)
    np.testing.assert_allclose(mb.total * mf.total, 1.0, rtol=1e-14)


@given(problems())
def test_multiplicative_and_additive_are_consistent(prob):
    """ln D_k / ln D_tot = ΔV_k / ΔV_tot (Ang 2005): both are ΔV_k / (L(V^T, V^0) ln(V^T/V^0))."""
    factors, pairs, n_over = prob
    add = core.lmdi(factors, pairs, n_over=n_over)
    mul = core.lmdi(factors, pairs, n_over=n_over, kind="multiplicative")
    scale = add.v_base + add.v_target + gross(add, n_over)
    ok = np.abs(add.total) > 1e-6 * scale  # the ratio is defined where ΔV is not rounding noise
    with np.errstate(divide="ignore", invalid="ignore"):
        lhs = np.log(mul.effect) / np.log(mul.total)[..., None]
        rhs = add.effect / add.total[..., None]
        tol = 1e-12 * (scale / np.abs(add.total))[..., None]
    assert (np.abs(lhs - rhs) <= tol)[ok].all()


@given(problems())
def test_unchanged_factor_has_effect_exactly_zero_or_one(prob):
    factors, pairs, n_over = prob
    n = len(factors)
    t_axis = factors[0].ndim - n_over - 1
    const = np.full(factors[0].shape[:t_axis] + (1,) * (n_over + 1), 3.7)  # no period axis
    same = np.repeat(np.take(factors[0], [0], axis=t_axis), factors[0].shape[t_axis], axis=t_axis)
    factors = factors + [const, same]  # the second: equal values at every period
    add = core.lmdi(factors, pairs, n_over=n_over)
    mul = core.lmdi(factors, pairs, n_over=n_over, kind="multiplicative")
    assert (add.effect[..., n:] == 0.0).all() and (mul.effect[..., n:] == 1.0).all()
    assert (np.take(add.effect_by, [n, n + 1], axis=-n_over - 1) == 0.0).all()
    assert (np.take(mul.effect_by, [n, n + 1], axis=-n_over - 1) == 1.0).all()
    # a pair of equal periods: every effect is 0 (1) and the total too
    eq = core.lmdi(factors, [(1, 1)], n_over=n_over)
    assert (eq.effect == 0.0).all() and (eq.total == 0.0).all()
    eqm = core.lmdi(factors, [(1, 1)], n_over=n_over, kind="multiplicative")
    assert (eqm.effect == 1.0).all() and (eqm.total == 1.0).all()


@pytest.mark.parametrize("scale", [1e-100, 1.0, 1e150])
@pytest.mark.parametrize("change", [0.0, 1e-13, 1e-7, 0.3, 1.0, 30.0])
def test_sub_category_weight_is_the_log_mean_at_any_magnitude(scale, change):
    """The kernel's L from Σ ln ratios (series near 0, (V^T − V^0)/s beyond) against the
    reference L(V^T, V^0), for V of 1e-200..1e300 (V^0 V^T would overflow at 1e300)."""
    a = np.array([[scale], [scale * (1 + change)]])
    b = np.array([[scale], [scale * (1 + change) ** -0.5]])
    r = core.lmdi([a, b], [(0, 1)], n_over=1)
    (a0, a1), (b0, b1) = a.ravel().tolist(), b.ravel().tolist()  # as stored
    w = log_mean_reference(a1 * b1, a0 * b0)
    # the ln ratios as the kernel takes them (±ln(larger/smaller): an absolute rounding of ~1e-16
    # that is 1e-9 relative on a change of 1e-7): this test is about the weight
    expect = [w * log_ratio(a1, a0), w * log_ratio(b1, b0)]
    np.testing.assert_allclose(r.effect[0], expect, rtol=1e-13, atol=0)


def test_kernel_logarithm_is_within_one_ulp_of_libm():
    """The kernels' own ln q for q >= 1 (fdlibm's algorithm, vectorizable) against math.log
    (glibc: correctly rounded in practice), from 1 + 2^-52 to the largest float."""
    rng = np.random.default_rng(11)
    qs = np.concatenate([
        1.0 + rng.random(20_000) * 1e-12, 1.0 + rng.random(20_000) * 1e-6, 1.0 + rng.random(20_000),
        np.exp(rng.uniform(0, 709, 20_000)),
        np.sqrt(2.0) * (1 + np.arange(-50, 50) * 2.0**-52), 2.0 ** np.arange(0, 1024),
        [np.nextafter(1.0, 2.0), np.finfo(float).max],
    ])
    got = np.array([_log_ge1(q) for q in qs])
    want = np.array([math.log(q) for q in qs])
    assert (np.abs(got - want) <= np.spacing(want)).all()
    assert _log_ge1(1.0) == 0.0 and _log_ge1(2.0) == math.log(2.0)
    assert _log_ge1(math.inf) == math.inf and math.isnan(_log_ge1(math.nan))


@pytest.mark.parametrize("kind", ["additive", "multiplicative"])
def test_chained_pairs_equal_each_pair_alone_bit_for_bit(kind):
    """A chain (base = the previous target) reuses that period's values, products and roots; the
    results are those of each pair computed fresh, to the bit, zero cases and all."""
    rng = np.random.default_rng(12)
    factors = [rng.uniform(0.5, 2, (9, 6, 1)), rng.uniform(0, 2, (9, 6, 12)), rng.uniform(0.5, 2, (1, 6, 12)),
               rng.uniform(0.5, 2, (9, 1, 12))]  # the last: constant over the periods
    factors[1][factors[1] < 0.15] = 0.0  # enters, leaves, absent at both ends
    pairs = [(0, 1), (1, 2), (2, 3), (3, 5), (5, 4), (4, 3), (0, 2), (2, 2), (2, 5)]
    chained = core.lmdi(factors, pairs, n_over=1, kind=kind)
    for p, pair in enumerate(pairs):
        alone = core.lmdi(factors, [pair], n_over=1, kind=kind)
        for a, b in zip(chained, alone):
            np.testing.assert_array_equal(a[:, p], b[:, 0])


def test_two_factor_example_by_hand():
    """V = a·b over two sectors; L and the logs written out."""
    a = np.array([[10.0], [12.0]])
    b = np.array([[0.5, 0.2], [0.4, 0.2]])
    r = core.lmdi([a, b], [(0, 1)], n_over=1)
    w1 = (4.8 - 5.0) / math.log(4.8 / 5.0)
    w2 = (2.4 - 2.0) / math.log(2.4 / 2.0)
    exp_a = w1 * math.log(1.2) + w2 * math.log(1.2)
    exp_b = w1 * math.log(0.8)
    np.testing.assert_allclose(r.effect[0], [exp_a, exp_b], rtol=1e-14)
    np.testing.assert_allclose(r.effect_by[0], [[w1 * math.log(1.2), w2 * math.log(1.2)], [exp_b, 0.0]],
                               rtol=1e-14)
    assert r.total[0] == pytest.approx(0.2, rel=1e-13)


# ----------------------------------------------------------------------------- zero values


def _one(x0, x1):
    """The effects of one sub-category with factors x0 at the base and x1 at the target."""
    f = [np.array([[a], [b]]) for a, b in zip(x0, x1)]
    return core.lmdi(f, [(0, 1)], n_over=1).effect_by[0, :, 0]


# (x0, x1, analytical limit) for each zero case of Ang & Liu (2007), Table 1, three factors
ZERO_CASES = {
    # V^0 = 0 < V^T: the factor that went from 0 takes V^T, the others 0
    "V0=0,VT>0: x from 0": ([0.0, 2.0, 3.0], [1.0, 4.0, 3.0], [12.0, 0.0, 0.0]),
    # V^0 > 0 = V^T: the factor that went to 0 takes -V^0
    "V0>0,VT=0: x to 0": ([1.0, 2.0, 3.0], [1.0, 0.0, 5.0], [0.0, -6.0, 0.0]),
    # V^0 = V^T = 0: nothing changes, whichever factors are 0
    "V0=VT=0: same x zero at both": ([0.0, 2.0, 3.0], [0.0, 4.0, 5.0], [0.0, 0.0, 0.0]),
    "V0=VT=0: x from 0, another to 0": ([0.0, 2.0, 3.0], [1.0, 0.0, 5.0], [0.0, 0.0, 0.0]),
    "V0=VT=0: x zero at both, another changes": ([0.0, 2.0, 3.0], [0.0, 8.0, 3.0], [0.0, 0.0, 0.0]),
    "V0=VT=0: every factor zero": ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    # several factors from 0 (or to 0): fastcarbon's rule, an equal share each
    "V0=0,VT>0: two from 0": ([0.0, 0.0, 3.0], [1.0, 4.0, 3.0], [6.0, 6.0, 0.0]),
    "V0>0,VT=0: two to 0": ([1.0, 2.0, 3.0], [0.0, 0.0, 5.0], [-3.0, -3.0, 0.0]),
}


@pytest.mark.parametrize("case", list(ZERO_CASES))
def test_zero_case_equals_the_analytical_limit(case):
    x0, x1, limit = ZERO_CASES[case]
    got = _one(x0, x1)
    assert got.tolist() == limit
    ref = lmdi_loops([np.array([[a], [b]]) for a, b in zip(x0, x1)], [(0, 1)], 1)["effect_by"][0, :, 0]
    assert ref.tolist() == limit


@pytest.mark.parametrize("case", ["V0=0,VT>0: x from 0", "V0>0,VT=0: x to 0"])
def test_zero_limit_is_approached_by_small_values(case):
    """The limit is what the positive formula tends to as the zero value shrinks (never a δ
    substituted: the kernel gives the limit itself)."""
    x0, x1, limit = ZERO_CASES[case]
    for eps in (1e-8, 1e-12, 1e-16):
        a = [eps if v == 0 else v for v in x0]
        b = [eps if v == 0 else v for v in x1]
        near = _one(a, b)
        assert np.abs(near - limit).max() < 0.2 * (-math.log10(eps)) ** -0.5 * 12  # converges like 1/ln(1/eps)
    assert _one(x0, x1).tolist() == limit


def test_zero_cases_keep_additivity_and_mix_with_positive_sub_categories():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 2, (2, 3, 4, 6))  # (T, K... as separate factors below)
    factors = [x[:, k] for k in range(3)]  # each (T=2, 4, 6): n_over = 2
    factors[0][0, 0, :3] = 0.0  # enters
    factors[1][1, 1, 2:] = 0.0  # leaves
    factors[2][:, 2, 1] = 0.0  # absent at both ends
    r = core.lmdi(factors, [(0, 1)], n_over=2)
    np.testing.assert_allclose(r.effect.sum(-1), r.total, rtol=1e-13)
    ref = lmdi_loops(factors, [(0, 1)], 2)
    np.testing.assert_allclose(r.effect_by, ref["effect_by"], rtol=1e-12, atol=1e-15)
    mul = core.lmdi(factors, [(0, 1)], n_over=2, kind="multiplicative")
    np.testing.assert_allclose(mul.effect.prod(-1), mul.total, rtol=1e-13)


def test_multiplicative_with_a_zero_total_raises():
    f = [np.array([[0.0, 0.0], [1.0, 2.0]])]
    assert core.lmdi(f, [(0, 1)], n_over=1).total[0] == 3.0  # additive: fine
    with pytest.raises(core.ZeroTotalError, match="multiplicative LMDI is undefined.*kind='additive'"):
        core.lmdi(f, [(0, 1)], n_over=1, kind="multiplicative")


def test_product_overflow_raises():
    f = [np.array([[1e200], [1e201]]), np.array([[1e200], [1e200]])]
    with pytest.raises(OverflowResultError, match="V_i"):
        core.lmdi(f, [(0, 1)], n_over=1)
    g = [np.array([[1e-200], [1e-201]]), np.array([[1e-200], [1e-200]])]  # underflows to 0
    with pytest.raises(OverflowResultError, match="underflows"):
        core.lmdi(g, [(0, 1)], n_over=1)


# ----------------------------------------------------------------------------- core: bad input


@pytest.mark.parametrize("value", [-1.0, np.nan, np.inf])
def test_core_bad_value_names_the_factor_and_index(value):
    f = [np.ones((2, 3, 4)), np.ones((3, 1))]
    f[0][1, 2, 3] = value
    with pytest.raises(core.BadFactorError, match=r"factors\[0\]: bad value .* at index \(1, 2, 3\)") as err:
        core.lmdi(f, [(0, 1), (1, 2)], n_over=1)
    assert err.value.factor == 0 and err.value.index == (1, 2, 3)


def test_core_bad_value_at_an_unused_period_is_not_read():
    f = np.ones((3, 2))
    f[2, 0] = -1.0
    assert core.lmdi([f], [(0, 1)], n_over=1).total[0] == 0.0


def test_core_rejects_bad_arguments():
    with pytest.raises(FastcarbonError, match="kind"):
        core.lmdi([np.ones((2, 1))], [(0, 1)], n_over=1, kind="ratio")
    with pytest.raises(FastcarbonError, match="do not broadcast"):
        core.lmdi([np.ones((2, 3)), np.ones((2, 4))], [(0, 1)], n_over=1)
    with pytest.raises(FastcarbonError, match="pairs: positions"):
        core.lmdi([np.ones((2, 3))], [(0, 2)], n_over=1)
    with pytest.raises(FastcarbonError, match="real numbers"):
        core.lmdi([np.array([["a"], ["b"]])], [(0, 1)], n_over=1)
    with pytest.raises(FastcarbonError, match="at least one factor"):
        core.lmdi([], [(0, 1)], n_over=1)


def test_layouts_read_without_copy_give_the_same_bits():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 2, (4, 3, 5, 6))
    y = rng.uniform(0.5, 2, (4, 1, 5, 1))
    base = core.lmdi([x, y], [(0, 2), (1, 4)], n_over=1)
    f = np.asfortranarray(x)
    t = np.ascontiguousarray(x.transpose(3, 1, 0, 2)).transpose(2, 1, 3, 0)  # dense, permuted
    rev = x[:, :, :, ::-1].copy()[:, :, :, ::-1]  # negative strides: copied
    for variant in (f, t, rev):
        r = core.lmdi([variant, y], [(0, 2), (1, 4)], n_over=1)
        for a, b in zip(base, r):
            np.testing.assert_array_equal(a, b)


def test_serial_parallel_and_thread_counts_bit_identical():
    rng = np.random.default_rng(0)
    factors = [rng.uniform(0.5, 2, (300, 7, 1)), rng.uniform(0, 2, (300, 7, 12)), rng.uniform(0.5, 2, (1, 7, 12))]
    factors[1][factors[1] < 0.1] = 0.0  # zero cases in some items
    pairs = [(k, k + 1) for k in range(6)]
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = core.lmdi(factors, pairs, n_over=1, parallel=True)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = core.lmdi(factors, pairs, n_over=1, parallel=True)
    finally:
        numba.set_num_threads(before)
    serial = core.lmdi(factors, pairs, n_over=1, parallel=False)
    for a, b, c in zip(one, two, serial):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_detail_false_gives_the_same_effects():
    rng = np.random.default_rng(1)
    f = [rng.uniform(0.5, 2, (5, 3, 4)), rng.uniform(0.5, 2, (3, 1))]
    full = core.lmdi(f, [(0, 2)], n_over=1)
    lean = core.lmdi(f, [(0, 2)], n_over=1, detail=False)
    assert lean.effect_by is None
    np.testing.assert_array_equal(full.effect, lean.effect)


# ----------------------------------------------------------------------------- labelled API

YEARS = np.arange(2011, 2021)
REGIONS = ["Bengbu", "Hefei", "Wuhu"]
SECTORS = ["industry", "transport", "buildings"]
FUELS = ["coal", "oil", "gas"]


def kaya(seed=0, draws=0):
    """activity (region, year[, draw]) × structure (region, year, sector) × intensity
    (region, year, sector) × mix (region, year, sector, fuel) × factor (fuel)."""
    rng = np.random.default_rng(seed)
    nr, nt, ns, nf = len(REGIONS), YEARS.size, len(SECTORS), len(FUELS)
    extra = (draws,) if draws else ()
    dr = {"draw": np.arange(draws)} if draws else {}
    ddims = ("draw",) if draws else ()
    act = 100 * np.cumprod(rng.uniform(1.0, 1.1, (nr, nt) + extra), axis=1)
    s = rng.uniform(0.2, 1, (nr, nt, ns))
    mix = rng.uniform(0.1, 1, (nr, nt, ns, nf))
    coords = {"region": REGIONS, "year": YEARS, "sector": SECTORS, "fuel": FUELS, **dr}
    ds = xr.Dataset(
        {
            "activity": (("region", "year") + ddims, act, {"units": "1e8 CNY"}),
            "structure": (("region", "year", "sector"), s / s.sum(-1, keepdims=True)),
            "intensity": (("region", "year", "sector"), rng.uniform(0.5, 2, (nr, nt, ns)), {"units": "tce / (1e4 CNY)"}),
            "mix": (("region", "year", "sector", "fuel"), mix / mix.sum(-1, keepdims=True)),
            "factor": (("fuel",), [2.66, 2.73, 1.56], {"units": "t CO2 / tce"}),
        },
        coords=coords,
    )
    return ds


IDENTITY = "emissions = activity * structure * intensity * mix * factor"


def test_labelled_result_layout_units_and_attrs():
    ds = kaya()
    out = lmdi(ds, dim="year", over=("sector", "fuel"), identity=IDENTITY)
    assert out.effect.dims == ("factor", "period", "region")
    assert out.effect_by.dims == ("factor", "period", "sector", "fuel", "region")
    assert out.total.dims == ("period", "region")
    assert out.factor.values.tolist() == ["activity", "structure", "intensity", "mix", "factor"]
    assert out.period.values[0] == "2011-2012" and out.base.values[0] == 2011 and out.target.values[-1] == 2020
    assert out.sector.values.tolist() == SECTORS and out.region.values.tolist() == REGIONS
    for name, var in out.data_vars.items():
        assert var.attrs["units"] == "10000 t CO2", name  # 1e8 CNY · tce/(1e4 CNY) · t CO2/tce
        assert var.attrs["long_name"]
    assert out.attrs["kind"] == "additive" and out.attrs["method"] == "LMDI-I (Ang 2004, 2005, 2015)"
    assert out.attrs["identity"] == IDENTITY
    # the factor effect (constant over years) is exactly 0
    assert (out.effect.sel(factor="factor") == 0).all()
    xr.testing.assert_allclose(out.effect_by.sum(["sector", "fuel"]), out.effect, rtol=1e-12)
    mul = lmdi(ds, dim="year", over=("sector", "fuel"), identity=IDENTITY, kind="multiplicative")
    assert mul.effect.attrs["units"] == "1" and mul.total.attrs["units"] == "1"
    assert mul.V_base.attrs["units"] == "10000 t CO2"
    assert (mul.effect.sel(factor="factor") == 1).all()


def test_chained_effects_sum_to_the_direct_change():
    ds = kaya()
    chained = lmdi(ds, dim="year", over=("sector", "fuel"))
    direct = lmdi(ds, dim="year", over=("sector", "fuel"), base=2011, target=2020)
    np.testing.assert_allclose(chained.total.sum("period"), direct.total, rtol=1e-12)
    np.testing.assert_allclose(chained.effect.sum(["period", "factor"]), direct.total, rtol=1e-12)
    assert direct.base.item() == 2011 and "period" not in direct.dims and "pair" not in direct.dims
    first_last = lmdi(ds, dim="year", over=("sector", "fuel"), chain=False)
    np.testing.assert_array_equal(first_last.effect.isel(period=0), direct.effect)
    # the multiplicative chain multiplies to the direct ratio
    cm = lmdi(ds, dim="year", over=("sector", "fuel"), kind="multiplicative")
    dm = lmdi(ds, dim="year", over=("sector", "fuel"), kind="multiplicative", base=2011, target=2020)
    np.testing.assert_allclose(cm.total.prod("period"), dm.total, rtol=1e-12)


def test_batch_equals_a_per_region_loop_of_the_reference():
    ds = kaya(draws=2)
    out = lmdi(ds, dim="year", over=("sector", "fuel"), identity=IDENTITY)
    names = list(out.factor.values)
    for r in REGIONS:
        for d in range(2):
            one = ds.sel(region=r, draw=d)
            arrays = [one[n].broadcast_like(one).transpose("year", "sector", "fuel").values for n in names]
            ref = lmdi_loops(arrays, [(k, k + 1) for k in range(YEARS.size - 1)], 2)
            got = out.sel(region=r, draw=d)
            np.testing.assert_allclose(got.effect.transpose("period", "factor"), ref["effect"], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(got.effect_by.transpose("period", "factor", "sector", "fuel"),
                                       ref["effect_by"], rtol=1e-12, atol=1e-13)
            np.testing.assert_allclose(got.total, ref["total"], rtol=1e-12, atol=1e-12)


def raise_if_computed(dsk, keys, **kwargs):
    raise AssertionError("a dask graph was computed where the result should stay lazy")


@pytest.mark.parametrize("kind", ["additive", "multiplicative"])
def test_chunked_equals_eager_bit_for_bit_and_stays_lazy(kind):
    ds = kaya(draws=4)
    eager = lmdi(ds, dim="year", over=("sector", "fuel"), identity=IDENTITY, kind=kind)
    chunked = ds.chunk({"region": 1, "draw": 2})
    with dask.config.set(scheduler=raise_if_computed):
        lazy = lmdi(chunked, dim="year", over=("sector", "fuel"), identity=IDENTITY, kind=kind)
    assert all(v.chunks is not None for v in lazy.data_vars.values())
    got = lazy.compute()
    for name in eager.data_vars:
        np.testing.assert_array_equal(got[name].values, eager[name].transpose(*got[name].dims).values)
        assert got[name].attrs == eager[name].attrs
    # chunks along year are merged (the changes need the whole axis), same bits
    other = lmdi(ds.chunk({"year": 3, "region": 2}), dim="year", over=("sector", "fuel"), kind=kind).compute()
    np.testing.assert_array_equal(other.effect.values, eager.effect.values)


def test_scenario_dim_pairs():
    ds = kaya().isel(year=[0, 5, 9]).rename(year="scenario").assign_coords(scenario=["RS", "PP-NZES", "AP-NZES"])
    one = lmdi(ds, dim="scenario", over="sector", base="RS", target="AP-NZES")
    assert one.effect.dims == ("factor", "fuel", "region") or one.effect.dims == ("factor", "region", "fuel")
    two = lmdi(ds, dim="scenario", over="sector", base="RS", target=["PP-NZES", "AP-NZES"])
    assert two.pair.values.tolist() == ["RS-PP-NZES", "RS-AP-NZES"]
    np.testing.assert_array_equal(two.effect.isel(pair=1).values, one.effect.values)
    fixed = lmdi(ds, dim="scenario", over="sector", base="RS")
    assert fixed.target.values.tolist() == ["PP-NZES", "AP-NZES"]
    swapped = lmdi(ds, dim="scenario", over="sector", base="AP-NZES", target="RS")
    np.testing.assert_array_equal(swapped.effect.values, -one.effect.values)


def test_factors_without_dim_are_constant_and_dataset_order_is_the_factor_order():
    ds = kaya()[["activity", "intensity", "factor"]]
    out = lmdi(ds, dim="year", over="sector")
    assert out.factor.values.tolist() == ["activity", "intensity", "factor"]
    assert (out.effect.sel(factor="factor") == 0).all()


def test_total_is_checked_and_its_units_used():
    ds = kaya()
    prod = ds.activity * ds.structure * ds.intensity * ds.mix * ds.factor
    em = prod.sum(["sector", "fuel"]).assign_attrs(units="Mt CO2")
    out = lmdi(ds, dim="year", over=("sector", "fuel"), total=em)
    assert out.total.attrs["units"] == "Mt CO2"
    # the total as a variable named by the identity's left side is used too
    with_var = ds.assign(emissions=em * (1 + 1e-3 * (em.region == "Hefei")))
    with pytest.raises(TotalMismatchError, match=r"region='Hefei', year=\d{4}.*relative error 0.000999.*rtol=1e-06"):
        lmdi(with_var, dim="year", over=("sector", "fuel"), identity=IDENTITY)
    assert lmdi(with_var, dim="year", over=("sector", "fuel"), identity=IDENTITY, rtol=1e-2).effect.size


def test_total_check_under_dask_raises_when_computed():
    ds = kaya()
    em = (ds.activity * ds.structure * ds.intensity * ds.mix * ds.factor).sum(["sector", "fuel"])
    bad = em.copy()
    bad.loc[{"region": "Wuhu", "year": 2015}] *= 1.01
    with dask.config.set(scheduler=raise_if_computed):
        lazy = lmdi(ds.chunk({"region": 1}), dim="year", over=("sector", "fuel"), total=bad.chunk({"region": 1}))
    with pytest.raises(TotalMismatchError, match=r"region='Wuhu', year=2015"):
        lazy.compute()


# ----------------------------------------------------------------------------- labelled: bad input


@pytest.mark.parametrize("value", [-0.5, np.nan, np.inf])
@pytest.mark.parametrize("chunked", [False, True])
def test_bad_value_names_the_variable_and_labels(value, chunked):
    ds = kaya(draws=2)
    ds["mix"][1, 4, 2, 0] = value  # Hefei, 2015, buildings, coal
    if chunked:
        ds = ds.chunk({"region": 1, "draw": 1})
    with pytest.raises(InvalidValueError) as err:
        lmdi(ds, dim="year", over=("sector", "fuel")).compute()
    msg = str(err.value)
    assert "factors['mix']" in msg
    assert "region='Hefei', year=2015, sector='buildings', fuel='coal'" in msg
    assert "np." not in msg


def test_unknown_identity_variables_list_the_available_ones():
    ds = kaya()
    with pytest.raises(UnknownLabelError, match=r"unknown variable\(s\) \['energy'\].*'activity', 'structure'"):
        lmdi(ds, dim="year", over="sector", identity="emissions = energy * mix * factor")
    with pytest.raises(FastcarbonError, match="not of the form"):
        lmdi(ds, dim="year", over="sector", identity="emissions = activity + mix")


def test_a_dim_missing_from_every_factor_raises():
    ds = kaya()
    with pytest.raises(MissingDimensionError, match="dim 'scenario' is in none of the factors"):
        lmdi(ds, dim="scenario", over="sector")
    with pytest.raises(MissingDimensionError, match="over dim 'process'"):
        lmdi(ds, dim="year", over=("sector", "process"))


def test_other_bad_arguments():
    ds = kaya()
    with pytest.raises(UnknownLabelError, match="base: 2030 is not a label of 'year'"):
        lmdi(ds, dim="year", over="sector", base=2030, target=2020)
    with pytest.raises(FastcarbonError, match="needs a base"):
        lmdi(ds, dim="year", over="sector", target=2020)
    with pytest.raises(FastcarbonError, match="kind must be"):
        lmdi(ds, dim="year", over="sector", kind="log")
    with pytest.raises(FastcarbonError, match="different lengths"):
        lmdi(ds, dim="year", over="sector", base=[2011, 2012], target=[2020])
    with pytest.raises(FastcarbonError, match="expected an xarray.Dataset"):
        lmdi(ds.activity, dim="year", over="sector")
    with pytest.raises(FastcarbonError, match="one label"):
        lmdi(ds.isel(year=[0]), dim="year", over="sector")
    zero = ds.assign(activity=ds.activity.where(ds.year != 2013, 0.0))
    with pytest.raises(core.ZeroTotalError, match=r"region='Bengbu', year=2012 -> 2013"):
        lmdi(zero, dim="year", over=("sector", "fuel"), kind="multiplicative")
