"""Labelled trajectory builders over ``year`` (LEAP's Interp, Growth, Step; 001 Table 1 rates).

Each function resolves dims and units, then makes one :func:`xarray.apply_ufunc` call into the
numpy core :mod:`fastcarbon.core.trajectory`.  Extra dims (``region``, ``sector``, ``fuel``,
``scenario``, ``draw``...) broadcast; dask-backed inputs stay lazy.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Literal

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import (
    as_dataarray,
    block_locator,
    check_time,
    describe_position,
    match_coords,
    pandas_index,
    require_dims,
    require_numeric,
    screen,
)
from fastcarbon.core import trajectory as core
from fastcarbon.errors import InputError, OverflowResultError
from fastcarbon.units import parse, scale_to

__all__ = ["interpolate", "constant_growth", "step", "rate_schedule", "parse_periods"]

_PERIOD = re.compile(r"^\s*(\d{4})\s*[-–]\s*(\d{4})\s*$")


def _labelled(x, name: str) -> xr.DataArray:
    """A plain number becomes a dimensionless 0-d DataArray; anything else must be a DataArray."""
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        return xr.DataArray(float(x), attrs={"units": "1"})
    da = as_dataarray(x, name)
    require_numeric(da, name)
    if "units" in da.attrs:  # passed on to the output, so checked here like every unit string
        parse(da.attrs["units"], what=name)
    return da


def _fraction(da: xr.DataArray, name: str) -> xr.DataArray:
    """Rates as plain fractions: a ``units`` attr such as "%" is converted to "1" through pint."""
    k = scale_to(parse(da.attrs.get("units", "1"), what=name), "1", what=name)
    return da * k if k != 1.0 else da


def _key_years(values: xr.DataArray, dim: Hashable, name: str) -> np.ndarray:
    require_dims(values, [dim], name)
    check_time(values, dim, name, "increasing")  # key years may be any steps apart
    return core.check_key_years(values.indexes[dim].to_numpy(), name=f"{name}: key years along {show(dim)}")


def _attrs(src: xr.DataArray, how: str, **extra) -> dict:
    units = src.attrs.get("units", "1")
    long_name = src.attrs.get("long_name", "trajectory")
    return {**{k: v for k, v in src.attrs.items() if k not in ("units", "long_name")},
            "units": units, "long_name": long_name, "trajectory": how, **extra}


def _along_years(func, values: xr.DataArray, dim: Hashable, key_years, years: np.ndarray, **kwargs) -> xr.DataArray:
    """One apply_ufunc call of a core builder ``func(key_years, key_values, years)``."""
    values = screen(values, "values", allowed="key-year values must be finite")
    out = _build(
        lambda v: func(key_years, v, years, **kwargs), [values], [[dim]], dim, years, exclude_dims={dim},
        checked=(0, "values"),
    )
    return out.assign_coords({dim: years}).transpose(*values.dims)


def _build(func, arrays, core_dims, dim: Hashable, years: np.ndarray, *, checked: tuple[int, str] | None = None,
           **apply_kwargs) -> xr.DataArray:
    """``apply_ufunc(func, *arrays)`` with a new trailing ``dim`` of ``years``, where the core's
    errors are restated by coordinate labels, for numpy- and dask-backed inputs alike:

    - a trajectory that overflows (:class:`OverflowResultError`) by the labels of the whole output;
    - a bad key value or rate (:class:`~fastcarbon.core.trajectory.TrajectoryValueError`) found in
      ``arrays[k]``, ``checked = (k, name)``, by that input's labels:
      ``"rates: 4.25 for period 2021-2025 at scenario='NZ'"``.

    The output's other dims are the inputs' dims without their core dims, in apply_ufunc's order
    (first appearance).  The core states an input's index over the axes apply_ufunc handed it:
    those dims from the first one this input has on (numpy broadcasting drops the leading ones it
    lacks), then its core dims.  Under dask the labels travel with the blocks (``block_locator``).
    """
    batch = list(dict.fromkeys(d for a, cd in zip(arrays, core_dims) for d in a.dims if d not in cd))
    lazy = any(a.chunks is not None for a in arrays)
    n = len(arrays)
    locate, blocks = None, []
    if lazy and batch:
        plain = [a.isel({d: 0 for d in cd}, drop=True) for a, cd in zip(arrays, core_dims)]
        template = xr.broadcast(*plain)[0].transpose(*batch)
        locate, blocks = block_locator(template, ())
    own_locate, own_blocks, layout = None, [], ()
    if checked is not None:
        da, cdims = arrays[checked[0]], tuple(core_dims[checked[0]])
        own = [d for d in batch if d in da.dims]
        layout = (*batch[batch.index(own[0]):], *cdims) if own else cdims
        if lazy:
            own_locate, own_blocks = block_locator(da, cdims)
    m = len(blocks)

    def run(*args):
        try:
            return func(*args[:n])
        except OverflowResultError as err:
            if not lazy:
                raise  # stated with the labels below
            where, _ = locate(args[n:n + m], err.index[:-1], batch, layout=batch) if batch else ("", ())
            raise _at_year(err, where, dim, years) from None
        except core.TrajectoryValueError as err:
            if not lazy or checked is None:
                raise
            at = layout[: len(err.index)]
            dims = [d for d in arrays[checked[0]].dims if d in at]
            where = own_locate(args[n + m:], err.index, dims, layout=at)[0] if dims else ""
            raise err.restated(checked[1], where) from None

    extra = [*blocks, *own_blocks]
    try:
        return xr.apply_ufunc(
            run, *arrays, *extra,
            input_core_dims=[list(cd) for cd in core_dims] + [[] for _ in extra],
            output_core_dims=[[dim]],
            dask="parallelized",
            output_dtypes=[np.float64],
            dask_gufunc_kwargs={"output_sizes": {dim: years.size}},
            **apply_kwargs,
        )
    except OverflowResultError as err:
        if lazy:
            raise
        labels = []
        for d in batch:
            holder = next((a for a in arrays if d in a.xindexes), None)
            labels.append(None if holder is None else np.array(pandas_index(holder, d).tolist()))
        where = describe_position(batch, labels, err.index[:-1]) if batch else ""
        raise _at_year(err, where, dim, years) from None
    except core.TrajectoryValueError as err:
        if lazy or checked is None:
            raise
        da = arrays[checked[0]]
        pos = dict(zip(layout, err.index))
        dims = [d for d in da.dims if d in pos]
        labels = [da[d].values if d in da.coords else None for d in dims]
        raise err.restated(checked[1], describe_position(dims, labels, [pos[d] for d in dims])) from None


def _at_year(err: OverflowResultError, where: str, dim: Hashable, years: np.ndarray) -> OverflowResultError:
    """The core's overflow stated at the labels ``where`` and the year of its last index."""
    year = f"{dim}={int(years[err.index[-1]])}"
    return OverflowResultError(err.variable, err.index, err.value, f"{where}, {year}" if where else year, err.hint)


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
        NaN or infinite key values (the message gives the labels); growth through a
        non-positive value.

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

    Raises
    ------
    InvalidValueError
        A NaN or infinite base or rate, a rate <= -1 (the message gives the labels).
    OverflowResultError
        A rate that takes the trajectory beyond the float64 range within the horizon (often a
        percentage given as a fraction); the message gives the labels and year, the rate and
        the base.  On dask, raised when computed.

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
    base = screen(base, "base", allowed="the base-year value must be finite")
    rate = screen(rate, "rate", allowed="growth rates must be finite and > -1")
    out = _build(
        lambda b, g: core.constant_growth(b, g, base_year=int(base_year), years=yr),
        [base, rate], [[], []], dim, yr, checked=(1, "rate"),
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
        Rates below 0 or above 1, NaN or infinite rates or base (non-finite values are named by
        their labels).

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
    base = screen(base, "base", allowed="the base-year value must be finite")
    rates = screen(rates, "rates", allowed="annual rates must be finite, in [0, 1]")
    out = _build(
        lambda b, r: core.rate_schedule(b, r, starts, ends, base_year=int(base_year), years=yr),
        [base, rates], [[], [period_dim]], dim, yr, checked=(1, "rates"),
    )
    out = out.assign_coords({dim: yr}).transpose(dim, ...)
    return out.assign_attrs(_attrs(base, f"annual rates per period from {base_year}: I(t) = I(t-1)(1 - r)"))
