"""fuel_emissions (000 eq. 1; 001 eq. 1) and the Bengbu reproduction."""

from __future__ import annotations

import warnings

import dask
import dask.array
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastcarbon import datasets
from fastcarbon.accounting.fuel import fuel_emissions
from fastcarbon.errors import (
    FastcarbonError,
    FastcarbonWarning,
    FlaggedFactorWarning,
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    UnitError,
    UnknownLabelError,
)
from fastcarbon.studies.bengbu import bengbu_accounting

BENGBU_FUELS = ["coal", "coke", "kerosene", "diesel", "gasoline", "fuel_oil", "natural_gas", "lpg"]
HJ_FUELS = ["coal", "refined_oil", "natural_gas"]


def use(values, fuels, units="tce", **extra):
    """Fuel use with dims (*extra, fuel)."""
    coords = {**extra, "fuel": fuels}
    return xr.DataArray(np.asarray(values, dtype=float), dims=tuple(coords), coords=coords, attrs={"units": units})


def raise_if_computed(dsk, keys, **kwargs):
    raise AssertionError("dask computed when it should have stayed lazy")


# ---------------------------------------------------------------- Bengbu


def test_bengbu_equals_a_hand_written_sum():
    ds = datasets.bengbu()
    with pytest.warns(FlaggedFactorWarning, match="natural_gas"):
        out = fuel_emissions(ds.fuel_use, "bengbu2023", units="t C")
    table = dict(zip(BENGBU_FUELS, [0.7550, 0.8550, 0.5714, 0.5921, 0.5538, 0.6185, 2.1622, 0.5042]))
    for y in ds.year.values:
        hand = 0.0
        for f in BENGBU_FUELS:
            hand += float(ds.fuel_use.sel(year=y, fuel=f)) * table[f]
        assert float(out.emissions.sel(year=y)) == pytest.approx(hand, rel=1e-13)
        assert float(out.emissions_by_fuel.sel(year=y, fuel="coal")) == pytest.approx(
            float(ds.fuel_use.sel(year=y, fuel="coal")) * 0.7550, rel=1e-15)
    with pytest.warns(FlaggedFactorWarning):
        co2 = fuel_emissions(ds.fuel_use, "bengbu2023").emissions  # default units t CO2
    np.testing.assert_allclose(co2, out.emissions * 44 / 12, rtol=1e-13)


def test_bengbu_reproduction_gap_is_reported_not_fudged():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FlaggedFactorWarning)  # the reproduction says it once, itself
        r = bengbu_accounting()
    assert {v: r[v].attrs["units"] for v in r.data_vars} == {
        "computed": "t C", "computed_co2": "t CO2", "printed": "t C", "gap": "1"}
    assert float(r.computed.sel(year=2011)) / 1e4 == pytest.approx(309.0013, abs=1e-4)
    assert float(r.printed.sel(year=2011)) / 1e4 == pytest.approx(310.843, rel=1e-15)
    np.testing.assert_allclose(r.gap, (r.printed - r.computed) / r.computed, rtol=1e-15)
    # every year the printed CE is 0.2-1.2 % above the recomputed sum (seeds/README.md)
    assert ((r.gap > 0.0019) & (r.gap < 0.0125)).all()
    assert float(r.gap.sel(year=2012)) == pytest.approx(0.01241, abs=5e-5)  # the largest
    assert float(r.gap.sel(year=2020)) == pytest.approx(0.00198, abs=5e-5)  # the smallest


def test_bengbu_reproduction_keeps_the_printed_gas_factor_and_says_so():
    r = bengbu_accounting()
    # the numbers are those of Table 1 as printed: the gas row contributes use x 2.1622
    ds = datasets.bengbu()
    gas = ds.fuel_use.sel(fuel="natural_gas") * 2.1622
    rest = (ds.fuel_use.drop_sel(fuel="natural_gas") * ds.emission_factor.drop_sel(fuel="natural_gas")).sum("fuel")
    np.testing.assert_allclose(r.computed, gas + rest, rtol=1e-13)
    (line,) = [s for s in r.attrs["summary"] if "2.1622" in s]  # once, though used twice
    for part in ("kept for the reproduction", "'natural_gas'", "2.1622 t C/tce", "kg CO2 per m3"):
        assert part in line, part
    assert r.attrs["notes"] == line


def test_fastcarbon_run_prints_the_note_once_and_no_warning(tmp_path):
    from typer.testing import CliRunner

    from fastcarbon.cli import app

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(app, ["run", "-o", str(tmp_path), "-j", "bengbu_accounting"])
    assert result.exit_code == 0, result.output
    assert not [w for w in caught if issubclass(w.category, FlaggedFactorWarning)]
    text = " ".join(result.output.split())  # rich wraps long lines at the terminal width
    assert "FlaggedFactorWarning" not in text
    assert text.count("2.1622 t C/tce") == 1 and "kept for the reproduction" in text


# ---------------------------------------------------------------- units and shapes


def test_other_dims_pass_through_in_their_order():
    e = use(np.arange(18.0).reshape(2, 3, 3), HJ_FUELS, region=["a", "b"], year=[2020, 2021, 2022])
    out = fuel_emissions(e.transpose("fuel", "year", "region"), "hj2021", units="Mt CO2")
    assert out.emissions.dims == ("year", "region")
    assert out.emissions_by_fuel.dims == ("fuel", "year", "region")
    assert out.emissions_by_fuel.attrs == {"units": "Mt CO2", "long_name": "emissions by fuel"}
    assert out.emissions.attrs == {"units": "Mt CO2", "long_name": "emissions"}
    hand = (e * xr.DataArray([2.66, 2.73, 1.56], dims="fuel", coords={"fuel": HJ_FUELS})).sum("fuel") / 1e6
    xr.testing.assert_allclose(out.emissions, hand.transpose("year", "region"), rtol=1e-13)


@pytest.mark.parametrize("units, scale", [("GJ", 29.3076), ("TJ", 29.3076e-3), ("10**4 tce", 1e-4), ("kgce", 1e3)])
def test_energy_units_convert_to_the_factor_denominator(units, scale):
    in_tce = fuel_emissions(use([1.0, 2.0], ["coal", "natural_gas"]), "hj2021")
    other = fuel_emissions(use([scale, 2 * scale], ["coal", "natural_gas"], units=units), "hj2021")
    xr.testing.assert_allclose(in_tce, other, rtol=1e-13)


def test_output_units_carbon_and_scaled():
    e = use([1.0], ["coal"])
    assert float(fuel_emissions(e, "hj2021", units="t C").emissions) == pytest.approx(2.66 * 12 / 44, rel=1e-14)
    assert float(fuel_emissions(e, "hj2021", units="10**4 t CO2").emissions) == pytest.approx(2.66e-4, rel=1e-14)


def test_ipcc_physical_mass_times_ncv_times_ef():
    # 2 500 t coal, 1 000 t diesel: mass (Gg) x NCV (TJ/Gg) x EF (kg CO2/TJ) / 1000 -> t CO2
    out = fuel_emissions(use([2500.0, 1000.0], ["coal", "diesel"], units="t"), "ipcc2006")
    hand = 2.5 * 25.8 * 94600 / 1000 + 1.0 * 43.0 * 74100 / 1000
    assert float(out.emissions) == pytest.approx(hand, rel=1e-13)
    assert out.attrs["conversion"] == "ipcc2006"


def test_physical_units_through_gbt2589_with_per_fuel_units():
    coal = fuel_emissions(use([1e4], ["coal"], units="t"), "hj2021", conversion="gbt2589")
    assert float(coal.emissions) == pytest.approx(1e4 * 0.7143 * 2.66, rel=1e-13)
    gas = fuel_emissions(use([1e4], ["natural_gas"], units="m**3"), "hj2021", conversion="gbt2589")
    assert float(gas.emissions) == pytest.approx(1e4 * 1.33e-3 * 1.56, rel=1e-13)
    # Bengbu's own coefficients: tce per t, and kgce per m3 for gas
    lpg = fuel_emissions(use([100.0], ["lpg"], units="t"), "bengbu2023", units="t C")
    assert float(lpg.emissions) == pytest.approx(100 * 1.7143 * 0.5042, rel=1e-13)


def test_user_factor_dataarray_and_dataset():
    f = xr.DataArray([2.0, 3.0], dims="fuel", coords={"fuel": ["b", "a"]}, attrs={"units": "t CO2/tce"})
    out = fuel_emissions(use([1.0, 10.0], ["a", "b"]), f)
    assert float(out.emissions) == 1.0 * 3.0 + 10.0 * 2.0 and out.attrs["factors"] == "user-supplied"
    conv = xr.DataArray([0.5], dims="fuel", coords={"fuel": ["a"]}, attrs={"units": "tce/t"})
    out = fuel_emissions(use([4.0], ["a"], units="t"), xr.Dataset({"emission_factor": f}), conversion=conv)
    assert float(out.emissions) == 4.0 * 0.5 * 3.0


def test_dask_stays_lazy_equals_eager_and_leaves_input_alone():
    rng = np.random.default_rng(0)
    e = use(rng.random((6, 8)), BENGBU_FUELS, year=np.arange(6)).chunk(year=2)
    before = e.data.__dask_graph__()
    with dask.config.set(scheduler=raise_if_computed), pytest.warns(FlaggedFactorWarning):
        lazy = fuel_emissions(e, "bengbu2023")  # warned at the call, the data stay lazy
    assert isinstance(lazy.emissions.data, dask.array.Array)
    assert e.data.__dask_graph__() is before  # the caller's array is not rewired
    with pytest.warns(FlaggedFactorWarning):
        eager = fuel_emissions(e.compute(), "bengbu2023")
    xr.testing.assert_identical(lazy.compute(), eager)


@given(
    hnp.arrays(np.float64, (4, 3), elements=st.floats(0, 1e6)),
    st.floats(0, 1e3),
    st.permutations(range(3)),
)
def test_linear_additive_and_label_order_free(values, a, order):
    e = use(values, HJ_FUELS, year=np.arange(4))
    out = fuel_emissions(e, "hj2021")
    scaled = fuel_emissions((e * a).assign_attrs(e.attrs), "hj2021")
    np.testing.assert_allclose(scaled.emissions, a * out.emissions, rtol=1e-12, atol=1e-9)
    parts = sum(fuel_emissions(e.isel(fuel=[k]), "hj2021").emissions for k in range(3))
    np.testing.assert_allclose(parts, out.emissions, rtol=1e-12, atol=1e-9)
    shuffled = fuel_emissions(e.isel(fuel=list(order)), "hj2021")
    xr.testing.assert_allclose(shuffled.emissions_by_fuel.sel(fuel=HJ_FUELS), out.emissions_by_fuel)


# ---------------------------------------------------------------- bad input


def raises(cls, builtin, match, fn, *args, **kwargs):
    with pytest.raises(cls, match=match) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, builtin) and isinstance(info.value, FastcarbonError)


def test_fuel_absent_from_the_set_lists_the_available_ones():
    raises(UnknownLabelError, ValueError,
           r"factors: no emission factor for fuel\(s\) \['diesel'\]; available fuels: \['coal', 'refined_oil', 'natural_gas'\]",
           fuel_emissions, use([1.0, 1.0], ["coal", "diesel"]), "hj2021")
    raises(UnknownLabelError, ValueError, r"conversion: no conversion coefficient for fuel\(s\) \['refined_oil'\]",
           fuel_emissions, use([1.0], ["refined_oil"], units="t"), "hj2021", conversion="gbt2589")


def test_unknown_set_name_lists_valid_ones():
    raises(UnknownLabelError, ValueError, r"'defra' is unknown; valid names: \['bengbu2023'",
           fuel_emissions, use([1.0], ["coal"]), "defra")


def test_set_without_the_needed_variable():
    raises(UnknownLabelError, ValueError, r"factors: gbt2589 has none of the variables \['emission_factor'\]",
           fuel_emissions, use([1.0], ["coal"]), "gbt2589")
    raises(UnknownLabelError, ValueError, r"conversion: hj2021 has none of .*'t'.*conversion='gbt2589'",
           fuel_emissions, use([1.0], ["coal"], units="t"), "hj2021")


def test_missing_fuel_dim_or_labels():
    raises(MissingDimensionError, ValueError, r"energy: missing required dimension\(s\) \['fuel'\]",
           fuel_emissions, xr.DataArray([1.0], dims="carrier", attrs={"units": "tce"}), "hj2021")
    raises(MissingDimensionError, ValueError, "energy: the 'fuel' dim has no coordinate labels",
           fuel_emissions, xr.DataArray([1.0], dims="fuel", attrs={"units": "tce"}), "hj2021")
    raises(InputError, ValueError, r"energy: dim 'fuel' has duplicated labels \['coal'\]",
           fuel_emissions, use([1.0, 2.0], ["coal", "coal"]), "hj2021")


def test_non_numeric_or_not_a_dataarray():
    raises(InputTypeError, TypeError, "energy: data must be real numbers",
           fuel_emissions, use([1.0], ["coal"]).astype(str), "hj2021")
    raises(InputTypeError, TypeError, "energy: data must be real numbers",
           fuel_emissions, use([1.0], ["coal"]).astype(bool), "hj2021")
    raises(InputTypeError, TypeError, "energy: expected an xarray.DataArray",
           fuel_emissions, [1.0, 2.0], "hj2021")
    raises(InputTypeError, TypeError, "factors: expected a factor-set name",
           fuel_emissions, use([1.0], ["coal"]), 2.66)


@pytest.mark.parametrize("value", [-1.0, np.nan])
def test_negative_or_nan_energy_named_by_labels(value):
    e = use([[1.0, 2.0], [3.0, value]], ["coal", "natural_gas"], year=[2020, 2021])
    match = rf"energy: bad value {value} at year=2021, fuel='natural_gas'"
    raises(InvalidValueError, ValueError, match, fuel_emissions, e, "hj2021")
    lazy = fuel_emissions(e.chunk(year=1, fuel=1), "hj2021")  # raised at compute, same labels
    raises(InvalidValueError, ValueError, match, lazy.compute)


def test_nan_factor():
    f = xr.DataArray([np.nan], dims="fuel", coords={"fuel": ["coal"]}, attrs={"units": "t CO2/tce"})
    raises(InvalidValueError, ValueError, "factors: bad value nan at fuel='coal'; factors must be finite", fuel_emissions, use([1.0], ["coal"]), f)


@pytest.mark.parametrize(
    "energy_units, kwargs, match",
    [
        (None, {}, "energy: no 'units' attr"),
        ("tonnes of stuff", {}, "energy: cannot parse units 'tonnes of stuff'"),
        ("tce!!", {}, r"energy: 'tce!!' is not a unit expression: '!' is not allowed"),
        ("tce#x", {}, r"energy: 'tce#x' is not a unit expression: '#' is not allowed"),
        ("m**3", {"conversion": "gbt2589"}, r"energy: units 'm\*\*3' × conversion 'kgce/kg' for fuel 'coal' is not an energy"),
        ("km", {"conversion": "gbt2589"}, r"energy: units 'km' measure length \(\[length\]\), expected energy, mass or volume"),
        ("tce", {"units": "t"}, r"units: units 't' measure mass \(\[mass\]\), expected mass of carbon or CO2"),
        ("tce", {"units": "t CO2 +"}, r"units: 't CO2 \+' is not a unit expression"),
        ("tce", {"units": "t CO2#x"}, r"units: 't CO2#x' is not a unit expression"),
        ("tce", {"conversion": "gbt2589"}, "conversion: the factors apply to energy in 'tce' directly"),
    ],
)
def test_bad_units(energy_units, kwargs, match):
    e = use([1.0], ["coal"], units=energy_units or "tce")
    if energy_units is None:
        e.attrs.clear()
    cls = InputError if "conversion" in kwargs and energy_units == "tce" else UnitError
    raises(cls, ValueError, match, fuel_emissions, e, "hj2021", **kwargs)


def test_factor_without_units():
    f = xr.DataArray([2.0], dims="fuel", coords={"fuel": ["coal"]})
    raises(UnitError, ValueError, "factors: no 'units' attr", fuel_emissions, use([1.0], ["coal"]), f)


def test_factor_per_mass_with_energy_input():
    f = xr.DataArray([3.0], dims="fuel", coords={"fuel": ["coal"]}, attrs={"units": "t CO2/t"})
    raises(UnitError, ValueError, r"energy: units 'tce' for fuel 'coal' do not match the factor's",
           fuel_emissions, use([1.0], ["coal"]), f)
    # the same factor applies directly to fuel given by mass, and then takes no conversion
    out = fuel_emissions(use([2.0], ["coal"], units="kg"), f, units="kg CO2")
    assert float(out.emissions) == pytest.approx(6.0, rel=1e-15) and "conversion" not in out.attrs
    raises(InputError, ValueError, "conversion: the factors apply to energy in 'kg' directly",
           fuel_emissions, use([2.0], ["coal"], units="kg"), f, conversion="gbt2589")


# ---------------------------------------------------------------- dimensionality of fuel use


@pytest.mark.parametrize("units, found", [("m", "length"), ("km", "length"), ("s", "time"),
                                          ("m**2", "area"), ("CNY", "money"), ("1", "dimensionless number")])
@pytest.mark.parametrize("conversion", [None, "gbt2589"])
def test_fuel_use_that_no_conversion_can_turn_into_energy(units, found, conversion):
    # once an UnknownLabelError hinting conversion='gbt2589', which cannot help for a length
    kwargs = {} if conversion is None else {"conversion": conversion}
    with pytest.raises(UnitError) as info:
        fuel_emissions(use([1.0], ["coal"], units=units), "hj2021", **kwargs)
    message = str(info.value)
    assert not isinstance(info.value, UnknownLabelError)
    assert message.startswith(f"energy: units {units!r} measure {found}")
    assert "expected energy, mass or volume" in message and "tce" in message


@pytest.mark.parametrize("units", ["t", "kg", "m**3", "10**4 t"])
def test_mass_or_volume_still_needs_and_gets_a_conversion(units):
    fuel = "natural_gas" if "m" in units else "coal"
    raises(UnknownLabelError, ValueError, r"conversion: hj2021 has none of .*conversion='gbt2589'",
           fuel_emissions, use([1.0], [fuel], units=units), "hj2021")
    out = fuel_emissions(use([1.0], [fuel], units=units), "hj2021", conversion="gbt2589")
    assert float(out.emissions) > 0


def test_factor_units_per_a_length_apply_to_fuel_use_in_that_length():
    # a user's own factor per km (transport) is direct: no energy, no conversion
    f = xr.DataArray([0.2], dims="fuel", coords={"fuel": ["diesel"]}, attrs={"units": "kg CO2/km"})
    out = fuel_emissions(use([1000.0], ["diesel"], units="km"), f, units="kg CO2")
    assert float(out.emissions) == pytest.approx(200.0, rel=1e-15)


# ---------------------------------------------------------------- no default set, flagged values


def test_factors_is_required_and_the_error_lists_the_sets():
    from fastcarbon import factors

    with pytest.raises(InputTypeError) as info:
        fuel_emissions(use([1.0], ["coal"]))
    assert isinstance(info.value, TypeError) and isinstance(info.value, FastcarbonError)
    message = str(info.value)
    assert message.startswith("factors: no factor set given")
    lines = message.splitlines()[1:]
    assert [line.split(":")[0].strip() for line in lines] == [repr(n) for n in factors.available()]
    (bengbu,) = [line for line in lines if "'bengbu2023'" in line]
    assert "flagged: natural_gas emission_factor 2.1622 t C/tce" in bengbu
    assert all("flagged" not in line for line in lines if line is not bengbu)


def test_no_public_default_names_a_set_with_flagged_values():
    import inspect

    import fastcarbon.accounting
    import fastcarbon.scenarios
    import fastcarbon.uncertainty
    from fastcarbon import factors

    flagged_sets = {n for n in factors.available()
                    if any(factors.flagged(da) for da in factors.load(n).data_vars.values())}
    assert flagged_sets == {"bengbu2023"}  # the check below has something to find
    checked = 0
    for module in (fastcarbon.accounting, fastcarbon.scenarios, fastcarbon.uncertainty):
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue
            try:
                params = inspect.signature(obj).parameters.values()
            except (TypeError, ValueError):
                continue
            for p in params:
                checked += 1
                assert not (isinstance(p.default, str) and p.default in flagged_sets), (name, p.name)
    assert checked > 50
    assert inspect.signature(fuel_emissions).parameters["factors"].default is None


def test_using_a_flagged_factor_warns_naming_fuel_value_and_meaning():
    with pytest.warns(FlaggedFactorWarning) as record:
        out = fuel_emissions(use([1.0, 1.0], ["coal", "natural_gas"]), "bengbu2023", units="t C")
    assert len(record) == 1
    w = record[0]
    assert issubclass(w.category, FastcarbonWarning) and issubclass(w.category, UserWarning)
    message = str(w.message)
    for part in ("bengbu2023", "emission_factor", "'natural_gas'", "2.1622 t C/tce", "as printed",
                 "kg CO2 per m3", "4.8 times IPCC", "ipcc2006"):
        assert part in message, part
    assert w.filename == __file__  # points at the caller, not at fastcarbon
    # the value is used as printed, not corrected
    assert float(out.emissions) == pytest.approx(0.7550 + 2.1622, rel=1e-15)


def test_no_warning_without_the_flagged_fuel_or_with_clean_sets():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FlaggedFactorWarning)
        fuel_emissions(use([1.0, 1.0], ["coal", "lpg"]), "bengbu2023")
        fuel_emissions(use([1.0, 1.0], ["coal", "natural_gas"]), "hj2021")
        fuel_emissions(use([1.0, 1.0], ["coal", "natural_gas"]), "ipcc2006")


def test_flagged_factor_warns_on_the_conversion_path_and_on_dataset_input():
    from fastcarbon import factors

    with pytest.warns(FlaggedFactorWarning, match="'natural_gas' is 2.1622"):
        fuel_emissions(use([1e3], ["natural_gas"], units="m**3"), "bengbu2023")
    with pytest.warns(FlaggedFactorWarning, match="the bengbu2023 emission_factor"):
        fuel_emissions(use([1.0], ["natural_gas"]), factors.load("bengbu2023"))


def test_a_users_own_flag_coordinate_is_honoured():
    f = xr.DataArray([2.0, 9.0], dims="fuel", coords={"fuel": ["a", "b"]}, attrs={"units": "t CO2/tce"},
                     name="ef").assign_coords(ef_flag=("fuel", ["", "unit unclear in the source"]))
    with pytest.warns(FlaggedFactorWarning, match=r"user-supplied ef for fuel 'b' is 9 t CO2/tce .*unit unclear"):
        fuel_emissions(use([1.0, 1.0], ["a", "b"]), f)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FlaggedFactorWarning)
        fuel_emissions(use([1.0], ["a"]), f)
