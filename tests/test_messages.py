"""Every error message speaks the user's terms (issue 10, class 5).

Inputs are built the way numpy and pandas hand them over: int64 years, ``str_`` labels, float64
values, 0-d arrays.  Each case provokes one error through the public API; the message must name
the argument and the offending label or value as the user wrote them (``year=2025``,
``'steel'``, ``4.25``), never a numpy repr (``np.int64(2025)``, ``np.str_('steel')``,
``np.float64(4.25)``) nor a position without one (``index ()``).

To cover a new message, add a function decorated with ``@case("argument", "label", ...)`` that
provokes it: the registry :data:`CASES` runs each one under :func:`test_message_in_users_terms`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

from fastcarbon import accounting, factors, grey, index, peaks, scenarios, uncertainty
from fastcarbon._format import show, show_index, show_list
from fastcarbon.core import montecarlo as core_mc
from fastcarbon.core import trajectory as core_trajectory
from fastcarbon.errors import FastcarbonError, FastcarbonWarning
from fastcarbon.uncertainty import Noise

#: name -> (function provoking the error, substrings its message must hold)
CASES: dict[str, tuple] = {}

#: what a message must never show: numpy reprs and positions of nothing
FORBIDDEN = ("np.", "numpy.", "index ()", "dtype(", "array(")


def case(*expected: str):
    """Register the decorated function: calling it must raise a FastcarbonError (or emit a
    FastcarbonWarning) whose message holds every one of ``expected``."""

    def register(func):
        assert func.__name__ not in CASES, func.__name__
        CASES[func.__name__] = (func, expected)
        return func

    return register


# numpy-typed inputs, as arrays and pandas hand them over ----------------------------------------
YEARS = np.arange(2020, 2031, dtype=np.int64)
SECTORS = np.array(["steel", "cement"])  # dtype <U6: its elements are np.str_
SCEN = np.array(["RS", "NZ"])


def _path(*shape_dims, value=1.0):
    dims = [d for d, _ in shape_dims]
    coords = dict(shape_dims)
    return xr.DataArray(np.full([len(c) for _, c in shape_dims], value), dims=dims, coords=coords)


def _emissions():
    x = np.linspace(2.0, 1.0, YEARS.size) * np.ones((SCEN.size, 1))
    return xr.DataArray(x, dims=("scenario", "year"), coords={"scenario": SCEN, "year": YEARS},
                        attrs={"units": "t CO2"})


# --- monte_carlo: labels of the user's input, eager and dask ------------------------------------


def _mc_inputs():
    gdp = _path(("year", YEARS)).assign_attrs(units="1")
    ci = _path(("scenario", SCEN), ("sector", SECTORS), ("year", YEARS)).assign_attrs(units="1")
    return gdp, ci


@case("intensity: bad value inf at scenario='NZ', sector='steel', year=2025;")
def monte_carlo_bad_value():
    gdp, ci = _mc_inputs()
    ci[1, 0, 5] = np.inf
    uncertainty.monte_carlo(None, 4, seed=1, activity=gdp, intensity=ci)


@case("intensity: bad value inf at year=2025, sector='steel', scenario='NZ';")
def monte_carlo_bad_value_in_the_users_dim_order():
    gdp, ci = _mc_inputs()
    ci[1, 0, 5] = np.inf
    uncertainty.monte_carlo(None, 4, seed=1, activity=gdp, intensity=ci.transpose("year", "sector", "scenario"))


@case("intensity: bad value -0.5 at scenario='NZ', sector='cement', year=2021;")
def monte_carlo_bad_value_dask_chunks():
    gdp, ci = _mc_inputs()
    ci[1, 1, 1] = -0.5
    uncertainty.monte_carlo(None, 8, seed=1, activity=gdp, intensity=ci.chunk({"scenario": 1}), chunks=4)


@case("activity: bad value nan at year=2030;")
def monte_carlo_bad_activity_broadcast_over_sectors():
    gdp, ci = _mc_inputs()
    gdp[-1] = np.nan
    uncertainty.monte_carlo(None, 4, seed=1, activity=gdp, intensity=ci)


@case("factor: bad value inf; values must be finite")
def monte_carlo_bad_0d_factor():
    gdp, ci = _mc_inputs()
    uncertainty.monte_carlo(None, 4, seed=1, activity=gdp, intensity=ci, factor=xr.DataArray(np.float64(np.inf)))


@case("intensity: rises from 0 at scenario='RS', sector='steel', year=2027;")
def monte_carlo_rise_from_zero():
    gdp, ci = _mc_inputs()
    ci = ci.where(ci.year < 2025, 0.0).where(ci.year != 2027, 0.5)
    uncertainty.monte_carlo(None, 4, seed=1, activity=gdp, intensity=ci)


@case("intensity: bad value -1.0 at index (1, 2);")
def core_monte_carlo_index_as_passed():
    bad = np.ones((2, 4))
    bad[1, 2] = -1.0
    core_mc.monte_carlo(np.ones(4), bad, n_draws=2, seed=1, intensity_noise=Noise(on="rate"))


@case("n_draws", "2.5")
def monte_carlo_float_draws():
    gdp, ci = _mc_inputs()
    uncertainty.monte_carlo(None, np.float64(2.5), seed=1, activity=gdp, intensity=ci)


@case("seed", "1.0")
def monte_carlo_float_seed():
    gdp, ci = _mc_inputs()
    uncertainty.monte_carlo(None, 2, seed=np.float64(1.0), activity=gdp, intensity=ci)


@case("Noise.ar1", "1.5")
def noise_ar1():
    Noise(ar1=np.float64(1.5))


@case("Noise.distribution", "'gamma'")
def noise_distribution():
    Noise(distribution=np.str_("gamma"))


@case("Noise.sector_correlation", "0.5", "0.4")
def noise_asymmetric_correlation():
    Noise(sector_correlation=np.array([[1.0, 0.5], [0.4, 1.0]]))


# --- scenarios -----------------------------------------------------------------------------------


def _rates(values, **extra):
    coords = {"period": np.array(["2021-2025", "2026-2030"]), **extra}
    dims = (*extra, "period")
    return xr.DataArray(np.asarray(values, dtype=np.float64), dims=dims, coords=coords)


@case("rates: 4.25 for period 2021-2025 is outside [0, 1]")
def rate_schedule_percent_as_fraction():
    scenarios.rate_schedule(1.0, _rates([4.25, 0.02]), base_year=np.int64(2020), years=YEARS)


@case("rates: 4.25 for period 2026-2030 at scenario='NZ' is outside [0, 1]")
def rate_schedule_percent_as_fraction_batched():
    scenarios.rate_schedule(1.0, _rates([[0.01, 0.02], [0.03, 4.25]], scenario=SCEN), base_year=2020, years=YEARS)


@case("rates: 4.25 for period 2026-2030 at region='y', scenario='NZ' is outside [0, 1]")
def rate_schedule_percent_as_fraction_dask():
    rates = _rates([[[0.01, 0.02], [0.03, 0.04]], [[0.01, 0.02], [0.03, 4.25]]],
                   region=np.array(["x", "y"]), scenario=SCEN)
    base = xr.DataArray(np.ones(2), dims="sector", coords={"sector": SECTORS})
    scenarios.rate_schedule(base, rates.chunk({"region": 1, "scenario": 1}), base_year=2020, years=YEARS).compute()


@case("rates: 4.25 for period 2026-2030 at scenario='NZ' is outside [0, 1]")
def rate_schedule_base_dims_first():
    base = xr.DataArray(np.ones((2, 2)), dims=("sector", "scenario"), coords={"sector": SECTORS, "scenario": SCEN})
    scenarios.rate_schedule(base, _rates([[0.01, 0.02], [0.03, 4.25]], scenario=SCEN), base_year=2020, years=YEARS)


@case("rate: -1.5 at region='b'")
def constant_growth_rate_below_minus_one_dask():
    rate = xr.DataArray(np.array([0.05, -1.5]), dims="region", coords={"region": np.array(["a", "b"])})
    scenarios.constant_growth(1.0, rate.chunk({"region": 1}), base_year=2020, years=YEARS).compute()


@case("values: bad value nan at region='b', year=2030")
def step_nan_key_value_dask():
    v = xr.DataArray(np.array([[1.0, 2.0], [1.0, np.nan]]), dims=("region", "year"),
                     coords={"region": np.array(["a", "b"]), "year": np.array([2020, 2030], dtype=np.int64)})
    scenarios.step(v.chunk({"region": 1}), YEARS).compute()


@case("rates: 4.25 for period 2021-2025 is outside [0, 1]")
def core_rate_schedule_1d():
    core_trajectory.rate_schedule(1.0, np.array([4.25, 0.1]), [2021, 2026], [2025, 2030], 2020, YEARS)


@case("rate: -1.5 at region='b'")
def constant_growth_rate_below_minus_one():
    rate = xr.DataArray(np.array([0.05, -1.5]), dims="region", coords={"region": np.array(["a", "b"])})
    scenarios.constant_growth(1.0, rate, base_year=2020, years=YEARS)


@case("rate: -2.0", "growth rates must be finite and > -1")
def constant_growth_0d_rate():
    scenarios.constant_growth(1.0, xr.DataArray(np.float64(-2.0)), base_year=2020, years=YEARS)


@case("values: bad value nan at region='b'", "year=2030")
def interpolate_nan_key_value():
    v = xr.DataArray(np.array([[1.0, 2.0], [1.0, np.nan]]), dims=("region", "year"),
                     coords={"region": np.array(["a", "b"]), "year": np.array([2020, 2030], dtype=np.int64)})
    scenarios.interpolate(v, YEARS)


@case("values:", "from 1.0 in 2020 to -1.0 in 2030", "region='b'")
def interpolate_growth_through_negative():
    v = xr.DataArray(np.array([[1.0, 2.0], [1.0, -1.0]]), dims=("region", "year"),
                     coords={"region": np.array(["a", "b"]), "year": np.array([2020, 2030], dtype=np.int64)})
    scenarios.interpolate(v, YEARS, method="growth")


@case("period label '2021/2025'")
def parse_periods_bad_label():
    scenarios.parse_periods(np.array(["2021/2025"]))


@case("periods ['2021-2025', '2027-2030']", "gap")
def parse_periods_gap():
    scenarios.parse_periods(np.array(["2021-2025", "2027-2030"]))


@case("share: bad value -0.1 at sector='cement', fuel='coal'")
def top_down_negative_share():
    act = _path(("year", YEARS)).assign_attrs(units="1")
    ci = _path(("year", YEARS)).assign_attrs(units="t CO2")
    share = xr.DataArray(np.array([[0.5, 0.5], [1.1, -0.1]]), dims=("sector", "fuel"),
                         coords={"sector": SECTORS, "fuel": np.array(["natural_gas", "coal"])})
    scenarios.top_down_emissions(act, ci, share)


# --- accounting ----------------------------------------------------------------------------------


def _energy(value=1.0):
    return xr.DataArray(np.full((2, 3), value), dims=("year", "fuel"),
                        coords={"year": np.array([2020, 2021], dtype=np.int64),
                                "fuel": np.array(["coal", "refined_oil", "natural_gas"])},
                        attrs={"units": "tce"})


@case("energy: bad value -1.0 at year=2021, fuel='refined_oil'")
def fuel_emissions_negative():
    e = _energy()
    e[1, 1] = -1.0
    accounting.fuel_emissions(e, "hj2021")


@case("energy: bad value -1.0 at year=2021, fuel='refined_oil'")
def fuel_emissions_negative_dask():
    e = _energy()
    e[1, 1] = -1.0
    accounting.fuel_emissions(e.chunk({"year": 1}), "hj2021").emissions.compute()


@case("factors", "'nope'")
def factor_set_unknown():
    factors.load(np.str_("nope"))


def _tensor():
    act = xr.DataArray(np.ones((2, 1, 1)), dims=("sector", "process", "equipment"),
                       coords={"sector": SECTORS}, attrs={"units": "t"})
    inten = xr.DataArray(np.ones((2, 1, 1, 1)), dims=("sector", "process", "equipment", "fuel"),
                         coords={"sector": SECTORS, "fuel": np.array(["coal"])}, attrs={"units": "tce/t"})
    return act, inten


@case("activity: bad value -2.0 at sector='cement'")
def bottom_up_negative_activity():
    act, inten = _tensor()
    act[1] = -2.0
    accounting.bottom_up(act, inten, "hj2021")


@case("reference: 'BAU' is not a label of 'scenario'", "'RS'")
def potentials_unknown_reference():
    act, inten = _tensor()
    act = act.expand_dims(scenario=SCEN)
    accounting.potentials(accounting.bottom_up(act, inten, "hj2021"), np.str_("BAU"))


# --- index ---------------------------------------------------------------------------------------


def _panel():
    x = np.arange(12.0).reshape(4, 3) ** 1.5
    return xr.DataArray(x, dims=("year", "indicator"),
                        coords={"year": np.arange(2011, 2015, dtype=np.int64),
                                "indicator": np.array(["gdp", "energy", "co2"])})


@case("da: bad value inf at year=2013, indicator='energy'")
def entropy_weights_infinite():
    da = _panel()
    da[2, 1] = np.inf
    index.entropy_weights(da, "year")


@case("negative", "'water'", "'gdp'")
def entropy_weights_unknown_negative():
    index.entropy_weights(_panel(), "year", negative=[np.str_("water")])


@case("da: indicator(s) ['co2'] constant along 'year'")
def entropy_weights_constant_indicator_warns():
    da = _panel()
    da[:, 2] = 1.0
    index.entropy_weights(da, "year")


# --- grey ----------------------------------------------------------------------------------------


def _series():
    x = 100.0 * 1.05 ** np.arange(8.0)
    return xr.DataArray(x, dims="year", coords={"year": np.arange(2011, 2019, dtype=np.int64)})


@case("da: the 'year' coordinate must be strictly increasing; 2015 is followed by 2014")
def fit_egm_unsorted_years():
    da = _series()
    years = da.year.values.copy()
    years[4], years[3] = years[3], years[4]
    grey.fit_egm(da.assign_coords(year=years))


@case("da: the 'year' coordinate must be numeric", "'2011'")
def fit_egm_string_years():
    da = _series()
    grey.fit_egm(da.assign_coords(year=da.year.values.astype(str)))


@case("EGM(1,1): cannot fit the series", "region='b'")
def fit_egm_unfittable_series():
    da = _series().expand_dims(region=np.array(["a", "b"])).copy()
    da[1, 2] = -5.0
    grey.fit_egm(da)


@case("EGM(1,1): cannot fit the series:")
def core_fit_egm_unfittable_1d():
    from fastcarbon.core import grey as core_grey

    core_grey.fit_egm(np.array([1.0, -1.0, 2.0, 3.0, 4.0]))


@case("horizon", "2.5")
def forecast_egm_float_horizon():
    grey.forecast_egm(grey.fit_egm(_series()), horizon=np.float64(2.5))


# --- peaks ---------------------------------------------------------------------------------------


@case("emissions: NaN at scenario='NZ', year=2024")
def peak_nan_raise():
    da = _emissions()
    da[1, 4] = np.nan
    peaks.peak(da, nan_policy="raise")


@case("emissions: NaN at scenario='NZ', year=2024")
def peak_nan_raise_dask():
    da = _emissions()
    da[1, 4] = np.nan
    peaks.peak(da.chunk({"scenario": 1}), nan_policy="raise").compute()


@case("nan_policy", "'omit'")
def peak_bad_policy():
    peaks.peak(_emissions(), nan_policy=np.str_("omit"))


# --- uncertainty summaries and sensitivity -------------------------------------------------------


def _draws():
    e = _emissions().expand_dims(draw=np.arange(5))
    return e


@case("year: 2040 is not on 'year'", "2020..2030")
def prob_below_unknown_year():
    uncertainty.prob_below(_draws(), 1.0, np.int64(2040))


@case("quantiles", "1.5")
def quantile_bands_out_of_range():
    uncertainty.quantile_bands(_draws(), np.array([0.5, 1.5]))


@case("problem: bounds of 'a'", "[1.0, 0.0]")
def check_problem_reversed_bounds():
    uncertainty.check_problem({"names": ["a"], "bounds": [np.array([1.0, 0.0])]})


@case("scenarios", "'XX'", "'RS'")
def chongqing_model_unknown_scenario():
    from fastcarbon.studies import chongqing

    sample = uncertainty.sobol_sample(chongqing.chongqing_problem(), 8, seed=1)
    chongqing.chongqing_model(sample, scenarios=[np.str_("XX")])


# --- shared label checks ------------------------------------------------------------------------


@case("dimension 'sector': labels of activity do not match those of intensity",
      "missing from activity: ['glass']", "not in intensity: ['cement']")
def bottom_up_mismatched_sectors():
    act, inten = _tensor()
    accounting.bottom_up(act, inten.assign_coords(sector=np.array(["steel", "glass"])), "hj2021")


@case("factors: no emission factor for fuel(s) ['peat']", "'natural_gas'")
def fuel_emissions_unknown_fuel():
    e = _energy().assign_coords(fuel=np.array(["coal", "peat", "natural_gas"]))
    accounting.fuel_emissions(e, "hj2021")


@case("emissions: missing required dimension(s) ['year']")
def peak_without_year():
    peaks.peak(_emissions().rename(year="time"))


@case("energy", "'bananas'")
def fuel_emissions_unknown_units():
    accounting.fuel_emissions(_energy().assign_attrs(units=np.str_("bananas")), "hj2021")


# --- more of index, grey, uncertainty --------------------------------------------------------------


@case("da: every indicator is constant along 'year' at city='b'")
def entropy_weights_all_constant():
    da = _panel().expand_dims(city=np.array(["a", "b"])).copy()
    da[1] = 3.0
    index.entropy_weights(da, "year")


@case("da: bad value inf at city='b', year=2013, indicator='energy'")
def entropy_weights_infinite_dask():
    da = _panel().expand_dims(city=np.array(["a", "b"])).copy()
    da[1, 2, 1] = np.inf
    index.entropy_weights(da.chunk({"city": 1}), "year").weight.compute()


@case("weight: bad value -0.5 at indicator='co2'")
def obstacle_degree_negative_weight():
    ew = index.entropy_weights(_panel(), "year")
    w = ew.weight.copy()
    w[2] = -0.5
    index.obstacle_degree(ew.assign(weight=w))


@case("EGM(1,1): cannot fit the series at region='b'")
def fit_egm_unfittable_series_dask():
    da = _series().expand_dims(region=np.array(["a", "b"])).copy()
    da[1, 2] = -5.0
    grey.fit_egm(da.chunk({"region": 1})).a.compute()


@case("min_train", "4.5")
def backtest_float_min_train():
    grey.backtest(_series(), min_train=np.float64(4.5))


@case("outputs['peak']: inf at draw=3")
def sobol_analyze_non_finite_output():
    problem = {"names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
    sample = uncertainty.sobol_sample(problem, 8, seed=1)
    out = xr.DataArray(np.ones(sample.sizes["draw"]), dims="draw", coords={"draw": sample.draw.values},
                       name="peak")
    out[3] = np.inf
    uncertainty.sobol_analyze(problem, out, seed=1)


@case("target_year: 2045 is not on 'year'")
def summarize_unknown_target_year():
    uncertainty.summarize(_draws(), target_year=np.int64(2045))


@case("scenario 'XX' is not in the set; known: ['RS']")
def scenario_set_unknown_scenario():
    base = xr.Dataset({"gdp": xr.DataArray(1.0, attrs={"units": "1"})})
    sset = scenarios.ScenarioSet(base, [scenarios.Scenario(np.str_("RS"), {"gdp": scenarios.Growth(0.05)})],
                                 base_year=np.int64(2020), years=YEARS)
    sset.build(scenarios=[np.str_("XX")])


# --- 0-d inputs: nothing to index, so no "index ()" ----------------------------------------------

ZERO_D = xr.DataArray(np.float64(4.25), attrs={"units": "tce"})


@case("emissions: missing required dimension(s) ['year']")
def peak_0d():
    peaks.peak(ZERO_D)


@case("da", "'year'")
def fit_egm_0d():
    grey.fit_egm(ZERO_D)


@case("da", "'year'")
def entropy_weights_0d():
    index.entropy_weights(ZERO_D, "year")


@case("energy", "'fuel'")
def fuel_emissions_0d():
    accounting.fuel_emissions(ZERO_D, "hj2021")


@case("values", "'year'")
def interpolate_0d():
    scenarios.interpolate(ZERO_D, YEARS)


@case("year dim 'year'")
def monte_carlo_0d():
    uncertainty.monte_carlo(None, 4, seed=1, activity=ZERO_D, intensity=ZERO_D)


@case("emissions", "'draw'")
def summarize_0d():
    uncertainty.summarize(ZERO_D)


# --- draw reductions (issue 11) ------------------------------------------------------------------
def _draw_array():
    return np.linspace(1.0, 2.0, 4 * YEARS.size).reshape(4, YEARS.size)


@case("q: probabilities must be in [0, 1], got 1.5")
def quantile_out_of_range():
    from fastcarbon.core import quantile

    quantile(_draw_array(), np.float64(1.5))


@case("a: nan at index (2, 3)")
def quantile_nan():
    from fastcarbon.core import quantile

    x = _draw_array()
    x[np.int64(2), np.int64(3)] = np.nan
    quantile(x, [np.float64(0.5)])


@case("target_year: 2045 is not one of the years (2020..2030")
def summarize_draws_unknown_target_year():
    from fastcarbon.core import summarize_draws

    summarize_draws(_draw_array(), YEARS, target=np.float64(1.0), target_year=np.int64(2045))


@case("e: inf at index (1, 4)")
def summarize_draws_infinite():
    from fastcarbon.core import summarize_draws

    x = _draw_array()
    x[1, 4] = np.inf
    summarize_draws(x, YEARS)


@case("p: probabilities must be in [0, 1], got 1.2")
def draws_needed_bad_p():
    uncertainty.draws_needed(np.array([0.5, 1.2]), np.float64(0.01))


@case("half_width: must be a finite number > 0", "got -0.01")
def draws_needed_bad_half_width():
    uncertainty.draws_needed(np.float64(0.5), np.float64(-0.01))


@case("n_regions and n_sectors: must be >= 1, got 0 and 21")
def national_panel_no_regions():
    from fastcarbon import datasets

    datasets.national_panel(np.int64(0))


# --- the test ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_message_in_users_terms(name):
    func, expected = CASES[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            func()
        except FastcarbonError as err:
            message = str(err)
        else:
            ours = [w for w in caught if issubclass(w.category, FastcarbonWarning)]
            assert ours, f"{name}: neither an error nor a fastcarbon warning"
            message = str(ours[0].message)
    for bad in FORBIDDEN:
        assert bad not in message, f"{bad!r} in: {message}"
    for part in expected:
        assert part in message, f"{part!r} not in: {message}"


def test_registry_provokes_every_kind_of_numpy_scalar():
    """The cases above feed the API int64 years, str_ labels, float64 values and 0-d arrays; a
    registry that lost them would pass without testing anything."""
    assert len(CASES) >= 40
    assert YEARS.dtype == np.int64 and SECTORS.dtype.kind == "U"
    assert isinstance(SECTORS[0], np.str_) and repr(SECTORS[0]).startswith("np.str_")


@pytest.mark.parametrize("order", [("scenario", "sector", "year"), ("year", "scenario", "sector"),
                                   ("sector", "year", "scenario")])
@pytest.mark.parametrize("lazy", [False, True])
def test_monte_carlo_names_the_element_it_found(order, lazy):
    """Wherever the bad value sits and in whatever dim order the user gives, the message names that
    element by its labels in the user's order, and the error's index is its position there."""
    gdp, ci = _mc_inputs()
    rng = np.random.default_rng(len(order[0]) + lazy)
    for _ in range(4):
        bad = ci.copy()
        k = tuple(int(rng.integers(n)) for n in bad.shape)
        bad[k] = -np.inf
        user = bad.transpose(*order)
        with pytest.raises(core_mc.MonteCarloValueError) as info:
            uncertainty.monte_carlo(None, 4, seed=1, activity=gdp, intensity=user.chunk() if lazy else user,
                                    chunks=2 if lazy else None)
        at = {d: bad[d].values[i] for d, i in zip(bad.dims, k)}
        where = ", ".join(f"{d}={show(at[d])}" for d in order)
        assert f"intensity: bad value -inf at {where};" in str(info.value)
        assert info.value.index == tuple(int(np.flatnonzero(user[d].values == at[d])[0]) for d in order)


@pytest.mark.parametrize("value, shown", [
    (np.float64(4.25), "4.25"), (np.int64(2021), "2021"), (np.str_("City290"), "'City290'"),
    (np.array(2.5), "2.5"), (np.bool_(True), "True"), ([np.int64(1), np.str_("a")], "[1, 'a']"),
    ((np.int64(1),), "(1,)"), ({np.str_("k"): np.float64(1.0)}, "{'k': 1.0}"),
    (np.datetime64("2020-01-01T00:00"), "'2020-01-01'"), (float("nan"), "nan"), ("2021", "'2021'"),
])
def test_show_writes_values_as_the_user_did(value, shown):
    assert show(value) == shown


def test_show_list_and_index():
    assert show_list(np.arange(2011, 2021, dtype=np.int64), limit=2) == "[2011, 2012, ... (10 in all)]"
    assert show_list(np.array(["a", "b"])) == "['a', 'b']"
    assert show_index((np.int64(1), np.int64(0), 5)) == "index (1, 0, 5)"
    assert show_index((np.int64(4),)) == "index (4,)"
    assert show_index(()) == "the only element"


def test_no_repr_conversion_in_the_package():
    """``{x!r}`` in an f-string writes numpy scalars as ``np.float64(4.25)``: the package formats
    values for messages with :func:`fastcarbon._format.show` instead (a static check, so a new
    message cannot slip past the registry above)."""
    import ast
    import pathlib

    import fastcarbon

    root = pathlib.Path(fastcarbon.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FormattedValue) and node.conversion == ord("r"):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not found, f"use show() instead of !r in: {found}"
