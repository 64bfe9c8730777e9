"""The unit system of fastcarbon, built on pint.

One application registry holds the energy and emission units this field uses on top of SI:

- ``tce`` (tonne of coal equivalent), ``kgce``; 1 kgce = 29 307.6 kJ (GB/T 2589-2020, 3.1);
- ``toe`` (tonne of oil equivalent) = 41.868 GJ (IEA convention); ``kt`` is the kilotonne, not
  pint's knot;
- ``yuan`` / ``CNY``, a currency dimension of its own (no exchange rates), so economic activity
  in "1e8 CNY" times a carbon intensity in "t CO2 / (1e4 CNY)" reduces to t CO2;
- the carbon dimension: ``C`` is a unit of carbon and ``CO2 = 12/44 C``, so "t C" and "t CO2" are
  masses of carbon and of CO2 and convert into each other by 44/12 through the unit system.

``C`` replaces pint's coulomb in this registry, which nothing in carbon accounting needs.
Unit strings may carry a scale, as the papers' tables do: ``"10**4 tce"`` or ``"1e4 t C"``.
"""

from __future__ import annotations

import functools

import pint

from fastcarbon._format import show
from fastcarbon.errors import UnitError

__all__ = ["ureg", "parse", "conversion_factor", "scale_to", "format_units"]

ureg = pint.UnitRegistry(on_redefinition="ignore", cache_folder=None)
# pint's definition syntax is "name = definition = symbol"; the symbols are what users write.
ureg.define("carbon = [carbon] = C")
ureg.define("carbon_dioxide = 12/44 * carbon = CO2")
ureg.define("tonne_coal_equivalent = 29.3076 * gigajoule = tce")
ureg.define("kilogram_coal_equivalent = 1e-3 * tonne_coal_equivalent = kgce")
ureg.define("tonne_oil_equivalent = 41.868 * gigajoule = toe")
# pint reads "kt" as knot; in emissions work it is the kilotonne ("kt CO2").
ureg.define("kilotonne = 1e3 * metric_ton = kt")
ureg.define("yuan = [currency] = CNY")
ureg.formatter.default_format = "~"


@functools.lru_cache(maxsize=256)
def parse(units: str, *, what: str = "units") -> pint.Quantity:
    """Parse a units string (which may carry a scale such as ``"10**4 tce"``) to a Quantity.

    Raises
    ------
    UnitError
        If the string cannot be parsed; the message names ``what`` the units belong to.
    """
    if not isinstance(units, str) or not units.strip():
        raise UnitError(f"{what}: units must be a non-empty string, got {show(units)}")
    try:
        q = ureg.parse_expression(units)
    except Exception as exc:  # pint raises several unrelated types for bad strings
        raise UnitError(f"{what}: cannot parse units {show(units)} ({exc})") from None
    if not isinstance(q, pint.Quantity):  # a bare number such as "1"
        q = ureg.Quantity(q, "dimensionless")
    return q


def conversion_factor(src: str, dst: str, *, what: str = "units") -> float:
    """Multiplier that converts values in ``src`` units to ``dst`` units.

    Raises
    ------
    UnitError
        If the two units have different dimensions.
    """
    return scale_to(parse(src, what=what), dst, what=what)


def scale_to(q: pint.Quantity, dst: str, *, what: str = "units") -> float:
    """Multiplier that converts values carrying the (possibly scaled) quantity ``q`` to ``dst``.

    ``scale_to(parse("t") * parse("GJ/t"), "tce")`` is 1/29.3076.

    Raises
    ------
    UnitError
        If ``q`` and ``dst`` have different dimensions.
    """
    q_dst = parse(dst, what=what)
    try:
        return float((q / q_dst).to("dimensionless").magnitude)
    except pint.DimensionalityError:
        raise UnitError(
            f"{what}: units {show(format_units(q))} ({q.dimensionality}) cannot be converted to "
            f"{show(dst)} ({q_dst.dimensionality})"
        ) from None


def format_units(q: pint.Quantity | pint.Unit) -> str:
    """Short string form of a unit with pint's symbols, e.g. ``parse("t CO2/tce")`` → ``'CO2 t / tce'``."""
    u = q.units if isinstance(q, pint.Quantity) else q
    return f"{u:~}".replace(" * ", " ")
