"""The unit registry as fuel accounting uses it: carbon <-> CO2, standard coal, scaled strings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastcarbon.errors import FastcarbonError, UnitError
from fastcarbon.units import conversion_factor, format_units, parse


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
