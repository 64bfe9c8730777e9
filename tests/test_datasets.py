"""The bundled Bengbu tables (000, Tables 1, 2, 4, 5, 6), converted on read."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from fastcarbon import datasets, factors

X0 = [317.07, 318.58, 320.56, 323.08, 326.52, 331.45, 339.30, 346.48, 346.94, 340.91]
EGM = [317.07, 317.69, 321.33, 325.01, 328.73, 332.50, 336.31, 340.16, 344.06, 348.00]
LINEAR = [311.71, 315.32, 318.94, 322.55, 326.17, 329.78, 333.40, 337.01, 340.62, 344.24]
CE = [310.843, 301.051, 306.598, 305.365, 311.328, 229.051, 234.357, 330.752, 365.041, 340.910]


@pytest.fixture(scope="module")
def ds():
    return datasets.bengbu()


def test_dims_and_labels(ds):
    assert ds.fuel_use.dims == ("year", "fuel")
    assert ds.year.values.tolist() == list(range(2011, 2021)) and ds.year.dtype.kind == "i"
    assert ds.fuel.values.tolist() == ["coal", "coke", "kerosene", "diesel", "gasoline", "fuel_oil", "natural_gas", "lpg"]
    assert ds.indicator.values.tolist() == ["X1", "X2", "X3", "X4", "X5"]


def test_fuel_use_is_converted_from_ten_thousand_tce(ds):
    assert ds.fuel_use.attrs["units"] == "tce" and ds.fuel_use.attrs["paper_units"] == "10^4 tce"
    assert float(ds.fuel_use.sel(year=2011, fuel="coal")) == pytest.approx(405.499e4, rel=1e-15)
    assert float(ds.fuel_use.sel(year=2020, fuel="coke")) == pytest.approx(0.426e4, rel=1e-15)
    assert float(ds.fuel_use.sel(year=2015, fuel="fuel_oil")) == pytest.approx(3.897e4, rel=1e-15)
    assert float(ds.fuel_use.sel(year=2014, fuel="coke")) == 0.0


@pytest.mark.parametrize(
    "var, printed", [("ce_printed", CE), ("x0", X0), ("egm_fitted_printed", EGM), ("linear_fitted_printed", LINEAR)]
)
def test_series_in_tonnes_of_carbon(ds, var, printed):
    assert ds[var].attrs["units"] == "t C" and ds[var].attrs["long_name"]
    np.testing.assert_allclose(ds[var].values, np.array(printed) * 1e4, rtol=1e-15)


def test_x0_is_a_different_series_from_ce(ds):
    differs = ~np.isclose(ds.x0, ds.ce_printed)
    assert differs[:-1].all() and not differs[-1]  # the two agree only in 2020


def test_table1_coefficients_are_the_factor_set(ds):
    table1 = factors.load("bengbu2023")
    xr.testing.assert_identical(ds.emission_factor, table1.emission_factor)
    xr.testing.assert_identical(ds.coal_equivalent, table1.coal_equivalent)


def test_weights_with_names_and_attributes(ds):
    np.testing.assert_array_equal(ds.weight.values, [0.327, 0.211, 0.160, 0.149, 0.153])
    assert ds.weight.sum() == pytest.approx(1.0)
    assert ds.indicator_attribute.values.tolist() == ["+", "-", "+", "-", "-"]
    assert ds.indicator_name.sel(indicator="X1").item() == "urbanization rate"
    assert ds.indicator_name.sel(indicator="X4").item() == "energy intensity"


def test_citation_and_known_facts(ds):
    assert "Scientific Reports 13:14528" in ds.attrs["source"]
    assert "10.1038/s41598-023-41857-0" in ds.attrs["source"]
    assert "0.2-1.2 %" in ds.attrs["notes"] and "different series" in ds.attrs["notes"]
    for var in ds.data_vars:
        assert "units" in ds[var].attrs or "units_coord" in ds[var].attrs, var


# --- the synthetic national panel ----------------------------------------------------------------


@pytest.fixture(scope="module")
def panel():
    return datasets.national_panel(40, seed=7)


def test_panel_layout_and_units(panel):
    from fastcarbon.units import parse

    assert dict(panel.sizes) == {"region": 40, "scenario": 4, "sector": 21, "year": 41, "period": 8}
    assert panel.carbon_intensity.dims == ("region", "scenario", "sector", "year")
    assert panel.gdp.dims == ("region", "sector", "year")
    assert panel.region.values[[0, 39]].tolist() == ["city-001", "city-040"]
    assert panel.scenario.values.tolist() == ["RS", "PP-NZES", "AP-NZES", "NCNS"]
    assert panel.attrs["synthetic"] == 1 and panel.attrs["seed"] == 7
    assert "synthetic" in panel.attrs["description"].lower()
    product = parse(panel.gdp.attrs["units"]) * parse(panel.carbon_intensity.attrs["units"])
    assert product.to("t CO2").magnitude == pytest.approx(1.0)
    for v in panel.data_vars:
        assert panel[v].attrs["units"] and panel[v].attrs["long_name"]
    assert (panel.gdp > 0).all() and (panel.carbon_intensity > 0).all()
    assert (panel.reduction_rate <= datasets.PANEL_MAX_RATE).all()


def test_panel_is_deterministic_and_regions_do_not_depend_on_the_panel_size(panel):
    xr.testing.assert_identical(panel, datasets.national_panel(40, seed=7))
    small = datasets.national_panel(5, seed=7, years=range(2020, 2031))
    xr.testing.assert_identical(small.gdp, panel.gdp.isel(region=slice(5), year=slice(11)))
    xr.testing.assert_identical(small.carbon_intensity, panel.carbon_intensity.isel(region=slice(5), year=slice(11)))
    other = datasets.national_panel(40, seed=8)
    assert not np.allclose(other.gdp, panel.gdp)


def test_panel_rates_follow_table1_structure(panel):
    # the intensity falls each year by its period's rate; the accelerated scenarios fall faster
    ci = panel.carbon_intensity.isel(region=0, sector=0)
    rate = panel.reduction_rate.isel(region=0, sector=0)
    ratio = 1 - ci.sel(year=2027) / ci.sel(year=2026)
    np.testing.assert_allclose(ratio, rate.sel(period="2026-2030") / 100, rtol=1e-12)
    mean_rate = panel.reduction_rate.mean(["region", "sector", "period"])
    assert mean_rate.sel(scenario="RS") < mean_rate.sel(scenario="PP-NZES") < mean_rate.sel(scenario="AP-NZES")


def test_panel_peaks_spread_over_the_horizon():
    from fastcarbon import peaks

    p = datasets.national_panel(300, seed=0)
    em = (p.gdp * p.carbon_intensity).sum("sector")
    py = peaks.peak(em, "year").peak_year
    rs = py.sel(scenario="RS")
    assert 0.1 < float((rs <= 2030).mean()) < 0.9  # some cities before 2030, some after
    assert 0 < int(rs.isnull().sum()) < 60  # a few do not peak by 2060
    assert float(py.sel(scenario="AP-NZES").mean()) < float(py.sel(scenario="PP-NZES").mean())


def test_panel_runs_through_monte_carlo_and_summaries():
    from fastcarbon import uncertainty

    p = datasets.national_panel(6, seed=0)
    mc = uncertainty.monte_carlo(p, 100, seed=1)
    assert mc.emissions.dims == ("draw", "region", "scenario", "year")
    s = uncertainty.summarize(mc.emissions, target_year=2030)
    assert s.prob_peak_by_target.dims == ("region", "scenario")
    assert np.isfinite(s.p50).all()


@pytest.mark.parametrize("kw, error, match", [
    (dict(n_regions=0), "InputError", "n_regions and n_sectors: must be >= 1"),
    (dict(n_regions=2.5), "InputTypeError", "n_regions: must be an integer"),
    (dict(seed=-1), "InvalidValueError", "seed: must be >= 0"),
    (dict(years=range(2021, 2030)), "InvalidValueError", "consecutive years from 2020"),
    (dict(years=range(2020, 2071)), "InvalidValueError", "at most 2060"),
    (dict(years=[2020.0, 2021.0]), "InputTypeError", "integer years"),
])
def test_panel_bad_inputs(kw, error, match):
    from fastcarbon import errors

    with pytest.raises(getattr(errors, error), match=match):
        datasets.national_panel(**kw)
