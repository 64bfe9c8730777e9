"""The standard LMDI identities built from data the library already holds.

- :func:`sector_identity` — activity × structure × intensity (× fuel mix × emission factor),
  over sectors (and fuels), from activity by sector and energy and emissions by sector (and
  fuel): the outputs of :func:`fastcarbon.accounting.bottom_up`, of
  :func:`fastcarbon.scenarios.top_down_emissions` or of a scenario Dataset such as
  :func:`fastcarbon.studies.chongqing.chongqing_scenarios`.
- :func:`fuel_mix_factors` — total energy × fuel share × emission factor, from the inputs of
  :func:`fastcarbon.accounting.fuel_emissions` (energy by fuel and the factors).

Both return a Dataset with one variable per factor, the left-hand side (``emissions``: the
data summed over the ``over`` dims, which the product of the factors summed over them
reproduces), and the attrs ``identity`` (the identity string :func:`fastcarbon.decompose.lmdi`
accepts) and ``over`` (the dims summed over), so that::

    f = sector_identity(activity, emissions, energy=energy, fuel_dim="fuel")
    lmdi(f, dim="year", over=f.attrs["over"].split(), identity=f.attrs["identity"])

decomposes the change and checks, through the left-hand side, that the factors reproduce it.

Zeros.  A ratio whose denominator is 0 is 0 when its numerator is 0 too: a sector without
activity has structure 0 and intensity 0, a fuel not used has share 0 and factor 0.  Its term
of the identity is then 0, as it is in the data, and LMDI-I treats it by the analytical limits
of Ang & Liu (2007) when it appears or disappears between two periods: every factor of that
term that goes from (or to) 0 shares its V_i^T (or −V_i^0) equally, the rule of
:func:`~fastcarbon.decompose.lmdi` (a sector that appears moves structure and intensity at once).  A non-zero numerator
over a zero denominator (energy without activity, emissions without energy) has no finite
factor and raises.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import (
    as_dataarray,
    describe_first,
    match_coords,
    pandas_index,
    require_dims,
    require_numeric,
    screen,
    select_labels,
)
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, UnknownLabelError
from fastcarbon.units import parse, scale_to

__all__ = ["sector_identity", "fuel_mix_factors"]

_NONNEGATIVE = "values must be finite and >= 0 (LMDI-I takes logarithms of every factor; a negative value has no meaning)"


def _checked(da, name: str) -> xr.DataArray:
    da = as_dataarray(da, name)
    require_numeric(da, name)
    return screen(da.astype(np.float64, copy=False), name, nonnegative=True, allowed=_NONNEGATIVE)


def _ratio(num: xr.DataArray, den: xr.DataArray, what: str, num_name: str, den_name: str) -> xr.DataArray:
    """num / den with 0/0 = 0; a positive numerator over 0 raises, naming the first such element."""
    num_b, bad = xr.broadcast(num, (num > 0) & (den == 0))
    if bool(bad.any()):
        where, value = describe_first(num_b, bad.transpose(*num_b.dims).values)
        raise InvalidValueError(
            f"{num_name}: {show(value)} at {where} but {den_name} there is 0; {what} would be infinite "
            f"(every {num_name} needs some {den_name})"
        )
    return xr.where(den != 0, num / den.where(den != 0), 0.0)


def _units(da: xr.DataArray, name: str) -> str:
    text = da.attrs.get("units", "1")
    parse(text, what=f"{name} units")
    return text


def _per(num: str, den: str) -> str:
    return num if den in ("", "1") else f"{num} / ({den})"


def sector_identity(
    activity: xr.DataArray,
    emissions: xr.DataArray | xr.Dataset,
    *,
    energy: xr.DataArray | None = None,
    sector_dim: Hashable = "sector",
    fuel_dim: Hashable | None = None,
) -> xr.Dataset:
    """The factors of the activity × structure × intensity × mix × factor identity.

    With activity :math:`Q_i` of sector i, energy :math:`E_{ij}` and emissions :math:`C_{ij}`
    of sector i and fuel j:

    .. math::

        C = \\sum_i \\sum_j Q \\, S_i \\, I_i \\, M_{ij} \\, F_{ij}, \\qquad
        Q = \\sum_i Q_i,\\; S_i = Q_i / Q,\\; I_i = E_i / Q_i,\\; M_{ij} = E_{ij} / E_i,\\;
        F_{ij} = C_{ij} / E_{ij}

    (activity, structure, energy intensity, fuel mix and emission factor: the five effects of
    Ang 2004, 2015, *Energy Policy* 32, 1131–1139 and 86, 233–238).  Fewer inputs give the
    shorter identities:

    - no ``fuel_dim``: :math:`C = \\sum_i Q S_i I_i F_i` with :math:`F_i = C_i / E_i`;
    - no ``energy``: intensity is the carbon intensity, :math:`C = \\sum_i Q S_i I_i` with
      :math:`I_i = C_i / Q_i` (and with ``fuel_dim``, :math:`M_{ij} = C_{ij} / C_i`, the
      fuel mix of emissions);
    - ``activity`` without ``sector_dim`` (a total such as GDP, as in the scenario Datasets of
      :mod:`fastcarbon.scenarios`): no structure term, and the intensity of sector i is per
      unit of the total, :math:`I_i = E_i / Q` (or :math:`C_i / Q`).

    Parameters
    ----------
    activity : xarray.DataArray
        Activity Q (value added, output, GDP) with or without ``sector_dim``; any batch dims
        (year, scenario, region, draw).  Finite and >= 0; ``units`` attr (default "1").
    emissions : xarray.DataArray or Dataset
        Emissions C with ``sector_dim`` (and ``fuel_dim``), finite and >= 0, ``units`` attr.
        A Dataset (the output of :func:`fastcarbon.accounting.bottom_up`,
        :func:`fastcarbon.scenarios.top_down_emissions` or a scenario Dataset) gives
        ``emissions_by_sector_fuel`` (with ``fuel_dim``) or ``emissions_by_sector``, and, if
        ``energy`` is not given, the matching energy variable when it has one.
    energy : xarray.DataArray, optional
        Energy E with the dims of ``emissions`` (``sector_dim``, ``fuel_dim``).
    sector_dim, fuel_dim : hashable
        The sector dim (required in ``emissions``) and the fuel dim (None: no fuel split).

    Returns
    -------
    xarray.Dataset
        ``activity`` (batch dims), ``structure`` (sector; when ``activity`` has sectors),
        ``intensity`` (sector), ``mix`` (sector, fuel; with ``fuel_dim``), ``factor`` (sector
        [, fuel]; with ``energy``) and ``emissions`` (batch dims: the data summed over sectors
        and fuels, which the product of the factors reproduces), each with ``units`` and
        ``long_name``; attrs
        ``identity`` (e.g. "emissions = activity * structure * intensity * mix * factor"),
        ``over`` (the dims summed: "sector" or "sector fuel") and ``method``.

    Raises
    ------
    InputTypeError
        An input that is not a DataArray of real numbers.
    MissingDimensionError
        ``emissions`` or ``energy`` lacks ``sector_dim`` or ``fuel_dim``.
    InputError
        ``activity`` with a ``fuel_dim``; ``energy`` with dims other than those of ``emissions``.
    CoordinateMismatchError
        Inputs whose labels differ along a shared dim.
    InvalidValueError
        A negative, NaN or infinite value (named with its labels); energy where the sector has
        no activity, emissions where there is no energy (an infinite factor).
    UnitError
        A ``units`` attr that does not parse.

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon.decompose import sector_identity
    >>> Q = xr.DataArray([[60.0, 40.0], [66.0, 54.0]], dims=("year", "sector"),
    ...                  coords={"year": [2020, 2021], "sector": ["steel", "cement"]}, attrs={"units": "1e8 CNY"})
    >>> E = Q * [2.0, 1.0]
    >>> C = (E * 2.5).assign_attrs(units="t CO2")
    >>> f = sector_identity(Q, C, energy=E.assign_attrs(units="tce"))
    >>> f.attrs["identity"], f.structure.sel(year=2021).values.tolist()
    ('emissions = activity * structure * intensity * factor', [0.55, 0.45])
    >>> product = f.activity * f.structure * f.intensity * f.factor
    >>> bool(abs(product.sum("sector") - C.sum("sector")).max() < 1e-12)
    True
    """
    if isinstance(emissions, xr.Dataset):
        emissions, from_ds = _from_result(emissions, fuel_dim)
        if energy is None:
            energy = from_ds
    activity = _checked(activity, "activity")
    emissions = _checked(emissions, "emissions")
    core = [sector_dim] + ([fuel_dim] if fuel_dim is not None else [])
    require_dims(emissions, core, "emissions")
    if fuel_dim is not None and fuel_dim in activity.dims:
        raise InputError(f"activity: must not have the fuel dim {show(fuel_dim)} (activity is per sector; the fuel "
                         f"split lives in energy and emissions)")
    arrays, names = [emissions, activity], ["emissions", "activity"]
    if energy is not None:
        energy = _checked(energy, "energy")
        require_dims(energy, core, "energy")
        extra = [d for d in energy.dims if d not in emissions.dims]
        if extra:
            raise InputError(f"energy: dims {show(extra)} that emissions does not have; energy and emissions must "
                             f"share their {show(core)} dims (and batch dims)")
        arrays.append(energy)
        names.append("energy")
    arrays = match_coords(arrays, names)
    emissions, activity = arrays[0], arrays[1]
    energy = arrays[2] if energy is not None else None

    q_units, c_units = _units(activity, "activity"), _units(emissions, "emissions")
    e_units = _units(energy, "energy") if energy is not None else None
    by_sector = sector_dim in activity.dims
    out = {}
    # sector totals of what the intensity divides: energy if given, else emissions
    base = energy if energy is not None else emissions
    base_name = "energy" if energy is not None else "emissions"
    base_units = e_units if energy is not None else c_units
    base_sector = base.sum(fuel_dim) if fuel_dim is not None else base
    if by_sector:
        total = activity.sum(sector_dim)
        out["activity"] = total.assign_attrs(units=q_units, long_name="total activity")
        out["structure"] = _ratio(activity, total, "the structure", "activity", "total activity").assign_attrs(
            units="1", long_name=f"{sector_dim} share of activity")
        out["intensity"] = _ratio(base_sector, activity, "the intensity", f"{base_name} of a {sector_dim}",
                                  "its activity").assign_attrs(
            units=_per(base_units, q_units), long_name=f"{base_name} per unit of activity, by {sector_dim}")
    else:
        out["activity"] = activity.assign_attrs(units=q_units, long_name="activity")
        out["intensity"] = _ratio(base_sector, activity, "the intensity", base_name, "activity").assign_attrs(
            units=_per(base_units, q_units), long_name=f"{base_name} of each {sector_dim} per unit of total activity")
    if fuel_dim is not None:
        out["mix"] = _ratio(base, base_sector, "the fuel mix", base_name, f"the {sector_dim}'s total").assign_attrs(
            units="1", long_name=f"{fuel_dim} share of the {sector_dim}'s {base_name}")
    if energy is not None:
        out["factor"] = _ratio(emissions, energy, "the emission factor", "emissions", "energy").assign_attrs(
            units=_per(c_units, e_units), long_name=f"emissions per unit of energy, by {sector_dim}"
            + (f" and {fuel_dim}" if fuel_dim is not None else ""))
    out["emissions"] = emissions.sum(core).assign_attrs(units=c_units, long_name="emissions, the sum the identity reproduces")
    ds = xr.Dataset(out)
    factors = [k for k in out if k != "emissions"]
    ds.attrs.update(
        identity="emissions = " + " * ".join(factors),
        over=" ".join(str(d) for d in core),
        method="LMDI identity: activity x structure x intensity x mix x factor (Ang 2004, 2015)",
    )
    return ds


def _from_result(ds: xr.Dataset, fuel_dim) -> tuple[xr.DataArray, xr.DataArray | None]:
    """emissions (and energy, if present) by sector [and fuel] from an accounting or scenario Dataset."""
    suffix = "_by_sector_fuel" if fuel_dim is not None else "_by_sector"
    name = "emissions" + suffix
    if name not in ds.data_vars:
        raise UnknownLabelError(
            f"emissions: the Dataset has no {show(name)} variable (it has {show(list(ds.data_vars))}); pass the "
            f"output of fastcarbon.accounting.bottom_up or fastcarbon.scenarios.top_down_emissions, or DataArrays")
    energy = ds.get("energy" + suffix)
    return ds[name], energy


def fuel_mix_factors(
    energy: xr.DataArray,
    factors: xr.DataArray | xr.Dataset | str,
    *,
    fuel_dim: Hashable = "fuel",
    units: str = "t CO2",
) -> xr.Dataset:
    """The factors of the total energy × fuel share × emission factor identity.

    .. math::

        C = \\sum_j E \\, M_j \\, F_j, \\qquad E = \\sum_j E_j,\\; M_j = E_j / E

    with :math:`E_j` the energy of fuel j and :math:`F_j` its emission factor: 000 eq. 1 and
    001 eq. 1 (:func:`fastcarbon.accounting.fuel_emissions`) written as the three effects of
    total energy, fuel mix and factors (Ang 2015).  The factor is converted, through the unit
    system, to ``units`` per unit of ``energy``, so that the product is in ``units``.

    Parameters
    ----------
    energy : xarray.DataArray
        Energy by fuel (``fuel_dim``; any batch dims such as year, region, draw), finite and
        >= 0, with a ``units`` attr that is an energy ("tce", "10**4 tce", "GJ") or whatever
        the factors are per.
    factors : xarray.DataArray, Dataset or str
        Emission factors over ``fuel_dim`` (and optionally batch dims) with a ``units`` attr,
        a Dataset with an ``emission_factor`` variable, or a bundled set name
        (:func:`fastcarbon.factors.available`).  Only the fuels of ``energy`` are used.
    fuel_dim : hashable
        The fuel dim.
    units : str
        Units of the emissions (a mass of carbon or CO2: "t CO2", "10**4 t C").

    Returns
    -------
    xarray.Dataset
        ``energy`` (total, batch dims), ``mix`` (fuel share), ``factor`` (in ``units`` per
        unit of ``energy``) and ``emissions`` (summed over fuels), each with ``units`` and
        ``long_name``; attrs ``identity`` ("emissions = energy * mix * factor"), ``over``
        (``fuel_dim``) and ``method``.  A year without any energy has shares 0.

    Raises
    ------
    InputTypeError, MissingDimensionError
        A non-DataArray or non-numeric input; no ``fuel_dim``.
    UnknownLabelError
        A fuel of ``energy`` without a factor (the message lists the factors' fuels).
    InvalidValueError
        Negative, NaN or infinite energy; NaN, infinite or negative factors (a sink has no
        LMDI-I meaning: the identity's logarithms need positive factors).
    UnitError
        Units that do not combine to ``units``.

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon.decompose import fuel_mix_factors
    >>> E = xr.DataArray([[80.0, 20.0], [75.0, 35.0]], dims=("year", "fuel"),
    ...                  coords={"year": [2020, 2021], "fuel": ["coal", "natural_gas"]}, attrs={"units": "tce"})
    >>> f = fuel_mix_factors(E, "hj2021")
    >>> f.energy.values.tolist(), f.mix.sel(year=2021).round(4).values.tolist()
    ([100.0, 110.0], [0.6818, 0.3182])
    >>> round(float(f.emissions.sel(year=2020)), 2), f.emissions.attrs["units"]
    (244.0, 't CO2')
    """
    energy = _checked(energy, "energy")
    require_dims(energy, [fuel_dim], "energy")
    if isinstance(factors, str):
        from fastcarbon import factors as factor_sets

        factors = factor_sets.load(factors)
    if isinstance(factors, xr.Dataset):
        if "emission_factor" not in factors.data_vars:
            raise UnknownLabelError(f"factors: the Dataset has no 'emission_factor' variable (it has "
                                    f"{show(list(factors.data_vars))})")
        factors = factors["emission_factor"]
    if not isinstance(factors, xr.DataArray):
        raise InputTypeError(f"factors: expected a DataArray, a Dataset with 'emission_factor' or a set name, got "
                             f"{type(factors).__name__}")
    factors = _checked(factors, "factors")
    require_dims(factors, [fuel_dim], "factors")
    if fuel_dim in energy.xindexes and fuel_dim in factors.xindexes:
        factors = select_labels(factors, fuel_dim, pandas_index(energy, fuel_dim), "factors", "emission factor")
    factors = factors.drop_vars([c for c in factors.coords if c not in factors.dims])
    energy, factors = match_coords([energy, factors], ["energy", "factors"])
    e_units = _units(energy, "energy")
    f_units = _units(factors, "factors")
    parse(units, what="units")
    k = scale_to(parse(e_units, what="energy units") * parse(f_units, what="factors units"), units,
                 what="energy × factors")
    total = energy.sum(fuel_dim)
    mix = _ratio(energy, total, "the fuel share", "energy", "total energy")
    factor = factors * k if k != 1.0 else factors
    emissions = energy * factor
    ds = xr.Dataset({
        "energy": total.assign_attrs(units=e_units, long_name="total energy"),
        "mix": mix.assign_attrs(units="1", long_name=f"{fuel_dim} share of energy"),
        "factor": factor.assign_attrs(units=_per(units, e_units), long_name=f"emission factor by {fuel_dim}"),
        "emissions": emissions.sum(fuel_dim).assign_attrs(units=units, long_name="emissions, the sum the identity reproduces"),
    })
    ds.attrs.update(identity="emissions = energy * mix * factor", over=str(fuel_dim),
                    method="LMDI identity: total energy x fuel share x emission factor (000 eq. 1, Ang 2015)")
    return ds
