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
