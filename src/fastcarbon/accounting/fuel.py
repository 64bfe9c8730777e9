"""Fuel-based emission accounting (000 eq. 1; 001 eq. 1), labelled API."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon._validate import (
    as_dataarray,
    as_dataset,
    check_result,
    pandas_index,
    require_dims,
    require_numeric,
    screen,
    select_labels,
)
from fastcarbon.errors import (
    FlaggedFactorWarning,
    InputError,
    InputTypeError,
    MissingDimensionError,
    OverflowResultError,
    UnitError,
    UnknownLabelError,
)
from fastcarbon.units import format_units, parse, require_kind, scale_to

if TYPE_CHECKING:
    import pint

__all__ = ["fuel_emissions"]


# Functions, not constants: parsing at import would build the unit registry on every import.
def _energy():
    return parse("J").dimensionality


def _emissions():
    return parse("t C").dimensionality  # t CO2 has the same: CO2 is a unit of carbon


_CONVERSIONS = ("coal_equivalent", "ncv")
#: what fuel use may be measured in: an energy, or a physical quantity a conversion turns into one
_FUEL_USE_KINDS = ("energy", "mass", "volume")


def fuel_emissions(
    energy: xr.DataArray,
    factors: str | xr.Dataset | xr.DataArray | None = None,
    *,
    units: str = "t CO2",
    conversion: str | xr.Dataset | xr.DataArray | None = None,
    groups: bool | dict | None = None,
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
    factors : str, Dataset or DataArray
        Required.  A set name (:func:`fastcarbon.factors.available`), a Dataset with an
        ``emission_factor`` variable, or a DataArray of factors over ``fuel`` with a ``units``
        attr.  Only the fuels of ``energy`` are used; the set may have more.  There is no
        default: the right factors depend on the inventory (China's HJ circular, IPCC Tier 1,
        a study's own table), no bundled set is right for most users, and the one a default
        once pointed to (bengbu2023) carries a flagged value: its natural-gas factor is
        4.8 × IPCC's, so every tce of gas counts 4.8 times (an audit found a typical city's
        total about 18 % high; Bengbu's own, under 1 % gas, 0.4-2.0 % high).  A different
        default would change existing results silently; a missing argument is an error that
        lists the sets.
    units : str, default "t CO2"
        Units of the result: a mass of carbon or CO2 ("t CO2", "Mt CO2", "10**4 t C", ...).
    conversion : str, Dataset or DataArray, optional
        Physical quantity → energy: a set name or Dataset with ``coal_equivalent`` or ``ncv``
        (in that order of preference), or a DataArray over ``fuel`` with units.  Defaults to the
        conversion variable of ``factors``.  Only allowed when a conversion is needed (an
        error otherwise, so a misplaced argument is not silently ignored).
    groups : None, True or dict, optional
        Charge detailed fuels at the factor of their group.  None (default): each fuel of
        ``energy`` needs a factor of its own.  True: the shipped grouping of the bundled set
        ``factors`` names (:func:`fastcarbon.names.fuel_groups`; hj2021: raw and washed coal,
        coke, coal gases → ``coal``; gasoline, kerosene, diesel, fuel oil, LPG, ... →
        ``refined_oil``; natural gas, LNG → ``natural_gas``).  A dict: detailed fuel → fuel of
        the factors, your own or the shipped one edited; a fuel it omits keeps its own label.
        The conversion (physical quantity → energy) stays per detailed fuel.

    Returns
    -------
    xarray.Dataset
        ``emissions_by_fuel`` (..., fuel) and ``emissions`` (...) = its sum over fuel, both
        in ``units`` with ``units`` and ``long_name`` attrs; attrs ``factors`` and ``method``.
        With ``groups``, ``emissions_by_fuel`` keeps the detailed fuels and carries a
        ``fuel_group`` coordinate along ``fuel`` (``.groupby("fuel_group").sum()`` gives the
        emissions by group).

    Raises
    ------
    InputTypeError
        ``factors`` is not given (the message lists the bundled sets, one line each), or
        ``energy`` or a factor array is not a DataArray of real numbers.
    MissingDimensionError
        ``energy`` (or a user factor array) has no ``fuel`` dim.
    UnknownLabelError
        A fuel of ``energy`` has no factor (the message lists the set's fuels), the set has no
        emission factor or conversion variable, or ``factors`` names no bundled set; with
        ``groups``, a fuel that has no group (the message names the grouping).
    UnitError
        ``energy`` has no ``units`` attr or one that is not a whole unit expression (see
        :func:`fastcarbon.units.parse`); its units are neither an energy, nor a mass or volume
        (which a conversion turns into energy), nor the denominator of the factors (the message
        says what was expected and what was found); ``units`` is not a mass of carbon or CO2.
    InvalidValueError
        Negative, NaN or infinite fuel use (the message gives its coordinate labels; on dask,
        raised when computed) or a non-finite factor.
    OverflowResultError
        Finite inputs whose emissions exceed the float64 range (e.g. 1e300 × 1e300), named by
        output variable and coordinate labels (on dask, raised when computed).

    Warns
    -----
    FlaggedFactorWarning
        For each fuel of ``energy`` whose factor or conversion value is flagged in its set
        (:func:`fastcarbon.factors.flagged`): bengbu2023's natural-gas emission factor.  The
        message names the fuel, the printed value and what it likely means.

    Notes
    -----
    000, eq. 1 and 001, eq. 1:

    .. math::

        C = \\sum_j B_j \\, c_j, \\qquad B_j = Q_j \\, k_j

    with :math:`Q_j` the use of fuel j, :math:`k_j` its conversion to energy (standard-coal
    coefficient or NCV; 1 when :math:`Q_j` is already an energy) and :math:`c_j` its emission
    factor; with ``groups``, :math:`c_j = c_{g(j)}`, the factor of j's group, which is the same
    as summing the energy of each group first (the product is linear) but keeps the detailed
    fuels and converts each with its own coefficient.  IPCC 2006 Tier 1 is the same product: mass × NCV × EF, oxidation factor 1.  Every
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
    >>> detailed = xr.DataArray([60.0, 40.0, 50.0], dims="fuel", attrs={"units": "tce"},
    ...                         coords={"fuel": ["coal", "coke", "natural_gas"]})
    >>> float(fuel_emissions(detailed, "hj2021", groups=True).emissions)  # coke at the coal factor
    344.0
    """
    if factors is None:
        from fastcarbon import factors as factor_sets

        raise InputTypeError(
            "factors: no factor set given, and fuel_emissions has none by default (no bundled "
            "set is right for most inventories); pass a set name, a Dataset with an "
            "'emission_factor' variable or a DataArray of factors over 'fuel'. Bundled sets:\n"
            + factor_sets.listing()
        )
    energy = as_dataarray(energy, "energy")
    require_numeric(energy, "energy")
    require_dims(energy, ("fuel",), "energy")
    fuels = _fuel_labels(energy, "energy")
    q_energy = _units_of(energy, "energy")
    q_out = parse(units, what="units")
    require_kind(q_out, ("mass of carbon or CO2",), what="units", units=units,
                 hint="e.g. 't CO2', 'Mt CO2', 't C', '10**4 t C'")

    factor = _variable(factors, ("emission_factor",), "factors")
    if groups is None:
        factor = select_labels(factor, "fuel", fuels, "factors", "emission factor")
    else:
        factor, group_of = _grouped(factor, groups, factors, fuels, energy)
    _check_factor(factor, "factors")
    factor_units = _per_fuel_units(factor, "factors")
    _warn_flagged(factor, factors)

    # fuel use × factor is already emissions when the factor is per unit of energy and energy
    # is an energy (the usual case), or the factor is per the physical unit of energy (a user's
    # kg CO2/m**3); otherwise a conversion to energy is needed.
    direct = all(
        (q_energy * parse(f)).dimensionality == _emissions() for f in factor_units
    )
    if not direct:
        # A conversion can turn only a physical quantity of fuel (mass, volume) into energy;
        # anything else (a length, a time) is a units mistake no factor set can fix.
        require_kind(
            q_energy, _FUEL_USE_KINDS, what="energy", units=energy.attrs["units"],
            hint="give fuel use as an energy (tce, GJ, TJ, kWh), or as a mass or volume (t, kg, "
            "m**3) which the set's conversion (or conversion='gbt2589' or 'ipcc2006') turns into "
            "energy, or pass factors per the unit it is in",
        )
    if direct or q_energy.dimensionality == _energy():
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
        _warn_flagged(conv, source)
        for fuel, c in zip(fuels, conv_units):
            if (q_energy * parse(c, what="conversion")).dimensionality != _energy():
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
    # Negative, NaN or infinite fuel use is named by its labels (on dask, per block when computed).
    checked = screen(energy, "energy", nonnegative=True, allowed="fuel use must be finite and >= 0")
    by_fuel = xr.apply_ufunc(_times, checked, coeff, dask="parallelized", output_dtypes=[float])
    by_fuel = by_fuel.assign_attrs(units=units, long_name="emissions by fuel")
    by_fuel.name = "emissions_by_fuel"
    if groups is not None:
        by_fuel = by_fuel.assign_coords(fuel_group=("fuel", np.asarray(group_of, dtype=object)))
    total = xr.apply_ufunc(
        _fuel_sum, by_fuel, input_core_dims=[["fuel"]], dask="parallelized", output_dtypes=[float],
        dask_gufunc_kwargs={"allow_rechunk": True},
    ).assign_attrs(units=units, long_name="emissions")
    by_fuel, total = _check_overflow(by_fuel, total, units)
    ds = xr.Dataset({"emissions": total, "emissions_by_fuel": by_fuel})
    ds.attrs["method"] = "C = sum_j Q_j k_j c_j (000 eq. 1; 001 eq. 1)"
    ds.attrs["factors"] = _name_of(factors)
    if not direct and q_energy.dimensionality != _energy():
        ds.attrs["conversion"] = _name_of(factors if conversion is None else conversion)
    return ds


# --------------------------------------------------------------------------- helpers


def _grouped(factor: xr.DataArray, groups, factors, fuels: list, energy: xr.DataArray):
    """The factor of each fuel's group, relabelled with the fuels of ``energy``, and the groups."""
    from fastcarbon.names import resolve_groups

    group_of, source = resolve_groups(groups, factors, fuels)
    known = set(pandas_index(factor, "fuel"))
    missing = [f for f, g in zip(fuels, group_of) if g not in known]
    if missing:
        raise UnknownLabelError(
            f"groups: no factor for fuel(s) {show_list(missing)} under {source} "
            f"(they map to {show_list([g for f, g in zip(fuels, group_of) if f in missing])}); the "
            f"factors have fuels {show_list(list(known))}. Map them in groups={{...}}, or drop them "
            f"(electricity and heat are secondary energy: their emissions are the plants')"
        )
    picked = factor.sel(fuel=group_of)
    return picked.assign_coords(fuel=energy.indexes["fuel"]), group_of



def _fuel_labels(da: xr.DataArray, name: str) -> list:
    if "fuel" not in da.indexes:
        raise MissingDimensionError(
            f"{name}: the 'fuel' dim has no coordinate labels; label it with fuel names, e.g. "
            f"{name}.assign_coords(fuel=['coal', 'natural_gas'])"
        )
    return list(da.indexes["fuel"])  # unique: as_dataarray checked


def _units_of(da: xr.DataArray, name: str) -> pint.Quantity:
    if "units" not in da.attrs:
        raise UnitError(
            f"{name}: no 'units' attr; set {name}.attrs['units'], e.g. 'tce', 'TJ', 't' or 'm**3'"
        )
    return parse(da.attrs["units"], what=name)  # a scale that is not positive is rejected there


def _variable(obj, names: tuple[str, ...], what: str, energy_units: str | None = None) -> xr.DataArray:
    """The first of ``names`` in a set name or Dataset, or a user DataArray itself."""
    if isinstance(obj, str):
        from fastcarbon import factors as factor_sets

        obj = factor_sets.load(obj)
    if isinstance(obj, xr.Dataset):
        obj = as_dataset(obj, what)
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
    obj = as_dataarray(obj, what)
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


def _warn_flagged(da: xr.DataArray, source) -> None:
    """One :class:`FlaggedFactorWarning` per flagged value among the selected fuels."""
    from fastcarbon import factors as factor_sets

    for flag in factor_sets.flagged(da, set_name=_name_of(source)):
        warnings.warn(
            f"{flag.describe()}. The result uses it as printed; pass another set (e.g. "
            f"'ipcc2006', 'hj2021') or your own factors for {show(flag.fuel)} unless you are "
            f"reproducing the source",
            FlaggedFactorWarning,
            stacklevel=3,  # the caller of fuel_emissions
        )


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
    # factors are small (a value per fuel): checked now even when dask-backed, by their labels
    screen(da.compute() if da.chunks is not None else da, what, allowed="factors must be finite")


def _times(q, c):
    # An overflow is reported by _check_overflow with its labels; numpy's bare warning would only
    # precede it (under dask it comes from a worker thread, far from the call).
    with np.errstate(over="ignore", invalid="ignore"):
        return q * c


def _fuel_sum(x):
    with np.errstate(over="ignore", invalid="ignore"):
        return x.sum(axis=-1)


def _check_overflow(by_fuel: xr.DataArray, total: xr.DataArray, units: str):
    """Both outputs checked not to overflow (the inputs are finite by now, so only their size can
    make inf).  A non-finite by-fuel value makes the total non-finite too, so numpy-backed
    outputs are tested through the small total, and by fuel only to name the fuel on failure;
    dask-backed ones each carry their own check, as either may be computed alone."""
    hint = f"fuel use × factor in {show(units)} is too large; check the units of energy and factors"
    if total.chunks is None:
        try:
            check_result(total, "emissions", hint)
        except OverflowResultError:
            check_result(by_fuel, "emissions_by_fuel", hint)
            raise
        return by_fuel, total
    return check_result(by_fuel, "emissions_by_fuel", hint), check_result(total, "emissions", hint)


def _name_of(obj) -> str:
    if isinstance(obj, str):
        return obj
    return str(getattr(obj, "attrs", {}).get("name", "user-supplied"))
