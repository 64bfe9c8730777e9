"""Peak analysis over labelled trajectories: one kernel pass per series, every other dim batched."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Literal

import numpy as np
import xarray as xr

from fastcarbon._build import bare_coords, dataset, is_lazy, keeps_attrs, variable
from fastcarbon._format import show
from fastcarbon._validate import (
    as_dataarray,
    block_locator,
    check_time,
    describe_position,
    require_dims,
    require_numeric,
)
from fastcarbon.core import peaks as core_peaks
from fastcarbon.errors import InputError, OverflowResultError

__all__ = ["peak"]


def peak(
    da: xr.DataArray,
    dim: Hashable = "year",
    *,
    threshold: float = 0.0,
    target: float | None = None,
    nan_policy: Literal["propagate", "raise"] = "propagate",
    parallel: bool | None = None,
) -> xr.Dataset:
    """Peak year and value, censoring, net-zero year and cumulative emissions of every trajectory.

    Conventions (Dai, Zhang, Chang & Meng 2025, "Strategies for achieving carbon neutrality in
    Chinese metropolitan's industrial development: a case study of Chongqing", *Green and
    Low-Carbon Economy*, section 4: "peak of approximately 108 million tons of CO2 in 2033",
    peaking before 2030, net-zero by 2060), for a series x over years y along ``dim``:

    - **peak**: k = the first year of the maximum (ties go to the first occurrence, as
      ``np.argmax``).  The series has *peaked* when a lower value follows, x[-1] < x[k];
      otherwise it is *censored* — "no peak within the horizon" — and ``peak_year`` is NaN,
      never the last year.  A plateau that lasts to the horizon end (``[1, 3, 3]``) and a return
      to the maximum at the end (``[3, 1, 3]``) are censored too: neither shows a decline.
      ``peak_value`` is the maximum over the horizon either way (for a censored series, a lower
      bound of its eventual peak).
    - **peaked_by** (only with ``target``): peaked and peak year <= ``target``.
    - **net zero**: the first year with x <= ``threshold`` (default 0; negative emissions from
      sinks allowed); ``net_zero_year`` NaN and ``net_zero`` False when no year reaches it.
    - **cumulative_emissions**: Σ_t x[t], the plain sum over the years of ``dim`` (no trapezoid), in the
      input's units summed over years; for annual emissions this is the total emitted over the
      horizon.  With 5-year steps it is the sum of the listed years only: interpolate to annual
      values first.
    - **NaN**: a series holding any NaN gets NaN ``peak_year``, ``peak_value``,
      ``net_zero_year`` and ``cumulative_emissions`` and False flags (``nan_policy="propagate"``: a gap may
      hide the peak or the threshold crossing, so nothing is skipped), or raises
      (``nan_policy="raise"``).

    Parameters
    ----------
    da : xarray.DataArray
        Emission trajectories with dim ``dim`` (+ any other dims, which pass through: region,
        scenario, draw...).  Real numbers; ``units`` attr optional (default dimensionless).
    dim : hashable
        The year dim.  Its coordinate must hold real, finite, strictly increasing years.
    threshold : float
        Net-zero threshold in the units of ``da``.
    target : float, optional
        Target year: adds ``peaked_by``.
    nan_policy : {"propagate", "raise"}
        See above.  With dask-backed input, "raise" raises when the result is computed, with the
        same message (coordinate labels in the whole array) as for numpy-backed input.
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical results).  Default: serial
        for dask-backed input (dask provides the parallelism), else parallel for large input.

    Returns
    -------
    xarray.Dataset
        ``peak_year``, ``peak_value``, ``peaked``, [``peaked_by``], ``net_zero_year``,
        ``net_zero``, ``cumulative_emissions``, over the dims of ``da`` without ``dim``, each with ``units``
        and ``long_name``.  Dask-backed input gives dask-backed output, identical to eager for
        any chunking.

    Raises
    ------
    MissingDimensionError
        ``da`` has no dim ``dim``.
    InputTypeError
        Non-numeric data or years (datetimes: pass ``.dt.year``); a non-numeric threshold or
        target.
    InputError
        ``dim`` has no coordinate; an empty ``dim``.
    InvalidValueError
        Years not finite or not strictly increasing; NaN in ``da`` with ``nan_policy="raise"``;
        +inf or -inf in ``da`` whatever ``nan_policy`` (``InfiniteTrajectoryError``: an
        infinity has no peak).  The messages give the coordinate labels.
    OverflowResultError
        Finite values whose sum over ``dim`` (``cumulative_emissions``) exceeds the float64
        range, named by the labels of the series.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from fastcarbon.peaks import peak
    >>> years = np.arange(2020, 2065, 5)
    >>> ce = xr.DataArray(
    ...     [[80, 95, 105, 108, 100, 90, 70, 40, 20],   # RS-like: peaks in 2035
    ...      [80, 95, 101, 96, 80, 60, 35, 10, -1]],    # AP-NZES-like: 2030 peak, net zero 2060
    ...     dims=("scenario", "year"),
    ...     coords={"scenario": ["RS", "AP-NZES"], "year": years},
    ...     attrs={"units": "Mt CO2"})
    >>> out = peak(ce, target=2030)
    >>> out.peak_year.values, out.peaked_by.values
    (array([2035., 2030.]), array([False,  True]))
    >>> out.net_zero_year.values, out.cumulative_emissions.attrs["units"]
    (array([  nan, 2060.]), 'Mt CO2')
    >>> bool(peak(ce.sel(year=slice(2020, 2030))).peaked.any())  # still rising in 2030: censored
    False
    """
    da = as_dataarray(da, "emissions")
    require_numeric(da, "emissions")
    require_dims(da, (dim,), "emissions")
    years = check_time(da, dim, "emissions", "increasing")  # 5-year steps are fine for a peak
    if nan_policy not in ("propagate", "raise"):
        raise InputError(f"nan_policy must be 'propagate' or 'raise', got {show(nan_policy)}")
    lazy = is_lazy(da)
    if parallel is None and lazy:
        parallel = False  # serial kernels inside dask tasks; dask provides the parallelism

    names = ["peak_year", "peak_value", "peaked", "peaked_by", "net_zero_year", "net_zero", "cumulative_emissions"]
    if target is None:
        names.remove("peaked_by")
    dtypes = {"peaked": bool, "peaked_by": bool, "net_zero": bool}

    # apply_ufunc passes the other dims in da's order, then dim.
    batch = [d for d in da.dims if d != dim]
    locate, blocks = None, []
    if lazy:
        # The labels and global positions of the batch dims travel with the blocks (tiny 1-D
        # arrays chunked like da), so a NaN or an infinity found while computing one block is
        # named by the labels of the whole array, as for eager input.
        locate, blocks = block_locator(da, (dim,))

    def run(x, *label_blocks):
        try:
            r = core_peaks.peak(x, years, threshold=threshold, target=target,
                                nan_policy=nan_policy, parallel=parallel)
        except (core_peaks.NaNTrajectoryError, core_peaks.InfiniteTrajectoryError, OverflowResultError) as err:
            if locate is None:
                raise  # eager: stated with the labels below
            over = isinstance(err, OverflowResultError)
            where, index = locate(label_blocks, err.index, batch if over else batch + [dim])
            raise _restated(err, where, index) from None
        return tuple(getattr(r, n) for n in names)

    try:
        if lazy:
            results = [r.data for r in xr.apply_ufunc(
                run,
                da,
                *blocks,
                input_core_dims=[[dim]] + [[] for _ in blocks],
                output_core_dims=[[] for _ in names],
                dask="parallelized",
                output_dtypes=[dtypes.get(n, np.float64) for n in names],
                dask_gufunc_kwargs={"allow_rechunk": True},
            )]
        else:  # the core on the data, dim last: apply_ufunc's bookkeeping was most of a small call
            axis = da.dims.index(dim)
            results = run(da.data if axis == da.ndim - 1 else np.moveaxis(da.data, axis, -1))
    except (core_peaks.NaNTrajectoryError, core_peaks.InfiniteTrajectoryError, OverflowResultError) as err:
        if lazy:
            raise
        dims = batch if isinstance(err, OverflowResultError) else batch + [dim]
        labels = [da[d].values if d in da.coords else None for d in dims]
        where = describe_position(dims, labels, err.index) if dims else "the only series"
        raise _restated(err, where, err.index) from None

    units = da.attrs.get("units", "1")
    year_units = da.coords.variables[dim].attrs.get("units", "year")
    what = da.attrs.get("long_name", da.name if da.name is not None else "emissions")
    span = f"{dim} {years[0]:g}-{years[-1]:g}"
    end = f"{years[-1]:g}"
    below = f"{what} <= {threshold:g} {units}"
    attrs = {
        "peak_year": (year_units, f"peak {dim} of {what} (NaN: no peak within {span})"),
        "peak_value": (units, f"maximum of {what} over {span}"),
        "peaked": ("1", f"{what} peaks within {span} (False: censored, rising or at its maximum in {end})"),
        "peaked_by": ("1", f"{what} peaks within {span} and in {target} or earlier"),
        "net_zero_year": (year_units, f"first {dim} with {below} (NaN: never within {span})"),
        "net_zero": ("1", f"{below} in some {dim} of {span}"),
        "cumulative_emissions": (units, f"cumulative {what}: values summed over {dim} ({span})"),
    }
    extra = {"peaked_by": {"target": target}, "cumulative_emissions": {"cell_methods": f"{dim}: sum"}}
    # The input's coordinates off dim, then the outputs; with the input's attrs under the new ones
    # when xarray's keep_attrs option says so, as apply_ufunc gave them.
    keep = keeps_attrs()
    variables, indexes = bare_coords(da, lambda dims: dim not in dims, attrs=keep)
    coord_names = set(variables)
    for n, r in zip(names, results):
        own = {"units": attrs[n][0], "long_name": attrs[n][1], **extra.get(n, {})}
        variables[n] = variable(tuple(batch), r, {**da.attrs, **own} if keep else own)
    return dataset(variables, coord_names, indexes, {
        "method": (
            "peak = first maximum over the horizon, censored unless a lower value follows; "
            "net zero = first year <= threshold; cumulative emissions = sum over years "
            "(Dai et al. 2025, Green and Low-Carbon Economy, section 4)"
        ),
        "threshold": threshold,
        "nan_policy": nan_policy,
    })


def _restated(err, where: str, index: tuple[int, ...]):
    """The core's error about one element, with its position stated as ``where``."""
    if isinstance(err, OverflowResultError):
        return OverflowResultError(err.variable, index, err.value, where, err.hint)
    if isinstance(err, core_peaks.InfiniteTrajectoryError):
        return core_peaks.InfiniteTrajectoryError(index, err.value, where)
    return core_peaks.NaNTrajectoryError(index, where)
