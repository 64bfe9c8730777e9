"""Labelled trajectory builders over ``year`` (LEAP's Interp, Growth, Step; 001 Table 1 rates).

Each function resolves dims and units, then makes one :func:`xarray.apply_ufunc` call into the
numpy core :mod:`fastcarbon.core.trajectory`.  Extra dims (``region``, ``sector``, ``fuel``,
``scenario``, ``draw``...) broadcast; dask-backed inputs stay lazy.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable
from typing import Literal

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import (
    as_dataarray,
    block_locator,
    describe_position,
    match_coords,
    require_dims,
    require_numeric,
)
from fastcarbon.core import trajectory as core
from fastcarbon.errors import InputError
from fastcarbon.units import parse, scale_to

__all__ = ["interpolate", "constant_growth", "step", "rate_schedule", "parse_periods"]

_PERIOD = re.compile(r"^\s*(\d{4})\s*[-–]\s*(\d{4})\s*$")


def _labelled(x, name: str) -> xr.DataArray:
    """A plain number becomes a dimensionless 0-d DataArray; anything else must be a DataArray."""
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        return xr.DataArray(float(x), attrs={"units": "1"})
    da = as_dataarray(x, name)
    require_numeric(da, name)
    return da


def _fraction(da: xr.DataArray, name: str) -> xr.DataArray:
    """Rates as plain fractions: a ``units`` attr such as "%" is converted to "1" through pint."""
    k = scale_to(parse(da.attrs.get("units", "1"), what=name), "1", what=name)
    return da * k if k != 1.0 else da


def _key_years(values: xr.DataArray, dim: Hashable, name: str) -> np.ndarray:
    require_dims(values, [dim], name)
    if dim not in values.indexes:
        raise InputError(f"{name}: dimension {show(dim)} needs coordinate labels (the key years)")
    return core.check_key_years(values.indexes[dim].to_numpy(), name=f"{name}: key years along {show(dim)}")


def _apply(func, inputs, input_core_dims, checked: int, name: str, func_kwargs=None, **kwargs) -> xr.DataArray:
    """``xr.apply_ufunc(func, *inputs, kwargs=func_kwargs, dask="parallelized", ...)``, with a
    :class:`~fastcarbon.core.trajectory.TrajectoryValueError` found in ``inputs[checked]`` restated
    by that input's coordinate labels: ``"rates: 4.25 for period 2021-2025 at scenario='NZ'"``.

    The core states an index over the axes ``apply_ufunc`` handed it: the dims of all inputs in
    order of first appearance (core dims excluded), from the first one this input has on (numpy
    broadcasting drops the leading ones it lacks), then its core dims.  That layout names the
    index.  Dask-backed input raises when computed, in one block: the labels (and positions) of
    the input's dims travel with the blocks (:func:`fastcarbon._validate.block_locator`), so the
    error names the same labels as for numpy input.
    """
    da, core_dims = inputs[checked], tuple(input_core_dims[checked])
    func_kwargs = func_kwargs or {}
    skip = {d for dims in (*input_core_dims, *kwargs.get("output_core_dims", ())) for d in dims}
    order = list(dict.fromkeys(d for x in inputs for d in x.dims if d not in skip))
    own = [d for d in order if d in da.dims]
    layout = (*order[order.index(own[0]):], *core_dims) if own else core_dims
    if any(x.chunks is not None for x in inputs):
        locate, blocks = block_locator(da, core_dims)
        # a partial of module-level functions: dask tokenizes it by name, not by pickling a closure
        run = functools.partial(_run_located, func, func_kwargs, len(inputs), da.dims, layout, name, locate)
        return xr.apply_ufunc(run, *inputs, *blocks, input_core_dims=[*input_core_dims, *([[]] * len(blocks))],
                              dask="parallelized", **kwargs)
    try:
        return xr.apply_ufunc(func, *inputs, input_core_dims=input_core_dims, kwargs=func_kwargs,
                              dask="parallelized", **kwargs)
    except core.TrajectoryValueError as err:
        pos = dict(zip(layout, err.index))
        dims = [d for d in da.dims if d in pos]
        labels = [da[d].values if d in da.coords else None for d in dims]
        raise err.restated(name, describe_position(dims, labels, [pos[d] for d in dims])) from None


def _run_located(func, func_kwargs, n, own_dims, layout, name, locate, *args):
    """``func`` on one dask block (the data, then the label blocks of :func:`_apply`); an error
    is restated with the labels of the whole input."""
    try:
        return func(*args[:n], **func_kwargs)
    except core.TrajectoryValueError as err:
        at = layout[: len(err.index)]
        dims = [d for d in own_dims if d in at]
        where = locate(args[n:], err.index, dims, layout=at)[0] if dims else ""
        raise err.restated(name, where) from None


def _attrs(src: xr.DataArray, how: str, **extra) -> dict:
    units = src.attrs.get("units", "1")
    long_name = src.attrs.get("long_name", "trajectory")
    return {**{k: v for k, v in src.attrs.items() if k not in ("units", "long_name")},
            "units": units, "long_name": long_name, "trajectory": how, **extra}


def _along_years(func, values: xr.DataArray, dim: Hashable, key_years, years: np.ndarray, **kwargs) -> xr.DataArray:
    """One apply_ufunc call of a core builder ``func(key_years, key_values, years)``."""
    out = _apply(
        lambda v: func(key_years, v, years, **kwargs),
        [values],
        [[dim]],
        0,
        "values",
        output_core_dims=[[dim]],
        exclude_dims={dim},
        output_dtypes=[np.float64],
        dask_gufunc_kwargs={"output_sizes": {dim: years.size}},
    )
    return out.assign_coords({dim: years}).transpose(*values.dims)


def interpolate(
    values: xr.DataArray,
    years,
    *,
    method: Literal["linear", "growth"] = "linear",
    dim: Hashable = "year",
) -> xr.DataArray:
    """Trajectory through key-year values, linear or at constant growth between them.

    .. math::

        \\text{linear:}\\; v(t) = v_k + w\\,(v_{k+1} - v_k), \\qquad
        \\text{growth:}\\; v(t) = v_k (v_{k+1}/v_k)^{w}, \\qquad w = \\frac{t - t_k}{t_{k+1} - t_k}

    LEAP's ``Interp`` (linear) and its constant-growth form (SEI 2006, *LEAP user guide*): the
    trajectory hits every key year exactly; after the last key year the last value holds.

    Parameters
    ----------
    values : xarray.DataArray
        Values at the key years, with a ``dim`` coordinate of strictly increasing whole years
        (any other dims broadcast).  ``units`` and ``long_name`` pass to the output.
    years : sequence of int
        The horizon; strictly increasing, not before the first key year.
    method : {"linear", "growth"}
        ``"growth"`` needs values > 0 (an interval from 0 to 0 stays 0).
    dim : str
        The year dimension.

    Returns
    -------
    xarray.DataArray
        Values at ``years``, dims in the order of ``values``.

    Raises
    ------
    InputError
        Key years out of order or duplicated, years before the first key year, unknown method.
    InvalidValueError
        NaN key values; growth through a non-positive value.

    Examples
    --------
    >>> import xarray as xr
    >>> v = xr.DataArray([10.0, 20.0], dims="year", coords={"year": [2020, 2030]},
    ...                  attrs={"units": "Mt", "long_name": "output"})
    >>> interpolate(v, range(2020, 2031, 5)).values.tolist()
    [10.0, 15.0, 20.0]
    >>> round(interpolate(v, [2025], method="growth").item(), 4)
    14.1421
    """
    values = _labelled(values, "values")
    key_years = _key_years(values, dim, "values")
    yr = core.check_years(years)
    out = _along_years(core.interpolate, values, dim, key_years, yr, method=method)
    return out.assign_attrs(_attrs(values, f"{method} interpolation between key years {key_years.tolist()}"))


def step(values: xr.DataArray, years, *, dim: Hashable = "year") -> xr.DataArray:
    """Trajectory that jumps to each key-year value and holds it until the next (LEAP's ``Step``).

    Parameters
    ----------
    values : xarray.DataArray
        Values from each key year on, with a ``dim`` coordinate of strictly increasing years.
    years : sequence of int
        The horizon, not before the first key year.
    dim : str
        The year dimension.

    Returns
    -------
    xarray.DataArray

    Examples
    --------
    >>> import xarray as xr
    >>> v = xr.DataArray([1.0, 3.0], dims="year", coords={"year": [2020, 2022]})
    >>> step(v, range(2020, 2024)).values.tolist()
    [1.0, 1.0, 3.0, 3.0]
    """
    values = _labelled(values, "values")
    key_years = _key_years(values, dim, "values")
    yr = core.check_years(years)
    out = _along_years(core.step, values, dim, key_years, yr)
    return out.assign_attrs(_attrs(values, f"steps at key years {key_years.tolist()}"))


def constant_growth(base, rate, *, base_year: int, years, dim: Hashable = "year") -> xr.DataArray:
    """Constant growth from a base-year value, :math:`v(t) = v_0 (1 + g)^{t - t_0}` (LEAP's ``Growth``).

    Parameters
    ----------
    base : xarray.DataArray or float
        Base-year value(s), without a ``dim`` dimension; ``units`` pass to the output.
    rate : xarray.DataArray or float
        Annual growth rate g > -1, as a fraction or with a ``units`` attr such as ``"%"``.
        May vary along any dim that broadcasts with ``base`` (region, scenario...).
    base_year : int
        The year of ``base``; the horizon must include it.
    years : sequence of int
        The horizon (years before ``base_year`` are back-cast by the same rate).
    dim : str
        The new year dimension (first in the output).

    Returns
    -------
    xarray.DataArray

    Examples
    --------
    >>> import xarray as xr
    >>> gdp = xr.DataArray(100.0, attrs={"units": "billion CNY", "long_name": "GDP"})
    >>> constant_growth(gdp, 0.05, base_year=2020, years=[2020, 2021, 2022]).round(4).values.tolist()
    [100.0, 105.0, 110.25]
    """
    base = _labelled(base, "base")
    rate = _fraction(_labelled(rate, "rate"), "rate")
    for da, name in ((base, "base"), (rate, "rate")):
        if dim in da.dims:
            raise InputError(f"{name}: must not have a {show(dim)} dim (it is the output's new dimension)")
    yr = core.check_years(years, base_year=base_year)
    base, rate = match_coords((base, rate), ("base", "rate"))
    out = _apply(
        core.constant_growth, [base, rate], [[], []], 1, "rate", {"base_year": int(base_year), "years": yr},
        output_core_dims=[[dim]], output_dtypes=[np.float64],
        dask_gufunc_kwargs={"output_sizes": {dim: yr.size}},
    )
    out = out.assign_coords({dim: yr}).transpose(dim, ...)
    return out.assign_attrs(_attrs(base, f"constant growth from {base_year}"))


def parse_periods(labels) -> tuple[np.ndarray, np.ndarray]:
    """Start and end years of period labels such as ``"2021-2025"`` (inclusive), as printed in
    001 Table 1; checked to be contiguous and in order.

    Examples
    --------
    >>> [a.tolist() for a in parse_periods(["2021-2025", "2026-2030"])]
    [[2021, 2026], [2025, 2030]]
    """
    starts, ends = [], []
    for lab in labels:
        m = _PERIOD.match(str(lab))
        if m is None:
            raise InputError(
                f"period label {show(lab)} is not of the form 'YYYY-YYYY' (first and last year, inclusive)"
            )
        starts.append(int(m.group(1)))
        ends.append(int(m.group(2)))
    return core.check_periods(starts, ends, name=f"periods {show(list(labels))}")


def rate_schedule(
    base,
    rates: xr.DataArray,
    *,
    base_year: int,
    years,
    dim: Hashable = "year",
    period_dim: Hashable = "period",
) -> xr.DataArray:
    """Apply annual reduction rates per period to a base-year value (001, Table 1).

    .. math::

        I(t_0) = I_0, \\qquad I(t) = I(t-1)\\,(1 - r_{p(t)}), \\quad t > t_0

    with :math:`r_p` the rate of the period containing year t (Dai et al. 2025, *Green and
    Low-Carbon Economy*, section 3.2 and Table 1: carbon intensity falls by the period's annual
    rate).  A rate of 1 takes the value to exactly 0, where it stays.

    Parameters
    ----------
    base : xarray.DataArray or float
        Base-year value(s) :math:`I_0` without a ``dim`` dim; ``units`` pass to the output.
    rates : xarray.DataArray
        Annual rates in [0, 1] (or with ``units`` "%"), with a ``period_dim`` labelled
        ``"YYYY-YYYY"`` (inclusive, contiguous, covering every year after ``base_year``).
        Other dims (scenario, region, draw...) broadcast with ``base``.
    base_year : int
        Year of ``base``; the horizon must start there.
    years : sequence of int
        Consecutive years starting at ``base_year``.
    dim, period_dim : str
        The new year dimension (first in the output) and the period dimension of ``rates``.

    Returns
    -------
    xarray.DataArray

    Raises
    ------
    InputError
        Periods that overlap, leave gaps, are badly labelled or do not cover the horizon; a
        horizon without the base year or with gaps.
    InvalidValueError
        Rates below 0 or above 1, NaN.

    Examples
    --------
    >>> import xarray as xr
    >>> r = xr.DataArray([4.25, 100.0], dims="period", coords={"period": ["2021-2025", "2026-2030"]},
    ...                  attrs={"units": "%"})
    >>> ci = rate_schedule(1.0, r, base_year=2020, years=range(2020, 2031))
    >>> round(float(ci.sel(year=2025)), 4), float(ci.sel(year=2026))
    (0.8048, 0.0)
    """
    base = _labelled(base, "base")
    rates = _fraction(_labelled(rates, "rates"), "rates")
    require_dims(rates, [period_dim], "rates")
    if period_dim not in rates.indexes:
        raise InputError(f"rates: dimension {show(period_dim)} needs labels such as '2021-2025'")
    starts, ends = parse_periods(rates.indexes[period_dim])
    if dim in base.dims or dim in rates.dims:
        raise InputError(f"base and rates must not have a {show(dim)} dim (it is the output's new dimension)")
    yr = core.check_years(years, base_year=base_year, annual=True)
    base, rates = match_coords((base, rates), ("base", "rates"))
    out = _apply(
        core.rate_schedule, [base, rates], [[], [period_dim]], 1, "rates",
        {"starts": starts, "ends": ends, "base_year": int(base_year), "years": yr},
        output_core_dims=[[dim]], output_dtypes=[np.float64],
        dask_gufunc_kwargs={"output_sizes": {dim: yr.size}},
    )
    out = out.assign_coords({dim: yr}).transpose(dim, ...)
    return out.assign_attrs(_attrs(base, f"annual rates per period from {base_year}: I(t) = I(t-1)(1 - r)"))
