"""Fuel-based emission accounting (000 eq. 1; 001 eq. 1), labelled API."""

from __future__ import annotations

import numpy as np
import pint
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import (
    as_dataarray,
    describe_first,
    describe_position,
    require_dims,
    require_numeric,
    select_labels,
)
from fastcarbon.errors import (
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    UnitError,
    UnknownLabelError,
)
from fastcarbon.units import format_units, parse, scale_to

__all__ = ["fuel_emissions"]

_ENERGY = parse("J").dimensionality
_EMISSIONS = parse("t C").dimensionality  # t CO2 has the same: CO2 is a unit of carbon
_CONVERSIONS = ("coal_equivalent", "ncv")


def fuel_emissions(
    energy: xr.DataArray,
    factors: str | xr.Dataset | xr.DataArray = "bengbu2023",
    *,
    units: str = "t CO2",
    conversion: str | xr.Dataset | xr.DataArray | None = None,
) -> xr.Dataset:
    """Emissions from fuel use: fuel quantity × (conversion to energy) × emission factor.

    Parameters
    ----------
    energy : xarray.DataArray
        Fuel use with a ``fuel`` dim (labelled) and a ``units`` attr.  An energy unit ("tce",
        "10**4 tce", "GJ", "TJ", "kWh") is converted to the factors' denominator; a physical
        unit ("t", "kg", "m**3") is first converted to energy with ``conversion``, unless the
        factors are per that physical unit (a user's "kg CO2/m**3").  Other dims
        (year, region, scenario, ...) pass through.  numpy- or dask-backed; dask stays lazy.
    factors : str, Dataset or DataArray, default "bengbu2023"
        A set name (:func:`fastcarbon.factors.available`), a Dataset with an ``emission_factor``
        variable, or a DataArray of factors over ``fuel`` with a ``units`` attr.  Only the fuels
        of ``energy`` are used; the set may have more.
    units : str, default "t CO2"
        Units of the result: a mass of carbon or CO2 ("t CO2", "Mt CO2", "10**4 t C", ...).
    conversion : str, Dataset or DataArray, optional
        Physical quantity → energy: a set name or Dataset with ``coal_equivalent`` or ``ncv``
        (in that order of preference), or a DataArray over ``fuel`` with units.  Defaults to the
        conversion variable of ``factors``.  Only allowed when a conversion is needed (an
        error otherwise, so a misplaced argument is not silently ignored).

    Returns
    -------
    xarray.Dataset
        ``emissions_by_fuel`` (..., fuel) and ``emissions`` (...) = its sum over fuel, both
        in ``units`` with ``units`` and ``long_name`` attrs; attrs ``factors`` and ``method``.

    Raises
    ------
    InputTypeError
        ``energy`` or a factor array is not a DataArray of real numbers.
    MissingDimensionError
        ``energy`` (or a user factor array) has no ``fuel`` dim.
    UnknownLabelError
        A fuel of ``energy`` has no factor (the message lists the set's fuels), the set has no
        emission factor or conversion variable, or ``factors`` names no bundled set.
    UnitError
        ``energy`` has no, an unparsable or an incompatible ``units`` attr; ``units`` is not
        a mass of carbon or CO2.
    InvalidValueError
        Negative or NaN fuel use (the message gives its coordinate labels; on dask, raised when
        computed) or a NaN factor.

    Notes
    -----
    000, eq. 1 and 001, eq. 1:

    .. math::

        C = \\sum_j B_j \\, c_j, \\qquad B_j = Q_j \\, k_j

    with :math:`Q_j` the use of fuel j, :math:`k_j` its conversion to energy (standard-coal
    coefficient or NCV; 1 when :math:`Q_j` is already an energy) and :math:`c_j` its emission
    factor.  IPCC 2006 Tier 1 is the same product: mass × NCV × EF, oxidation factor 1.  Every
    unit step, carbon ↔ CO2 (44/12) included, goes through :mod:`fastcarbon.units`; the
    per-fuel unit factors are folded into one coefficient per fuel, so the data pass is one
    multiply and one sum.

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon.accounting import fuel_emissions
    >>> use = xr.DataArray([100.0, 50.0], dims="fuel", coords={"fuel": ["coal", "natural_gas"]},
    ...                    attrs={"units": "tce"})
    >>> out = fuel_emissions(use, "hj2021")
    >>> float(out.emissions), out.emissions.attrs["units"]
    (344.0, 't CO2')
    >>> round(float(fuel_emissions(use, "hj2021", units="t C").emissions), 3)
    93.818
    >>> diesel = xr.DataArray([1000.0], dims="fuel", coords={"fuel": ["diesel"]}, attrs={"units": "t"})
    >>> round(float(fuel_emissions(diesel, "ipcc2006").emissions), 1)  # 1 Gg × 43.0 TJ/Gg × 74 100 kg/TJ
    3186.3
    """
    energy = as_dataarray(energy, "energy")
    require_numeric(energy, "energy")
    require_dims(energy, ("fuel",), "energy")
    fuels = _fuel_labels(energy, "energy")
    q_energy = _units_of(energy, "energy")
    q_out = parse(units, what="units")
    if q_out.dimensionality != _EMISSIONS:
        raise UnitError(
            f"units: {show(units)} is not a mass of carbon or CO2 ({q_out.dimensionality}); "
            f"e.g. 't CO2', 'Mt CO2', 't C'"
        )

    factor = _variable(factors, ("emission_factor",), "factors")
    factor = select_labels(factor, "fuel", fuels, "factors", "emission factor")
    _check_factor(factor, "factors")
    factor_units = _per_fuel_units(factor, "factors")

    # fuel use × factor is already emissions when the factor is per unit of energy and energy
    # is an energy (the usual case), or the factor is per the physical unit of energy (a user's
    # kg CO2/m**3); otherwise a conversion to energy is needed.
    direct = all(
        (q_energy * parse(f)).dimensionality == _EMISSIONS for f in factor_units
    )
    if direct or q_energy.dimensionality == _ENERGY:
        if conversion is not None:
            raise InputError(
                f"conversion: the factors apply to energy in {show(energy.attrs['units'])} directly; "
                f"conversion applies only to physical quantities (t, kg, m**3) with factors per "
                f"unit of energy, drop it"
            )
        conv_units = ["1"] * len(fuels)
        coeff = factor
    else:
        source = factors if conversion is None else conversion
        conv = _variable(source, _CONVERSIONS, "conversion", energy_units=energy.attrs["units"])
        conv = select_labels(conv, "fuel", fuels, "conversion", "conversion coefficient")
        _check_factor(conv, "conversion")
        conv_units = _per_fuel_units(conv, "conversion")
        for fuel, c in zip(fuels, conv_units):
            if (q_energy * parse(c, what="conversion")).dimensionality != _ENERGY:
                per = c.split("/", 1)[1] if "/" in c else "an energy"
                raise UnitError(
                    f"energy: units {show(energy.attrs['units'])} × conversion {show(c)} for fuel "
                    f"{show(fuel)} is not an energy; give that fuel in units its conversion "
                    f"accepts ({per}) or in an energy unit (tce, TJ)"
                )
        coeff = conv.variable * factor.variable
    # One dimensionless multiplier per fuel carries every unit step (energy → factor
    # denominator, factor numerator → `units`); the data are touched once, by the product.
    scale = [
        _scale(q_energy * parse(c) * parse(f), units, fuel, energy.attrs["units"])
        for fuel, c, f in zip(fuels, conv_units, factor_units)
    ]
    coeff = xr.DataArray(
        np.asarray(coeff.values, dtype=float) * np.asarray(scale), dims="fuel",
        coords={"fuel": energy.indexes["fuel"]},
    )
    checked = _check_energy(energy)
    by_fuel = (checked * coeff).assign_attrs(units=units, long_name="emissions by fuel")
    by_fuel.name = "emissions_by_fuel"
    total = by_fuel.sum("fuel", skipna=False).assign_attrs(units=units, long_name="emissions")
    ds = xr.Dataset({"emissions": total, "emissions_by_fuel": by_fuel})
    ds.attrs["method"] = "C = sum_j Q_j k_j c_j (000 eq. 1; 001 eq. 1)"
    ds.attrs["factors"] = _name_of(factors)
    if not direct and q_energy.dimensionality != _ENERGY:
        ds.attrs["conversion"] = _name_of(factors if conversion is None else conversion)
    return ds


# --------------------------------------------------------------------------- helpers


def _fuel_labels(da: xr.DataArray, name: str) -> list:
    if "fuel" not in da.indexes:
        raise MissingDimensionError(
            f"{name}: the 'fuel' dim has no coordinate labels; label it with fuel names, e.g. "
            f"{name}.assign_coords(fuel=['coal', 'natural_gas'])"
        )
    index = da.indexes["fuel"]
    if not index.is_unique:
        dup = sorted({str(v) for v in index[index.duplicated()]})
        raise InputError(f"{name}: fuel label(s) {dup} appear more than once along 'fuel'")
    return list(index)


def _units_of(da: xr.DataArray, name: str) -> pint.Quantity:
    if "units" not in da.attrs:
        raise UnitError(
            f"{name}: no 'units' attr; set {name}.attrs['units'], e.g. 'tce', 'TJ', 't' or 'm**3'"
        )
    q = parse(da.attrs["units"], what=name)
    if q.magnitude <= 0:
        raise UnitError(f"{name}: units {show(da.attrs['units'])} have a non-positive scale")
    return q


def _variable(obj, names: tuple[str, ...], what: str, energy_units: str | None = None) -> xr.DataArray:
    """The first of ``names`` in a set name or Dataset, or a user DataArray itself."""
    if isinstance(obj, str):
        from fastcarbon import factors as factor_sets

        obj = factor_sets.load(obj)
    if isinstance(obj, xr.Dataset):
        for name in names:
            if name in obj.data_vars:
                return obj[name]
        label = obj.attrs.get("name", "the Dataset")
        hint = (
            f"; energy is in {show(energy_units)}, which is not an energy, so it needs a conversion: "
            f"pass conversion='gbt2589' or 'ipcc2006', or give energy in tce/TJ"
            if energy_units is not None
            else "; pass a set with emission factors (e.g. 'hj2021', 'ipcc2006')"
        )
        raise UnknownLabelError(
            f"{what}: {label} has none of the variables {list(names)} "
            f"(it has {list(obj.data_vars)}){hint}"
        )
    if not isinstance(obj, xr.DataArray):
        raise InputTypeError(
            f"{what}: expected a factor-set name, an xarray.Dataset or an xarray.DataArray, "
            f"got {type(obj).__name__}"
        )
    require_numeric(obj, what)
    require_dims(obj, ("fuel",), what)
    _fuel_labels(obj, what)
    return obj


def _per_fuel_units(da: xr.DataArray, what: str) -> list[str]:
    """Units of each fuel's value, checked to parse: the ``units`` attr, or the per-row
    ``<name>_units`` coordinate (factor sets whose units differ by fuel)."""
    coord = da.attrs.get("units_coord", f"{da.name}_units")
    if "units" in da.attrs:
        units = [str(da.attrs["units"])] * da.sizes["fuel"]
    elif coord in da.coords:
        units = [str(u) for u in da[coord].values]
    else:
        raise UnitError(
            f"{what}: no 'units' attr on {da.name or 'the factor array'}; "
            f"e.g. 't CO2/tce', 'kg CO2/TJ', 'tce/t'"
        )
    for fuel, u in zip(da.fuel.values, units):
        parse(u, what=f"{what} (fuel {show(fuel)})")
    return units


def _scale(q: pint.Quantity, units: str, fuel, energy_units: str) -> float:
    try:
        return scale_to(q, units, what=f"emissions of {show(fuel)}")
    except UnitError:
        raise UnitError(
            f"energy: units {show(energy_units)} for fuel {show(fuel)} do not match the factor's: "
            f"fuel use × factor has units {show(format_units(q))}, which cannot become {show(units)}. "
            f"Give energy in the factor's denominator or any energy (tce, GJ, TJ)"
        ) from None


def _check_factor(da: xr.DataArray, what: str) -> None:
    values = np.asarray(da.values, dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        fuel = da.fuel.values[np.argmax(bad)]
        raise InvalidValueError(f"{what}: value for fuel {show(fuel)} is {values[np.argmax(bad)]}; factors must be finite")


def _check_energy(energy: xr.DataArray) -> xr.DataArray:
    """Negative or NaN fuel use is an error naming its labels; on dask the check runs per block
    when the result is computed (the graph stays lazy), on a copy: the caller's array is untouched."""
    if energy.chunks is None:
        bad = ~(np.asarray(energy.values) >= 0)
        if bad.any():
            where, value = describe_first(energy, bad)
            raise InvalidValueError(
                f"energy: bad value {show(value)} at {where}; fuel use must be >= 0 and not NaN"
            )
        return energy
    labels = [
        energy[d].values if d in energy.coords else None for d in energy.dims
    ]  # small 1-D label arrays travel with the graph, so errors name labels, not chunk offsets
    checked = energy.data.map_blocks(
        _raise_if_bad, dims=energy.dims, labels=labels, dtype=energy.dtype, meta=np.array((), energy.dtype)
    )
    return energy.copy(data=checked)


def _raise_if_bad(block, dims, labels, block_info=None):
    bad = ~(block >= 0)
    if bad.any():
        local = np.argwhere(bad)[0]
        offsets = [lo for lo, _ in block_info[0]["array-location"]] if block_info else [0] * block.ndim
        where = describe_position(dims, labels, [int(k) + off for k, off in zip(local, offsets)])
        raise InvalidValueError(
            f"energy: bad value {show(float(block[tuple(local)]))} at {where}; "
            f"fuel use must be >= 0 and not NaN"
        )
    return block


def _name_of(obj) -> str:
    if isinstance(obj, str):
        return obj
    return str(getattr(obj, "attrs", {}).get("name", "user-supplied"))
