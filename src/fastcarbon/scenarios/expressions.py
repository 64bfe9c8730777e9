"""How a scenario defines one variable, in LEAP's vocabulary: ``Interp``, ``Growth``, ``Step``,
``Schedule`` (per-period rates), each built from the variable's base-year value.

An expression is data (what the user wrote); :meth:`build` turns it into a trajectory once the
base-year value and the horizon are known (:class:`fastcarbon.scenarios.ScenarioSet`).  A plain
DataArray with a ``year`` dim is also accepted by the scenario set as an explicit trajectory.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon.errors import InputError
from fastcarbon.scenarios.trajectory import (
    _labelled,
    constant_growth,
    interpolate,
    rate_schedule,
    step,
)
from fastcarbon.units import parse, scale_to

__all__ = ["Interp", "Growth", "Step", "Schedule", "explicit"]


def _in_units(da: xr.DataArray, units: str, name: str) -> xr.DataArray:
    """``da`` converted to ``units`` through pint (no copy when they already agree)."""
    if "units" not in da.attrs or da.attrs["units"] == units:
        return da
    k = scale_to(parse(da.attrs["units"], what=name), units, what=name)
    return (da * k).assign_attrs({**da.attrs, "units": units})


def _with_base(values: xr.DataArray, base: xr.DataArray, base_year: int, dim: Hashable, name: str) -> xr.DataArray:
    """Key-year values with the base-year value as the first key year when the user gave none
    for it (LEAP: an expression starts from the Current Accounts value)."""
    values = _in_units(_labelled(values, name), base.attrs.get("units", "1"), name)
    if dim not in values.dims:
        raise InputError(f"{name}: key-year values need a {show(dim)} dim; it has dims {list(values.dims)}")
    if base_year in values.indexes[dim]:
        return values
    first = base.expand_dims({dim: [base_year]})
    return xr.concat([first, values], dim, coords="minimal", compat="override",
                     combine_attrs="override").transpose(*values.dims, ...)


@dataclass(frozen=True)
class Interp:
    """Interpolate from the base-year value through key-year ``values`` (linear or constant growth).

    Examples
    --------
    >>> import xarray as xr
    >>> base = xr.DataArray(10.0, attrs={"units": "Mt"})
    >>> Interp(xr.DataArray([20.0], dims="year", coords={"year": [2030]})).build(
    ...     base, 2020, [2020, 2025, 2030]).values.tolist()
    [10.0, 15.0, 20.0]
    """

    values: xr.DataArray
    method: Literal["linear", "growth"] = "linear"

    def build(self, base: xr.DataArray, base_year: int, years, dim: Hashable = "year") -> xr.DataArray:
        values = _with_base(self.values, base, base_year, dim, "Interp values")
        return interpolate(values, years, method=self.method, dim=dim).assign_attrs(_keep(base))


@dataclass(frozen=True)
class Step:
    """Hold the base-year value, then jump to each key-year value (LEAP's ``Step``)."""

    values: xr.DataArray

    def build(self, base: xr.DataArray, base_year: int, years, dim: Hashable = "year") -> xr.DataArray:
        values = _with_base(self.values, base, base_year, dim, "Step values")
        return step(values, years, dim=dim).assign_attrs(_keep(base))


@dataclass(frozen=True)
class Growth:
    """Grow the base-year value at a constant annual ``rate`` (fraction, or DataArray with units "%")."""

    rate: xr.DataArray | float

    def build(self, base: xr.DataArray, base_year: int, years, dim: Hashable = "year") -> xr.DataArray:
        return constant_growth(base, self.rate, base_year=base_year, years=years, dim=dim).assign_attrs(_keep(base))


@dataclass(frozen=True)
class Schedule:
    """Reduce the base-year value by annual ``rates`` per period, I(t) = I(t-1)(1 - r) (001 Table 1)."""

    rates: xr.DataArray
    period_dim: Hashable = "period"

    def build(self, base: xr.DataArray, base_year: int, years, dim: Hashable = "year") -> xr.DataArray:
        return rate_schedule(base, self.rates, base_year=base_year, years=years, dim=dim,
                             period_dim=self.period_dim).assign_attrs(_keep(base))


def explicit(values: xr.DataArray, base: xr.DataArray, years, dim: Hashable = "year", name: str = "values") -> xr.DataArray:
    """A trajectory given year by year, restricted to ``years`` (every one must be present) and
    converted to the base value's units."""
    values = _in_units(_labelled(values, name), base.attrs.get("units", "1"), name)
    have = set(values.indexes[dim].tolist()) if dim in values.indexes else set()
    missing = [int(y) for y in np.asarray(years) if int(y) not in have]
    if missing:
        raise InputError(
            f"{name}: an explicit trajectory must give every year of the horizon; missing "
            f"{show_list(missing)} (use Interp or Step for key years)"
        )
    return values.sel({dim: np.asarray(years)}).assign_attrs(_keep(base))


def _keep(base: xr.DataArray) -> dict:
    return {"units": base.attrs.get("units", "1"), "long_name": base.attrs.get("long_name", "trajectory")}
