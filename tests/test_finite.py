"""Issue 10, class 1: non-finite inputs and results that overflow are errors, never silent.

For every public function that needs finite values: +inf and -inf are rejected (error class, the
argument's name and the offending coordinate labels in the message), eager and on dask (raised
when computed, labels of the whole array); finite inputs whose result overflows raise
:class:`OverflowResultError` naming the output variable and its labels; -0.0 and large but
representable values still pass.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import xarray as xr

from fastcarbon import core
from fastcarbon._validate import check_result, screen
from fastcarbon.accounting import bottom_up, fuel_emissions
from fastcarbon.core import trajectory as core_trajectory
from fastcarbon.core.montecarlo import Noise
from fastcarbon.errors import FastcarbonError, InvalidValueError, OverflowResultError
from fastcarbon.index import entropy_weights
from fastcarbon.peaks import peak
from fastcarbon.scenarios import (
    Scenario,
    ScenarioSet,
    bottom_up_emissions,
    constant_growth,
    interpolate,
    rate_schedule,
    step,
    top_down_emissions,
)
from fastcarbon.uncertainty import monte_carlo

INF = [np.inf, -np.inf]


@pytest.fixture(autouse=True)
def _numpy_warnings_are_errors():
    # An overflow must come as one clear error, not after numpy's bare "overflow encountered".
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def _raises(cls, call, *needles):
    """``call()`` (computed, for dask) raises ``cls``, a FastcarbonError whose message holds
    every needle; returns the error."""
    with pytest.raises(cls) as info:
        out = call()
        if hasattr(out, "compute"):
            out.compute()
    err = info.value
    assert isinstance(err, FastcarbonError) and isinstance(err, ValueError)
    for needle in needles:
        assert needle in str(err), (needle, str(err))
    assert "np.float64" not in str(err) and "np.str_" not in str(err) and "np.int64" not in str(err)
    return err


def _maybe_chunk(da, lazy, **chunks):
    return da.chunk(chunks) if lazy else da


# --------------------------------------------------------------------------- shared screens


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("value", [*INF, np.nan, -1.0])
def test_screen_names_the_first_bad_element_by_whole_array_labels(lazy, value):
    da = xr.DataArray(np.ones((4, 3)), dims=("region", "k"), coords={"region": list("ABCD")})
    da[3, 2] = value
    def call():
        checked = screen(_maybe_chunk(da, lazy, region=2, k=2), "x", nonnegative=True)
        assert lazy and checked.chunks is not None  # eager raises above; dask stays lazy
        return checked

    _raises(InvalidValueError, call, "x: bad value", "region='D', k[2]", "finite and >= 0")


@pytest.mark.parametrize("lazy", [False, True])
def test_screen_lets_negative_zero_and_large_values_through(lazy):
    da = xr.DataArray([-0.0, 1e308, np.finfo(float).max], dims="k")
    out = screen(_maybe_chunk(da, lazy, k=1), "x", nonnegative=True)
    np.testing.assert_array_equal(out.values, da.values)
    assert screen(xr.DataArray([-1.0, 1.0], dims="k"), "x") is not None  # sign allowed without the rule


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64])
def test_fast_nonnegative_screen_equals_the_exact_rule(dtype):
    from fastcarbon._validate import _negative_or_not_finite

    if np.dtype(dtype).kind == "f":
        info = np.finfo(dtype)
        special = [0.0, -0.0, 1.0, -1.0, info.max, -info.max, info.tiny, -info.tiny,
                   info.smallest_subnormal, -info.smallest_subnormal, np.inf, -np.inf, np.nan, -np.nan]
    else:
        special = [0, 1, -1, np.iinfo(dtype).max, np.iinfo(dtype).min]
    x = np.array(special, dtype=dtype)
    for arr in (x, x[::2], x[1::3], x[:3], x[2:3].reshape(()), x.reshape(1, -1)):
        exact = ~((arr >= 0) & (arr < np.inf))
        np.testing.assert_array_equal(_negative_or_not_finite(arr), exact)


@pytest.mark.parametrize("lazy", [False, True])
def test_check_result_raises_overflow_with_variable_and_labels(lazy):
    da = xr.DataArray(np.ones((2, 3)), dims=("year", "fuel"),
                      coords={"year": [2020, 2021], "fuel": ["coal", "gas", "oil"]})
    da[1, 1] = np.inf
    err = _raises(OverflowResultError, lambda: check_result(_maybe_chunk(da, lazy, year=1, fuel=1), "emissions"),
                  "emissions: overflows to inf", "year=2021, fuel='gas'")
    assert (err.variable, err.index, err.value) == ("emissions", (1, 1), np.inf)


def test_overflow_error_pickles_whole():
    # dask.distributed ships errors from workers by pickle
    err = OverflowResultError("emissions", (1, 2), np.inf, "year=2021", "a hint")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is OverflowResultError and str(back) == str(err)
    assert (back.variable, back.index, back.value, back.hint) == ("emissions", (1, 2), np.inf, "a hint")


# --------------------------------------------------------------------------- fuel_emissions


def _fuel_use(values):
    return xr.DataArray(np.array(values, dtype=float), dims=("year", "fuel"),
                        coords={"year": [2020, 2021, 2022], "fuel": ["coal", "natural_gas"]},
                        attrs={"units": "tce"})


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("value", INF)
def test_fuel_emissions_rejects_infinite_fuel_use(lazy, value):
    use = _fuel_use([[1, 2], [3, 4], [5, 6]])
    use[2, 1] = value
    _raises(InvalidValueError, lambda: fuel_emissions(_maybe_chunk(use, lazy, year=1), "hj2021"),
            "energy: bad value", repr(value), "year=2022, fuel='natural_gas'", "finite")


@pytest.mark.parametrize("value", INF)
def test_fuel_emissions_rejects_infinite_factors(value):
    factor = xr.DataArray([2.66, value], dims="fuel", coords={"fuel": ["coal", "natural_gas"]},
                          attrs={"units": "t CO2/tce"})
    _raises(InvalidValueError, lambda: fuel_emissions(_fuel_use([[1, 2]] * 3), factor),
            "factors", "natural_gas", "finite")


@pytest.mark.parametrize("lazy", [False, True])
def test_fuel_emissions_overflow_names_the_fuel(lazy):
    use = _fuel_use([[1, 2], [1e308, 1], [5, 6]])  # × 2.66 t CO2/tce > 1.8e308
    err = _raises(OverflowResultError, lambda: fuel_emissions(_maybe_chunk(use, lazy, year=1), "hj2021"),
                  "overflows to inf", "year=2021")
    assert err.variable in ("emissions_by_fuel", "emissions")
    if not lazy:  # numpy: the by-fuel culprit is looked for first
        assert err.variable == "emissions_by_fuel" and "fuel='coal'" in str(err)


@pytest.mark.parametrize("lazy", [False, True])
def test_fuel_emissions_overflow_of_the_sum_over_fuels(lazy):
    # each fuel's emissions fit, their sum does not
    use = _fuel_use([[1, 2], [0.6e308, 0.9e308], [5, 6]])
    err = _raises(OverflowResultError, lambda: fuel_emissions(_maybe_chunk(use, lazy, year=1), "hj2021").emissions,
                  "emissions: overflows to inf at year=2021")
    assert err.variable == "emissions"


@pytest.mark.parametrize("lazy", [False, True])
def test_fuel_emissions_negative_zero_and_large_values_pass(lazy):
    use = _fuel_use([[-0.0, 2], [1e300, 1e300], [5, 6]])
    out = fuel_emissions(_maybe_chunk(use, lazy, year=1), "hj2021").compute()
    assert np.isfinite(out.emissions.values).all() and out.emissions.values[1] > 1e300


# --------------------------------------------------------------------------- bottom_up


def _tensor(full_factor=False):
    P = xr.DataArray(np.ones((2, 2, 1, 2)), dims=("year", "sector", "process", "equipment"),
                     coords={"year": [2020, 2021], "sector": ["steel", "cement"]}, attrs={"units": "t"})
    e = xr.DataArray(np.full((2, 1, 2, 2), 0.5), dims=("sector", "process", "equipment", "fuel"),
                     coords={"sector": ["steel", "cement"], "fuel": ["coal", "natural_gas"]},
                     attrs={"units": "tce/t"})
    f = xr.DataArray([2.66, 1.56], dims="fuel", coords={"fuel": ["coal", "natural_gas"]},
                     attrs={"units": "t CO2/tce"})
    if full_factor:
        f = f.expand_dims(process=1, equipment=2).copy()
    return P, e, f


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("full_factor", [False, True])
@pytest.mark.parametrize("value", INF)
def test_bottom_up_rejects_infinite_inputs(lazy, full_factor, value):
    P, e, f = _tensor(full_factor)
    P[1, 1, 0, 1] = value
    _raises(InvalidValueError, lambda: bottom_up(_maybe_chunk(P, lazy, year=1), e, f),
            "activity: bad value", "year=2021, sector='cement', process[0], equipment[1]", "finite")
    P, e, f = _tensor(full_factor)
    e[1, 0, 1, 0] = value
    _raises(InvalidValueError, lambda: bottom_up(_maybe_chunk(P, lazy, year=1), e, f),
            "intensity: bad value", "sector='cement', process[0], equipment[1], fuel='coal'")
    P, e, f = _tensor(full_factor)
    f.loc[{"fuel": "natural_gas"}] = value
    _raises(InvalidValueError, lambda: bottom_up(_maybe_chunk(P, lazy, year=1), e, f),
            "factor: bad value", "fuel='natural_gas'", "must be finite")


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("full_factor", [False, True])
def test_bottom_up_infinity_times_zero_is_still_reported(lazy, full_factor):
    # inf × 0 is NaN in the sums, not inf: the screen still catches it and names the infinity
    P, e, f = _tensor(full_factor)
    P[0, 0, 0, 0] = 0.0
    e[0, 0, 0, 1] = np.inf
    _raises(InvalidValueError, lambda: bottom_up(_maybe_chunk(P, lazy, year=1), e, f),
            "intensity: bad value inf", "sector='steel', process[0], equipment[0], fuel='natural_gas'")


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("full_factor", [False, True])
@pytest.mark.parametrize(
    "case, variable",
    [("energy", "energy_by_sector_fuel"), ("emissions", "emissions_by_sector_fuel"),
     ("units", "energy_by_sector_fuel"), ("sum", "energy_by_fuel")],
)
def test_bottom_up_overflow_names_output_and_labels(lazy, full_factor, case, variable):
    P, e, f = _tensor(full_factor)
    where = "year=2021, sector='cement', fuel='natural_gas'"
    if case == "energy":  # 1e300 × 1e300
        P[1, 1, 0, 0], e[1, 0, 0, 1] = 1e300, 1e300
    elif case == "emissions":  # energy 1e300, × 1e100 t CO2/tce
        P[1, 1, 0, 0], e[1, 0, 0, 1] = 1e200, 1e100
        f.loc[{"fuel": "natural_gas"}] = 1e100
    elif case == "units":  # finite in tce/kg, beyond the range in tce/t (× 1000)
        P[1, 1, 0, 0], e[1, 0, 0, 1] = 1e300, 1e7
        e.attrs["units"] = "tce/kg"
    else:  # every sector × fuel cell fits, the sum over sectors does not
        P[1, :, 0, 0], e[:, 0, 0, 1] = 1e300, 1.2e8
        f.loc[{"fuel": "natural_gas"}] = 0.5  # emissions stay within the range
        where = "year=2021, fuel='natural_gas'"
    err = _raises(OverflowResultError, lambda: bottom_up(_maybe_chunk(P, lazy, year=1), e, f),
                  f"{variable}: overflows to inf at {where}")
    assert err.variable == variable


@pytest.mark.parametrize("lazy", [False, True])
def test_bottom_up_negative_zero_and_large_values_pass(lazy):
    P, e, f = _tensor()
    P[0, 0, 0, 0] = -0.0
    P[1], e[:] = 1e150, 1e150
    out = bottom_up(_maybe_chunk(P, lazy, year=1), e, f).compute()
    assert all(np.isfinite(out[v].values).all() for v in out.data_vars)
    assert float(out.emissions.sel(year=2021)) > 1e300


def test_bottom_up_emissions_goes_through_the_same_checks():
    P, e, _ = _tensor()
    base = xr.Dataset({"activity": P.isel(year=0, drop=True), "intensity": e})
    built = ScenarioSet(base, [Scenario("REF")], base_year=2020, years=[2020, 2021]).build()
    built["intensity"] = built["intensity"].copy()
    built["intensity"].loc[{"sector": "cement", "fuel": "coal"}] = np.inf
    _raises(InvalidValueError, lambda: bottom_up_emissions(built, "hj2021"), "intensity: bad value inf",
            "sector='cement'", "fuel='coal'")
    built["intensity"].loc[{"sector": "cement", "fuel": "coal"}] = 1e300
    built["activity"] = built["activity"] * 1e300
    _raises(OverflowResultError, lambda: bottom_up_emissions(built, "hj2021"), "overflows to inf", "sector='cement'")


# --------------------------------------------------------------------------- peak


def _trajectories():
    return xr.DataArray(np.array([[1.0, 2, 3, 2], [1, 2, 3, 1], [4, 5, 3, 1]]), dims=("region", "year"),
                        coords={"region": ["A", "B", "C"], "year": [2020, 2021, 2022, 2023]})


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("nan_policy", ["propagate", "raise"])
@pytest.mark.parametrize("value", INF)
def test_peak_rejects_infinities_whatever_the_nan_policy(lazy, nan_policy, value):
    da = _trajectories()
    da[2, 1] = value
    err = _raises(core.InfiniteTrajectoryError, lambda: peak(_maybe_chunk(da, lazy, region=1), nan_policy=nan_policy),
                  f"emissions: {value!r} at region='C', year=2021", "must be finite")
    assert err.index == (2, 1)


@pytest.mark.parametrize("lazy", [False, True])
def test_peak_infinity_next_to_a_nan_is_not_hidden(lazy):
    # NaN makes the series NaN under "propagate"; the infinity in it must still be reported
    da = _trajectories()
    da[0, 1], da[0, 3] = np.nan, np.inf
    _raises(core.InfiniteTrajectoryError, lambda: peak(_maybe_chunk(da, lazy, region=1)), "region='A', year=2023")


@pytest.mark.parametrize("lazy", [False, True])
def test_peak_cumulative_overflow_names_the_series(lazy):
    da = _trajectories()
    da[1] = [1e308, 1.5e308, 1.7e308, 1.0]
    err = _raises(OverflowResultError, lambda: peak(_maybe_chunk(da, lazy, region=1)),
                  "cumulative_emissions: overflows to inf at region='B'")
    assert err.index == (1,)


@pytest.mark.parametrize("lazy", [False, True])
def test_peak_negative_zero_large_values_and_nan_propagation_pass(lazy):
    da = _trajectories()
    da[0, 3] = -0.0
    da[1] = [1e307, 1.5e307, 1.7e307, 1.0]
    da[2, 0] = np.nan  # NaN alone still propagates
    out = peak(_maybe_chunk(da, lazy, region=1)).compute()
    assert out.peak_year.values[1] == 2022 and np.isnan(out.peak_year.values[2])
    assert out.cumulative_emissions.values[1] == pytest.approx(4.2e307)


def test_core_peak_infinity_index_with_the_year_axis_first():
    x = np.ones((4, 3))
    x[2, 1] = np.inf
    with pytest.raises(core.InfiniteTrajectoryError) as info:
        core.peak(x, [2020, 2021, 2022, 2023], axis=0)
    assert info.value.index == (2, 1)


# --------------------------------------------------------------------------- scenario builders


def _key_values(values):
    return xr.DataArray(np.array(values, dtype=float), dims=("region", "year"),
                        coords={"region": ["A", "B"], "year": [2020, 2030]})


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("value", INF)
@pytest.mark.parametrize("builder", ["interpolate", "growth", "step"])
def test_key_year_builders_reject_infinities(lazy, value, builder):
    values = _key_values([[1, 2], [3, 4]])
    values[1, 1] = value
    values = _maybe_chunk(values, lazy, region=1)
    if builder == "step":
        def call():
            return step(values, range(2020, 2031))
    else:
        def call():
            return interpolate(values, range(2020, 2031), method="linear" if builder == "interpolate" else "growth")
    _raises(InvalidValueError, call, "values: bad value", repr(value), "region='B', year=2030", "finite")


@pytest.mark.parametrize("lazy", [False, True])
def test_interpolation_across_the_whole_float_range_stays_finite(lazy):
    # v1 - v0 overflows (2e308) although every value between -1e308 and 1e308 is representable
    values = _key_values([[1, 2], [-1e308, 1e308]])
    out = interpolate(_maybe_chunk(values, lazy, region=1), [2020, 2025, 2030]).compute()
    np.testing.assert_array_equal(out.values[1], [-1e308, 0.0, 1e308])
    ratio = interpolate(_key_values([[1, 2], [1e-300, 1e300]]), [2020, 2021, 2030], method="growth")
    np.testing.assert_allclose(ratio.values[1], [1e-300, 1e-240, 1e300], rtol=1e-12)


def _rates():
    return xr.DataArray([0.05, 1e10, 0.1], dims="region", coords={"region": ["A", "B", "C"]})


def _base():
    return xr.DataArray([[100.0, 1.0]], dims=("scenario", "sector"),
                        coords={"scenario": ["REF"], "sector": ["steel", "cement"]})


@pytest.mark.parametrize("lazy", [False, True])
def test_constant_growth_overflow_is_a_clear_error(lazy):
    base, rate = _base(), _rates()
    if lazy:
        base, rate = base.chunk(), rate.chunk({"region": 1})
    err = _raises(
        OverflowResultError,
        lambda: constant_growth(base, rate, base_year=2020, years=range(2020, 2101)),
        "trajectory: overflows to inf at scenario='REF', sector='steel', region='B', year=2051",
        "rate 10000000000.0 from base 100.0 in 2020", "5 % is 0.05",
    )
    assert err.variable == "trajectory"


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("value", INF)
def test_constant_growth_rejects_infinite_rate_and_base(lazy, value):
    rate = _rates().where(_rates() < 1, value)
    _raises(InvalidValueError, lambda: constant_growth(100.0, _maybe_chunk(rate, lazy, region=1), base_year=2020,
                                                       years=range(2020, 2031)),
            "rate: bad value", repr(value), "region='B'")
    base = _base().where(_base() < 50, value)
    _raises(InvalidValueError, lambda: constant_growth(_maybe_chunk(base, lazy, sector=1), 0.1, base_year=2020,
                                                       years=range(2020, 2031)),
            "base: bad value", "scenario='REF', sector='steel'")


def test_constant_growth_large_but_finite_passes():
    out = constant_growth(1e300, 0.01, base_year=2020, years=range(2020, 2031))
    assert np.isfinite(out.values).all() and out.values[-1] > 1e300


def _period_rates(values):
    return xr.DataArray(np.array(values, dtype=float), dims=("region", "period"),
                        coords={"region": ["A", "B"], "period": ["2021-2025", "2026-2030"]})


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("value", INF)
def test_rate_schedule_rejects_infinite_rates_and_base(lazy, value):
    rates = _period_rates([[0.1, 0.1], [0.1, 0.1]])
    rates[1, 0] = value
    _raises(InvalidValueError, lambda: rate_schedule(1.0, _maybe_chunk(rates, lazy, region=1), base_year=2020,
                                                     years=range(2020, 2031)),
            "rates: bad value", "region='B', period='2021-2025'")
    base = xr.DataArray([1.0, value], dims="region", coords={"region": ["A", "B"]})
    _raises(InvalidValueError, lambda: rate_schedule(_maybe_chunk(base, lazy, region=1), _period_rates([[0.1, 0.1]] * 2),
                                                     base_year=2020, years=range(2020, 2031)),
            "base: bad value", "region='B'")


def test_rate_schedule_large_base_passes():
    out = rate_schedule(1e308, _period_rates([[0.0, 0.5], [0.1, 0.0]]), base_year=2020, years=range(2020, 2031))
    assert np.isfinite(out.values).all() and out.values.max() == 1e308


@pytest.mark.parametrize("value", INF)
def test_numpy_trajectory_builders_reject_infinities(value):
    with pytest.raises(InvalidValueError, match="key values"):
        core_trajectory.interpolate([2020, 2030], [1.0, value], [2020, 2025])
    with pytest.raises(InvalidValueError, match="rate"):
        core_trajectory.constant_growth(1.0, value, 2020, [2020, 2021])
    with pytest.raises(InvalidValueError, match="base"):
        core_trajectory.rate_schedule(value, [0.1], [2021], [2022], 2020, [2020, 2021, 2022])
    with pytest.raises(OverflowResultError, match="rate 1e\\+20"):
        core_trajectory.constant_growth(1.0, 1e20, 2020, range(2020, 2040))


# --------------------------------------------------------------------------- top_down_emissions


def _top_down():
    Y = xr.DataArray([100.0, 110.0], dims="year", coords={"year": [2020, 2021]}, attrs={"units": "1e4 CNY"})
    I = xr.DataArray([2.0, 1.5], dims="year", coords={"year": [2020, 2021]}, attrs={"units": "t CO2 / (1e4 CNY)"})
    s = xr.DataArray([[0.75, 0.25]], dims=("sector", "fuel"), coords={"sector": ["steel"], "fuel": ["coal", "gas"]})
    return Y, I, s


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("value", INF)
def test_top_down_rejects_infinities(lazy, value):
    Y, I, s = _top_down()
    Y[1] = value
    _raises(InvalidValueError, lambda: top_down_emissions(_maybe_chunk(Y, lazy, year=1), I, s),
            "activity: bad value", "year=2021")
    Y, I, s = _top_down()
    I[0] = value
    _raises(InvalidValueError, lambda: top_down_emissions(_maybe_chunk(Y, lazy, year=1), I, s),
            "intensity: bad value", "year=2020")
    Y, I, s = _top_down()
    s[0, 1] = abs(value)
    _raises(InvalidValueError, lambda: top_down_emissions(Y, I, s), "share: bad value inf", "sector='steel', fuel='gas'")


@pytest.mark.parametrize("lazy", [False, True])
def test_top_down_overflow_and_large_values(lazy):
    Y, I, s = _top_down()
    Y[1], I[1] = 1e300, 1e300
    _raises(OverflowResultError, lambda: top_down_emissions(_maybe_chunk(Y, lazy, year=1), I, s),
            "emissions: overflows to inf at year=2021")
    I[1] = 1e3
    out = top_down_emissions(_maybe_chunk(Y, lazy, year=1), I, s).compute()
    assert out.emissions.values[1] == pytest.approx(1e303)


# --------------------------------------------------------------------------- monte_carlo


def _mc_inputs():
    gdp = xr.DataArray([100.0, 106.0, 112.0], dims="year", coords={"year": [2020, 2021, 2022]})
    ci = xr.DataArray([[2.0, 1.9, 1.8], [1.0, 0.9, 0.8]], dims=("sector", "year"),
                      coords={"sector": ["steel", "cement"], "year": [2020, 2021, 2022]})
    return gdp, ci


@pytest.mark.parametrize("chunks", [None, 2])
@pytest.mark.parametrize("value", INF)
def test_monte_carlo_rejects_infinite_inputs(chunks, value):
    gdp, ci = _mc_inputs()
    ci[1, 2] = value
    _raises(InvalidValueError, lambda: monte_carlo(activity=gdp, intensity=ci, n_draws=4, seed=1, chunks=chunks),
            "intensity: bad value", repr(value), "finite")


@pytest.mark.parametrize("chunks", [None, 2])
def test_monte_carlo_overflow_from_finite_inputs(chunks):
    gdp, ci = _mc_inputs()
    gdp[2] = 1e300
    ci[0, 2] = 1e10
    err = _raises(OverflowResultError, lambda: monte_carlo(activity=gdp, intensity=ci, n_draws=4, seed=1, chunks=chunks),
                  "emissions: overflows to inf", "draw id 0")
    assert err.index[-1] == 2  # the year 2022


def test_monte_carlo_overflow_from_the_noise_names_the_global_draw():
    # finite inputs near the range, a wide level noise: some draws overflow, named by their
    # global draw id whatever the split
    x = np.full((1, 3), 1e154)
    with pytest.raises(OverflowResultError) as info:
        core.monte_carlo(x, x, n_draws=200, seed=3, draw_offset=1000,
                         intensity_noise=Noise("lognormal", 3.0, on="level"))
    d = info.value.index[0]
    assert f"draw id {1000 + d}" in str(info.value)
    with pytest.raises(OverflowResultError) as second:
        core.monte_carlo(x, x, n_draws=200 - d, seed=3, draw_offset=1000 + d,
                         intensity_noise=Noise("lognormal", 3.0, on="level"))
    assert second.value.index[0] == 0 and f"draw id {1000 + d}" in str(second.value)


def test_monte_carlo_large_finite_values_pass():
    x = np.full((1, 3), 1e150)
    r = core.monte_carlo(x, x, n_draws=3, seed=1)
    assert np.isfinite(r.emissions).all() and r.emissions.min() == pytest.approx(1e300)


# --------------------------------------------------------------------------- entropy weights


@pytest.mark.parametrize("value", INF)
def test_entropy_weights_reject_infinities(value):
    da = xr.DataArray([[1.0, 2.0], [value, 3.0], [2.0, 4.0]], dims=("year", "indicator"),
                      coords={"year": [2011, 2012, 2013], "indicator": ["a", "b"]})
    _raises(InvalidValueError, lambda: entropy_weights(da, "year"), repr(value), "year=2012, indicator='a'")


@pytest.mark.parametrize("negative", [[], ["a"]])
def test_entropy_weights_of_a_range_that_overflows(negative):
    # max - min = 2e308 is not representable; the standardized values are (0, 0.5, 1) all the same
    big = xr.DataArray([[-1e308, 2.0], [0.0, 3.0], [1e308, 4.0]], dims=("year", "indicator"),
                       coords={"year": [2011, 2012, 2013], "indicator": ["a", "b"]})
    small = big.copy(data=[[-1.0, 2.0], [0.0, 3.0], [1.0, 4.0]])
    got, ref = entropy_weights(big, "year", negative=negative), entropy_weights(small, "year", negative=negative)
    np.testing.assert_array_equal(got.standardized.values, ref.standardized.values)
    np.testing.assert_array_equal(got.weight.values, ref.weight.values)


# --------------------------------------------------------------------------- potentials


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("value", INF)
def test_potentials_reject_infinite_results(lazy, value):
    from fastcarbon.accounting import potentials

    r = xr.Dataset({
        "energy": ("scenario", [100.0, 80.0]), "emissions": ("scenario", [200.0, 150.0]),
        "energy_by_sector": (("scenario", "sector"), [[60.0, 40.0], [50.0, 30.0]]),
        "emissions_by_sector": (("scenario", "sector"), [[120.0, 80.0], [100.0, value]])},
        coords={"scenario": ["RS", "AP"], "sector": ["steel", "chemical"]})
    _raises(InvalidValueError, lambda: potentials(r.chunk() if lazy else r, reference="RS"),
            "result['emissions_by_sector']: bad value", "scenario='AP', sector='chemical'")


def test_core_totals_name_the_first_overflowing_breakdown():
    m = np.ones((2, 3, 2))
    m[1, :, 1] = 1e308  # every cell and sector sum fits; fuel 1 summed over sectors does not
    with pytest.raises(OverflowResultError) as info:
        core.sector_fuel_totals(m)
    assert (info.value.variable, info.value.index) == ("by_fuel", (1, 1))
    m = np.ones((2, 3, 2))
    m[1, 0], m[1, 1] = [1e308, -1e308], [1e308, -1e308]  # sectors cancel, total fits: by fuel does not
    with pytest.raises(OverflowResultError) as info:
        core.sector_fuel_totals(m)
    assert (info.value.variable, info.value.index) == ("by_fuel", (1, 0))
    m = np.ones((2, 3, 2))
    m[0, 2] = [1e308, 1e308]  # a sector sum overflows (and so the total)
    with pytest.raises(OverflowResultError) as info:
        core.sector_fuel_totals(m)
    assert (info.value.variable, info.value.index) == ("by_sector", (0, 2))
    by_sector, by_fuel, total = core.sector_fuel_totals(np.full((2, 3, 2), 1e307))
    assert np.isfinite(total).all() and total[0] == pytest.approx(6e307)
