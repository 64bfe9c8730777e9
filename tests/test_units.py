"""The unit registry as fuel accounting uses it: carbon <-> CO2, standard coal, scaled strings."""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from fastcarbon.errors import FastcarbonError, UnitError
from fastcarbon.units import conversion_factor, format_units, kind, parse, require_kind


def test_carbon_to_co2_is_44_over_12_through_the_registry():
    assert conversion_factor("t C", "t CO2") == pytest.approx(44 / 12, rel=1e-15)
    assert conversion_factor("kg CO2", "t C") == pytest.approx(12 / 44 / 1000, rel=1e-15)
    assert conversion_factor("Mt CO2", "t CO2") == pytest.approx(1e6, rel=1e-15)


def test_scaled_unit_strings_as_in_the_papers_tables():
    assert conversion_factor("10**4 tce", "tce") == pytest.approx(1e4, rel=1e-15)
    assert conversion_factor("1e4 t C", "t CO2") == pytest.approx(1e4 * 44 / 12, rel=1e-15)
    assert parse("10**4 tce").magnitude == pytest.approx(1e4)


def test_standard_coal_definitions():
    # GB/T 2589: 1 kgce = 29 307.6 kJ
    assert conversion_factor("kgce", "kJ") == pytest.approx(29307.6, rel=1e-15)
    assert conversion_factor("tce", "GJ") == pytest.approx(29.3076, rel=1e-15)
    assert conversion_factor("kgce/kg", "tce/t") == pytest.approx(1.0, rel=1e-15)
    assert conversion_factor("kgce/m**3", "tce/(10**3 m**3)") == pytest.approx(1.0, rel=1e-15)
    assert conversion_factor("TJ/Gg", "GJ/t") == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("bad", ["", "tonnes of stuff", "t CO2 +", None])
def test_unparsable_units(bad):
    with pytest.raises(UnitError) as info:
        parse(bad, what="energy")
    assert isinstance(info.value, ValueError) and isinstance(info.value, FastcarbonError)
    assert str(info.value).startswith("energy:")


def test_incompatible_units_name_both_sides():
    with pytest.raises(UnitError, match=r"'t' .*cannot be converted to 't CO2'"):
        conversion_factor("t", "t CO2")
    with pytest.raises(UnitError, match="cannot be converted"):
        conversion_factor("tce", "t C")


@pytest.mark.parametrize("units", ["t CO2", "kg CO2/TJ", "kgce/m**3", "t C/tce"])
def test_format_units_round_trips(units):
    # the order of the factors may change ("CO2 t"), the unit may not
    assert conversion_factor(format_units(parse(units)), units) == 1.0


UNITS = ["t C", "t CO2", "kg CO2", "Mt CO2", "10**4 t C", "Gg CO2"]


@given(st.sampled_from(UNITS), st.sampled_from(UNITS))
def test_conversion_factors_are_reciprocal(a, b):
    assert conversion_factor(a, b) * conversion_factor(b, a) == pytest.approx(1.0, rel=1e-14)


def test_kt_is_kilotonne_not_knot():
    from fastcarbon.units import conversion_factor as cf

    assert cf("kt CO2", "t CO2") == 1e3
    assert cf("Mt CO2", "kt CO2") == 1e3


# ---------------------------------------------------------------- whole unit expressions only

#: strings pint alone reads as something else (its tokenizer drops what it has no rule for:
#: "tce!!" and "tce#x" are "tce") or that are not one unit: sums, bad scales, offsets
GARBAGE = [
    "tce!!", "tce#x", "tce # per year", "tce,", "t, CO2", "tce.", "tce?", "tce;", "tce$", "tce\n",
    "t CO2 +", "t + kg", "tce - tce", "(tce", "tce)", "tce /", "/tce", "**2", "tce**", "()",
    "0 tce", "nan tce", "inf tce", "1e999 tce", "(-1) tce", "degC", "tce x",
]


@pytest.mark.parametrize("bad", GARBAGE)
def test_garbage_strings_are_unit_errors_naming_argument_and_string(bad):
    with pytest.raises(UnitError) as info:
        parse(bad, what="energy")
    assert isinstance(info.value, ValueError) and isinstance(info.value, FastcarbonError)
    message = str(info.value)
    assert message.startswith("energy: ") and repr(bad) in message


@pytest.mark.parametrize("bad, where", [("tce!!", "'!' is not allowed at position 3"),
                                        ("tce#x", "'#' is not allowed at position 3"),
                                        ("t + kg", "'+' outside an exponent"),
                                        ("(tce", "unclosed '('"),
                                        ("tce /", "ends in an operator")])
def test_garbage_message_says_what_and_where(bad, where):
    with pytest.raises(UnitError, match=re.escape(where)):
        parse(bad)


@pytest.mark.parametrize("good, same_as", [
    ("m²", "m**2"), ("m⁻³", "m**-3"), ("kg·m", "kg*m"), ("m**(-3)", "m**-3"), ("m ** -3", "m**-3"),
    ("10^4 tce", "10**4 tce"), ("t CO2 per tce", "t CO2/tce"), ("kg m^-3", "kg/m**3"),
    (".5 t", "500 kg"), ("1e-3 t", "kg"), ("t (CO2)", "t CO2"), (" tce ", "tce"), ("%", "0.01"),
    ("t CO2 / (1e4 CNY)", "1e-4 t CO2/CNY"), ("µg", "1e-9 kg"), ("delta_degC", "K"),
    ("billion CNY", "1e9 CNY"), ("million t CO2", "Mt CO2"), ("thousand tce", "1e3 tce"),
])
def test_unit_expressions_still_parse(good, same_as):
    assert conversion_factor(good, same_as) == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("bad, shown", [(None, "got NoneType None"), (3, "got int 3"),
                                        (["tce"], "got list ['tce']"), ("  ", "got '  '")])
def test_not_a_string(bad, shown):
    # a list (unhashable) once reached an lru_cache and gave a bare TypeError
    with pytest.raises(UnitError, match=re.escape(shown)):
        parse(bad, what="activity")


def test_numpy_string_is_a_string_and_messages_stay_plain():
    assert parse(np.str_("10**4 tce")).magnitude == 10**4
    with pytest.raises(UnitError) as info:
        parse(np.str_("tce!!"), what="energy")
    assert "np.str_" not in str(info.value) and "'tce!!'" in str(info.value)


def test_kind_and_require_kind():
    assert [kind(parse(u)) for u in ("GJ", "t", "m**3", "m", "t CO2", "1", "CNY")] == [
        "energy", "mass", "volume", "length", "mass of carbon or CO2", "dimensionless number", "money"]
    assert kind(parse("m/s")) == "[length] / [time]"
    require_kind(parse("t"), ("energy", "mass"), what="energy", units="t", hint="h")
    with pytest.raises(UnitError, match=re.escape(
            "energy: units 'km' measure length ([length]), expected energy, mass or volume; fix it")):
        require_kind(parse("km"), ("energy", "mass", "volume"), what="energy", units="km", hint="fix it")
    with pytest.raises(UnitError, match=re.escape("units 'm/s' measure [length] / [time], expected energy")):
        require_kind(parse("m/s"), ("energy",), what="x", units="m/s", hint="h")


# ---------------------------------------------------------------- every function that takes units


def _da(values, dims, units, **coords):
    return xr.DataArray(np.asarray(values, dtype=float), dims=dims, coords=coords, attrs={"units": units})


def _fuel_emissions(spot):
    from fastcarbon.accounting import fuel_emissions

    def call(u):
        e = _da([1.0], "fuel", u if spot == "energy" else ("t" if spot == "conversion" else "tce"),
                fuel=["coal"])
        f = _da([2.66], "fuel", u if spot == "factors" else "t CO2/tce", fuel=["coal"])
        c = _da([0.7], "fuel", u if spot == "conversion" else "tce/t", fuel=["coal"])
        kwargs = {"units": u} if spot == "units" else {}
        if spot == "conversion":
            kwargs["conversion"] = c
        return fuel_emissions(e, f, **kwargs)
    return call


def _bottom_up(spot):
    from fastcarbon.accounting import bottom_up

    def call(u):
        dims = ("sector", "process", "equipment")
        p = _da(np.ones((1, 1, 1)), dims, u if spot == "activity" else "t", sector=["steel"])
        e = _da(np.ones((1, 1, 1, 1)), dims + ("fuel",), u if spot == "intensity" else "tce/t",
                sector=["steel"], fuel=["coal"])
        f = _da([2.66], "fuel", u if spot == "factor" else "t CO2/tce", fuel=["coal"])
        kwargs = {spot: u} if spot.endswith("_units") else {}
        return bottom_up(p, e, f, **kwargs)
    return call


def _top_down(spot):
    from fastcarbon.scenarios import top_down_emissions

    def call(u):
        y = _da([100.0, 110.0], "year", u if spot == "activity" else "1e4 CNY", year=[2020, 2021])
        i = _da([2.0, 1.5], "year", u if spot == "intensity" else "t CO2 / (1e4 CNY)", year=[2020, 2021])
        ei = _da([1.0, 1.0], "year", u if spot == "energy_intensity" else "tce / (1e4 CNY)", year=[2020, 2021])
        s = xr.DataArray([[1.0]], dims=("sector", "fuel"), coords={"sector": ["steel"], "fuel": ["coal"]})
        kwargs = {spot: u} if spot.endswith("_units") else {}
        return top_down_emissions(y, i, s, energy_intensity=ei, **kwargs)
    return call


def _monte_carlo(spot):
    from fastcarbon.uncertainty import monte_carlo

    def call(u):
        a = _da([1.0, 1.1, 1.2], "year", u if spot == "activity" else "1e4 CNY", year=[2020, 2021, 2022])
        i = _da([2.0, 1.9, 1.8], "year", u if spot == "intensity" else "t CO2 / (1e4 CNY)",
                year=[2020, 2021, 2022])
        f = _da([1.0, 1.0, 1.0], "year", u if spot == "factor" else "1", year=[2020, 2021, 2022])
        kwargs = {spot: u} if spot == "emissions_units" else {}
        return monte_carlo(None, 4, seed=1, activity=a, intensity=i, factor=f, **kwargs)
    return call


def _bottom_up_emissions(spot):
    from fastcarbon.scenarios import Scenario, ScenarioSet, bottom_up_emissions

    def call(u):
        dims = ("sector", "process", "equipment")
        p = _da(np.ones((1, 1, 1)), dims, "t", sector=["steel"])
        e = _da(np.ones((1, 1, 1, 1)), dims + ("fuel",), "tce/t", sector=["steel"], fuel=["coal"])
        ss = ScenarioSet(xr.Dataset({"activity": p, "intensity": e}), [Scenario("REF")],
                         base_year=2020, years=[2020, 2021])
        return bottom_up_emissions(ss.build(), "hj2021", **{spot: u})
    return call


def _trajectory(name):
    from fastcarbon import scenarios as sc

    def call(u):
        key = _da([10.0, 20.0], "year", u, year=[2020, 2030])
        if name == "interpolate":
            return sc.interpolate(key, [2020, 2025, 2030])
        if name == "step":
            return sc.step(key, [2020, 2025, 2030])
        if name == "constant_growth base":
            return sc.constant_growth(_da(1.0, (), u), 0.05, base_year=2020, years=[2020, 2021])
        if name == "constant_growth rate":
            return sc.constant_growth(1.0, _da(5.0, (), u), base_year=2020, years=[2020, 2021])
        rates = xr.DataArray([4.0], dims="period", coords={"period": ["2021-2022"]}, attrs={"units": "%"})
        if name == "rate_schedule rates":
            return sc.rate_schedule(1.0, rates.assign_attrs(units=u), base_year=2020, years=[2020, 2021, 2022])
        if name == "rate_schedule base":
            return sc.rate_schedule(_da(1.0, (), u), rates, base_year=2020, years=[2020, 2021, 2022])
        base = _da(10.0, (), "Mt")
        if name == "Growth rate":
            return sc.Growth(_da(5.0, (), u)).build(base, 2020, [2020, 2021])
        if name == "Schedule rates":
            return sc.Schedule(rates.assign_attrs(units=u)).build(base, 2020, [2020, 2021, 2022])
        expr = {"Interp": sc.Interp, "Step": sc.Step}[name.split()[0]](_da([20.0], "year", u, year=[2030]))
        return expr.build(base, 2020, [2020, 2025, 2030])
    return call


#: (what the message must name first, a function of the units string); one entry per place a
#: public function reads units, so a new one is covered when it is added here
UNIT_TAKERS = {
    **{f"fuel_emissions {s}": (s, _fuel_emissions(s)) for s in ("energy", "factors", "conversion", "units")},
    **{f"bottom_up {s}": (s, _bottom_up(s))
       for s in ("activity", "intensity", "factor", "energy_units", "emissions_units")},
    **{f"top_down_emissions {s}": (s, _top_down(s))
       for s in ("activity", "intensity", "energy_intensity", "energy_units", "emissions_units")},
    **{f"monte_carlo {s}": (s, _monte_carlo(s)) for s in ("activity", "intensity", "factor", "emissions_units")},
    **{f"scenarios.{n}": (n.split()[-1] if " " in n else "values", _trajectory(n))
       for n in ("interpolate", "step", "constant_growth base", "constant_growth rate",
                 "rate_schedule rates", "rate_schedule base", "Interp values", "Step values",
                 "Growth rate", "Schedule rates")},
    **{f"bottom_up_emissions {s}": (s, _bottom_up_emissions(s)) for s in ("energy_units", "emissions_units")},
}


@pytest.mark.parametrize("taker", sorted(UNIT_TAKERS))
def test_every_unit_taker_accepts_its_good_units(taker):
    _, call = UNIT_TAKERS[taker]
    good = {"fuel_emissions energy": "tce", "fuel_emissions factors": "t CO2/tce",
            "fuel_emissions conversion": "tce/t", "fuel_emissions units": "t CO2",
            "bottom_up activity": "t", "bottom_up intensity": "tce/t", "bottom_up factor": "t CO2/tce",
            "bottom_up energy_units": "tce", "bottom_up emissions_units": "t CO2",
            "top_down_emissions activity": "1e4 CNY", "top_down_emissions intensity": "t CO2/(1e4 CNY)",
            "top_down_emissions energy_intensity": "tce/(1e4 CNY)",
            "top_down_emissions energy_units": "tce", "top_down_emissions emissions_units": "t CO2",
            "monte_carlo activity": "1e4 CNY", "monte_carlo intensity": "t CO2/(1e4 CNY)",
            "monte_carlo factor": "1", "monte_carlo emissions_units": "t CO2",
            "bottom_up_emissions energy_units": "tce", "bottom_up_emissions emissions_units": "t CO2"}
    call(good.get(taker, "%" if "rate" in taker and "base" not in taker else "Mt"))


@pytest.mark.parametrize("bad", ["tce!!", "tce#x", "t + kg", "0 tce"])
@pytest.mark.parametrize("taker", sorted(UNIT_TAKERS))
def test_every_unit_taker_rejects_garbage_naming_the_argument(taker, bad):
    name, call = UNIT_TAKERS[taker]
    with pytest.raises(UnitError) as info:
        call(bad)
    message = str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, FastcarbonError)
    assert repr(bad) in message and name in message.split(":", 1)[0], message
