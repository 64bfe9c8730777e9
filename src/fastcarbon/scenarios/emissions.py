"""Scenario emissions two ways: top-down (activity × intensity × a fixed structure) and bottom-up
(the sector × process × equipment × fuel tensor of :func:`fastcarbon.accounting.bottom_up`).

Both return the variable names of :func:`fastcarbon.accounting.bottom_up` (``emissions``,
``emissions_by_sector``, ``emissions_by_fuel``, ``emissions_by_sector_fuel`` and the ``energy``
counterparts), so :func:`fastcarbon.accounting.potentials` gives ESP, CMP and sector shares of
the reduction for either.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import (
    as_dataarray,
    as_dataset,
    check_result,
    describe_first,
    match_coords,
    require_dims,
    require_numeric,
    screen,
)
from fastcarbon.accounting import bottom_up
from fastcarbon.errors import InputError, InvalidValueError
from fastcarbon.units import parse, scale_to

__all__ = ["top_down_emissions", "bottom_up_emissions"]

#: tolerance on Σ share = 1: shares read from printed percentages are rounded
SHARE_TOLERANCE = 1e-6


def _var(da: xr.DataArray, units: str, long_name: str) -> xr.DataArray:
    return da.assign_attrs(units=units, long_name=long_name)


def top_down_emissions(
    activity: xr.DataArray,
    intensity: xr.DataArray,
    share: xr.DataArray,
    *,
    energy_intensity: xr.DataArray | None = None,
    emissions_units: str = "t CO2",
    energy_units: str = "tce",
) -> xr.Dataset:
    """Emissions as economic activity × carbon intensity, split by a fixed sector × fuel structure.

    .. math::

        CE_{m,n}(t) = Y(t)\\, I(t)\\, s_{m,n}, \\qquad \\sum_{m,n} s_{m,n} = 1

    with Y the economic activity (GDP or value added), I the carbon intensity (its schedule
    applied, e.g. :func:`~fastcarbon.scenarios.rate_schedule`, 001 Table 1) and s the base-year
    share of sector m and fuel n in emissions.  This is the top-down side of 001 section 3.2
    (scenarios constrained by the carbon-intensity reduction rate); the structure s is held
    fixed, so sector and fuel shares of the reduction equal the base-year shares.  With
    ``energy_intensity`` e, energy :math:`E_{m,n} = Y\\,e\\,s_{m,n}` is returned too, with the
    same structure (so ESP equals CMP where both intensities follow the same schedule).

    Parameters
    ----------
    activity : xarray.DataArray
        Y with a ``year`` dim (and any of scenario, region, draw...), ``units`` e.g. "1e8 CNY".
    intensity : xarray.DataArray
        I, emissions per unit of activity, ``units`` e.g. "t CO2 / (1e4 CNY)"; dims broadcast.
    share : xarray.DataArray
        s with dims ``sector`` and ``fuel`` (and optionally region...): non-negative fractions
        summing to 1 over sector × fuel.
    energy_intensity : xarray.DataArray, optional
        Energy per unit of activity; the energy outputs use the same structure ``share``.
    emissions_units, energy_units : str
        Output units; inputs are converted through pint.

    Returns
    -------
    xarray.Dataset
        ``emissions``, ``emissions_by_sector``, ``emissions_by_fuel``,
        ``emissions_by_sector_fuel`` (and the ``energy`` ones with ``energy_intensity``), each
        with ``units`` and ``long_name``.

    Raises
    ------
    MissingDimensionError
        ``share`` lacks ``sector`` or ``fuel``; ``activity`` lacks ``year``.
    InvalidValueError
        Negative, NaN or infinite shares, shares not summing to 1; NaN or infinite activity
        or intensity (the messages give the labels).
    OverflowResultError
        Finite activity × intensity beyond the float64 range (on dask, raised when computed).
    UnitError
        Units that do not combine to emissions (or energy).

    Examples
    --------
    >>> import xarray as xr
    >>> Y = xr.DataArray([100.0, 110.0], dims="year", coords={"year": [2020, 2021]}, attrs={"units": "1e4 CNY"})
    >>> I = xr.DataArray([2.0, 1.5], dims="year", coords={"year": [2020, 2021]}, attrs={"units": "t CO2 / (1e4 CNY)"})
    >>> s = xr.DataArray([[0.75, 0.25]], dims=("sector", "fuel"), coords={"sector": ["steel"], "fuel": ["coal", "gas"]})
    >>> out = top_down_emissions(Y, I, s)
    >>> out.emissions.values.tolist(), out.emissions_by_fuel.sel(year=2021).values.tolist()
    ([200.0, 165.0], [123.75, 41.25])
    """
    activity = as_dataarray(activity, "activity")
    intensity = as_dataarray(intensity, "intensity")
    share = as_dataarray(share, "share")
    for da, name in ((activity, "activity"), (intensity, "intensity"), (share, "share")):
        require_numeric(da, name)
    require_dims(activity, ["year"], "activity")
    require_dims(share, ["sector", "fuel"], "share")
    _check_share(share)
    inputs = [activity, intensity, share] + ([as_dataarray(energy_intensity, "energy_intensity")]
                                             if energy_intensity is not None else [])
    names = ["activity", "intensity", "share", "energy_intensity"][: len(inputs)]
    inputs = match_coords(inputs, names)
    activity, intensity, share = inputs[:3]

    parse(emissions_units, what="emissions_units")  # named as the argument, before any product
    parse(energy_units, what="energy_units")

    def scale(per_unit: xr.DataArray, name: str, dst: str) -> float:
        q = parse(activity.attrs.get("units", "1"), what="activity") * parse(per_unit.attrs.get("units", "1"), what=name)
        return scale_to(q, dst, what=f"activity × {name}")

    activity = screen(activity, "activity")
    intensity = screen(intensity, "intensity")
    # Totals first (small), structure last: the sector × fuel product is the only large array.
    # Shares are fractions summing to 1, so a finite total gives finite parts: only totals are
    # checked for overflow.
    total = _product(activity, intensity, scale(intensity, "intensity", emissions_units))
    total = check_result(total, "emissions", _HINT)
    ds = _split(total, share, "CO2 emissions", emissions_units, "emissions")
    if energy_intensity is not None:
        e = screen(inputs[3], "energy_intensity")
        energy = check_result(_product(activity, e, scale(e, "energy_intensity", energy_units)), "energy", _HINT)
        ds = ds.merge(_split(energy, share, "energy demand", energy_units, "energy"))
    ds.attrs["method"] = ("top-down: emissions = activity x carbon intensity x base-year sector/fuel "
                          "share (Dai et al. 2025, section 3.2, Table 1)")
    return ds


_HINT = "activity × intensity is too large; check their units and magnitudes"


def _product(a: xr.DataArray, b: xr.DataArray, k: float) -> xr.DataArray:
    """a × b × k without numpy's overflow warning (under dask it would come from a worker
    thread): an overflow is reported by :func:`check_result`, with its labels."""
    def times(x, y):
        with np.errstate(over="ignore", invalid="ignore"):
            return x * y * k

    return xr.apply_ufunc(times, a, b, dask="parallelized", output_dtypes=[np.float64], keep_attrs=False)


def _check_share(share: xr.DataArray) -> None:
    values = share.values
    bad = ~((values >= 0) & (values < np.inf))
    if bad.any():
        where, value = describe_first(share, bad)
        raise InvalidValueError(f"share: bad value {show(value)} at {where}; shares must be finite and >= 0")
    total = share.sum(("sector", "fuel"))
    off = np.abs(total.values - 1.0) > SHARE_TOLERANCE
    if np.any(off):
        where = describe_first(total, off)[0] if total.ndim else "(all)"
        raise InvalidValueError(
            f"share: sums to {show(float(np.ravel(total.values)[np.flatnonzero(np.ravel(off))[0]]))} over "
            f"sector x fuel at {where}; the structure must sum to 1 (normalise it with share / share.sum())"
        )


def _split(total: xr.DataArray, share: xr.DataArray, what: str, units: str, stem: str) -> xr.Dataset:
    by_sf = total * share
    first = [d for d in total.dims if d in ("scenario", "year")]
    by_sf = by_sf.transpose(*first, ..., "sector", "fuel")
    return xr.Dataset({
        stem: _var(total.transpose(*first, ...), units, what),
        f"{stem}_by_sector": _var(total * share.sum("fuel"), units, f"{what} by sector").transpose(*first, ..., "sector"),
        f"{stem}_by_fuel": _var(total * share.sum("sector"), units, f"{what} by fuel").transpose(*first, ..., "fuel"),
        f"{stem}_by_sector_fuel": _var(by_sf, units, f"{what} by sector and fuel"),
    })


def bottom_up_emissions(
    scenarios: xr.Dataset,
    factor,
    *,
    activity: str = "activity",
    intensity: str = "intensity",
    **kwargs,
) -> xr.Dataset:
    """Bottom-up energy and emissions of scenario trajectories (001 eqs. 2–4).

    Feeds the ``activity`` (sector, process, equipment) and ``intensity`` (… × fuel) trajectories
    of a :meth:`ScenarioSet.build` Dataset through :func:`fastcarbon.accounting.bottom_up`: every
    scenario, year, region and draw in one fused pass.

    .. math::

        CE_{s,t} = \\sum_m \\sum_i \\sum_j \\sum_n f_{n,j,i,m}\\, e_{n,j,i,m,s,t}\\, P_{m,i,j,s,t}

    Parameters
    ----------
    scenarios : xarray.Dataset
        Output of :meth:`fastcarbon.scenarios.ScenarioSet.build`.
    factor : xarray.DataArray, Dataset or str
        Emission factors, as for :func:`fastcarbon.accounting.bottom_up` (e.g. ``"hj2021"``).
    activity, intensity : str
        Names of the two variables in ``scenarios``.
    **kwargs
        Passed on (``energy_units``, ``emissions_units``, ``parallel``).

    Returns
    -------
    xarray.Dataset
        As :func:`fastcarbon.accounting.bottom_up`, dims ``scenario``, ``year`` first.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from fastcarbon.scenarios import Scenario, ScenarioSet, Schedule
    >>> P = xr.DataArray(np.ones((1, 1, 1)), dims=("sector", "process", "equipment"),
    ...                  coords={"sector": ["steel"]}, attrs={"units": "t", "long_name": "output"})
    >>> e = xr.DataArray(np.ones((1, 1, 1, 1)), dims=("sector", "process", "equipment", "fuel"),
    ...                  coords={"sector": ["steel"], "fuel": ["coal"]}, attrs={"units": "tce/t"})
    >>> r = xr.DataArray([0.5], dims="period", coords={"period": ["2021-2022"]})
    >>> ss = ScenarioSet(xr.Dataset({"activity": P, "intensity": e}),
    ...                  [Scenario("REF"), Scenario("EFF", {"intensity": Schedule(r)}, parent="REF")],
    ...                  base_year=2020, years=[2020, 2021, 2022])
    >>> out = bottom_up_emissions(ss.build(), "hj2021")
    >>> out.emissions.sel(scenario="EFF").round(3).values.tolist()
    [2.66, 1.33, 0.665]
    """
    scenarios = as_dataset(scenarios, "scenarios", "scenario trajectories (ScenarioSet.build())")
    for v in (activity, intensity):
        if v not in scenarios.data_vars:
            raise InputError(f"scenarios: no variable {show(v)}; it has {list(scenarios.data_vars)}")
    out = bottom_up(scenarios[activity], scenarios[intensity], factor, **kwargs)
    first = [d for d in ("scenario", "year") if d in out.dims]
    return out.transpose(*first, ...)
