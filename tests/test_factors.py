"""Bundled factor sets: values exactly as METHODS.md lists them, sources, versions and units."""

from __future__ import annotations

import numpy as np
import pytest

from fastcarbon import factors
from fastcarbon.errors import FastcarbonError, InputTypeError, UnknownLabelError
from fastcarbon.units import conversion_factor, parse

EXPECTED = {
    # 000 Table 1
    ("bengbu2023", "coal_equivalent"): {
        "coal": 0.7146, "coke": 0.9714, "kerosene": 1.4714, "diesel": 1.4571, "gasoline": 1.4714,
        "fuel_oil": 1.4286, "natural_gas": 1.3300, "lpg": 1.7143,
    },
    ("bengbu2023", "emission_factor"): {
        "coal": 0.7550, "coke": 0.8550, "kerosene": 0.5714, "diesel": 0.5921, "gasoline": 0.5538,
        "fuel_oil": 0.6185, "natural_gas": 2.1622, "lpg": 0.5042,
    },
    # 001 eq. 1
    ("hj2021", "emission_factor"): {"coal": 2.66, "refined_oil": 2.73, "natural_gas": 1.56},
    # IPCC 2006 Vol. 2 Ch. 1 Tables 1.2-1.4
    ("ipcc2006", "ncv"): {
        "coal": 25.8, "coke": 28.2, "gasoline": 44.3, "kerosene": 43.8, "diesel": 43.0,
        "fuel_oil": 40.4, "lpg": 47.3, "natural_gas": 48.0,
    },
    ("ipcc2006", "carbon_content"): {
        "coal": 25.8, "coke": 29.2, "gasoline": 18.9, "kerosene": 19.6, "diesel": 20.2,
        "fuel_oil": 21.1, "lpg": 17.2, "natural_gas": 15.3,
    },
    ("ipcc2006", "emission_factor"): {
        "coal": 94600, "coke": 107000, "gasoline": 69300, "kerosene": 71900, "diesel": 74100,
        "fuel_oil": 77400, "lpg": 63100, "natural_gas": 56100,
    },
    # GB/T 2589
    ("gbt2589", "coal_equivalent"): {
        "coal": 0.7143, "coke": 0.9714, "crude_oil": 1.4286, "fuel_oil": 1.4286, "gasoline": 1.4714,
        "kerosene": 1.4714, "diesel": 1.4571, "lpg": 1.7143, "natural_gas": 1.3300,
        "electricity": 0.1229,
    },
}

UNITS = {
    ("bengbu2023", "emission_factor"): "t C/tce",
    ("hj2021", "emission_factor"): "t CO2/tce",
    ("ipcc2006", "ncv"): "TJ/Gg",
    ("ipcc2006", "carbon_content"): "kg C/GJ",
    ("ipcc2006", "emission_factor"): "kg CO2/TJ",
}


@pytest.mark.parametrize("key", sorted(EXPECTED), ids="/".join)
def test_values_exactly_as_published(key):
    name, var = key
    da = factors.load(name)[var]
    assert dict(zip(da.fuel.values.tolist(), da.values.tolist())) == EXPECTED[key]


@pytest.mark.parametrize("key", sorted(UNITS), ids="/".join)
def test_single_units(key):
    name, var = key
    assert factors.load(name)[var].attrs["units"] == UNITS[key]


def test_per_row_units_where_they_differ_by_fuel():
    bengbu = factors.load("bengbu2023").coal_equivalent
    assert "units" not in bengbu.attrs and bengbu.attrs["units_coord"] == "coal_equivalent_units"
    units = dict(zip(bengbu.fuel.values, bengbu.coal_equivalent_units.values))
    assert units["natural_gas"] == "kgce/m**3" and units["coal"] == "tce/t"
    gbt = factors.load("gbt2589")
    units = dict(zip(gbt.fuel.values, gbt.coal_equivalent_units.values))
    assert units == {**{f: "kgce/kg" for f in EXPECTED["gbt2589", "coal_equivalent"]},
                     "natural_gas": "kgce/m**3", "electricity": "kgce/kWh"}


@pytest.mark.parametrize("name", ["bengbu2023", "hj2021", "ipcc2006", "gbt2589"])
def test_every_set_names_source_version_units_and_row_sources(name):
    ds = factors.load(name)
    assert ds.attrs["name"] == name
    for key in ("title", "source", "version", "units", "notes"):
        assert isinstance(ds.attrs[key], str) and ds.attrs[key], key
    assert all(str(s).strip() for s in ds.source.values)  # every row says where it comes from
    for var, da in ds.data_vars.items():
        assert da.attrs["long_name"], var
        row_units = [da.attrs["units"]] * ds.sizes["fuel"] if "units" in da.attrs else ds[da.attrs["units_coord"]].values
        for u in row_units:
            parse(str(u))  # every units string is one the registry reads
        assert var.split("_")[0] in ds.attrs["units"]


def test_citations():
    assert "doi:10.1038/s41598-023-41857-0" in factors.load("bengbu2023").attrs["source"]
    assert "HJ Circular No. 85" in factors.load("hj2021").attrs["source"]
    assert "Tables 1.2" in factors.load("ipcc2006").attrs["source"]
    assert "29 307.6 kJ" in factors.load("gbt2589").attrs["source"]


def test_bengbu_natural_gas_factor_is_shipped_as_printed_and_flagged():
    ds = factors.load("bengbu2023")
    note = str(ds.emission_factor_note.sel(fuel="natural_gas").item())
    assert note.startswith("FLAGGED") and float(ds.emission_factor.sel(fuel="natural_gas")) == 2.1622
    assert "2.1622" in ds.attrs["notes"] and "t C per tce" in ds.attrs["notes"]
    others = ds.emission_factor.drop_sel(fuel="natural_gas").values
    assert (ds.emission_factor_note.drop_sel(fuel="natural_gas").values == "").all()
    assert 2.1622 > 2.5 * others.max()  # why it is flagged: out of line with every other row
    flag = ds.emission_factor_flag
    assert (flag.drop_sel(fuel="natural_gas").values == "").all()
    assert "kg CO2 per m3" in str(flag.sel(fuel="natural_gas").item())


def test_the_flag_says_4_8_times_ipcc_and_that_is_what_the_data_give():
    # 2.1622 t C/tce against IPCC's 56 100 kg CO2/TJ for natural gas, through the unit system
    ipcc_gas = float(factors.load("ipcc2006").emission_factor.sel(fuel="natural_gas"))
    ipcc = ipcc_gas * conversion_factor("kg CO2/TJ", "t C/tce")
    ratio = 2.1622 / ipcc
    (only,) = factors.flagged(factors.load("bengbu2023").emission_factor)
    assert f"{ratio:.1f} times IPCC" in only.flag and f"({ipcc:.3f} t C/tce)" in only.flag


def test_flagged_lists_flagged_rows_only():
    ef = factors.load("bengbu2023").emission_factor
    (only,) = factors.flagged(ef, "bengbu2023")
    assert only[:4] == ("emission_factor", "natural_gas", 2.1622, "t C/tce") and only.set_name == "bengbu2023"
    assert type(only.fuel) is str  # a plain label, not np.str_, so messages read 'natural_gas'
    assert "the bengbu2023 emission_factor for fuel 'natural_gas' is 2.1622 t C/tce" in only.describe()
    assert factors.flagged(ef.sel(fuel=["coal", "lpg"])) == []
    assert factors.flagged(factors.load("bengbu2023").coal_equivalent) == []  # per-row units, no flags
    for name in ("hj2021", "ipcc2006", "gbt2589"):
        ds = factors.load(name)
        assert all(factors.flagged(da) == [] for da in ds.data_vars.values()), name
        assert not [c for c in ds.coords if str(c).endswith("_flag")], name
    assert factors.flagged(ef.rename("renamed")) == []  # the flag coordinate goes by the name


def test_listing_has_one_line_per_set():
    lines = factors.listing().splitlines()
    assert len(lines) == len(factors.available())
    for name, line in zip(factors.available(), lines):
        assert line.startswith(f"  {name!r}: {factors.load(name).attrs['title']}")
    assert "flagged: natural_gas emission_factor 2.1622 t C/tce" in lines[0]
    assert "no emission factors" in lines[1]  # gbt2589 is a conversion set


def test_gbt2589_natural_gas_range():
    ds = factors.load("gbt2589")
    assert float(ds.coal_equivalent_low.sel(fuel="natural_gas")) == 1.2143
    assert float(ds.coal_equivalent_high.sel(fuel="natural_gas")) == 1.3300
    assert (ds.coal_equivalent_low <= ds.coal_equivalent).all() and (ds.coal_equivalent <= ds.coal_equivalent_high).all()
    single = ds.drop_sel(fuel="natural_gas")
    np.testing.assert_array_equal(single.coal_equivalent_low, single.coal_equivalent)


def test_gbt2589_electricity_is_the_calorific_equivalent_of_the_registry():
    # 3.6 MJ / 29 307.6 kJ per kgce = 0.12284, printed 0.1229
    assert conversion_factor("kWh", "kgce") == pytest.approx(0.1229, rel=1e-3)


def test_ipcc_emission_factor_is_carbon_content_times_44_over_12():
    ds = factors.load("ipcc2006")
    implied = ds.carbon_content * conversion_factor("kg C/GJ", "kg CO2/TJ")
    np.testing.assert_allclose(implied, ds.emission_factor, rtol=0.005)  # tables round separately


def test_load_returns_an_independent_copy():
    ds = factors.load("hj2021")
    ds.emission_factor[:] = 0.0
    ds.attrs["source"] = "changed"
    fresh = factors.load("hj2021")
    assert float(fresh.emission_factor.sel(fuel="coal")) == 2.66 and fresh.attrs["source"] != "changed"


def test_available_and_describe():
    assert factors.available() == ["bengbu2023", "gbt2589", "hj2021", "ipcc2006"]
    assert [d["name"] for d in factors.describe()] == factors.available()


def test_unknown_set_lists_valid_names():
    with pytest.raises(UnknownLabelError, match=r"'ecoinvent' is unknown; valid names: \['bengbu2023', 'gbt2589', 'hj2021', 'ipcc2006'\]") as info:
        factors.load("ecoinvent")
    assert isinstance(info.value, ValueError) and isinstance(info.value, KeyError)
    with pytest.raises(InputTypeError, match="must be a string") as info:
        factors.load(3)
    assert isinstance(info.value, TypeError) and isinstance(info.value, FastcarbonError)
