"""Fuel-based emission accounting (000 eq. 1; 001 eq. 1)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from fastcarbon._validate import (
    as_dataarray,
    describe_first,
    require_dims,
    require_numeric,
    select_labels,
)
from fastcarbon.errors import InvalidValueError, UnitError, UnknownLabelError
from fastcarbon.units import parse, scale_to

__all__ = ["fuel_emissions"]

_ENERGY = parse("J").dimensionality


def fuel_emissions(
    energy: xr.DataArray,
    factors: str | xr.Dataset | xr.DataArray = "bengbu2023",
    *,
    units: str = "t CO2",
    conversion: str | xr.Dataset | xr.DataArray | None = None,
) -> xr.Dataset:
    """Emissions from fuel use: fuel quantity × (conversion to energy) × emission factor.

    .. math::

        C = \\sum_j B_j \\, c_j

    with :math:`B_j` the use of fuel j in standard coal (or any energy unit) and :math:`c_j` its
    emission factor (000, eq. 1; 001, eq. 1 with the HJ 2021 factors).  Physical quantities
    (t, m³) are first converted to energy with the set's ``coal_equivalent`` or ``ncv``
    (IPCC Tier 1: mass × NCV × EF).  Every unit conversion, carbon ↔ CO2 included, goes through
    the pint registry of :mod:`fastcarbon.units`.

    Parameters
    ----------
    energy : xarray.DataArray
        Fuel use with a ``fuel`` dim and a ``units`` attr (e.g. "tce", "TJ", "10**4 tce", "t");
        any other dims pass through; numpy- or dask-backed (dask stays lazy).
    factors : str, Dataset or DataArray
        A factor-set name (:func:`fastcarbon.factors.available`), a Dataset with an
        ``emission_factor`` variable, or a DataArray of factors over ``fuel`` with ``units``.
    units : str
        Units of the result, e.g. "t CO2", "Mt CO2", "t C".
    conversion : str, Dataset or DataArray, optional
        Conversion of physical quantities to energy (``coal_equivalent`` or ``ncv``); defaults
        to the one in ``factors`` when ``energy`` is not already an energy.

    Returns
    -------
    xarray.Dataset
        ``emissions_by_fuel`` (…, fuel) and ``emissions`` (…), in ``units``.

    Raises
    ------
    MissingDimensionError, InputTypeError, UnknownLabelError, UnitError, InvalidValueError
        No ``fuel`` dim; non-numeric data; a fuel without a factor (the message lists the
        available ones) or an unknown set name; missing or incompatible units; negative or
        NaN fuel use (the message gives the coordinate labels).

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon.accounting import fuel_emissions
    >>> use = xr.DataArray([100.0, 50.0], dims="fuel", coords={"fuel": ["coal", "natural_gas"]},
    ...                    attrs={"units": "tce"})
    >>> float(fuel_emissions(use, "hj2021").emissions)
    344.0
    >>> round(float(fuel_emissions(use, "hj2021", units="t C").emissions), 3)
    93.818
    """
    energy = as_dataarray(energy, "energy")
    require_numeric(energy, "energy")
    require_dims(energy, ("fuel",), "energy")
    if "units" not in energy.attrs:
        raise UnitError("energy: no 'units' attr; set energy.attrs['units'], e.g. 'tce', 'TJ' or 't'")
    q_energy = parse(energy.attrs["units"], what="energy")
    fuels = list(energy.indexes["fuel"]) if "fuel" in energy.indexes else None
    if fuels is None:
        raise UnknownLabelError("energy: the 'fuel' dim needs coordinate labels (fuel names)")

    factor = _variable(factors, "emission_factor", "factors")
    factor = select_labels(factor, "fuel", fuels, "factors", "emission factor")
    scale = _per_fuel_units(factor, "factors")
    if q_energy.dimensionality == _ENERGY:
        k = [scale_to(q_energy * f, units, what=f"emissions of {fuel!r}") for fuel, f in zip(fuels, scale)]
        coeff = factor
    else:
        source = conversion if conversion is not None else factors
        conv = _variable(source, ("coal_equivalent", "ncv"), "conversion")
        conv = select_labels(conv, "fuel", fuels, "conversion", "conversion coefficient")
        conv_units = _per_fuel_units(conv, "conversion")
        k = []
        for fuel, c, f in zip(fuels, conv_units, scale):
            if (q_energy * c).dimensionality != _ENERGY:
                raise UnitError(
                    f"energy: {energy.attrs['units']!r} × conversion {c.units} for fuel {fuel!r} is not "
                    f"an energy; give energy in an energy unit (tce, TJ) or a physical unit the "
                    f"conversion accepts"
                )
            k.append(scale_to(q_energy * c * f, units, what=f"emissions of {fuel!r}"))
        coeff = conv * factor
    coeff = (coeff * xr.DataArray(np.asarray(k), dims="fuel", coords={"fuel": fuels})).drop_vars(
        [c for c in coeff.coords if c != "fuel"]
    )
    _check_values(energy)
    by_fuel = (energy * coeff).assign_attrs(units=units, long_name="emissions by fuel")
    total = by_fuel.sum("fuel", skipna=False).assign_attrs(units=units, long_name="emissions")
    ds = xr.Dataset({"emissions": total, "emissions_by_fuel": by_fuel})
    ds.attrs["method"] = "C = sum_j B_j c_j (000 eq. 1; 001 eq. 1)"
    ds.attrs["factors"] = factors if isinstance(factors, str) else factors.attrs.get("name", "user-supplied")
    return ds


def _variable(obj, names, what: str) -> xr.DataArray:
    names = (names,) if isinstance(names, str) else names
    if isinstance(obj, str):
        from fastcarbon import factors as factor_sets

        obj = factor_sets.load(obj)
    if isinstance(obj, xr.Dataset):
        for name in names:
            if name in obj.data_vars:
                return obj[name]
        raise UnknownLabelError(
            f"{what}: the set has none of the variables {list(names)} (it has {list(obj.data_vars)})"
        )
    da = as_dataarray(obj, what)
    require_numeric(da, what)
    require_dims(da, ("fuel",), what)
    return da


def _per_fuel_units(da: xr.DataArray, what: str) -> list:
    """Units of each fuel's value: the ``units`` attr, or a ``<name>_units`` coordinate."""
    coord = f"{da.name}_units"
    if coord in da.coords:
        return [parse(str(u), what=f"{what} ({fuel})") for fuel, u in zip(da.fuel.values, da[coord].values)]
    if "units" not in da.attrs:
        raise UnitError(f"{what}: no 'units' attr on {da.name or 'the factors'}; e.g. 't CO2/tce'")
    return [parse(da.attrs["units"], what=what)] * da.sizes["fuel"]


def _check_values(energy: xr.DataArray) -> None:
    """Negative or NaN fuel use is an error: name its labels (checked at compute time on dask)."""
    if energy.chunks is not None:
        energy.data = energy.data.map_blocks(_raise_if_bad, dtype=energy.dtype)
        return
    bad = ~(np.asarray(energy.values) >= 0)
    if bad.any():
        where, value = describe_first(energy, bad)
        raise InvalidValueError(f"energy: bad value {value!r} at {where}; fuel use must be >= 0 and not NaN")


def _raise_if_bad(block):
    bad = ~(block >= 0)
    if bad.any():
        pos = tuple(int(k) for k in np.argwhere(bad)[0])
        raise InvalidValueError(
            f"energy: bad value {float(block[pos])!r} at index {pos} of a dask chunk; fuel use must be >= 0 and not NaN"
        )
    return block
