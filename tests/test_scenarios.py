"""Trajectory builders, scenario inheritance and scenario emissions: properties and bad input."""

from __future__ import annotations


import hypothesis.strategies as st
import numpy as np
import pytest
import xarray as xr
from hypothesis import given

from fastcarbon.core import trajectory as core
from fastcarbon.errors import InputError, InvalidValueError, MissingDimensionError, UnknownLabelError
from fastcarbon.scenarios import (
    Growth,
    Interp,
    Scenario,
    ScenarioSet,
    Schedule,
    Step,
    bottom_up_emissions,
    constant_growth,
    interpolate,
    potentials,
    rate_schedule,
    step,
    top_down_emissions,
)


# ---------------------------------------------------------------- strategies

@st.composite
def key_series(draw, positive=False):
    """Strictly increasing key years with values, batched over a small leading 'region' axis."""
    years = sorted(draw(st.sets(st.integers(2000, 2100), min_size=2, max_size=6)))
    n_region = draw(st.integers(1, 3))
    lo = 0.01 if positive else -1e3
    values = draw(st.lists(st.lists(st.floats(lo, 1e3), min_size=len(years), max_size=len(years)),
                           min_size=n_region, max_size=n_region))
    return np.array(years), np.array(values)


def _labelled(years, values):
    return xr.DataArray(values, dims=("region", "year"),
                        coords={"region": [f"r{k}" for k in range(values.shape[0])], "year": years},
                        attrs={"units": "Mt", "long_name": "output"})


# ---------------------------------------------------------------- properties

@given(key_series(), st.sampled_from(["linear", "growth"]))
def test_interpolation_hits_key_years_exactly(series, method):
    years, values = series
    if method == "growth":
        values = np.abs(values) + 0.01
    horizon = np.arange(years[0], years[-1] + 1)
    out = interpolate(_labelled(years, values), horizon, method=method)
    np.testing.assert_array_equal(out.sel(year=years).values, values)  # exact, not approximate
    assert out.dims == ("region", "year") and out.attrs["units"] == "Mt"


@given(key_series(positive=True))
def test_growth_interpolation_has_constant_ratio_between_key_years(series):
    years, values = series
    horizon = np.arange(years[0], years[-1] + 1)
    out = interpolate(_labelled(years, values), horizon, method="growth").values
    for k in range(len(years) - 1):
        seg = out[:, (horizon >= years[k]) & (horizon <= years[k + 1])]
        ratios = seg[:, 1:] / seg[:, :-1]
        np.testing.assert_allclose(ratios, ratios[:, :1] * np.ones_like(ratios), rtol=1e-9)


@given(st.floats(0.01, 1e6), st.floats(-0.5, 0.5), st.integers(0, 30), st.integers(0, 30))
def test_constant_growth_has_constant_ratio(base, rate, before, after):
    years = np.arange(2020 - before, 2021 + after)
    out = constant_growth(xr.DataArray(base, attrs={"units": "t"}), rate, base_year=2020, years=years)
    assert float(out.sel(year=2020)) == base
    if years.size > 1:
        np.testing.assert_allclose(out.values[1:] / out.values[:-1], 1 + rate, rtol=1e-9)


def _periods(n, start=2021, length=5):
    return [f"{start + length * k}-{start + length * k + length - 1}" for k in range(n)]


@given(st.integers(1, 8), st.floats(0.01, 1e3))
def test_zero_rates_leave_intensity_unchanged(n, base):
    rates = xr.DataArray(np.zeros((2, n)), dims=("scenario", "period"),
                         coords={"scenario": ["a", "b"], "period": _periods(n)})
    years = np.arange(2020, 2021 + 5 * n)
    out = rate_schedule(xr.DataArray(base, attrs={"units": "t/CNY"}), rates, base_year=2020, years=years)
    assert (out.values == base).all()


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6))
def test_rate_schedule_matches_the_year_on_year_recursion(rates):
    n = len(rates)
    r = xr.DataArray(rates, dims="period", coords={"period": _periods(n, length=3)})
    years = np.arange(2020, 2021 + 3 * n)
    out = rate_schedule(2.0, r, base_year=2020, years=years).values
    expected = [2.0]
    for t in years[1:]:
        expected.append(expected[-1] * (1 - rates[(t - 2021) // 3]))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=0)
    assert np.isfinite(out).all()


def test_full_rate_reaches_zero_cleanly():
    r = xr.DataArray([0.2, 1.0], dims="period", coords={"period": ["2021-2022", "2023-2024"]})
    with np.errstate(all="raise"):  # no log(0), no 0/0 on the way
        out = rate_schedule(1.0, r, base_year=2020, years=range(2020, 2025))
    assert out.values.tolist()[3:] == [0.0, 0.0]


def test_growth_interpolation_through_zero_segment_stays_zero():
    v = xr.DataArray([0.0, 0.0, 4.0], dims="year", coords={"year": [2020, 2022, 2024]})
    with pytest.raises(InvalidValueError, match="growth"):
        interpolate(v, range(2020, 2025), method="growth")
    v = xr.DataArray([0.0, 0.0], dims="year", coords={"year": [2020, 2022]})
    with np.errstate(all="raise"):
        assert interpolate(v, range(2020, 2023), method="growth").values.tolist() == [0.0, 0.0, 0.0]


def test_step_and_hold_after_last_key_year():
    v = xr.DataArray([1.0, 2.0], dims="year", coords={"year": [2020, 2023]})
    assert step(v, range(2020, 2026)).values.tolist() == [1, 1, 1, 2, 2, 2]
    assert interpolate(v, [2023, 2030]).values.tolist() == [2.0, 2.0]


def test_extra_dims_broadcast_between_base_and_rates():
    base = xr.DataArray([1.0, 2.0], dims="region", coords={"region": ["a", "b"]}, attrs={"units": "t/CNY"})
    rates = xr.DataArray([[10.0], [50.0]], dims=("scenario", "period"),
                         coords={"scenario": ["x", "y"], "period": ["2021-2021"]}, attrs={"units": "%"})
    out = rate_schedule(base, rates, base_year=2020, years=[2020, 2021])
    assert out.dims == ("year", "region", "scenario")
    np.testing.assert_allclose(out.sel(year=2021).values, [[0.9, 0.5], [1.8, 1.0]])
    assert out.attrs["units"] == "t/CNY" and "long_name" in out.attrs


def test_dask_stays_lazy_and_equals_eager():
    v = _labelled(np.array([2020, 2030]), np.array([[1.0, 2.0], [3.0, 9.0]]))
    eager = interpolate(v, range(2020, 2031), method="growth")
    lazy = interpolate(v.chunk({"region": 1}), range(2020, 2031), method="growth")
    assert lazy.chunks is not None
    xr.testing.assert_identical(lazy.compute(), eager)


# ---------------------------------------------------------------- scenarios and inheritance

def _base():
    return xr.Dataset({
        "gdp": xr.DataArray([100.0, 50.0], dims="region", coords={"region": ["a", "b"]},
                            attrs={"units": "1e8 CNY", "long_name": "GDP"}),
        "ci": xr.DataArray(2.0, attrs={"units": "t CO2 / (1e4 CNY)", "long_name": "carbon intensity"}),
    })


def _rates(values):
    return xr.DataArray(values, dims="period", coords={"period": _periods(len(values))}, attrs={"units": "%"})


@given(st.lists(st.floats(0, 30), min_size=2, max_size=2), st.floats(-0.05, 0.1))
def test_inheritance_returns_the_parent_where_not_overridden(rates, growth):
    ss = ScenarioSet(_base(), [
        Scenario("REF", {"gdp": Growth(growth), "ci": Schedule(_rates([4.25, 4.25]))}),
        Scenario("LOW", {"ci": Schedule(_rates(rates))}, parent="REF"),
        Scenario("LOWER", parent="LOW"),
    ], base_year=2020, years=range(2020, 2031))
    ds = ss.build()
    xr.testing.assert_identical(ds.gdp.sel(scenario="LOW", drop=True), ds.gdp.sel(scenario="REF", drop=True))
    xr.testing.assert_identical(ds.ci.sel(scenario="LOWER", drop=True), ds.ci.sel(scenario="LOW", drop=True))
    assert ss.lineage("LOWER") == ["LOWER", "LOW", "REF"]
    assert ds.scenario_parent.values.tolist() == ["", "REF", "LOW"]
    assert ds.gdp.attrs["units"] == "1e8 CNY" and ds.ci.attrs["long_name"] == "carbon intensity"


def test_base_year_value_holds_where_no_scenario_defines_it():
    ds = ScenarioSet(_base(), [Scenario("REF", {"gdp": Growth(0.1)})], base_year=2020,
                     years=range(2020, 2024)).build()
    assert (ds.ci.values == 2.0).all()
    assert ds.ci.attrs["defined_in"] == "REF: base year"


def test_interp_and_step_start_from_the_base_value_and_convert_units():
    key = xr.DataArray([300.0], dims="year", coords={"year": [2030]}, attrs={"units": "1e10 CNY"})  # 3e4 × 1e8
    ds = ScenarioSet(_base(), [Scenario("I", {"gdp": Interp(key)}), Scenario("S", {"gdp": Step(key)})],
                     base_year=2020, years=range(2020, 2031)).build()
    np.testing.assert_allclose(ds.gdp.sel(scenario="I", region="a", year=[2020, 2025, 2030]), [100, 15050, 30000])
    assert ds.gdp.sel(scenario="S", region="b", year=2029).item() == 50.0
    assert ds.gdp.sel(scenario="S", region="b", year=2030).item() == 30000.0


def test_explicit_trajectory_must_cover_the_horizon():
    path = xr.DataArray(np.ones(3), dims="year", coords={"year": [2020, 2021, 2022]})
    with pytest.raises(InputError, match=r"missing \[2023\]"):
        ScenarioSet(_base(), [Scenario("X", {"ci": path})], base_year=2020, years=range(2020, 2024)).build()


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("key_years, match", [([2030, 2020], r"2030 is followed by 2020. Sort with \.sortby\('year'\)"),
                                              ([2020, 2020], r"dim 'year' has duplicated labels \[2020\]")])
def test_key_years_out_of_order_or_duplicated(key_years, match):
    v = xr.DataArray([1.0, 2.0], dims="year", coords={"year": key_years})
    for f in (interpolate, step):
        with pytest.raises(InputError, match=match):
            f(v, range(2020, 2031))


@pytest.mark.parametrize("periods, match", [
    (["2021-2025", "2025-2030"], "overlap"),
    (["2021-2025", "2027-2030"], "gap"),
    (["2026-2030", "2021-2025"], "overlap"),
    (["2021-25", "2026-2030"], "YYYY-YYYY"),
])
def test_periods_that_overlap_or_leave_gaps(periods, match):
    r = xr.DataArray([0.1, 0.1], dims="period", coords={"period": periods})
    with pytest.raises(InputError, match=match):
        rate_schedule(1.0, r, base_year=2020, years=range(2020, 2031))


@pytest.mark.parametrize("rate", [-0.01, 1.01, np.nan])
def test_rates_outside_zero_one(rate):
    r = xr.DataArray([0.1, rate], dims="period", coords={"period": ["2021-2025", "2026-2030"]})
    with pytest.raises(InvalidValueError, match=r"2026-2030|NaN"):
        rate_schedule(1.0, r, base_year=2020, years=range(2020, 2031))


def test_percent_rates_above_100_are_named():
    with pytest.raises(InvalidValueError, match=r"outside \[0, 1\]"):
        rate_schedule(1.0, _rates([4.25, 120.0]), base_year=2020, years=range(2020, 2031))


def test_schedule_must_cover_the_horizon():
    with pytest.raises(InputError, match="do not cover"):
        rate_schedule(1.0, _rates([4.25]), base_year=2020, years=range(2020, 2031))


@pytest.mark.parametrize("call", [
    lambda: rate_schedule(1.0, _rates([1.0]), base_year=2019, years=range(2020, 2026)),
    lambda: constant_growth(1.0, 0.1, base_year=2019, years=range(2020, 2026)),
    lambda: ScenarioSet(_base(), [Scenario("A")], base_year=2019, years=range(2020, 2026)),
])
def test_horizon_without_the_base_year(call):
    with pytest.raises(InputError, match="does not include the base year 2019"):
        call()


def test_unknown_and_cyclic_parents():
    with pytest.raises(UnknownLabelError, match="inherits from 'NOPE'"):
        ScenarioSet(_base(), [Scenario("A", parent="NOPE")], base_year=2020, years=[2020])
    with pytest.raises(InputError, match="cyclic inheritance A -> B -> C -> A"):
        ScenarioSet(_base(), [Scenario("A", parent="B"), Scenario("B", parent="C"), Scenario("C", parent="A")],
                    base_year=2020, years=[2020])
    with pytest.raises(InputError, match="cyclic"):
        ScenarioSet(_base(), [Scenario("A", parent="A")], base_year=2020, years=[2020])


def test_duplicated_scenarios_and_variables_without_base_value():
    with pytest.raises(InputError, match="used twice"):
        ScenarioSet(_base(), [Scenario("A"), Scenario("A")], base_year=2020, years=[2020])
    with pytest.raises(UnknownLabelError, match=r"defines \['pop'\]"):
        ScenarioSet(_base(), [Scenario("A", {"pop": Growth(0.01)})], base_year=2020, years=[2020])


def test_bad_definition_names_scenario_and_variable():
    ss = ScenarioSet(_base(), [Scenario("A", {"ci": Schedule(_rates([5.0]))})], base_year=2020,
                     years=range(2020, 2031))
    with pytest.raises(InputError, match=r"scenario 'A', variable 'ci': .*do not cover"):
        ss.build()


def test_growth_rate_at_or_below_minus_one():
    with pytest.raises(InvalidValueError, match="> -1"):
        constant_growth(1.0, -1.0, base_year=2020, years=[2020, 2021])


# ---------------------------------------------------------------- emissions

def _sector_fuel_share():
    return xr.DataArray([[0.3, 0.2], [0.4, 0.1]], dims=("sector", "fuel"),
                        coords={"sector": ["steel", "chem"], "fuel": ["coal", "gas"]})


def test_top_down_is_activity_times_intensity_times_share_and_feeds_potentials():
    ss = ScenarioSet(_base(), [
        Scenario("REF", {"gdp": Growth(0.05), "ci": Schedule(_rates([4.25, 4.25]))}),
        Scenario("AP", {"ci": Schedule(_rates([4.25, 8.0]))}, parent="REF"),
    ], base_year=2020, years=range(2020, 2031))
    ds = ss.build()
    e = ds.ci.assign_attrs(units="tce / (1e4 CNY)")  # energy intensity on the same schedule
    out = top_down_emissions(ds.gdp, ds.ci, _sector_fuel_share(), energy_intensity=e)
    # 1e8 CNY × t CO2/(1e4 CNY) = 1e4 t CO2
    expected = (ds.gdp * ds.ci * 1e4).transpose(*out.emissions.dims)
    np.testing.assert_allclose(out.emissions, expected, rtol=1e-12)
    np.testing.assert_allclose(out.emissions_by_sector_fuel.sum(("sector", "fuel")), out.emissions, rtol=1e-12)
    for v in out.data_vars.values():
        assert v.attrs["units"] and v.attrs["long_name"]
    assert set(out.emissions_by_sector_fuel.dims) == {"scenario", "year", "region", "sector", "fuel"}
    pot = potentials(out, reference="REF")
    cmp = pot.cmp.sel(scenario="AP")
    assert float(cmp.sel(year=2025, region="a")) == pytest.approx(0.0, abs=1e-12)  # same rates until 2025
    assert float(cmp.sel(year=2030, region="a")) == pytest.approx(1 - (0.92 / 0.9575) ** 5, rel=1e-10)
    # fixed structure: each sector's share of the reduction is its share of emissions
    np.testing.assert_allclose(pot.emission_reduction_share.sel(scenario="AP", year=2030, region="a"), [0.5, 0.5])


def test_top_down_bad_share():
    Y = xr.DataArray([1.0], dims="year", coords={"year": [2020]})
    with pytest.raises(InvalidValueError, match="sums to 0.9"):
        top_down_emissions(Y, Y, _sector_fuel_share() * 0.9)
    with pytest.raises(InvalidValueError, match="sector='chem', fuel='gas'"):
        top_down_emissions(Y, Y, _sector_fuel_share().where(lambda s: s != 0.1, -0.1))
    with pytest.raises(MissingDimensionError, match="fuel"):
        top_down_emissions(Y, Y, _sector_fuel_share().sum("fuel"))


def test_bottom_up_scenarios_go_through_accounting_bottom_up():
    rng = np.random.default_rng(1)
    P = xr.DataArray(rng.random((2, 2, 3)), dims=("sector", "process", "equipment"),
                     coords={"sector": ["steel", "chem"]}, attrs={"units": "t", "long_name": "output"})
    e = xr.DataArray(rng.random((2, 2, 3, 2)), dims=("sector", "process", "equipment", "fuel"),
                     coords={"sector": ["steel", "chem"], "fuel": ["coal", "natural_gas"]},
                     attrs={"units": "tce/t", "long_name": "energy intensity"})
    growth = xr.DataArray([0.02, 0.05], dims="sector", coords={"sector": ["steel", "chem"]})
    ss = ScenarioSet(xr.Dataset({"activity": P, "intensity": e}), [
        Scenario("REF", {"activity": Growth(growth)}),
        Scenario("EFF", {"intensity": Schedule(_rates([10.0]))}, parent="REF"),
    ], base_year=2020, years=range(2020, 2026))
    out = bottom_up_emissions(ss.build(), "hj2021")
    assert out.emissions.dims == ("scenario", "year")
    f = np.array([2.66, 1.56])
    for t in (2020, 2025):
        ref = np.einsum("mij,mijn,n->", P.values * (1 + growth.values[:, None, None]) ** (t - 2020), e.values, f)
        assert float(out.emissions.sel(scenario="REF", year=t)) == pytest.approx(ref, rel=1e-12)
        assert float(out.emissions.sel(scenario="EFF", year=t)) == pytest.approx(ref * 0.9 ** (t - 2020), rel=1e-12)
    pot = potentials(out, reference="REF")
    np.testing.assert_allclose(pot.cmp.sel(scenario="EFF"), 1 - 0.9 ** np.arange(6), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(pot.esp.sel(scenario="EFF"), pot.cmp.sel(scenario="EFF"), rtol=1e-12)


# ---------------------------------------------------------------- numpy core

def test_core_batches_over_leading_axes():
    vals = np.arange(24.0).reshape(2, 3, 4) + 1
    out = core.interpolate([2020, 2030, 2040, 2050], vals, np.arange(2020, 2051), method="growth")
    assert out.shape == (2, 3, 31)
    np.testing.assert_allclose(out[1, 2, ::10], vals[1, 2], rtol=1e-12)
