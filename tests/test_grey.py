"""EGM(1,1), the linear baseline and backtests: published numbers, analytic cases, references,
properties and bad input (kernels, numpy API and labelled API)."""

from __future__ import annotations

import re

import numba
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastcarbon.core import grey as cg
from fastcarbon.datasets import bengbu
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, MissingDimensionError
from fastcarbon.grey import GRADE_LEGEND, backtest, fit_egm, fit_linear, forecast_egm, forecast_linear
from fastcarbon.kernels import grey as kg
from fastcarbon.reference.grey import REGISTRY, posterior_loop

# 000 Table 6, in 10^4 t C as printed (METHODS.md check numbers).
TABLE6_FITTED = [317.07, 317.69, 321.33, 325.01, 328.73, 332.50, 336.31, 340.16, 344.06, 348.00]
SERIES_B = [223.3, 227.3, 230.5, 238.1, 242.9, 251.1]
SERIES_B_FITTED = [226.08736263692822, 231.87637984134398, 237.81362611881437, 243.90289690772250,
                   250.14808482949547]
SERIES_B_NEXT = [256.55318217699795, 263.12228346664110]


@pytest.fixture(scope="module")
def x0():
    return bengbu().x0 / 1e4  # 10^4 t C, as printed


# --- published numbers -------------------------------------------------------------------------

def test_table6_and_7(x0):
    fit = fit_egm(x0)
    assert float(fit.a) == pytest.approx(-0.011391, abs=5e-7)
    assert float(fit.b) == pytest.approx(312.272, abs=5e-4)
    np.testing.assert_allclose(fit.fitted.values, TABLE6_FITTED, atol=0.005 + 1e-9)
    np.testing.assert_allclose(fit.fitted.values, bengbu().egm_fitted_printed.values / 1e4, atol=0.005 + 1e-9)
    assert float(fit.C) == pytest.approx(0.3143, abs=5e-4)
    assert float(fit.P) == 1.0
    assert GRADE_LEGEND[int(fit.grade)] == "good"
    assert bool(fit.level_ratio_ok) and int(fit.flag) == 0
    c, p, grade = posterior_loop(x0.values, fit.fitted.values)
    assert (c, p, grade) == (pytest.approx(float(fit.C), rel=1e-12), float(fit.P), "good")


def test_bengbu_no_peak_before_2030(x0):
    fc = forecast_egm(fit_egm(x0), horizon=10)
    assert fc.year.values.tolist() == list(range(2021, 2031))
    assert (np.diff(fc.values) > 0).all() and fc.values[0] > x0.values.max()
    assert fc.attrs["units"] == x0.attrs["units"]


def test_methods_vector_b():
    fit = cg.fit_egm(SERIES_B, horizon=2)
    assert fit.params[0] == pytest.approx(-0.0252828992, abs=1e-10)
    assert fit.params[1] == pytest.approx(217.5956625, abs=1e-7)
    np.testing.assert_allclose(fit.fitted[1:], SERIES_B_FITTED, rtol=1e-13)
    np.testing.assert_allclose(fit.forecast, SERIES_B_NEXT, rtol=1e-13)


@pytest.mark.parametrize("q", [0.8, 0.97, 1.0 + 1e-9, 1.05, 1.6])
def test_geometric_series_zero_lsq_residual(q):
    n = 9
    x = q ** np.arange(1, n + 1)
    a, b = cg.fit_egm(x).params
    assert a == pytest.approx(-2 * (q - 1) / (q + 1), rel=1e-9, abs=1e-15)
    assert b == pytest.approx(2 * q / (q + 1), rel=1e-12)
    x1 = np.cumsum(x)
    z = 0.5 * (x1[1:] + x1[:-1])
    np.testing.assert_allclose(x[1:] + a * z - b, 0.0, atol=1e-12 * x.max())


@pytest.mark.parametrize("c", [1e-3, 317.07, 5e8])
def test_constant_series(c):
    fit = cg.fit_egm(np.full(7, c), horizon=20)
    assert abs(fit.params[0]) < 1e-14
    np.testing.assert_allclose(fit.fitted, c, rtol=1e-13)
    np.testing.assert_allclose(fit.forecast, c, rtol=1e-13)
    assert (fit.C, fit.P, fit.grade, fit.flag) == (0.0, 1.0, kg.GRADE_GOOD, 0)


def test_a_near_zero_keeps_precision():
    # a ~ 1e-10: the x1-difference form loses ~6 digits to cancellation; the expm1 form none.
    x = 100.0 * (1 + 1e-10) ** np.arange(8)
    fit = cg.fit_egm(x, horizon=3)
    np.testing.assert_allclose(fit.fitted, x, rtol=1e-13)


def test_first_fitted_value_is_first_observation():
    rng = np.random.default_rng(3)
    x = 50 * np.cumprod(1 + 0.1 * rng.random((200, 12)), axis=1)
    fit = cg.fit_egm(x)
    np.testing.assert_array_equal(fit.fitted[:, 0], x[:, 0])
    np.testing.assert_array_equal(fit.residual[:, 0], 0.0)
    np.testing.assert_array_equal(fit.residual, x - fit.fitted)
    np.testing.assert_array_equal(fit.relative_error, np.abs(x - fit.fitted) / x)


def test_long_horizon_overflows_to_inf_not_nan():
    fit = cg.fit_egm([1.0, 3.0, 8.0, 21.0, 60.0], horizon=2000, errors="ignore")
    assert fit.params[0] < -0.9
    fc = fit.forecast
    assert not np.isnan(fc).any() and np.isposinf(fc[-1]) and np.isfinite(fc[0])
    assert fit.flag & kg.FLAG_OVERFLOW
    decay = cg.fit_egm([60.0, 21.0, 8.0, 3.0, 1.0], horizon=2000).forecast
    assert not np.isnan(decay).any() and decay[-1] == 0.0


def test_linear_baseline(x0):
    fit = fit_linear(x0)
    beta, alpha = np.polyfit(np.arange(1, 11), x0.values, 1)
    assert float(fit.slope) == pytest.approx(beta, rel=1e-12)
    assert float(fit.intercept) == pytest.approx(alpha, rel=1e-12)
    printed = bengbu().linear_fitted_printed.values / 1e4
    # the printed column has the least-squares slope (see fit_linear's Notes)
    assert float(fit.slope) == pytest.approx(np.polyfit(np.arange(10), printed, 1)[0], abs=2e-3)
    fc = forecast_linear(fit, horizon=3)
    np.testing.assert_allclose(fc.values, alpha + beta * np.arange(11, 14), rtol=1e-12)
    assert set(fit.data_vars) - {"intercept", "slope"} == set(fit_egm(x0).data_vars) - {"a", "b"}


# --- references and properties -----------------------------------------------------------------

positive_series = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(4, 15)),
    elements=st.floats(1.0, 1e3, allow_nan=False, allow_infinity=False),
)


@given(positive_series, st.integers(0, 12))
def test_batch_equals_per_series_references(x, h):
    fit = cg.fit_egm(x, horizon=h, errors="ignore")
    ok = (fit.flag & kg.FLAG_FATAL) == 0
    assert ((fit.flag & kg.FLAG_FATAL) == kg.FLAG_A_RANGE)[~ok].all()
    for name, ref in REGISTRY["egm"].items():
        params, fitted, forecast = ref(x, h)
        rows, rtol, atol = ok, 1e-11, np.zeros((len(x), 1))
        if name == "lstsq":
            # The peers' x1-difference form is 0/0 at a = 0 and loses ~eps/|a| near it; and it
            # recovers x̂0 as a difference of cumulative sums, so its absolute error is ~eps·Σx
            # (e.g. x = [1, 23, 1, 1], h = 12: a forecast of 4.55e-10 off by 6.8e-16).
            rows, rtol = ok & (np.abs(fit.params[:, 0]) > 1e-4), 1e-7
            atol = 64 * np.finfo(float).eps * np.abs(x).sum(axis=-1, keepdims=True)
        np.testing.assert_allclose(fit.params[rows], params[rows], rtol=rtol, atol=1e-12, err_msg=name)
        for got, want, tol in ((fit.fitted, fitted, rtol), (fit.forecast, forecast, rtol * 10)):
            bound = atol[rows] + tol * np.abs(want[rows])  # per row: its own absolute floor
            assert (np.abs(got[rows] - want[rows]) <= bound).all(), name
    lin = cg.fit_linear(x, horizon=h)
    for name, ref in REGISTRY["linear"].items():
        params, fitted, forecast = ref(x, h)
        scale = np.abs(x).max()
        np.testing.assert_allclose(lin.fitted, fitted, atol=1e-10 * scale, err_msg=name)
        np.testing.assert_allclose(lin.forecast, forecast, atol=1e-10 * scale, err_msg=name)
    for i in np.flatnonzero(ok):
        c, p, grade = posterior_loop(x[i], fit.fitted[i])
        if c == c and np.std(x[i]) > 1e-9 * x[i].mean():
            assert fit.C[i] == pytest.approx(c, rel=1e-9, abs=1e-12)
            assert cg.GRADE_NAMES[fit.grade[i]] == grade or abs(fit.C[i] - 0.35) < 1e-9


@given(positive_series, st.floats(1e-6, 1e6))
def test_scale_equivariance(x, s):
    f1 = cg.fit_egm(x, horizon=3, errors="ignore")
    f2 = cg.fit_egm(x * s, horizon=3, errors="ignore")
    np.testing.assert_array_equal(f1.flag, f2.flag)
    np.testing.assert_allclose(f2.params[:, 0], f1.params[:, 0], rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(f2.params[:, 1], s * f1.params[:, 1], rtol=1e-9)
    np.testing.assert_allclose(f2.fitted, s * f1.fitted, rtol=1e-9)
    np.testing.assert_allclose(f2.forecast, s * f1.forecast, rtol=1e-9)


def test_serial_parallel_and_thread_counts_bit_identical():
    rng = np.random.default_rng(0)
    x = 10 * np.cumprod(1 + 0.2 * (rng.random((3000, 11)) - 0.3), axis=1)
    x[5, 3] = np.nan
    x[7, 0] = -1.0
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = cg.fit_egm(x, horizon=5, errors="ignore", parallel=True)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = cg.fit_egm(x, horizon=5, errors="ignore", parallel=True)
    finally:
        numba.set_num_threads(before)
    serial = cg.fit_egm(x, horizon=5, errors="ignore", parallel=False)
    for a, b, c in zip(one, two, serial):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    lin = [cg.fit_linear(x, horizon=5, errors="ignore", parallel=p) for p in (False, True)]
    for a, b in zip(*lin):
        np.testing.assert_array_equal(a, b)


def test_forecast_from_params_equals_fit_forecast():
    rng = np.random.default_rng(1)
    x = 10 * np.cumprod(1 + 0.1 * rng.random((50, 8)), axis=1)
    fit = cg.fit_egm(x, horizon=15)
    fc, flag = cg.forecast_egm(fit.params, fit.fitted[:, 0], 8, 15)
    np.testing.assert_array_equal(fc, fit.forecast)
    assert (flag == 0).all()


def test_shift_for_nonpositive_series():
    x = np.array([-5.0, -3.0, 0.0, 2.0, 5.0, 7.0])
    with pytest.raises(cg.UnfittableSeriesError, match="value <= 0"):
        cg.fit_egm(x)
    c = 20.0
    shifted = cg.fit_egm(x, horizon=2, shift=c)
    direct = cg.fit_egm(x + c, horizon=2)
    np.testing.assert_allclose(shifted.fitted, direct.fitted - c, rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(shifted.forecast, direct.forecast - c, rtol=1e-14)
    assert shifted.C == pytest.approx(direct.C, rel=1e-12)


# --- labelled layer ----------------------------------------------------------------------------

def _panel(seed=0, region=5, sector=3, n=10):
    rng = np.random.default_rng(seed)
    data = 100 * np.cumprod(1 + 0.08 * (rng.random((region, n, sector)) - 0.2), axis=1)
    return xr.DataArray(
        data, dims=("region", "year", "sector"),
        coords={"region": [f"r{i}" for i in range(region)], "year": np.arange(2011, 2011 + n),
                "sector": ["steel", "cement", "chem"][:sector]},
        attrs={"units": "t CO2"},
    )


def test_labelled_outputs_and_metadata():
    da = _panel()
    fit = fit_egm(da)
    assert fit.coefficients.dims == ("region", "sector", "param")
    assert fit.param.values.tolist() == ["a", "b"]
    assert fit.fitted.dims == ("region", "sector", "year")
    for name, var in fit.data_vars.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    assert fit.fitted.attrs["units"] == fit.b.attrs["units"] == "t CO2"
    ref = cg.fit_egm(da.transpose("region", "sector", "year").values)
    np.testing.assert_array_equal(fit.coefficients.values, ref.params)
    fc = forecast_egm(fit, horizon=10)
    assert fc.year.values.tolist() == list(range(2021, 2031)) and fc.dtype == np.float64
    np.testing.assert_array_equal(fc.transpose("region", "sector", "year").values,
                                  cg.fit_egm(da.transpose("region", "sector", "year").values, horizon=10).forecast)


def test_dask_chunked_equals_eager():
    pytest.importorskip("dask")
    da = _panel(region=6)
    da[2, 4, 1] = np.nan
    eager = fit_egm(da, errors="ignore")
    lazy = fit_egm(da.chunk({"region": 2, "sector": 1, "year": 5}), errors="ignore")
    assert lazy.fitted.chunks is not None
    xr.testing.assert_identical(eager, lazy.compute())
    xr.testing.assert_identical(forecast_egm(eager, 4), forecast_egm(lazy, 4).compute())
    bt_e = backtest(da, horizon=3)
    bt_l = backtest(da.chunk({"region": 3}), horizon=3).compute()
    aggregates = ["mape_by_lead", "mape_overall"]  # dask sums chunk by chunk: equal to rounding
    xr.testing.assert_identical(bt_e.drop_vars(aggregates), bt_l.drop_vars(aggregates))
    xr.testing.assert_allclose(bt_e[aggregates], bt_l[aggregates], rtol=1e-13)


def test_backtest_matches_direct_fits():
    da = _panel(region=2, sector=2)
    bt = backtest(da, horizon=2, min_train=6)
    assert bt.origin.values.tolist() == [2017, 2018, 2019, 2020]
    train = da.sel(year=slice(2011, 2017))
    direct = forecast_egm(fit_egm(train), horizon=2)
    np.testing.assert_allclose(
        bt.forecast.sel(model="egm", origin=2018).transpose("region", "sector", "lead").values,
        direct.transpose("region", "sector", "year").values, rtol=1e-14)
    assert np.isnan(bt.actual.sel(origin=2020, lead=2)).all()
    manual = float(bt.ape.sel(model="linear").mean())
    assert float(bt.mape_overall.sel(model="linear")) == pytest.approx(manual, rel=1e-12)
    assert bt.mape.dims == ("region", "sector", "model") or set(bt.mape.dims) == {"region", "sector", "model"}


# --- bad input ---------------------------------------------------------------------------------

def test_bad_values_raise_with_labels_or_flag():
    da = _panel()
    for value, bit, words in [(np.nan, kg.FLAG_MISSING, "NaN"), (0.0, kg.FLAG_NONPOSITIVE, "<= 0"),
                              (-3.0, kg.FLAG_NONPOSITIVE, "<= 0"), (np.inf, kg.FLAG_MISSING, "infinite")]:
        bad = da.copy()
        bad.loc[{"region": "r3", "sector": "cement", "year": 2015}] = value
        with pytest.raises(cg.UnfittableSeriesError, match=rf"region='r3', sector='cement'.*{words}"):
            fit_egm(bad)
        assert issubclass(cg.UnfittableSeriesError, InvalidValueError)
        fit = fit_egm(bad, errors="ignore")
        cell = fit.sel(region="r3", sector="cement")
        assert int(cell.flag) & bit and int(cell.grade) == kg.GRADE_NONE
        assert np.isnan(cell.fitted).all() and np.isnan(cell.a) and np.isnan(cell.C)
        others = fit.drop_sel(region="r3")
        assert (others.flag & kg.FLAG_FATAL == 0).all() and np.isfinite(others.fitted).all()


def test_a_near_the_limit_still_fitted():
    # For positive data |a| stays below 2 (the FLAG_A_RANGE guard is for rounding at the limit):
    # a jump of 10^6 gives a = -1.99999, fitted, with the level-ratio warning.
    fit = cg.fit_egm([1.0, 1.0, 1.0, 1.0, 1e6])
    assert -2.0 < fit.params[0] < -1.9999 and fit.flag == kg.FLAG_LEVEL_RATIO
    assert np.isfinite(fit.fitted).all() and fit.grade != kg.GRADE_NONE


def test_too_few_points():
    da = _panel(n=3)
    with pytest.raises(InputError, match="at least 4"):
        fit_egm(da)
    fit = fit_egm(da, errors="ignore")
    assert (fit.flag & kg.FLAG_TOO_SHORT).all() and fit.fitted.isnull().all()


def test_level_ratio_warning_keeps_fit():
    fit = cg.fit_egm([10.0, 11.0, 30.0, 31.0, 33.0])
    assert fit.flag == kg.FLAG_LEVEL_RATIO and not fit.level_ratio_ok and np.isfinite(fit.params).all()


def test_bad_coordinates_and_dims():
    da = _panel()
    with pytest.raises(MissingDimensionError, match="time"):
        fit_egm(da, dim="time")
    with pytest.raises(InputTypeError, match="numeric"):
        fit_egm(da.assign_coords(year=[str(y) for y in da.year.values]))
    with pytest.raises(InvalidValueError, match="strictly increasing"):
        fit_egm(da.isel(year=[0, 1, 3, 2, 4, 5]))
    with pytest.raises(InvalidValueError, match="equally spaced"):
        fit_egm(da.isel(year=[0, 1, 2, 4, 5, 6]))
    with pytest.raises(InputTypeError, match="real numbers"):
        fit_egm(da.astype(str))
    with pytest.raises(InputTypeError, match="DataArray"):
        fit_egm(da.values)
    with pytest.raises(InputError, match="errors"):
        fit_egm(da, errors="warn")
    with pytest.raises(InputError, match="horizon"):
        forecast_egm(fit_egm(da), horizon=-1)
    with pytest.raises(InputError, match="linear trend fit"):
        forecast_egm(fit_linear(da), horizon=2)


def test_kernel_callable_from_user_njit_code():
    @numba.njit
    def user_model(x, h):
        b, n = x.shape
        params, fitted, residual, rel = np.empty((b, 2)), np.empty((b, n)), np.empty((b, n)), np.empty((b, n))
        forecast, stats = np.empty((b, h)), np.empty((b, 3))
        grade, flag, window = np.empty(b, dtype=np.int8), np.empty(b, dtype=np.int32), np.empty((b, 3), dtype=np.int32)
        kg.egm_fit(x, params, fitted, forecast, residual, rel, stats, grade, flag, window)
        return forecast

    x = np.array([SERIES_B])
    np.testing.assert_allclose(user_model(x, 2)[0], SERIES_B_NEXT, rtol=1e-13)


@pytest.mark.parametrize("fit", [fit_egm, fit_linear])
@pytest.mark.parametrize("order", [("region", "year", "city"), ("city", "year", "region")])
@pytest.mark.parametrize("year_chunk", [-1, 5])
def test_dask_unfittable_series_named_by_global_labels(fit, order, year_chunk):
    # The bad series sits in the last chunk of both batch dims (index (1, 1) within it), so a
    # message built from the block alone would not name it.  A chunked year makes dask rechunk
    # it whole and split the batch dims further to keep the block size (label arrays follow).
    pytest.importorskip("dask")
    rng = np.random.default_rng(5)
    data = 100 * np.cumprod(1 + 0.08 * (rng.random((4, 10, 6)) - 0.2), axis=1)
    data[3, 4, 5] = 0.0
    da = xr.DataArray(data, dims=("region", "year", "city"),  # city: no coordinate labels
                      coords={"region": [f"r{i}" for i in range(4)], "year": np.arange(2011, 2021)})
    da = da.transpose(*order)
    where = {"region": "region='r3'", "city": "city[5]"}
    expected = re.escape(f"cannot fit the series at {where[order[0]]}, {where[order[2]]}: value <= 0")
    with pytest.raises(cg.UnfittableSeriesError, match=expected) as eager:
        fit(da)
    lazy = fit(da.chunk({"region": 2, "city": 2, "year": year_chunk}))  # the graph builds
    with pytest.raises(cg.UnfittableSeriesError, match=expected) as computed:
        lazy.compute()
    assert str(computed.value) == str(eager.value)
    assert computed.value.flag == eager.value.flag == kg.FLAG_NONPOSITIVE
    assert computed.value.index == eager.value.index  # the position in the whole array


def test_dask_unfittable_single_series():
    pytest.importorskip("dask")
    da = _panel(region=1, sector=1).isel(region=0, sector=0, drop=True)
    da[6] = np.nan
    with pytest.raises(cg.UnfittableSeriesError, match=r"series along 'year' \(9 non-NaN values, year 2011-2020\): NaN inside") as eager:
        fit_egm(da)
    with pytest.raises(cg.UnfittableSeriesError) as computed:
        fit_egm(da.chunk({"year": 5})).compute()
    assert str(computed.value) == str(eager.value)
