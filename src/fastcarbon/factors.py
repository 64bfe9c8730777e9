"""Emission-factor and conversion-coefficient sets, shipped as data with their sources.

The values live in ``data/factors.csv`` (one row per set, fuel and variable, each with the table
row it comes from) and the set metadata in ``data/factor_sets.toml``.  :func:`load` turns a set
into an :class:`xarray.Dataset` over a ``fuel`` dim with canonical snake_case labels (``coal``,
``coke``, ``kerosene``, ``diesel``, ``gasoline``, ``fuel_oil``, ``natural_gas``, ``lpg``,
``refined_oil``, ``crude_oil``, ``electricity``).

Variables, where the set has them (the names :func:`fastcarbon.accounting.fuel_emissions` looks
for):

- ``emission_factor`` — emissions per unit of energy ("t C/tce", "t CO2/tce", "kg CO2/TJ");
- ``coal_equivalent`` — standard coal per physical unit ("tce/t", "kgce/kg", "kgce/m**3", ...);
- ``ncv`` — net calorific value per mass ("TJ/Gg");
- ``carbon_content`` — carbon per unit of energy ("kg C/GJ");
- ``<var>_low``, ``<var>_high`` — the range, where the source gives one (GB/T 2589 natural gas).

Every variable has ``long_name`` and ``units`` attrs; the units are strings the registry of
:mod:`fastcarbon.units` parses.  Where a variable's units differ between fuels (coal_equivalent:
kgce/kg for solids and liquids, kgce/m**3 for gas, kgce/kWh for electricity) it has no single
``units`` attr; its ``units_coord`` attr names the ``<var>_units`` coordinate along ``fuel`` that
holds each row's units.  Each row's origin (table and row label of the source) is in the
``source`` coordinate along ``fuel``; caveats are in ``<var>_note`` coordinates.  Dataset attrs:
``name``, ``title``, ``source`` (full citation), ``version``, ``units`` (summary) and ``notes``.

A value shipped as printed although it is very likely wrong is *flagged*: its row of the
``<var>_flag`` coordinate says what it likely means ("" on the other rows).  Only bengbu2023's
natural-gas emission factor is flagged (2.1622 "t C/tce", 4.8 × IPCC's).  :func:`flagged` lists
the flagged values of a variable; :func:`fastcarbon.accounting.fuel_emissions` emits a
:class:`~fastcarbon.errors.FlaggedFactorWarning` for each one it uses.  A user's own factor
array can carry a ``<name>_flag`` coordinate too and is then treated the same way.

Users can pass their own Dataset or DataArray wherever a set name is accepted.

Examples
--------
>>> from fastcarbon import factors
>>> factors.available()
['bengbu2023', 'gbt2589', 'hj2021', 'ipcc2006']
>>> hj = factors.load("hj2021")
>>> float(hj.emission_factor.sel(fuel="coal")), hj.emission_factor.attrs["units"]
(2.66, 't CO2/tce')
>>> str(factors.load("gbt2589").coal_equivalent_units.sel(fuel="natural_gas").item())
'kgce/m**3'
>>> [(f.fuel, f.value, f.units) for f in factors.flagged(factors.load("bengbu2023").emission_factor)]
[('natural_gas', 2.1622, 't C/tce')]
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from fastcarbon._format import show
from fastcarbon.errors import InputTypeError, UnknownLabelError

__all__ = ["available", "load", "describe", "listing", "flagged", "FlaggedValue"]

_LONG_NAMES = {
    "emission_factor": "emission factor per unit of energy",
    "coal_equivalent": "standard-coal conversion coefficient",
    "ncv": "net calorific value",
    "carbon_content": "carbon content per unit of energy",
}


@functools.lru_cache(maxsize=None)
def _metadata() -> dict[str, dict[str, str]]:
    with resources.files("fastcarbon.data").joinpath("factor_sets.toml").open("rb") as fh:
        return tomllib.load(fh)


@functools.lru_cache(maxsize=None)
def _table() -> pd.DataFrame:
    with resources.files("fastcarbon.data").joinpath("factors.csv").open() as fh:
        # keep_default_na=False: an empty note is "", not NaN; numbers are parsed explicitly below
        return pd.read_csv(fh, keep_default_na=False, dtype=str)


def available() -> list[str]:
    """Names of the bundled factor sets, sorted."""
    return sorted(_metadata())


def describe() -> list[dict[str, str]]:
    """One dict per bundled set: ``name``, ``title``, ``source``, ``version``, ``units``."""
    out = []
    for name in available():
        attrs = load(name).attrs
        out.append({k: attrs[k] for k in ("name", "title", "source", "version", "units")})
    return out


def listing() -> str:
    """The bundled sets, one line each: name, title, version, and which values are flagged.

    Used where a set must be chosen (the error of :func:`fastcarbon.accounting.fuel_emissions`
    when none is given), so the choice is made knowing what each set is.

    Examples
    --------
    >>> print(listing().splitlines()[0])
      'bengbu2023': Bengbu industrial fuels: standard-coal coefficients and carbon emission factors (2023, as printed); flagged: natural_gas emission_factor 2.1622 t C/tce
    """
    lines = []
    for name in available():
        ds = load(name)
        flags = [f for var in ds.data_vars for f in flagged(ds[var])]
        tail = "; flagged: " + ", ".join(f"{f.fuel} {f.variable} {f.value:g} {f.units}" for f in flags) if flags else ""
        has = "" if "emission_factor" in ds.data_vars else "; no emission factors, a conversion= set"
        lines.append(f"  {show(name)}: {ds.attrs['title']} ({ds.attrs['version']}){has}{tail}")
    return "\n".join(lines)


class FlaggedValue(NamedTuple):
    """One flagged value of a factor variable (see :func:`flagged`)."""

    variable: str
    fuel: object
    value: float
    units: str
    flag: str
    set_name: str

    def describe(self) -> str:
        """One sentence naming the set, fuel, printed value, units and what it likely means."""
        return (
            f"the {self.set_name} {self.variable} for fuel {show(self.fuel)} is {self.value:g} "
            f"{self.units} as printed, flagged: {self.flag}"
        )


def flagged(da: xr.DataArray, set_name: str | None = None) -> list[FlaggedValue]:
    """The flagged values of one factor variable: rows whose ``<name>_flag`` coordinate (on
    ``da``, along ``fuel``) is not empty.

    Parameters
    ----------
    da : xarray.DataArray
        A variable of a factor set (``load(name).emission_factor``) or a selection of it, or a
        user's factor array carrying a ``<name>_flag`` coordinate.  Without one, nothing is
        flagged.
    set_name : str, optional
        The set ``da`` comes from, for :meth:`FlaggedValue.describe`; default "user-supplied".

    Returns
    -------
    list of FlaggedValue
        In the order of ``da``'s fuels; fuel labels as plain Python values, units per row.
    """
    coord = f"{da.name}_flag"
    if da.name is None or coord not in da.coords or "fuel" not in da.dims:
        return []
    flags = np.asarray(da[coord].values, dtype=object).astype(str)
    if not flags.any():
        return []
    if "units" in da.attrs:
        units = [str(da.attrs["units"])] * da.sizes["fuel"]
    else:
        units_coord = da.attrs.get("units_coord", f"{da.name}_units")
        units = [str(u) for u in da[units_coord].values] if units_coord in da.coords else [""] * da.sizes["fuel"]
    values = np.asarray(da.values, dtype=float)
    set_name = "user-supplied" if set_name is None else str(set_name)
    return [
        FlaggedValue(str(da.name), _plain(fuel), float(value), u, str(flag), set_name)
        for fuel, value, u, flag in zip(da["fuel"].values, values, units, flags)
        if flag.strip()
    ]


def _plain(label):
    """A label as the user wrote it: numpy scalars to Python ones (``'coal'``, not ``np.str_``)."""
    return label.item() if isinstance(label, np.generic) else label


def load(name: str) -> xr.Dataset:
    """Load a bundled factor set by name.

    Parameters
    ----------
    name : str
        One of :func:`available`: ``"bengbu2023"`` (000, Table 1), ``"hj2021"`` (001, eq. 1),
        ``"ipcc2006"`` (IPCC 2006 Vol. 2 Ch. 1 Tables 1.2-1.4, Tier 1) or ``"gbt2589"``
        (GB/T 2589-2020 standard-coal coefficients).

    Returns
    -------
    xarray.Dataset
        Over ``fuel``; see the module docstring for variables, coordinates and attrs.  A new
        Dataset on each call, so callers may modify it.

    Raises
    ------
    UnknownLabelError
        If ``name`` is not a bundled set (the message lists the valid names).
    InputTypeError
        If ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise InputTypeError(
            f"factors: a set name must be a string, got {type(name).__name__}; "
            f"valid names: {available()}"
        )
    meta = _metadata()
    if name not in meta:
        raise UnknownLabelError(f"factors: factor set {show(name)} is unknown; valid names: {available()}")
    return _build(name).copy(deep=True)


@functools.lru_cache(maxsize=None)
def _build(name: str) -> xr.Dataset:
    rows = _table()[lambda t: t["set"] == name]
    fuels = list(dict.fromkeys(rows["fuel"]))
    sources = rows.groupby("fuel", sort=False)["source"].agg(lambda s: "; ".join(dict.fromkeys(s)))
    ds = xr.Dataset(coords={"fuel": fuels, "source": ("fuel", sources.reindex(fuels).to_numpy(dtype=str))})
    unit_summary = []
    for var, part in rows.groupby("variable", sort=False):
        part = part.set_index("fuel").reindex(fuels)
        present = part["value"].notna().to_numpy()
        value = pd.to_numeric(part["value"]).to_numpy(dtype=float)
        attrs = {"long_name": _LONG_NAMES.get(var, var)}
        units = part["units"].fillna("").to_numpy(dtype=str)
        distinct = [str(u) for u in dict.fromkeys(units[present])]
        coords = {}
        if len(distinct) == 1:
            attrs["units"] = distinct[0]
            unit_summary.append(f"{var}: {distinct[0]}")
        else:
            # one units attr cannot describe kgce/kg and kgce/m**3 together: per-row units
            coords[f"{var}_units"] = ("fuel", units)
            attrs["units_coord"] = f"{var}_units"
            by_unit = {u: [f for f, uu in zip(fuels, units) if uu == u] for u in distinct}
            unit_summary.append(
                f"{var}: " + ", ".join(f"{u} ({', '.join(fs)})" for u, fs in by_unit.items())
            )
        for column in ("note", "flag"):  # caveats; a flag marks a value that is likely wrong
            text = part[column].fillna("").to_numpy(dtype=str)
            if text.any():
                coords[f"{var}_{column}"] = ("fuel", text)
        ds = ds.assign_coords(coords)
        ds[var] = xr.DataArray(value, dims="fuel", coords={"fuel": fuels}, attrs=attrs)
        low = part["low"].replace("", np.nan)
        if low.notna().any():
            for bound, label in (("low", "lower"), ("high", "upper")):
                col = pd.to_numeric(part[bound].replace("", np.nan)).fillna(pd.Series(value, index=part.index))
                ds[f"{var}_{bound}"] = xr.DataArray(
                    col.to_numpy(dtype=float), dims="fuel", coords={"fuel": fuels},
                    attrs={**attrs, "long_name": f"{attrs['long_name']}, {label} end of the source's range"},
                )
    ds.attrs.update(name=name, **_metadata()[name], units="; ".join(unit_summary))
    return ds
