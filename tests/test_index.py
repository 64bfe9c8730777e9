"""Entropy weights and obstacle degree (000, eqs. 2–8): analytic cases, references, invariances,
labels, dask, bad input.

The paper's Table 5 weights cannot be recomputed (the indicator values are not printed), so the
numbers checked here come from analytic cases worked by hand.
"""

from __future__ import annotations

import math
import warnings

import dask
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastcarbon.core import entropy as core
from fastcarbon.datasets import bengbu
from fastcarbon.errors import (
    FastcarbonWarning,
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    UnknownLabelError,
)
from fastcarbon.index import entropy_weights, obstacle_degree
from fastcarbon.reference.index import REGISTRY

# ---------------------------------------------------------------------------- strategies


@st.composite
def indicator_arrays(draw, elements=None, max_batch=3, max_rows=7, max_ind=5):
    """(x (B, m, n), negative (n,)): small integers make ties and constant columns common."""
    b = draw(st.integers(1, max_batch))
    m = draw(st.integers(2, max_rows))
    n = draw(st.integers(1, max_ind))
    elements = elements if elements is not None else st.one_of(
        st.integers(-3, 3).map(float), st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
    )
    x = draw(hnp.arrays(np.float64, (b, m, n), elements=elements))
    negative = draw(hnp.arrays(np.bool_, (n,)))
    return x, negative


def run_core(x, negative, **kw):
    """Weights and obstacle degrees from the numpy API, warnings silenced, all-constant allowed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", core.ConstantIndicatorWarning)
        ew = core.entropy_weights(x, negative, errors="ignore", **kw)
    ob = core.obstacle_degree(ew.standardized, ew.weight, **kw)
    return ew, ob


def informative(ew):
    """Batch items with at least one non-constant indicator (their weights sum to 1)."""
    return ~ew.constant.all(axis=-1)


# ---------------------------------------------------------------------------- analytic cases


def test_analytic_three_rows():
    # column 0: (0, 1, 1) → p = (0, 1/2, 1/2), e = ln 2 / ln 3; column 1 negative:
    # (5, 5, 2) → X = (0, 0, 1), p one-hot, e = 0
    x = np.array([[0.0, 5.0], [1.0, 5.0], [1.0, 2.0]])
    ew = core.entropy_weights(x, np.array([False, True]))
    e0 = math.log(2) / math.log(3)
    np.testing.assert_allclose(ew.standardized, [[0, 0], [1, 0], [1, 1]])
    np.testing.assert_allclose(ew.entropy, [e0, 0.0], atol=1e-15)
    np.testing.assert_allclose(ew.difference, [1 - e0, 1.0])
    np.testing.assert_allclose(ew.weight, [(1 - e0) / (2 - e0), 1 / (2 - e0)], rtol=1e-14)
    ob = core.obstacle_degree(ew.standardized, ew.weight)
    w0, w1 = ew.weight
    # row 0: S = (1, 1); row 1: S = (0, 1) → all on indicator 1; row 2: S = (0, 0)
    np.testing.assert_allclose(ob.obstacle, [[w0, w1], [0, 1], [0, 0]], rtol=1e-14)
    assert ob.rank.tolist() == [[2, 1], [2, 1], [1, 1]]
    assert ob.no_obstacle.tolist() == [False, False, True]
    assert ob.main_count.tolist() == [0, 2]


def test_two_rows_give_equal_weights():
    # m = 2: every non-constant indicator standardizes to (0, 1), so e = 0 and weights are equal
    x = np.array([[1.0, 7.0, 3.0, 2.0], [2.0, -1.0, 3.0, 9.0]])
    with pytest.warns(core.ConstantIndicatorWarning, match=r"indicator\(s\) \[2\]"):
        ew = core.entropy_weights(x)
    np.testing.assert_allclose(ew.weight, [1 / 3, 1 / 3, 0.0, 1 / 3], rtol=1e-15)
    assert ew.constant.tolist() == [False, False, True, False]


def test_uniform_column_has_entropy_of_the_m_minus_one_ones():
    # X = (0, 1, ..., 1): p uniform over m − 1 rows, e = ln(m − 1) / ln m
    for m in (3, 5, 50):
        x = np.zeros((m, 2))
        x[1:, 0] = 1.0
        x[-1, 1] = 1.0  # one-hot: e = 0
        ew = core.entropy_weights(x)
        np.testing.assert_allclose(ew.entropy, [math.log(m - 1) / math.log(m), 0.0], rtol=1e-14, atol=0)


# ---------------------------------------------------------------------------- references


@given(indicator_arrays())
def test_kernels_match_references(case):
    x, negative = case
    ew, ob = run_core(x, negative)
    got = {"standardized": ew.standardized, "entropy": ew.entropy, "difference": ew.difference,
           "weight": ew.weight, "obstacle": ob.obstacle}
    for name, ref in REGISTRY["entropy"].items():
        want = ref(x, negative)
        for key, value in got.items():
            np.testing.assert_allclose(value, want[key], rtol=1e-12, atol=1e-14, err_msg=f"{name}: {key}")
    # the loops reference computes in the kernel's order: ranks agree exactly, ties included
    assert np.array_equal(ob.rank, REGISTRY["entropy"]["loops"](x, negative)["rank"])


@given(indicator_arrays())
def test_serial_and_parallel_are_bit_identical(case):
    x, negative = case
    (ew1, ob1), (ew2, ob2) = run_core(x, negative, parallel=False), run_core(x, negative, parallel=True)
    for a, b in zip(ew1 + ob1, ew2 + ob2):
        assert np.array_equal(a, b)


@given(indicator_arrays())
def test_batch_equals_one_city_at_a_time(case):
    x, negative = case
    ew, ob = run_core(x, negative)
    for b in range(x.shape[0]):
        ew_b, ob_b = run_core(x[b], negative)
        for a, one in zip(ew + ob, ew_b + ob_b):
            assert np.array_equal(a[b], one)


# ---------------------------------------------------------------------------- properties


@given(indicator_arrays())
def test_weights_sum_to_one_and_obstacles_per_row(case):
    x, negative = case
    ew, ob = run_core(x, negative)
    assert np.isfinite(ew.weight).all() and (ew.weight >= 0).all()
    ok = informative(ew)
    np.testing.assert_allclose(ew.weight[ok].sum(axis=-1), 1.0, rtol=1e-12)
    assert (ew.weight[~ok] == 0).all()
    assert ((ew.entropy >= 0) & (ew.entropy <= 1 + 1e-12)).all()
    rows = ob.obstacle.sum(axis=-1)
    np.testing.assert_allclose(rows[~ob.no_obstacle], 1.0, rtol=1e-12)
    assert (ob.obstacle[ob.no_obstacle] == 0).all()
    # a constant indicator is never an obstacle and has weight exactly 0
    assert (ew.weight[ew.constant] == 0).all()
    assert (np.swapaxes(ob.obstacle, -1, -2)[ew.constant] == 0).all()
    # main_count counts rank-1 indicators with a positive obstacle
    main = (ob.rank == 1) & (ob.obstacle > 0)
    assert np.array_equal(ob.main_count, main.sum(axis=-2))


@given(
    indicator_arrays(elements=st.integers(0, 20).map(float)),
    st.data(),
)
def test_invariant_to_positive_affine_transforms(case, data):
    x, negative = case
    n = x.shape[-1]
    a = np.array(data.draw(st.lists(st.floats(0.1, 10.0), min_size=n, max_size=n)))
    b = np.array(data.draw(st.lists(st.floats(-100.0, 100.0), min_size=n, max_size=n)))
    (ew, ob), (ew2, ob2) = run_core(x, negative), run_core(a * x + b, negative)
    for u, v in zip((ew.standardized, ew.weight, ew.entropy, ob.obstacle),
                    (ew2.standardized, ew2.weight, ew2.entropy, ob2.obstacle)):
        np.testing.assert_allclose(u, v, atol=1e-9)
    # a negative scale turns a positive indicator into a negative one and back
    ew3, _ = run_core(-a * x + b, ~negative)
    np.testing.assert_allclose(ew3.weight, ew.weight, atol=1e-9)


@given(indicator_arrays(), st.randoms(use_true_random=False))
def test_equivariant_to_permuting_indicators(case, rnd):
    x, negative = case
    perm = list(range(x.shape[-1]))
    rnd.shuffle(perm)
    (ew, ob), (ew2, ob2) = run_core(x, negative), run_core(x[..., perm], negative[perm])
    for u, v in zip(ew + ob[:2], ew2 + ob2[:2]):
        np.testing.assert_allclose(u[..., perm], v, rtol=1e-12, atol=1e-15)  # every field ends in n
    np.testing.assert_allclose(ew.weight[..., perm], ew2.weight, rtol=1e-12)


@given(indicator_arrays())
def test_permuting_rows_permutes_the_row_outputs(case):
    x, negative = case
    rows = np.arange(x.shape[-2])[::-1]
    (ew, ob), (ew2, ob2) = run_core(x, negative), run_core(x[..., rows, :], negative)
    np.testing.assert_allclose(ew2.weight, ew.weight, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ob2.obstacle, ob.obstacle[..., rows, :], rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------- constant indicators


def test_constant_indicator_gets_weight_zero_and_a_warning():
    x = np.array([[1.0, 4.0, 2.0], [2.0, 4.0, 5.0], [3.0, 4.0, 1.0]])
    with pytest.warns(core.ConstantIndicatorWarning, match=r"indicator\(s\) \[1\]"):
        ew = core.entropy_weights(x)
    assert issubclass(core.ConstantIndicatorWarning, FastcarbonWarning)
    assert ew.weight[1] == 0 and ew.entropy[1] == 1 and ew.difference[1] == 0
    assert (ew.standardized[:, 1] == 1).all() and ew.constant.tolist() == [False, True, False]
    assert not np.isnan(ew.weight).any()
    # dropping the constant indicator leaves the other weights unchanged
    np.testing.assert_allclose(ew.weight[[0, 2]], core.entropy_weights(x[:, [0, 2]]).weight, rtol=1e-15)


def test_all_constant_raises_or_gives_zero_weights():
    x = np.ones((2, 4, 3))
    x[0, :, 0] = [1, 2, 3, 4]
    with pytest.raises(core.AllConstantError, match=r"batch item \(1,\)") as info:
        core.entropy_weights(x)
    assert info.value.index == (1,) and isinstance(info.value, InvalidValueError)
    with pytest.warns(core.ConstantIndicatorWarning):
        ew = core.entropy_weights(x, errors="ignore")
    assert (ew.weight[1] == 0).all() and ew.weight[0].tolist() == [1.0, 0.0, 0.0]
    ob = core.obstacle_degree(ew.standardized, ew.weight)
    assert ob.no_obstacle[1].all() and (ob.obstacle[1] == 0).all() and (ob.main_count[1] == 0).all()


# ---------------------------------------------------------------------------- labelled API


def cities(seed=0, n_region=3, n_year=6):
    rng = np.random.default_rng(seed)
    meta = bengbu().weight
    return xr.DataArray(
        rng.random((n_region, n_year, 5)) * [60, 50, 800, 1.5, 3],
        dims=("region", "year", "indicator"),
        coords={"region": ["Bengbu", "Hefei", "Wuhu", "Huainan"][:n_region],
                "year": np.arange(2015, 2015 + n_year),
                "indicator": meta.indicator.values,
                "indicator_name": ("indicator", meta.indicator_name.values)},
        attrs={"units": "mixed"},
    )


NEGATIVE = ["X2", "X4", "X5"]  # Table 2 attributes


def test_labelled_matches_core_per_city_with_attrs():
    da = cities()
    ds = entropy_weights(da, "year", negative=NEGATIVE)
    neg = np.isin(da.indicator.values, NEGATIVE)
    for region in da.region.values:
        ref = core.entropy_weights(da.sel(region=region).values, neg)
        np.testing.assert_array_equal(ds.weight.sel(region=region).values, ref.weight)
        np.testing.assert_array_equal(ds.standardized.sel(region=region).values, ref.standardized)
    assert ds.weight.dims == ("region", "indicator")
    assert ds.standardized.dims == ("region", "year", "indicator")
    assert list(ds.indicator_name.values) == list(da.indicator_name.values)
    assert ds.negative.values.tolist() == [False, True, False, True, True]
    for name, var in ds.data_vars.items():
        assert var.attrs["units"] == "1" and var.attrs["long_name"], name
    assert ds.attrs["row_dim"] == "year" and "000" in ds.attrs["method"]


def test_obstacle_from_dataarray_equals_from_dataset():
    da = cities()
    via_da = obstacle_degree(da, "year", negative=NEGATIVE)
    via_ds = obstacle_degree(entropy_weights(da, "year", negative=NEGATIVE))
    xr.testing.assert_identical(via_da, via_ds)
    assert via_da.obstacle.dims == ("region", "year", "indicator")
    assert via_da.main_obstacle_count.dims == ("region", "indicator")
    assert via_da.no_obstacle.dims == ("region", "year")
    np.testing.assert_allclose(via_da.obstacle.sum("indicator").where(~via_da.no_obstacle, 1.0), 1.0)
    for name, var in via_da.data_vars.items():
        assert "units" in var.attrs and var.attrs["long_name"], name


def test_obstacle_with_published_weights_broadcast_over_cities():
    # the paper's Table 5 weights, shared by every city; labels in another order are aligned
    da = cities()
    ew = entropy_weights(da, "year", negative=NEGATIVE)
    table5 = bengbu().weight.drop_vars(["indicator_name", "indicator_attribute", "indicator_units"])
    ob = obstacle_degree(ew.assign(weight=table5.isel(indicator=[4, 3, 2, 1, 0])))
    s = ew.standardized.sel(region="Hefei").values
    ref = core.obstacle_degree(s, table5.values)
    np.testing.assert_allclose(ob.obstacle.sel(region="Hefei").values, ref.obstacle, rtol=1e-15)
    assert ob.weight.dims == ("indicator",)


def test_weights_across_cities():
    # dim may be the cities: one weight vector for the whole panel year by year
    da = cities(n_region=4)
    ds = entropy_weights(da, "region", negative=NEGATIVE)
    assert ds.weight.dims == ("year", "indicator")
    np.testing.assert_allclose(ds.weight.sum("indicator"), 1.0)


def test_dask_equals_eager():
    da = cities(n_region=4)
    eager = obstacle_degree(da, "year", negative=NEGATIVE)
    lazy_in = da.chunk({"region": 2, "year": 3})
    with dask.config.set(scheduler="sync"):
        lazy = obstacle_degree(lazy_in, "year", negative=NEGATIVE)
        assert lazy.obstacle.chunks is not None  # stays lazy until asked
        xr.testing.assert_identical(lazy.compute(), eager)


def test_labelled_warning_names_the_indicator():
    da = cities()
    da.loc[{"region": "Hefei", "indicator": "X3"}] = 7.0
    with pytest.warns(core.ConstantIndicatorWarning, match=r"\['X3'\] constant along 'year'"):
        ds = entropy_weights(da, "year")
    assert float(ds.weight.sel(region="Hefei", indicator="X3")) == 0.0
    assert bool(ds.constant.sel(region="Hefei", indicator="X3"))
    assert float(ds.weight.sel(region="Wuhu", indicator="X3")) > 0


def test_labelled_all_constant_names_the_city():
    da = cities()
    da.loc[{"region": "Wuhu"}] = 1.0
    with pytest.raises(core.AllConstantError, match="region='Wuhu'"):
        entropy_weights(da, "year")
    with pytest.warns(core.ConstantIndicatorWarning):
        ob = obstacle_degree(da, "year", errors="ignore")
    assert bool(ob.no_obstacle.sel(region="Wuhu").all())


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda da: entropy_weights(da.values, "year"), InputTypeError, "DataArray"),
        (lambda da: entropy_weights(da.astype(str), "year"), InputTypeError, "real numbers"),
        (lambda da: entropy_weights(da, "time"), MissingDimensionError, r"\['time'\]"),
        (lambda da: entropy_weights(da.rename(indicator="x"), "year"), MissingDimensionError, "indicator"),
        (lambda da: entropy_weights(da, "indicator"), InputError, "both 'indicator'"),
        (lambda da: entropy_weights(da.isel(year=[0]), "year"), InputError, "'year' has 1 row"),
        (lambda da: entropy_weights(da, "year", negative=["X9", "X2"]), UnknownLabelError, r"\['X9'\].*X1"),
        (lambda da: entropy_weights(da, "year", negative="X9"), UnknownLabelError, r"\['X9'\]"),
        (lambda da: entropy_weights(da.drop_vars("indicator"), "year", negative="X2"), InputError, "no coordinate"),
        (lambda da: entropy_weights(da, "year", errors="skip"), InputError, "'raise' or 'ignore'"),
        (lambda da: obstacle_degree(da), InputError, "dim: required"),
        (lambda da: obstacle_degree(da.to_dataset(name="x")), MissingDimensionError, "standardized"),
        (lambda da: obstacle_degree(entropy_weights(da, "year"), negative="X2"), InputError, "already apply"),
        (lambda da: obstacle_degree([1, 2]), InputTypeError, "got list"),
    ],
)
def test_bad_input_messages(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call(cities())


def test_nan_and_inf_are_reported_with_labels():
    da = cities()
    da.loc[{"region": "Hefei", "year": 2017, "indicator": "X4"}] = np.nan
    with pytest.raises(core.NonFiniteError, match=r"region='Hefei', year=2017, indicator='X4'") as info:
        entropy_weights(da, "year")
    assert info.value.index == (1, 2, 3) and isinstance(info.value, ValueError)
    with pytest.raises(core.NonFiniteError, match=r"inf at index \(1, 1\)"):
        core.entropy_weights(np.array([[1.0, 2.0], [3.0, np.inf]]))


def test_bad_standardized_and_weights_are_reported_with_labels():
    ew = entropy_weights(cities(), "year")
    bad_s = ew.copy(deep=True)
    bad_s.standardized.loc[{"region": "Wuhu", "year": 2016, "indicator": "X1"}] = 1.5
    with pytest.raises(core.NonFiniteError, match=r"1.5 at region='Wuhu', year=2016, indicator='X1'.*\[0, 1\]"):
        obstacle_degree(bad_s)
    bad_w = ew.copy(deep=True)
    bad_w.weight.loc[{"region": "Hefei", "indicator": "X5"}] = -0.1
    with pytest.raises(InvalidValueError, match=r"weight: bad value -0.1 at region='Hefei', indicator='X5'"):
        obstacle_degree(bad_w)
    # a weight without X5 is aligned by xarray (NaN there), and the message says where
    with pytest.raises(InvalidValueError, match=r"weight: bad value nan at region='Bengbu', indicator='X5'"):
        obstacle_degree(ew.assign(weight=ew.weight.sel(indicator=["X1", "X2", "X3", "X4"])))


@pytest.mark.parametrize(
    "args, error, pattern",
    [
        ((np.ones(3),), InputError, "at least 2 dims"),
        ((np.ones((1, 3)),), InputError, "at least 2 rows"),
        ((np.ones((3, 0)),), InputError, "at least 1 indicator"),
        ((np.ones((3, 2)), [True]), InputError, r"shape \(2,\)"),
        ((np.ones((3, 2)), [1, 0]), InputTypeError, "booleans"),
        ((np.array([["a", "b"], ["c", "d"]]),), InputTypeError, "real numbers"),
    ],
)
def test_core_bad_input(args, error, pattern):
    with pytest.raises(error, match=pattern):
        core.entropy_weights(*args)


def test_core_obstacle_bad_input():
    with pytest.raises(InputError, match="last axis of 2"):
        core.obstacle_degree(np.zeros((3, 2)), np.ones(3))
    with pytest.raises(InputError, match="do not broadcast"):
        core.obstacle_degree(np.zeros((2, 3, 2)), np.ones((3, 2)))
    with pytest.raises(InvalidValueError, match=r"weight: bad value nan at index \(1,\)"):
        core.obstacle_degree(np.zeros((3, 2)), [0.5, np.nan])


# ---------------------------------------------------------------------------- bad input, dask


def panel(order=("region", "year", "city", "indicator")):
    """4 labelled regions × 6 unlabelled cities × 5 years × 3 indicators, in the dim order given."""
    rng = np.random.default_rng(3)
    da = xr.DataArray(
        rng.random((4, 6, 5, 3)),
        dims=("region", "city", "year", "indicator"),
        coords={"region": ["A", "B", "C", "D"], "year": np.arange(2011, 2016), "indicator": ["X1", "X2", "X3"]},
    )
    return da.transpose(*order).copy()


def lazy_error(call, data, chunks, error):
    """The error of ``call`` on numpy-backed ``data`` and on ``data`` chunked by ``chunks``."""
    with pytest.raises(error) as eager:
        call(data)
    with dask.config.set(scheduler="sync"):
        out = call(data.chunk(chunks))  # builds the graph without raising
        with pytest.raises(error) as lazy:
            out.compute()
    return eager.value, lazy.value


DASK_ORDERS = [("region", "year", "city", "indicator"), ("city", "indicator", "year", "region")]


@pytest.mark.parametrize("order", DASK_ORDERS)
def test_dask_nan_is_reported_with_global_labels(order):
    # NaN in the last chunk of both batch dims: region labelled, city without coordinate
    da = panel(order)
    da[{"region": 3, "city": 5, "year": 2, "indicator": 1}] = np.nan
    eager, lazy = lazy_error(
        lambda d: entropy_weights(d, "year"), da, {"region": 2, "city": 2}, core.NonFiniteError
    )
    assert "region='D'" in str(lazy) and "city[5]" in str(lazy) and "year=2013" in str(lazy)
    assert str(lazy) == str(eager)
    assert lazy.index == eager.index and np.isnan(lazy.value)
    # the same through obstacle_degree (entropy_weights inside its graph)
    eager, lazy = lazy_error(
        lambda d: obstacle_degree(d, "year"), da, {"region": 2, "city": 2, "year": 2}, core.NonFiniteError
    )
    assert str(lazy) == str(eager) and lazy.index == eager.index


@pytest.mark.parametrize("order", DASK_ORDERS)
def test_dask_all_constant_is_reported_with_global_labels(order):
    da = panel(order)
    da[{"region": 2, "city": 3}] = 1.0
    eager, lazy = lazy_error(
        lambda d: entropy_weights(d, "year"), da, {"region": 2, "city": 2}, core.AllConstantError
    )
    assert "region='C'" in str(lazy) and "city[3]" in str(lazy)
    assert str(lazy) == str(eager) and lazy.index == eager.index
    eager, lazy = lazy_error(
        lambda d: obstacle_degree(d, "year", errors="raise"), da, {"region": 2, "city": 4}, core.AllConstantError
    )
    assert str(lazy) == str(eager) and lazy.index == eager.index


@pytest.mark.parametrize("order", DASK_ORDERS)
def test_dask_bad_standardized_and_weight_are_reported_with_global_labels(order):
    ew = entropy_weights(panel(order), "year")
    bad_s = ew.copy(deep=True)
    bad_s.standardized[{"region": 1, "city": 4, "year": 0, "indicator": 2}] = 1.5
    eager, lazy = lazy_error(obstacle_degree, bad_s, {"region": 1, "city": 3}, core.NonFiniteError)
    assert "1.5 at" in str(lazy) and "region='B'" in str(lazy) and "city[4]" in str(lazy)
    assert str(lazy) == str(eager) and lazy.index == eager.index
    bad_w = ew.copy(deep=True)
    bad_w.weight[{"region": 3, "city": 2, "indicator": 0}] = -0.1
    eager, lazy = lazy_error(obstacle_degree, bad_w, {"region": 2, "city": 2}, InvalidValueError)
    assert "region='D'" in str(lazy) and "city[2]" in str(lazy)
    assert str(lazy) == str(eager)
    # a weight shared by every city, numpy-backed, next to chunked standardized values
    shared = ew.weight.isel(region=0, city=0, drop=True).copy()
    shared[{"indicator": 1}] = np.nan
    eager, lazy = lazy_error(
        lambda d: obstacle_degree(d.assign(weight=shared)), ew, {"region": 2, "city": 2}, InvalidValueError
    )
    assert "indicator='X2'" in str(lazy) and str(lazy) == str(eager)


def test_dask_errors_with_dated_labels_and_numpy_standardized():
    # a datetime batch dim (dim = the regions): dates read as in the eager message, as ISO dates
    da = panel().isel(city=0, drop=True).rename(year="time")
    da = da.assign_coords(time=pd.date_range("2011", periods=5, freq="YS"))
    da[{"time": 3, "region": 2, "indicator": 1}] = np.nan
    eager, lazy = lazy_error(lambda d: entropy_weights(d, "region"), da, {"time": 2}, core.NonFiniteError)
    assert "time='2014-01-01'" in str(lazy)
    assert str(lazy) == str(eager) and lazy.index == eager.index
    # numpy-backed standardized values, chunked weights with a bad one in their last chunk
    ew = entropy_weights(panel(), "year")
    bad_w = ew.copy(deep=True)
    bad_w.weight[{"region": 3, "city": 4, "indicator": 2}] = np.inf
    eager, lazy = lazy_error(
        lambda d: obstacle_degree(d.assign(standardized=ew.standardized)), bad_w, {"region": 2, "city": 2},
        InvalidValueError,
    )
    assert "region='D'" in str(lazy) and str(lazy) == str(eager)
