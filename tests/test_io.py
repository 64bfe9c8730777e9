"""fastcarbon.io: long tables in (read_table, names, fuel groups, missing values), IAMC out."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from fastcarbon import factors, io, names
from fastcarbon.accounting import fuel_emissions
from fastcarbon.errors import (
    DuplicateLabelError,
    FastcarbonError,
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    TimeAxisError,
    UnitError,
    UnknownLabelError,
)

YEARS = np.arange(2011, 2021)
FUELS = ["coal", "coke", "gasoline", "kerosene", "diesel", "fuel_oil", "lpg", "natural_gas"]
# How people write each fuel: the messy table draws among these.
WRITTEN = {
    "coal": ["Raw Coal", "raw coal", "原煤", "coal"],
    "coke": ["Coke", "焦炭"],
    "gasoline": ["gasoline", "Petrol", "汽油"],
    "kerosene": ["Kerosene", "煤油"],
    "diesel": ["Diesel", "diesel oil", "柴油"],
    "fuel_oil": ["fuel oil", "Fuel-Oil", "燃料油"],
    "lpg": ["LPG", "液化石油气", "liquefied petroleum gas"],
    "natural_gas": ["Natural Gas", "natural gas", "NG", "天然气", " natural_gas "],
}
HJ = {"coal": "coal", "coke": "coal", "gasoline": "refined_oil", "kerosene": "refined_oil",
      "diesel": "refined_oil", "fuel_oil": "refined_oil", "lpg": "refined_oil", "natural_gas": "natural_gas"}
SHORT, TCE_CITY = "C13", "C07"  # a city with 6 years; a city reporting in tce
GAPS = [("C02", "coal", 2014), ("C05", "natural_gas", 2017), ("C18", "diesel", 2012)]


def _truth(n_cities: int = 20) -> xr.DataArray:
    """The clean array, 10^4 tce: linear in the year per city and fuel (so linear interpolation of
    a gap recovers it exactly); the short city has NaN before 2015."""
    rng = np.random.default_rng(12)
    cities = [f"C{i:02d}" for i in range(1, n_cities + 1)]
    a = rng.uniform(1, 500, (n_cities, len(FUELS), 1))
    b = rng.uniform(-0.02, 0.05, (n_cities, len(FUELS), 1)) * a
    x = a + b * (YEARS - YEARS[0])
    da = xr.DataArray(x, dims=("region", "fuel", "year"),
                      coords={"region": cities, "fuel": FUELS, "year": YEARS}, attrs={"units": "10**4 tce"})
    return da.where(~((da.region == SHORT) & (da.year < 2015)))


def _messy_rows(truth: xr.DataArray) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for city in truth.region.values:
        for fuel in FUELS:
            for year in YEARS:
                v = float(truth.sel(region=city, fuel=fuel, year=year))
                if np.isnan(v):
                    continue  # the short city has no rows for those years
                unit = "10**4 tce"
                if city == TCE_CITY:
                    v, unit = v * 1e4, "tce"
                cell = repr(v)
                if (city, fuel, int(year)) in GAPS:
                    cell = ["", "NA", "-"][GAPS.index((city, fuel, int(year)))]
                written_year = f"{year}.0" if city == "C03" else str(year)
                rows.append({"City": city, "Fuel": rng.choice(WRITTEN[fuel]), "Year": written_year,
                             "Value": cell, "Unit": unit})
    df = pd.DataFrame(rows)
    return df.iloc[rng.permutation(len(df))].reset_index(drop=True)


READ = dict(value="Value", unit="Unit", rename={"City": "region", "Fuel": "fuel", "Year": "year"})


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    truth = _truth()
    path = tmp_path_factory.mktemp("io") / "city_energy.csv"
    _messy_rows(truth).to_csv(path, index=False)
    return truth, path


def _hand_grouped(truth: xr.DataArray) -> xr.DataArray:
    """The clean array summed by hand into hj2021's groups."""
    parts = {g: sum(truth.sel(fuel=f, drop=True) for f in FUELS if HJ[f] == g) for g in ("coal", "refined_oil", "natural_gas")}
    out = xr.concat(list(parts.values()), dim=pd.Index(list(parts), name="fuel"))
    return out.transpose("region", "fuel", "year").assign_attrs(units="10**4 tce")


# ---------------------------------------------------------------------------- the messy CSV


def test_messy_csv_reads_as_the_clean_array(messy):
    truth, path = messy
    da = io.read_table(path, missing="interpolate", **READ)
    assert da.dims == ("region", "fuel", "year")
    assert da.attrs["units"] == "10**4 tce"  # most rows; the tce city converted
    assert da.attrs["long_name"] == "Value"
    assert sorted(da.fuel.values.tolist()) == sorted(FUELS)
    assert da.year.dtype.kind == "i" and da.year.values.tolist() == YEARS.tolist()
    da = da.sel(region=truth.region, fuel=truth.fuel)
    np.testing.assert_allclose(da.values, truth.values, rtol=1e-12)
    report = io.missing_report(da)
    filled = report[report.action == "filled"]
    assert sorted(zip(filled.region, filled.fuel, filled.year)) == sorted(GAPS)
    assert all(w.startswith("line ") for w in filled["where"])
    left = report[report.action == "left"]
    assert set(left.region) == {SHORT} and sorted(set(left.year)) == [2011, 2012, 2013, 2014]
    assert len(left) == 4 * len(FUELS)


def test_messy_csv_then_fuel_emissions_equals_the_clean_array(messy):
    truth, path = messy
    da = io.read_table(path, missing="interpolate", **READ)
    full = [c for c in truth.region.values if c != SHORT]
    clean = _hand_grouped(truth)
    for regions, years in ((full, YEARS), ([SHORT], YEARS[4:])):
        got = fuel_emissions(da.sel(region=regions, year=years), "hj2021", groups=True)
        want = fuel_emissions(clean.sel(region=regions, year=years), "hj2021")
        np.testing.assert_allclose(got.emissions.transpose("region", "year").values,
                                   want.emissions.transpose("region", "year").values, rtol=1e-12)
        # and through group_fuels, summing the energy first
        summed = io.group_fuels(da.sel(region=regions, year=years), "hj2021")
        np.testing.assert_allclose(fuel_emissions(summed, "hj2021").emissions.transpose("region", "year").values,
                                   want.emissions.transpose("region", "year").values, rtol=1e-12)
    out = fuel_emissions(da.sel(region=full), "hj2021", groups=True)
    assert out.emissions_by_fuel.fuel_group.sel(fuel="coke").item() == "coal"
    by_group = out.emissions_by_fuel.groupby("fuel_group").sum()
    np.testing.assert_allclose(by_group.sum("fuel_group").values, out.emissions.values, rtol=1e-12)


def test_messy_csv_raises_by_default_naming_the_gaps(messy):
    _, path = messy
    with pytest.raises(InvalidValueError) as err:
        io.read_table(path, **READ)
    msg = str(err.value)
    assert "region='C02', fuel='coal', year=2014" in msg and "empty at line" in msg
    assert "no row" in msg and "missing='interpolate'" in msg


def test_messy_csv_drop_reports_the_dropped_rows(messy):
    truth, path = messy
    da = io.read_table(path, missing="drop", **READ)
    report = io.missing_report(da)
    dropped = report[report.action == "dropped"]
    assert sorted(zip(dropped.region, dropped.fuel, dropped.year)) == sorted(GAPS)
    for city, fuel, year in GAPS:
        assert np.isnan(float(da.sel(region=city, fuel=fuel, year=year)))
    left = report[report.action == "left"]  # one entry per cell: a dropped cell is not also "left"
    assert set(left.region) == {SHORT} and len(left) == 4 * len(FUELS)
    mask = ~np.isnan(da.sel(region=truth.region, fuel=truth.fuel).values)
    np.testing.assert_allclose(da.sel(region=truth.region, fuel=truth.fuel).values[mask], truth.values[mask], rtol=1e-12)


def test_unit_column_to_and_most_common(messy):
    truth, path = messy
    da = io.read_table(path, missing="interpolate", to="Mtce", **READ)
    assert da.attrs["units"] == "Mtce"
    np.testing.assert_allclose(da.sel(region=truth.region, fuel=truth.fuel).values, truth.values / 100, rtol=1e-12)
    # a units string for the whole table, converted with to=
    t = pd.DataFrame({"fuel": ["coal"], "year": [2020], "value": [2.0]})
    got = io.read_table(t, unit="10**4 tce", to="tce")
    assert got.attrs["units"] == "tce" and float(got.squeeze()) == pytest.approx(2e4)


# ---------------------------------------------------------------------------- round trips


def _clean_long() -> pd.DataFrame:
    truth = _truth(4).sel(region=["C01", "C02", "C03"])
    df = truth.to_dataframe(name="value").reset_index()
    df["unit"] = "10**4 tce"
    return df


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "frame"])
def test_round_trip_formats(fmt, tmp_path):
    df = _clean_long()
    want = io.read_table(df)
    if fmt == "frame":
        got = io.read_table(df.copy())
    else:
        if fmt == "parquet":
            pytest.importorskip("pyarrow")
            df.to_parquet(tmp_path / "t.parquet")
        elif fmt == "xlsx":
            df.to_excel(tmp_path / "t.xlsx", index=False)
        else:
            df.to_csv(tmp_path / "t.csv", index=False)
        got = io.read_table(tmp_path / f"t.{fmt}")
    xr.testing.assert_allclose(got, want)
    assert got.attrs["units"] == "10**4 tce" and got.year.dtype.kind == "i"
    back = got.to_dataframe().reset_index()
    merged = back.merge(df, on=["region", "fuel", "year"], suffixes=("_got", ""))
    np.testing.assert_allclose(merged["value_got"], merged["value"], rtol=1e-12)


def test_wide_year_columns(tmp_path):
    wide = pd.DataFrame({"region": ["A", "B"], "2019": [1.0, 3.0], "2020": [2.0, "NA"], "unit": "tce"})
    wide.to_csv(tmp_path / "w.csv", index=False)
    da = io.read_table(tmp_path / "w.csv", wide=True, missing="drop")
    assert da.dims == ("region", "year") and da.year.values.tolist() == [2019, 2020]
    assert np.isnan(float(da.sel(region="B", year=2020)))
    assert json.loads(da.attrs["missing_report"])[0]["where"] == "line 3, column 2020"


def test_gb18030_csv_and_blank_lines(tmp_path):
    text = "region,fuel,year,value,unit\n重庆,原煤,2020,1.5,万吨标准煤\n\n重庆,天然气,2020,2.5,tce\n"
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.replace("万吨标准煤", "10**4 tce").encode("gb18030"))
    da = io.read_table(path, to="tce")
    assert da.region.values.tolist() == ["重庆"] and da.fuel.values.tolist() == ["coal", "natural_gas"]
    np.testing.assert_allclose(da.values.ravel(), [15000.0, 2.5])


# ---------------------------------------------------------------------------- names


def test_alias_table_has_no_conflicts_and_covers_the_factor_sets():
    for kind in names.KINDS:
        seen = {}
        for label, written in names._table(kind).items():
            for name in [label, *written]:
                key = names.normalize(name)
                assert seen.setdefault(key, label) == label, f"{name!r} under {seen[key]!r} and {label!r}"
    fuel_labels = set(names._table("fuel"))
    for name in factors.available():
        assert set(factors.load(name).fuel.values.tolist()) <= fuel_labels, name
    for name in names.grouped_sets():
        groups = names.fuel_groups(name)
        assert set(groups) <= fuel_labels
        assert set(groups.values()) <= set(factors.load(name).fuel.values.tolist()), name
    chongqing_sectors = set(pd.read_csv(__import__("importlib.resources").resources.files("fastcarbon")
                                        .joinpath("studies", "chongqing", "chongqing_2020_sectors.csv"))["sector"])
    assert chongqing_sectors <= set(names._table("sector"))


@pytest.mark.parametrize(("written", "label"), [
    ("Natural Gas", "natural_gas"), ("natural gas", "natural_gas"), ("NG", "natural_gas"), ("天然气", "natural_gas"),
    ("LPG", "lpg"), ("fuel oil", "fuel_oil"), ("原煤", "coal"), ("洗精煤", "cleaned_coal"), ("焦炭", "coke"),
    ("原油", "crude_oil"), ("汽油", "gasoline"), ("煤油", "kerosene"), ("柴油", "diesel"), ("燃料油", "fuel_oil"),
    ("液化石油气", "lpg"), ("电力", "electricity"), ("热力", "heat"), ("ＬＰＧ", "lpg"), ("Fuel__Oil", "fuel_oil"),
])
def test_fuel_names(written, label):
    assert names.canonical([written], "fuel") == [label]


def test_sector_aliases_in_read_table():
    t = pd.DataFrame({"sector": ["Iron and Steel", "黑色金属冶炼和压延加工业", "化工", "Non-Metallic Minerals"],
                      "year": [2020, 2021, 2020, 2020], "value": [1.0, 2.0, 3.0, 4.0]})
    da = io.read_table(t, missing="drop")
    assert da.sector.values.tolist() == ["steel", "chemicals", "building_materials"]


def test_unknown_name_lists_the_nearest_labels():
    t = pd.DataFrame({"fuel": ["natual gas", "coal"], "year": [2020, 2020], "value": [1.0, 2.0]})
    with pytest.raises(UnknownLabelError) as err:
        io.read_table(t)
    msg = str(err.value)
    assert "fuel: no canonical label for 'natual gas'" in msg
    assert "nearest labels: ['natural_gas'" in msg and "known fuels" in msg and "np." not in msg


def test_aliases_options():
    t = pd.DataFrame({"fuel": ["Natural Gas", "town gas"], "kind": ["x", "y"], "year": 2020, "value": [1.0, 2.0]})
    with pytest.raises(UnknownLabelError, match="town gas"):
        io.read_table(t)
    da = io.read_table(t, aliases={"fuel": {"town gas": "other_gas"}}, missing="drop")
    assert da.fuel.values.tolist() == ["natural_gas", "other_gas"]
    da = io.read_table(t, aliases=False, missing="drop")
    assert da.fuel.values.tolist() == ["Natural Gas", "town gas"]
    da = io.read_table(t.assign(fuel=["NG", "coal"]), aliases={"kind": {"x": "X", "y": "Y"}}, missing="drop")
    assert da.kind.values.tolist() == ["X", "Y"] and da.fuel.values.tolist() == ["natural_gas", "coal"]
    da = io.read_table(t.rename(columns={"fuel": "energy"}).assign(energy=["NG", "原煤"]), aliases={"energy": "fuel"}, missing="drop")
    assert da.energy.values.tolist() == ["natural_gas", "coal"]
    with pytest.raises(UnknownLabelError, match="not one of the dims"):
        io.read_table(t, aliases={"nope": True})
    with pytest.raises(InputError, match="no shipped table"):
        io.read_table(t, aliases={"kind": True})
    with pytest.raises(InputTypeError):
        io.read_table(t, aliases="fuel")


# ---------------------------------------------------------------------------- fuel groups


def test_group_fuels_and_errors():
    use = xr.DataArray([[60.0, 40.0, 7.0], [1.0, 2.0, 3.0]], dims=("year", "fuel"), attrs={"units": "tce"},
                       coords={"year": [2020, 2021], "fuel": ["coal", "coke", "electricity"]})
    with pytest.raises(UnknownLabelError, match="electricity"):
        io.group_fuels(use, "hj2021")
    out = io.group_fuels(use, {**io.fuel_groups("hj2021"), "electricity": "electricity"})
    assert out.dims == ("year", "fuel") and out.fuel.values.tolist() == ["coal", "electricity"]
    np.testing.assert_array_equal(out.values, [[100.0, 7.0], [3.0, 3.0]])
    with pytest.raises(UnknownLabelError, match="no shipped fuel groups"):
        io.group_fuels(use, "nope")
    with pytest.raises(InputTypeError):
        io.group_fuels(use, 3)


def test_fuel_emissions_groups():
    use = xr.DataArray([60.0, 40.0, 7.0, 3.0, 5.0], dims="fuel", attrs={"units": "tce"},
                       coords={"fuel": ["coal", "coke", "diesel", "lpg", "lng"]})
    got = fuel_emissions(use, "hj2021", groups=True)
    assert float(got.emissions) == pytest.approx(100 * 2.66 + 10 * 2.73 + 5 * 1.56)
    assert got.emissions_by_fuel.fuel.values.tolist() == use.fuel.values.tolist()
    own = fuel_emissions(use, "hj2021", groups={"coke": "coal", "diesel": "refined_oil", "lpg": "refined_oil",
                                                 "lng": "natural_gas"})
    xr.testing.assert_allclose(own.emissions, got.emissions)
    # the default is unchanged: a fuel without its own factor is an error
    with pytest.raises(UnknownLabelError, match="coke"):
        fuel_emissions(use, "hj2021")
    with pytest.raises(UnknownLabelError, match="electricity"):
        fuel_emissions(use.assign_coords(fuel=["coal", "coke", "diesel", "lpg", "electricity"]), "hj2021", groups=True)
    user = factors.load("hj2021").emission_factor
    user.attrs.pop("name", None)
    with pytest.raises(InputError, match="groups=True uses the shipped grouping"):
        fuel_emissions(use, xr.Dataset({"emission_factor": user}), groups=True)
    with pytest.raises(InputTypeError):
        fuel_emissions(use, "hj2021", groups="hj2021")
    # physical units: each detailed fuel converted with its own coefficient, then its group's factor
    tonnes = xr.DataArray([100.0, 50.0], dims="fuel", coords={"fuel": ["coal", "coke"]}, attrs={"units": "t"})
    got = fuel_emissions(tonnes, "hj2021", conversion="gbt2589", groups=True)
    assert float(got.emissions) == pytest.approx((100 * 0.7143 + 50 * 0.9714) * 2.66)


# ---------------------------------------------------------------------------- IAMC


def _scenario_emissions() -> xr.DataArray:
    rng = np.random.default_rng(3)
    return xr.DataArray(rng.uniform(1e5, 1e7, (2, 3, 5)), dims=("scenario", "region", "year"),
                        coords={"scenario": ["RS", "AP-NZES"], "region": ["Bengbu", "Chongqing", "Huainan"],
                                "year": np.arange(2020, 2061, 10)},
                        attrs={"units": "t CO2", "long_name": "emissions"})


VAR = "Emissions|CO2|Energy|Demand|Industry"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_iamc_round_trip(suffix, tmp_path):
    da = _scenario_emissions()
    path = tmp_path / f"out.{suffix}"
    table = io.to_iamc(da, model="fastcarbon", variable=VAR, path=path)
    assert list(table.columns) == ["model", "scenario", "region", "variable", "unit", 2020, 2030, 2040, 2050, 2060]
    assert set(table.unit) == {"Mt CO2/yr"} and set(table.variable) == {VAR} and len(table) == 6
    on_disk = pd.read_csv(path) if suffix == "csv" else pd.read_excel(path, sheet_name="data")
    assert list(on_disk.columns[:5]) == list(table.columns[:5])
    np.testing.assert_allclose(on_disk.iloc[:, 5:].to_numpy(float), table.iloc[:, 5:].to_numpy(float))
    back = io.from_iamc(path)
    assert back.name == VAR and back.attrs["units"] == "Mt CO2/yr" and back.attrs["model"] == "fastcarbon"
    xr.testing.assert_allclose(back.drop_attrs(), (da / 1e6).rename(VAR).drop_attrs())
    pd.testing.assert_frame_equal(io.to_iamc(back, model="fastcarbon", variable=VAR), table)


def test_iamc_sectors_dataset_and_pyam(tmp_path):
    rng = np.random.default_rng(5)
    by_sector = xr.DataArray(rng.uniform(1, 10, (2, 3)), dims=("sector", "year"),
                             coords={"sector": ["steel", "food_and_tobacco"], "year": [2020, 2025, 2030]},
                             attrs={"units": "Mt CO2"})
    table = io.to_iamc(by_sector, model="m", scenario="RS", region="Chongqing", variable=VAR, sector_dim="sector")
    assert table.variable.tolist() == [f"{VAR}|Iron and Steel", f"{VAR}|Food And Tobacco"]
    back = io.from_iamc(table, variable=VAR, sector_dim="sector")
    assert back.sector.values.tolist() == ["steel", "food_and_tobacco"]
    np.testing.assert_allclose(back.squeeze(drop=True).transpose("sector", "year").values, by_sector.values)
    ds = xr.Dataset({"co2": _scenario_emissions(), "energy": _scenario_emissions().assign_attrs(units="tce")})
    t2 = io.to_iamc(ds, model="m", variable={"co2": "Emissions|CO2", "energy": "Final Energy"}, path=tmp_path / "d.csv")
    assert set(zip(t2.variable, t2.unit)) == {("Emissions|CO2", "Mt CO2/yr"), ("Final Energy", "EJ/yr")}
    back = io.from_iamc(tmp_path / "d.csv")
    assert isinstance(back, xr.Dataset) and set(back.data_vars) == {"Emissions|CO2", "Final Energy"}
    np.testing.assert_allclose(back["Final Energy"].values, ds.energy.values * 29.3076e-9)
    pyam = pytest.importorskip("pyam")
    frame = pyam.IamDataFrame(tmp_path / "d.csv")
    assert set(frame.variable) == {"Emissions|CO2", "Final Energy"}


def test_iamc_units_and_bad_inputs(tmp_path):
    da = _scenario_emissions()
    kt = io.to_iamc(da, model="m", variable=VAR, unit="kt CO2/yr")
    np.testing.assert_allclose(kt.iloc[:, 5:].to_numpy(float), da.values.reshape(6, 5) / 1e3)
    with pytest.raises(UnitError, match="cannot be written in 'EJ/yr'"):
        io.to_iamc(da, model="m", variable=VAR, unit="EJ/yr")
    with pytest.raises(InputError, match="variable"):
        io.to_iamc(da, model="m")
    with pytest.raises(InputError, match="'fuel'"):
        io.to_iamc(da.expand_dims(fuel=["coal"]), model="m", variable=VAR)
    with pytest.raises(MissingDimensionError, match="scenario="):
        io.to_iamc(da.isel(scenario=0, drop=True), model="m", variable=VAR)
    with pytest.raises(InputError, match="drop scenario='RS'"):
        io.to_iamc(da, model="m", variable=VAR, scenario="RS")
    with pytest.raises(UnitError, match="no 'units' attr"):
        io.to_iamc(da.drop_attrs(), model="m", variable=VAR)
    with pytest.raises(InputError, match="'.json'"):
        io.to_iamc(da, model="m", variable=VAR, path=tmp_path / "x.json")
    with pytest.raises(InvalidValueError, match="inf"):
        io.to_iamc(da.where(da.year != 2030, np.inf), model="m", variable=VAR)
    with pytest.raises(InputTypeError, match="model"):
        io.to_iamc(da, model="", variable=VAR)
    with pytest.raises(UnknownLabelError, match="not an IAMC table"):
        io.from_iamc(pd.DataFrame({"model": ["m"], "2020": [1.0]}))
    t = io.to_iamc(da, model="m", variable=VAR)
    with pytest.raises(DuplicateLabelError, match="more than one row"):
        io.from_iamc(pd.concat([t, t.iloc[:1]]))
    with pytest.raises(UnknownLabelError, match="no rows"):
        io.from_iamc(t, variable="Emissions|CH4")
    nan = io.to_iamc(da.where(da.year != 2030), model="m", variable=VAR, path=tmp_path / "nan.csv")
    assert nan[2030].isna().all()
    assert np.isnan(io.from_iamc(tmp_path / "nan.csv").sel(year=2030)).all()


# ---------------------------------------------------------------------------- bad inputs


def _t(**cols):
    base = {"region": ["A", "A", "B"], "year": [2020, 2021, 2020], "value": [1.0, 2.0, 3.0]}
    base.update(cols)
    return pd.DataFrame(base)


def _err(kind, *parts, **kwargs):
    source = kwargs.pop("source", None)
    with pytest.raises(kind) as err:
        io.read_table(_t() if source is None else source, **kwargs)
    msg = str(err.value)
    for p in parts:
        assert p in msg, f"{p!r} not in {msg!r}"
    assert "np." not in msg
    return msg


def test_bad_columns():
    _err(UnknownLabelError, "value: the table has no column 'valeu'", "nearest: ['value']", value="valeu")
    _err(UnknownLabelError, "dims: the table has no column 'regoin'", "nearest", dims=["regoin", "year"])
    _err(InputError, "is the value or unit column", dims=["value"])
    _err(InputError, "names a column twice", dims=["region", "region"])
    _err(UnknownLabelError, "rename", rename={"nope": "x"})
    _err(MissingDimensionError, "no label column", source=pd.DataFrame({"value": [1.0]}))
    _err(InputTypeError, "value", value=3)
    _err(InputError, "missing: 'zero' is not an option", missing="zero")


def test_bad_units():
    _err(UnitError, "unit: 'tce!!' is neither a column", unit="tce!!")
    msg = _err(UnitError, "'tce!!'", "index 1", source=_t(unit=["tce", "tce!!", "tce"]))
    assert "rows: [index 1]" in msg
    _err(UnitError, "units 't' at [index 2] measure mass", "measures energy", source=_t(unit=["tce", "tce", "t"]))
    _err(UnitError, "have no units at [index 1]", source=_t(unit=["tce", "", "tce"]))
    _err(UnitError, "measure energy", source=_t(unit=["tce", "tce", "tce"]), to="t")


def test_bad_values_and_labels():
    _err(InvalidValueError, "value: '1,5' at index 1 is not a number", source=_t(value=["1", "1,5", "x"]))
    _err(InvalidValueError, "(2 such rows: [index 1, index 2])", source=_t(value=["1", "1,5", "x"]))
    _err(InputTypeError, "True/False", source=_t(value=[True, False, True]))
    _err(TimeAxisError, "2020.5 at index 1 is not a whole year", source=_t(year=[2020, 2020.5, 2020]))
    _err(TimeAxisError, "'20x0'", source=_t(year=["2020", "20x0", "2020"]))
    _err(InvalidValueError, "region: 1 row(s) have no label at [index 2]", source=_t(region=["A", "A", ""]))
    msg = _err(DuplicateLabelError, "(region='A', year=2020) at index 0, index 1",
               source=_t(year=[2020, 2020, 2020]))
    assert "appear on more than one row" in msg
    _err(MissingDimensionError, "'interpolate' fills along the 'year' dim", missing="interpolate",
         source=pd.DataFrame({"region": ["A"], "value": [np.nan]}))


def test_duplicates_name_the_file_lines(tmp_path):
    path = tmp_path / "d.csv"
    _t(year=[2020, 2021, 2020], region=["A", "A", "A"]).to_csv(path, index=False)
    with pytest.raises(DuplicateLabelError, match=r"\(region='A', year=2020\) at line 2, line 4"):
        io.read_table(path)


def test_unreadable_sources(tmp_path):
    _err(InputError, "does not exist", source=tmp_path / "nope.csv")
    (tmp_path / "folder.csv").mkdir()
    _err(InputError, "is a folder", source=tmp_path / "folder.csv")
    _err(InputError, "extension '.json' is not supported", source=tmp_path / "x.json")
    _err(InputError, "save as .xlsx", source=tmp_path / "x.xls")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip file")
    _err(InputError, "cannot read", "as XLSX", source=tmp_path / "bad.xlsx")
    (tmp_path / "bad.parquet").write_bytes(b"nope")
    if __import__("importlib.util").util.find_spec("pyarrow") is not None:
        _err(InputError, "as PARQUET", source=tmp_path / "bad.parquet")
    _err(InputTypeError, "got int", source=3)
    with pytest.raises(InputTypeError):
        io.missing_report(xr.DataArray([1.0]))


def test_every_error_is_a_fastcarbon_error(messy):
    _, path = messy
    for kwargs in ({"value": "nope"}, {"unit": "nope!"}, {"missing": "raise"}):
        with pytest.raises(FastcarbonError):
            io.read_table(path, **{**READ, **kwargs})


# ---------------------------------------------------------------------------- property


@st.composite
def long_tables(draw):
    regions = draw(st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=1, max_size=4, unique=True))
    sectors = draw(st.lists(st.sampled_from(["steel", "chemicals", "paper"]), min_size=1, max_size=3, unique=True))
    years = draw(st.lists(st.integers(1990, 2060), min_size=1, max_size=5, unique=True))
    cells = [(r, s, y) for r in regions for s in sectors for y in years]
    keep = draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells)))
    cells = [c for c, k in zip(cells, keep) if k] or cells[:1]
    values = draw(st.lists(st.floats(-1e12, 1e12, allow_nan=False), min_size=len(cells), max_size=len(cells)))
    order = draw(st.permutations(range(len(cells))))
    rows = [dict(zip(("region", "sector", "year"), cells[i]), value=values[i]) for i in order]
    return pd.DataFrame(rows)


@settings(max_examples=40, deadline=None)
@given(df=long_tables(), as_text=st.booleans())
def test_property_long_table_round_trip(df, as_text, tmp_path_factory):
    if as_text:  # through a CSV file: labels and numbers read back from text
        path = tmp_path_factory.mktemp("p") / "t.csv"
        df.to_csv(path, index=False)
        source = path
    else:
        source = df
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        da = io.read_table(source, missing="drop", unit="t CO2")
    assert da.year.values.tolist() == sorted(set(df.year))
    back = da.to_dataframe().dropna(subset=["value"]).reset_index()[["region", "sector", "year", "value"]]
    want = df.sort_values(["region", "sector", "year"]).reset_index(drop=True)
    back = back.sort_values(["region", "sector", "year"]).reset_index(drop=True)
    assert back[["region", "sector"]].astype(str).equals(want[["region", "sector"]].astype(str))
    assert back.year.tolist() == want.year.tolist()
    np.testing.assert_array_equal(back.value.to_numpy(), want.value.to_numpy())
    assert len(json.loads(da.attrs["missing_report"])) == da.size - len(df)


# ---------------------------------------------------------------------------- README


def test_readme_your_own_data_runs(tmp_path, monkeypatch):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own data", 1)[1]
    csv = section.split("```text", 1)[1].split("```", 1)[0].lstrip("\n")
    code = section.split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "city_energy.csv").write_text(csv, encoding="utf-8")
    namespace: dict = {}
    exec(code, namespace)
    assert (tmp_path / "emissions_iamc.csv").is_file()
    assert set(namespace["table"].unit) == {"Mt CO2/yr"}


def test_column_names_match_whatever_their_capitals():
    table = pd.DataFrame({"Region": ["A", "A"], "FUEL": ["coal", "Natural gas"], "Year": [2020, 2020],
                          "Value": [1.0, 2.0], "Unit": ["10**4 tce", "tce"]})
    da = io.read_table(table, dims=["region", "fuel", "year"], unit="unit")
    assert da.dims == ("region", "fuel", "year") and da.attrs["units"] == "10**4 tce"
    assert da.year.values.tolist() == [2020] and da.fuel.values.tolist() == ["coal", "natural_gas"]
    assert float(da.sel(fuel="natural_gas").item()) == pytest.approx(2.0e-4)
    # rename keys too, and the default value column "value" finds "Value"
    again = io.read_table(table, rename={"region": "city", "fuel": "fuel", "YEAR": "year"}, unit="Unit")
    assert again.dims == ("city", "fuel", "year")
    xr.testing.assert_equal(again.rename(city="region").drop_attrs(), da.drop_attrs())


def test_two_columns_that_differ_only_by_capitals_are_refused():
    table = pd.DataFrame({"year": [2020], "Year": [2021], "fuel": ["coal"], "value": [1.0]})
    with pytest.raises(InputError, match=r"columns 'year' and 'Year' differ only by capitals.*rename one"):
        io.read_table(table)
