"""Exact quantiles by selection (kernels/quantile.py, core/quantiles.py, uncertainty.quantile_bands)."""

from __future__ import annotations

import functools

import numba
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastcarbon import uncertainty
from fastcarbon.core import NonFiniteSampleError, quantile
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, ShapeError
from fastcarbon.kernels import quantile as kernels
from fastcarbon.reference.quantile import REGISTRY, quantile_loops

# values from tiny to huge, both signs, and few distinct values (ties)
magnitudes = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e300, 1e300, allow_nan=False),
    st.floats(-1e-300, 1e-300, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1.0, -2.5, 3.0]),
)
probabilities = st.lists(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 0.5, 0.05, 0.95])),
                         min_size=1, max_size=5)


def within_one_ulp(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    gap = np.abs(got - want)
    assert (gap <= np.spacing(np.abs(want))).all() | np.array_equal(got, want), (got, want)


@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=7), elements=magnitudes),
       q=probabilities, data=st.data())
def test_equals_numpy_within_one_ulp(x, q, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    within_one_ulp(quantile(x, q, axis=axis), np.quantile(x, q, axis=axis))
    within_one_ulp(quantile(x, q[0], axis=axis), np.quantile(x, q[0], axis=axis))


@given(n=st.integers(1, 400), q=probabilities, seed=st.integers(0, 2**32 - 1),
       distinct=st.sampled_from([1, 2, 3, 10, None]))
def test_long_rows_with_ties_equal_numpy(n, q, seed, distinct):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) if distinct is None else rng.integers(0, distinct, size=(n, 3)).astype(float)
    assert np.array_equal(quantile(x, q), np.quantile(x, q, axis=0))
    assert np.array_equal(quantile(x.T, q, axis=1), np.quantile(x.T, q, axis=1))


def test_adversarial_orders_and_a_single_draw():
    n = 2001
    for x in (np.arange(n, dtype=float), np.arange(n, 0, -1, dtype=float), np.zeros(n),
              np.tile([1.0, 2.0], n // 2 + 1)[:n], np.r_[np.arange(n // 2), np.arange(n // 2 + 1)][::-1] * 1.0):
        q = [0.0, 0.05, 0.5, 0.95, 1.0]
        assert np.array_equal(quantile(x, q), np.quantile(x, q))
    one = np.array([[3.5, -1.0]])
    assert quantile(one, [0.0, 0.3, 1.0]).tolist() == [[3.5, -1.0]] * 3


def test_infinities_give_what_numpy_gives():
    x = np.array([[1.0, np.inf], [2.0, 3.0], [np.inf, 4.0], [-np.inf, 5.0]])
    for q in (0.0, 0.4, 0.5, 1.0):
        with np.errstate(invalid="ignore"):  # numpy's own inf - inf
            want = np.quantile(x, q, axis=0)
        np.testing.assert_array_equal(quantile(x, q), want)


@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=magnitudes),
       q=probabilities)
def test_loop_reference(x, q):
    within_one_ulp(quantile_loops(x, q, axis=0), np.quantile(x, q, axis=0))
    assert set(REGISTRY["quantile"]) == {"loops", "numpy"}


def test_serial_and_parallel_bit_identical_for_any_thread_count():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(301, 7, 45))
    q = [0.05, 0.5, 0.95]
    serial = quantile(x, q, parallel=False)
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            assert np.array_equal(quantile(x, q, parallel=True), serial)
            assert np.array_equal(quantile(x, q, axis=2, parallel=True), quantile(x, q, axis=2, parallel=False))
    finally:
        numba.set_num_threads(before)
    out = np.empty((3, 7, 45))
    assert quantile(x, q, out=out) is out and np.array_equal(out, serial)


def test_kernel_leaves_input_untouched_and_strided_views_work():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 20))
    keep = x.copy()
    view = x[::2, ::3]
    assert np.array_equal(quantile(view, [0.2, 0.8]), np.quantile(view, [0.2, 0.8], axis=0))
    single = x.astype(np.float32)
    assert np.array_equal(quantile(single, 0.5), np.quantile(single.astype(float), 0.5, axis=0))
    assert np.array_equal(x, keep)
    assert quantile(np.arange(10), 0.5).item() == 4.5  # integers are read as float64


def test_select_many_orders_the_ranks():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, 300).astype(float)
    ks = np.array([0, 7, 8, 150, 298, 299])
    want = np.sort(a)[ks]
    kernels.select_many(a, ks, np.empty(4 * (ks.size + 1), np.int64))
    assert np.array_equal(a[ks], want)
    for k in ks:
        assert (a[:k] <= a[k]).all() and (a[k + 1:] >= a[k]).all()


@pytest.mark.parametrize("a, q, kw, error, match", [
    (np.array([1.0, np.nan, 2.0]), 0.5, {}, NonFiniteSampleError, r"a: nan at index \(1,\)"),
    (np.ones((2, 3)), 1.5, {}, InvalidValueError, r"q: probabilities must be in \[0, 1\], got 1.5"),
    (np.ones((2, 3)), [0.5, -0.1], {}, InvalidValueError, "got -0.1 at position 1"),
    (np.ones((2, 3)), [np.nan], {}, InvalidValueError, "got nan"),
    (np.ones((2, 3)), [], {}, InputError, "at least one probability"),
    (np.ones((2, 3)), [[0.5]], {}, InputError, "1-D"),
    (np.ones((2, 3)), "0.5", {}, InputTypeError, "q: must be numbers"),
    (np.ones((2, 3)), True, {}, InputTypeError, "q: must be a number"),
    (np.ones((2, 3)), 0.5, dict(axis=2), InputError, "axis: 2 is out of range"),
    (np.ones((2, 3)), 0.5, dict(axis=1.0), InputTypeError, "axis: must be an integer"),
    (np.ones((0, 3)), 0.5, {}, ShapeError, "axis 0 is empty"),
    (np.float64(2.0), 0.5, {}, InputError, "needs an axis"),
    (np.array(["a", "b"]), 0.5, {}, InputTypeError, "real numbers"),
    (np.ones((2, 3)), [0.5], dict(out=np.empty(3)), InputError, r"out: must be .* shape \(1, 3\)"),
    (np.ones((2, 3)), 0.5, dict(out=np.empty(3, np.float32)), InputError, "dtype float32"),
])
def test_bad_inputs(a, q, kw, error, match):
    with pytest.raises(error, match=match):
        quantile(a, q, **kw)


def test_nonfinite_error_names_position_in_any_axis():
    x = np.zeros((3, 4, 5))
    x[2, 1, 3] = np.nan
    with pytest.raises(NonFiniteSampleError, match=r"index \(2, 1, 3\)") as info:
        quantile(x, 0.5, axis=1)
    assert info.value.index == (2, 1, 3) and isinstance(info.value, ValueError)


# --- labelled: quantile_bands ------------------------------------------------------------------


def _draws(n=200, chunks=None):
    rng = np.random.default_rng(1)
    da = xr.DataArray(rng.normal(size=(n, 3, 6)).cumsum(-1), dims=("draw", "scenario", "year"),
                      coords={"scenario": ["a", "b", "c"], "year": np.arange(2020, 2026)}, attrs={"units": "Mt CO2"})
    return da if chunks is None else da.chunk(chunks)


def test_quantile_bands_equals_xarray_quantile():
    da = _draws()
    b = uncertainty.quantile_bands(da, [0.05, 0.5, 0.95])
    ref = da.quantile([0.05, 0.5, 0.95], dim="draw")
    for k, name in enumerate(["p5", "p50", "p95"]):
        assert np.array_equal(b[name].values, ref.values[k])
        assert b[name].dims == ("scenario", "year") and b[name].attrs["units"] == "Mt CO2"
        assert list(b[name].coords) == ["scenario", "year"]


def test_quantile_bands_dask_maps_blocks_without_rechunking_draws():
    eager = uncertainty.quantile_bands(_draws())
    one_chunk = _draws(chunks={"draw": -1, "scenario": 1})
    lazy = uncertainty.quantile_bands(one_chunk)
    assert lazy.p5.chunks == ((1, 1, 1), (6,))
    # one task per input block: no rechunk layer in the graph
    assert not any("rechunk" in str(k) for k in dict(lazy.p5.data.dask))
    xr.testing.assert_identical(lazy.compute(), eager)
    split = uncertainty.quantile_bands(_draws(chunks={"draw": 70}))
    xr.testing.assert_identical(split.compute(), eager)


def test_quantile_bands_skipna_is_explicit():
    da = _draws()
    da[3, 0, 2] = np.nan
    with pytest.raises(InvalidValueError, match="emissions"):
        uncertainty.quantile_bands(da)
    b = uncertainty.quantile_bands(da, [0.5], skipna=True)
    np.testing.assert_array_equal(b.p50.values, np.nanquantile(da.values, 0.5, axis=0))
    with pytest.raises(InputTypeError, match="skipna"):
        uncertainty.quantile_bands(da, skipna="yes")
    da[3, 0, 2] = np.inf
    with pytest.raises(InvalidValueError, match="emissions"):
        uncertainty.quantile_bands(da, skipna=True)


def _replay(a: list, k: int, less) -> tuple[list, int, bool]:
    """:func:`kernels.select` on ``a[0:n]`` written out in Python with the comparison ``less``:
    returns the array, the partition rounds run and whether the round budget ran out (and the
    range left was sorted)."""
    left, right = 0, len(a) - 1
    budget = 2 * int(np.log2(right - left + 2)) + 8
    rounds = 0
    while right - left > 16:
        if k in (left, right):
            best = left
            for i in range(left + 1, right + 1):
                if (less(a[i], a[best]) if k == left else less(a[best], a[i])):
                    best = i
            a[best], a[k] = a[k], a[best]
            return a, rounds, False
        if budget == 0:  # the kernel sorts the rest
            order = functools.cmp_to_key(lambda u, v: -1 if less(u, v) else int(less(v, u)))
            a[left:right + 1] = sorted(a[left:right + 1], key=order)
            return a, rounds, True
        budget -= 1
        rounds += 1
        p, q, r = a[left], a[(left + right) >> 1], a[right]
        if less(q, p):
            p, q = q, p
        if less(r, q):
            q = r
        pivot = p if less(q, p) else q
        j = left
        for i in range(left, right + 1):
            v = a[i]
            a[i], a[j] = a[j], v
            j += less(v, pivot)
        if k < j:
            right = j - 1
            continue
        j2 = j
        for i in range(j, right + 1):
            v = a[i]
            a[i], a[j2] = a[j2], v
            j2 += not less(pivot, v)
        if k < j2:
            return a, rounds, False
        left = j2
    for i in range(left + 1, right + 1):  # insertion sort
        v, j = a[i], i - 1
        while j >= left and less(v, a[j]):
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v
    return a, rounds, False


def _killer_input(n: int, k: int) -> np.ndarray:
    """An order on which :func:`kernels.select` keeps choosing bad pivots (McIlroy 1999, "A killer
    adversary for quicksort"): the selection is replayed on item ids, and every value still
    undecided ("gas") when compared is fixed as late and as badly as the comparisons allow; the
    values so decided (the rest all equal and largest) are the input."""
    gas = float(n)
    val = [gas] * n
    state = {"solid": 0, "candidate": -1}

    def less(x, y):
        if val[x] == gas and val[y] == gas:
            z = x if x == state["candidate"] else y
            val[z] = float(state["solid"])
            state["solid"] += 1
        if val[x] == gas:
            state["candidate"] = x
        elif val[y] == gas:
            state["candidate"] = y
        return val[x] < val[y]

    _replay(list(range(n)), k, less)
    return np.array(val)


@pytest.mark.parametrize("n, k", [(3000, 1500), (3000, 2900), (513, 100)])
def test_adversarial_order_reaches_the_sort_fallback_and_stays_exact(n, k):
    x = _killer_input(n, k)
    replayed, rounds, exhausted = _replay(x.tolist(), k, lambda u, v: u < v)
    assert exhausted and rounds == 2 * int(np.log2(n + 1)) + 8  # the kernel sorts what is left
    a = x.copy()
    kernels.select(a, 0, n - 1, k)
    assert np.array_equal(np.array(replayed), a)  # the kernel took the replayed path, then sorted
    assert a[k] == np.sort(x)[k] and (a[:k] <= a[k]).all() and (a[k + 1:] >= a[k]).all()
    assert np.array_equal(quantile(x, [k / (n - 1), 0.5]), np.quantile(x, [k / (n - 1), 0.5]))


def test_replay_matches_the_kernel_on_random_rows():
    rng = np.random.default_rng(9)
    for n in (40, 300, 1001):
        for k in (0, 7, n // 2, n - 2, n - 1):
            x = rng.integers(0, 50, n).astype(float)
            a = x.copy()
            kernels.select(a, 0, n - 1, k)
            replayed, _, exhausted = _replay(x.tolist(), k, lambda u, v: u < v)
            assert not exhausted and np.array_equal(np.array(replayed), a)
