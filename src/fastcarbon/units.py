"""The unit system of fastcarbon, built on pint.

One application registry holds the energy and emission units this field uses on top of SI:

- ``tce`` (tonne of coal equivalent), ``kgce``; 1 kgce = 29 307.6 kJ (GB/T 2589-2020, 3.1);
- ``toe`` (tonne of oil equivalent) = 41.868 GJ (IEA convention); ``kt`` is the kilotonne, not
  pint's knot;
- ``yuan`` / ``CNY``, a currency dimension of its own (no exchange rates), so economic activity
  in "1e8 CNY" times a carbon intensity in "t CO2 / (1e4 CNY)" reduces to t CO2;
- the carbon dimension: ``C`` is a unit of carbon and ``CO2 = 12/44 C``, so "t C" and "t CO2" are
  masses of carbon and of CO2 and convert into each other by 44/12 through the unit system;
- ``thousand``, ``million``, ``billion`` (1e9, the short scale) as dimensionless multipliers, so
  "billion CNY" and "million t CO2" read as statistical tables write them.

``C`` replaces pint's coulomb in this registry, which nothing in carbon accounting needs.
Unit strings may carry a scale, as the papers' tables do: ``"10**4 tce"`` or ``"1e4 t C"``.
Every unit string goes through :func:`parse`, which accepts only whole unit expressions (pint on
its own reads ``"tce!!"`` and ``"tce#x"`` as ``"tce"``); :func:`kind` and :func:`require_kind`
name dimensionalities in words for messages ("expected energy, mass or volume").
"""

from __future__ import annotations

import functools
import math
import re
import sys
import threading
from typing import TYPE_CHECKING

from fastcarbon._format import show
from fastcarbon.errors import UnitError

if TYPE_CHECKING:
    import pint

__all__ = [  # noqa: F822 - ureg comes from the module __getattr__ below
    "ureg", "parse", "conversion_factor", "scale_to", "format_units", "kind", "require_kind", "KINDS",
]


def __getattr__(name: str):
    # ``fastcarbon.units.ureg`` is built on first use (PEP 562): importing pint and building the
    # registry costs ~0.3 s, which every ``import fastcarbon.<anything>`` paid before.
    if name == "ureg":
        return _registry()
    raise AttributeError(f"module {show(__name__)} has no attribute {show(name)}")


_LOCK = threading.Lock()
_UREG = None  # the registry, set last by _registry() once everything below is ready
_PROBE = None  # 1 m, for the offset-unit check in _parse_text
_KIND_DIMS: list = []  # (name, dimensionality) for each of KINDS


def _registry():
    """The application registry, built on first call (thread-safe: dask threads may parse units
    concurrently, and two registries' quantities cannot be combined)."""
    reg = _UREG
    if reg is not None:
        return reg
    with _LOCK:
        if _UREG is None:
            _build_registry()
    return _UREG


def _build_registry() -> None:
    global _UREG, _PROBE, _KIND_DIMS
    pint = _import_pint()
    ureg = _new_registry(pint)
    # pint's definition syntax is "name = definition = symbol"; the symbols are what users write.
    ureg.define("carbon = [carbon] = C")
    ureg.define("carbon_dioxide = 12/44 * carbon = CO2")
    ureg.define("tonne_coal_equivalent = 29.3076 * gigajoule = tce")
    ureg.define("kilogram_coal_equivalent = 1e-3 * tonne_coal_equivalent = kgce")
    ureg.define("tonne_oil_equivalent = 41.868 * gigajoule = toe")
    # pint reads "kt" as knot; in emissions work it is the kilotonne ("kt CO2").
    ureg.define("kilotonne = 1e3 * metric_ton = kt")
    ureg.define("yuan = [currency] = CNY")
    # Number words as statistical tables write them ("billion CNY", "million t CO2"; short scale).
    ureg.define("thousand = 1e3")
    ureg.define("million = 1e6")
    ureg.define("billion = 1e9")
    ureg.formatter.default_format = "~"
    _PROBE = ureg.Quantity(1.0, "m")
    _KIND_DIMS = [(name, ureg.parse_expression(example).dimensionality) for name, example in KINDS.items()]
    _UREG = ureg


def _new_registry(pint):
    """pint's registry, with its parsed definitions loaded from pint's own disk cache when it can
    (~0.05 s against ~0.35 s parsing pint's definitions file again).

    The cache is best effort: pint writes it without locking and creates its folder without
    asking, so an unwritable or unusable cache folder (``PermissionError``), or a cache file that
    another process is writing or left truncated (an unpickling error) falls back to parsing the
    definitions, as every import did before.  ``FASTCARBON_PINT_CACHE=0`` turns the cache off.
    """
    import os

    if os.environ.get("FASTCARBON_PINT_CACHE", "1") != "0":
        try:
            return pint.UnitRegistry(on_redefinition="ignore", cache_folder=":auto:")
        except Exception:  # noqa: BLE001 - any cache failure: build without it, as below
            pass
    return pint.UnitRegistry(on_redefinition="ignore", cache_folder=None)


def _import_pint():
    """``import pint``, without importing dask.

    ``pint.compat`` imports ``dask.base`` whenever dask is installed (~0.15 s and ~40 modules),
    only to give ``Quantity.compute``/``persist``/``visualize`` to quantities that wrap dask
    arrays, which fastcarbon never makes.  When neither pint nor dask is imported yet, pint is
    imported with dask hidden, and the names pint would have bound from dask are then bound to
    stand-ins that import dask on first use, so pint's dask support works as before (the test
    suite checks ``Quantity(dask_array).compute()``).  If this pint does not have the names
    expected, pint is imported again the ordinary way.
    """
    import importlib.util

    if "pint" in sys.modules or "dask" in sys.modules or importlib.util.find_spec("dask") is None:
        import pint

        return pint
    sys.modules["dask"] = None  # find_spec("dask") -> None and "import dask" fails, in pint.compat
    try:
        import pint
        import pint.facets.dask as facet
    finally:
        del sys.modules["dask"]
    compat = sys.modules["pint.compat"]
    names = ("compute", "persist", "visualize", "dask_array")
    if getattr(compat, "HAS_DASK", None) is False and all(
        getattr(m, n, 0) is None for m in (compat, facet) for n in names
    ):
        stand_ins = {name: _dask_function(name) for name in names[:3]}
        stand_ins["dask_array"] = _LazyDaskArray()
        for module in (compat, facet):
            for name, value in stand_ins.items():
                setattr(module, name, value)
        compat.HAS_DASK = True
        return pint
    for name in [m for m in sys.modules if m == "pint" or m.startswith("pint.")]:  # unknown layout
        del sys.modules[name]
    import pint

    return pint


def _dask_function(name: str):
    def call(*args, **kwargs):
        import dask.base

        return getattr(dask.base, name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


class _LazyDaskArray:
    """``dask.array``, imported on first attribute access (as pint itself does for it)."""

    def __getattr__(self, attr):
        import dask.array

        return getattr(dask.array, attr)


# A unit expression, token by token.  pint hands the string to Python's tokenizer and drops the
# tokens it has no rule for, so "tce!!", "tce#x" (a Python comment), "tce," or "tce." all read as
# "tce".  Checking the whole string against this small grammar first is what makes a typo an
# error instead of a silently different unit.
_TOKEN = re.compile(
    r"""
    (?P<space>[ \t]+)
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<name>[^\W\d][\w°]*|°\w*|%)
    | (?P<power>\*\*|\^)
    | (?P<times>[*/·])
    | (?P<open>\()
    | (?P<close>\))
    | (?P<sign>[+\-])
    | (?P<superscript>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)
    """,
    re.VERBOSE,
)


def _shown(units) -> str:
    """``units`` as the user wrote it: a string quoted, anything else by type and plain value
    (no numpy repr such as ``np.str_('t')``)."""
    if isinstance(units, str):
        return repr(str(units))
    return f"{type(units).__name__} {units}"


class _Rejected(Exception):
    """Why a units string was rejected, before the argument's name is put in front."""


def _check_expression(text: str) -> None:
    """Raise :class:`_Rejected` unless ``text`` is one whole unit expression: numbers and unit
    names joined by ``*``, ``/``, ``·``, spaces (multiplication) and ``**``/``^`` powers, with
    balanced parentheses.  A sign is allowed only in an exponent ("m**-3"): units are not added."""

    def fail(pos: int, why: str) -> _Rejected:
        marked = f"{text[:pos]}>>{text[pos:]}" if pos < len(text) else f"{text}<<"
        return _Rejected(
            f"{show(text)} is not a unit expression: {why} at position {pos} ({show(marked)}); "
            f"write units such as 't CO2', '10**4 tce', 'kgce/m**3' or 'kg CO2/TJ'"
        )

    pos, operand, depth, prev = 0, False, 0, None
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise fail(pos, f"{show(text[pos])} is not allowed")
        at, kind, tok = pos, m.lastgroup, m.group()
        pos = m.end()
        if kind == "space":
            continue
        if kind in ("number", "name"):
            operand = True  # two operands side by side multiply ("t CO2")
        elif kind == "open":
            depth, operand = depth + 1, False
        elif kind == "close":
            if depth == 0:
                raise fail(at, "unbalanced ')'")
            if not operand:
                raise fail(at, "nothing before ')'")
            depth -= 1
        elif kind == "superscript":  # m², m⁻³: a power written in superscripts
            if not operand:
                raise fail(at, f"{show(tok)} has nothing on its left")
        elif kind == "sign":
            if prev not in ("power", "open"):
                raise fail(at, f"{show(tok)} outside an exponent (units are multiplied, not added)")
        else:  # power, times
            if not operand:
                raise fail(at, f"{show(tok)} has nothing on its left")
            operand = False
        prev = kind
    if depth:
        raise fail(len(text), "unclosed '('")
    if not operand:
        raise fail(len(text), "the expression ends in an operator")


@functools.lru_cache(maxsize=256)
def _parse_text(text: str) -> pint.Quantity:
    # Cached on the string alone: the checks and pint's parser cost ~20 us, a cache hit ~0.3 us.
    # A rejected string raises, and exceptions are not cached.
    _check_expression(text)
    ureg = _registry()
    import pint  # imported by _registry()

    try:
        q = ureg.parse_expression(text)
    except Exception as exc:  # pint raises several unrelated types for bad strings
        raise _Rejected(f"cannot parse units {show(text)} ({exc})") from None
    if not isinstance(q, pint.Quantity):  # a bare number such as "1"
        q = ureg.Quantity(q, "dimensionless")
    scale = float(q.magnitude)
    if not (math.isfinite(scale) and scale > 0):
        raise _Rejected(
            f"units {show(text)} have the scale {scale:g}; a scale must be a positive finite number "
            f"('10**4 tce', '1e6 t')"
        )
    try:
        q * _PROBE  # offset units (degC) cannot take part in a product, which every use makes
    except pint.OffsetUnitCalculusError:
        raise _Rejected(
            f"units {show(text)} have an offset (like degC), so they cannot be multiplied or divided; "
            f"use an absolute unit (K, delta_degC)"
        ) from None
    return q


def parse(units: str, *, what: str = "units") -> pint.Quantity:
    """Parse a units string (which may carry a scale such as ``"10**4 tce"``) to a Quantity.

    Every unit string fastcarbon reads (``units`` attrs, ``units=`` arguments, factor-set rows)
    goes through this function, so what it accepts is the same everywhere.  The whole string
    must be one unit expression: unit names and numbers joined by ``*``, ``/``, spaces and
    ``**`` (or ``^``) powers, with balanced parentheses.  Anything pint would skip over
    (``"tce!!"``, ``"tce#x"``, ``"tce,"``), a sum (``"t + kg"``), a scale that is not a positive
    finite number (``"0 tce"``, ``"nan t"``) and offset units such as ``degC`` (which cannot be
    multiplied) are errors.

    Parameters
    ----------
    units : str
        The units string.
    what : str
        The argument the units belong to, named first in error messages (``"energy"``).

    Returns
    -------
    pint.Quantity
        Magnitude = the scale (1 for a plain unit), units = the unit.

    Raises
    ------
    UnitError
        If the string is empty or not a string, not a whole unit expression, names an unknown
        unit, or has a non-positive or non-finite scale; the message names ``what`` and the
        string.

    Examples
    --------
    >>> parse("10**4 tce").magnitude
    10000
    >>> parse("tce#x", what="energy")
    Traceback (most recent call last):
    ...
    fastcarbon.errors.UnitError: energy: 'tce#x' is not a unit expression: '#' is not allowed at position 3 ('tce>>#x'); write units such as 't CO2', '10**4 tce', 'kgce/m**3' or 'kg CO2/TJ'
    """
    if not isinstance(units, str) or not units.strip():
        raise UnitError(
            f"{what}: units must be a non-empty string such as 't CO2' or '10**4 tce', "
            f"got {_shown(units)}"
        )
    text = str(units)  # np.str_ -> str, so messages and the cache key are plain
    try:
        return _parse_text(text)
    except _Rejected as why:
        raise UnitError(f"{what}: {why}") from None


#: Dimensionalities fastcarbon names in words in its messages: name -> an example unit.
KINDS: dict[str, str] = {
    "energy": "J",
    "mass": "kg",
    "volume": "m**3",
    "length": "m",
    "area": "m**2",
    "time": "s",
    "power": "W",
    "mass of carbon or CO2": "t C",
    "money": "CNY",
    "dimensionless number": "1",
    "temperature": "K",
}


def kind(q: pint.Quantity) -> str:
    """The dimensionality of ``q`` in words: ``"energy"``, ``"mass"``, ``"length"`` ... or,
    for one fastcarbon has no word for, pint's form (``"[length] / [time]"``).

    Examples
    --------
    >>> kind(parse("m")), kind(parse("10**4 tce")), kind(parse("t CO2"))
    ('length', 'energy', 'mass of carbon or CO2')
    """
    _registry()  # _KIND_DIMS
    dims = q.dimensionality
    for name, d in _KIND_DIMS:
        if dims == d:
            return name
    return str(dims)


def require_kind(q: pint.Quantity, allowed: tuple[str, ...], *, what: str, units: str, hint: str) -> None:
    """Raise :class:`UnitError` unless ``q`` has one of the ``allowed`` dimensionalities (keys of
    :data:`KINDS`); the message names ``what``, the string, what was found and what is allowed.

    Parameters
    ----------
    q : pint.Quantity
        The parsed units.
    allowed : tuple of str
        Keys of :data:`KINDS`.
    what, units : str
        The argument's name and its units string as the user wrote it.
    hint : str
        Examples of valid units or the fix, appended to the message.
    """
    found = kind(q)
    if found in allowed:
        return
    unknown = [a for a in allowed if a not in KINDS]
    if unknown:  # a programming error in fastcarbon, not the user's
        raise ValueError(f"require_kind: unknown kind(s) {unknown}; known: {list(KINDS)}")
    expected = ", ".join(allowed[:-1]) + " or " + allowed[-1] if len(allowed) > 1 else allowed[0]
    dims = f" ({q.dimensionality})" if found in KINDS and str(q.dimensionality) else ""
    raise UnitError(f"{what}: units {show(units)} measure {found}{dims}, expected {expected}; {hint}")


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
    import pint  # imported by parse()

    try:
        return float((q / q_dst).to("dimensionless").magnitude)
    except pint.DimensionalityError:
        raise UnitError(
            f"{what}: units {show(format_units(q))} ({_described(q)}) cannot be converted to "
            f"{show(dst)} ({_described(q_dst)})"
        ) from None


def _described(q: pint.Quantity) -> str:
    """``"length, [length]"``: the kind in words where there is one, and pint's dimensionality."""
    found = kind(q)
    return f"{found}, {q.dimensionality}" if found in KINDS and str(q.dimensionality) else found


def format_units(q: pint.Quantity | pint.Unit) -> str:
    """Short string form of a unit with pint's symbols, written as emission tables write it: the
    species last in the numerator, ``parse("t CO2/tce")`` → ``'t CO2 / tce'`` (pint alone orders
    the symbols alphabetically and gives ``'CO2 t / tce'``).

    Examples
    --------
    >>> format_units(parse("Mt CO2"))
    'Mt CO2'
    >>> format_units(parse("t C / TJ"))
    't C / TJ'
    """
    import pint

    u = q.units if isinstance(q, pint.Quantity) else q
    text = f"{u:~}".replace(" * ", " ")
    num, sep, den = text.partition(" / ")
    tokens = num.split(" ")
    species = [t for t in tokens if t in _SPECIES]
    if species and len(species) < len(tokens):
        num = " ".join([t for t in tokens if t not in _SPECIES] + species)
    return num + sep + den


#: the symbols of the carbon dimension, written after the mass unit they go with ("t CO2")
_SPECIES = ("C", "CO2")
