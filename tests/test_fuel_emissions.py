"""Fuel-based accounting, factor sets, bundled data and units."""

from __future__ import annotations

import dask.array
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastcarbon import datasets, factors
from fastcarbon.accounting import fuel_emissions
from fastcarbon.errors import (
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    UnitError,
    UnknownLabelError,
)
from fastcarbon.report import bengbu_accounting
from fastcarbon.units import conversion_factor

BENGBU_FUELS = ["coal", "coke", "kerosene", "diesel", "gasoline", "fuel_oil", "natural_gas", "lpg"]


def use(values, fuels, units="tce", **extra):
    dims = tuple(extra) + ("fuel",)
    coords = {**{k: v for k, v in extra.items()}, "fuel": fuels}
    return xr.DataArray(np.asarray(values, dtype=float), dims=dims, coords=coords, attrs={"units": units})


# ---------------------------------------------------------------- units and factor sets


def test_units_carbon_to_co2_and_scaled_strings():
    assert conversion_factor("t C", "t CO2") == pytest.approx(44 / 12, rel=1e-15)
    assert conversion_factor("10**4 tce", "tce") == 1e4
    assert conversion_factor("tce", "GJ") == pytest.approx(29.3076)
    with pytest.raises(UnitError, match="cannot be converted"):
        conversion_factor("t", "t CO2")


@pytest.mark.parametrize(
    "name, var, fuel, value, units",
    [
        ("bengbu2023", "coal_equivalent", "coal", 0.7146, None),
        ("bengbu2023", "emission_factor", "natural_gas", 2.1622, "t C/tce"),
        ("bengbu2023", "emission_factor", "lpg", 0.5042, "t C/tce"),
        ("hj2021", "emission_factor", "coal", 2.66, "t CO2/tce"),
        ("hj2021", "emission_factor", "refined_oil", 2.73, "t CO2/tce"),
        ("hj2021", "emission_factor", "natural_gas", 1.56, "t CO2/tce"),
        ("ipcc2006", "ncv", "coke", 28.2, "TJ/Gg"),
        ("ipcc2006", "carbon_content", "kerosene", 19.6, "kg C/GJ"),
        ("ipcc2006", "emission_factor", "fuel_oil", 77400, "kg CO2/TJ"),
        ("gbt2589", "coal_equivalent", "diesel", 1.4571, None),
        ("gbt2589", "coal_equivalent", "electricity", 0.1229, None),
    ],
)
def test_factor_values_and_units(name, var, fuel, value, units):
    ds = factors.load(name)
    assert float(ds[var].sel(fuel=fuel)) == value
    if units:
        assert ds[var].attrs["units"] == units
    assert {"source", "version", "title"} <= set(ds.attrs)
    assert ds[var].attrs["long_name"]


def test_ipcc_carbon_content_consistent_with_emission_factor():
    # EF (kg CO2/TJ) = carbon content (kg C/GJ) x 44/12 x 1000, to the rounding of the tables
    ds = factors.load("ipcc2006")
    implied = ds.carbon_content * conversion_factor("kg C/GJ", "kg CO2/TJ")
    np.testing.assert_allclose(implied, ds.emission_factor, rtol=0.01)


def test_unknown_factor_set():
    with pytest.raises(UnknownLabelError, match=r"'ecoinvent' is unknown; available: \['bengbu2023'"):
        factors.load("ecoinvent")


def test_bengbu_dataset():
    ds = datasets.bengbu()
    assert ds.fuel_use.sizes == {"year": 10, "fuel": 8}
    assert ds.fuel_use.attrs["units"] == "tce" and ds.ce_printed.attrs["units"] == "t C"
    assert float(ds.ce_printed.sel(year=2020)) == pytest.approx(3409100.0)
    np.testing.assert_allclose(ds.x0.values[[0, -1]], [3170700.0, 3409100.0])
    np.testing.assert_allclose(ds.weight.values, [0.327, 0.211, 0.160, 0.149, 0.153])
    assert list(ds.indicator_attribute.values) == ["+", "-", "+", "-", "-"]
    assert "Scientific Reports 13:14528" in ds.attrs["source"]


# ---------------------------------------------------------------- fuel_emissions


def test_bengbu_equals_hand_sum_and_gap_is_documented_range():
    ds = datasets.bengbu()
    out = fuel_emissions(ds.fuel_use, "bengbu2023", units="t C")
    table1 = factors.load("bengbu2023").emission_factor
    hand = [sum(float(ds.fuel_use.sel(year=y, fuel=f)) * float(table1.sel(fuel=f)) for f in BENGBU_FUELS)
            for y in ds.year.values]
    np.testing.assert_allclose(out.emissions, hand, rtol=1e-13)
    gap = bengbu_accounting().gap
    assert ((gap > 0.0019) & (gap < 0.0125)).all()  # the printed CE is 0.2-1.2 % above
    co2 = fuel_emissions(ds.fuel_use, "bengbu2023").emissions
    np.testing.assert_allclose(co2, out.emissions * 44 / 12, rtol=1e-13)


def test_other_dims_pass_through_and_units():
    e = use(np.ones((2, 3, 3)), ["coal", "refined_oil", "natural_gas"], region=["a", "b"], year=[2020, 2021, 2022])
    out = fuel_emissions(e, "hj2021", units="Mt CO2")
    assert out.emissions.dims == ("region", "year")
    assert out.emissions_by_fuel.attrs["units"] == "Mt CO2"
    np.testing.assert_allclose(out.emissions, (2.66 + 2.73 + 1.56) / 1e6)


def test_energy_units_convert_to_the_factor_denominator():
    in_tce = fuel_emissions(use([1.0, 2.0], ["coal", "natural_gas"]), "hj2021")
    in_gj = fuel_emissions(use([29.3076, 2 * 29.3076], ["coal", "natural_gas"], units="GJ"), "hj2021")
    xr.testing.assert_allclose(in_tce, in_gj, rtol=1e-13)


def test_ipcc_physical_mass_times_ncv_times_ef():
    # 1000 t of diesel: 1 Gg x 43.0 TJ/Gg x 74 100 kg CO2/TJ = 3 186.3 t CO2
    out = fuel_emissions(use([1000.0], ["diesel"], units="t"), "ipcc2006")
    assert float(out.emissions) == pytest.approx(43.0 * 74100 / 1000, rel=1e-13)


def test_physical_units_with_gbt2589_conversion_and_per_fuel_units():
    # 1e4 t raw coal and 1e4 m3 of gas through GB/T 2589, then HJ 2021 factors (t CO2/tce)
    coal = fuel_emissions(use([1e4], ["coal"], units="t"), "hj2021", conversion="gbt2589")
    assert float(coal.emissions) == pytest.approx(1e4 * 0.7143 * 2.66, rel=1e-13)
    gas = fuel_emissions(use([1e4], ["natural_gas"], units="m**3"), "hj2021", conversion="gbt2589")
    assert float(gas.emissions) == pytest.approx(1e4 * 1.33e-3 * 1.56, rel=1e-13)
    with pytest.raises(UnitError, match="'natural_gas' is not an energy"):
        fuel_emissions(use([1e4], ["natural_gas"], units="t"), "hj2021", conversion="gbt2589")


def test_dask_stays_lazy_and_equals_eager():
    rng = np.random.default_rng(0)
    e = use(rng.random((6, 8)), BENGBU_FUELS, year=np.arange(6))
    eager = fuel_emissions(e, "bengbu2023")
    lazy = fuel_emissions(e.chunk(year=2), "bengbu2023")
    assert isinstance(lazy.emissions.data, dask.array.Array)
    xr.testing.assert_identical(lazy.compute(), eager)


@given(
    hnp.arrays(np.float64, (4, 3), elements=st.floats(0, 1e6)),
    st.floats(0, 1e3),
)
def test_linear_and_additive_over_fuels(values, a):
    e = use(values, ["coal", "refined_oil", "natural_gas"], year=np.arange(4))
    out = fuel_emissions(e, "hj2021")
    np.testing.assert_allclose(fuel_emissions(e * a, "hj2021").emissions, a * out.emissions, rtol=1e-12, atol=1e-9)
    parts = sum(fuel_emissions(e.isel(fuel=[k]), "hj2021").emissions for k in range(3))
    np.testing.assert_allclose(parts, out.emissions, rtol=1e-12, atol=1e-9)


# ---------------------------------------------------------------- bad input


def test_fuel_absent_from_factor_set():
    with pytest.raises(UnknownLabelError, match=r"factors: no emission factor for fuel\(s\) \['diesel'\]; available fuels: \['coal', 'refined_oil', 'natural_gas'\]"):
        fuel_emissions(use([1.0, 1.0], ["coal", "diesel"]), "hj2021")


@pytest.mark.parametrize("value", [-1.0, np.nan])
def test_negative_or_nan_energy_named_by_labels(value):
    e = use([[1.0, 2.0], [3.0, value]], ["coal", "natural_gas"], year=[2020, 2021])
    with pytest.raises(InvalidValueError, match=rf"energy: bad value {value} at year=2021, fuel='natural_gas'"):
        fuel_emissions(e, "hj2021")
    with pytest.raises(InvalidValueError, match="energy: bad value"):
        fuel_emissions(e.chunk(year=1), "hj2021").compute()


def test_missing_dim_non_numeric_units():
    with pytest.raises(MissingDimensionError, match=r"energy: missing required dimension\(s\) \['fuel'\]"):
        fuel_emissions(xr.DataArray([1.0], dims="carrier", attrs={"units": "tce"}), "hj2021")
    with pytest.raises(InputTypeError, match="energy: data must be real numbers"):
        fuel_emissions(use([1.0], ["coal"]).astype(str), "hj2021")
    with pytest.raises(UnitError, match="energy: no 'units' attr"):
        fuel_emissions(use([1.0], ["coal"]).drop_attrs(), "hj2021")
    with pytest.raises(UnitError, match="energy: cannot parse units"):
        fuel_emissions(use([1.0], ["coal"], units="tonnes of stuff"), "hj2021")
    with pytest.raises(UnitError, match=r"emissions of 'coal': units .* cannot be converted to 't' \(\[mass\]\)"):
        fuel_emissions(use([1.0], ["coal"]), "hj2021", units="t")
    with pytest.raises(InputTypeError, match="energy: expected an xarray.DataArray"):
        fuel_emissions([1.0, 2.0], "hj2021")
