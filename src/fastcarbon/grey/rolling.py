"""Rolling-origin backtests of EGM(1,1) against the linear baseline, over labelled data."""

from __future__ import annotations

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import screen
from fastcarbon.core import grey as core_grey
from fastcarbon.errors import InputError
from fastcarbon.grey.egm import _series_input, _units
from fastcarbon.kernels.grey import MIN_POINTS

__all__ = ["backtest"]

MODELS = ("egm", "linear")


def backtest(
    da: xr.DataArray,
    dim: str = "year",
    *,
    horizon: int = 1,
    min_train: int = MIN_POINTS,
    shift: float = 0.0,
    parallel: bool | None = None,
) -> xr.Dataset:
    """Rolling-origin backtest: for each origin, fit on the points before it, score the next ones.

    For each origin o (a label of ``dim``, from the ``min_train``-th point on), EGM(1,1) and the
    linear trend are fitted on the points before o and forecast ``horizon`` points from o on,
    which are compared with the held-out values (as 000 does once, fitting 2011–2019 and
    forecasting 2020).  Errors e = actual − forecast; absolute percentage error |e|/|actual|.

    Parameters
    ----------
    da : xarray.DataArray
        Series along ``dim`` (any other dims are batch dims); validated as in
        :func:`fastcarbon.grey.fit_egm`.
    dim : str
        Time dimension.
    horizon : int
        Leads scored per origin (>= 1); leads past the end of the data are NaN and skipped.
    min_train : int
        Shortest training window (>= 4).
    shift, parallel
        As in :func:`fastcarbon.grey.fit_egm`.  Unfittable training windows give NaN forecasts
        (skipped in the averages).  A ragged series (leading or trailing NaN) is fitted at each
        origin on its own values before it, as :func:`fastcarbon.grey.fit_egm` does; origins
        before it has 4 values, and held-out years it does not cover, score nothing.

    Returns
    -------
    xarray.Dataset
        ``forecast`` (model, origin, lead, ...), ``actual`` (origin, lead, ...), ``error``,
        ``ape``; per series ``mape`` and ``mae`` (model, ...) over origins and leads; aggregate
        ``mape_by_lead`` (model, lead) and ``mape_overall`` (model) over every series, origin
        and lead.  ``model`` is ("egm", "linear"); ``lead`` is 1..horizon steps.

    Examples
    --------
    >>> from fastcarbon.datasets import bengbu
    >>> from fastcarbon.grey import backtest
    >>> bt = backtest(bengbu().x0 / 1e4, horizon=1, min_train=9)   # fit 2011-2019, score 2020
    >>> bt.forecast.sel(origin=2020, lead=1).round(2).values.tolist()
    [352.6, 350.75]
    """
    da = screen(_series_input(da, dim), "da", nan_ok=True)  # ±inf is no data; NaN is skipped at the ends
    n = da.sizes[dim]
    if isinstance(min_train, bool) or not isinstance(min_train, (int, np.integer)) or min_train < MIN_POINTS:
        raise InputError(f"min_train must be an integer >= {MIN_POINTS}, got {show(min_train)}")
    if n <= min_train:
        raise InputError(
            f"backtest: {n} points along {show(dim)}; min_train={min_train} leaves no origin "
            f"(at least {min_train + 1} points needed)"
        )
    if parallel is None and da.chunks is not None:
        parallel = False
    n_origin = n - min_train

    def run(x):
        fc, actual = core_grey.backtest(x, horizon=horizon, min_train=min_train, shift=shift, parallel=parallel)
        # (2, O, ..., h) → (..., 2, O, h) and (O, ..., h) → (..., O, h): core dims last
        return np.moveaxis(fc, (0, 1), (-3, -2)), np.moveaxis(actual, 0, -2)

    forecast, actual = xr.apply_ufunc(
        run,
        da,
        input_core_dims=[[dim]],
        output_core_dims=[["model", "origin", "lead"], ["origin", "lead"]],
        dask="parallelized",
        output_dtypes=[np.float64, np.float64],
        dask_gufunc_kwargs={
            "output_sizes": {"model": 2, "origin": n_origin, "lead": int(horizon)},
            "allow_rechunk": True,
        },
    )
    origin = da[dim].values[min_train:] if dim in da.coords else np.arange(min_train, n)
    coords = {"model": list(MODELS), "origin": origin, "lead": np.arange(1, horizon + 1)}
    forecast = forecast.assign_coords(coords)
    actual = actual.assign_coords({k: coords[k] for k in ("origin", "lead")})
    units = _units(da)
    error = actual - forecast
    ape = abs(error) / abs(actual)
    batch = [d for d in forecast.dims if d not in ("model", "origin", "lead")]
    ds = xr.Dataset(
        {
            "forecast": forecast.assign_attrs(units=units, long_name="forecast from the points before origin"),
            "actual": actual.assign_attrs(units=units, long_name="held-out value"),
            "error": error.assign_attrs(units=units, long_name="forecast error actual - forecast"),
            "ape": ape.assign_attrs(units="1", long_name="absolute percentage error |error| / |actual| (fraction)"),
            "mape": ape.mean(("origin", "lead")).assign_attrs(
                units="1", long_name="mean absolute percentage error per series over origins and leads"),
            "mae": abs(error).mean(("origin", "lead")).assign_attrs(
                units=units, long_name="mean absolute error per series over origins and leads"),
            "mape_by_lead": ape.mean(["origin", *batch]).assign_attrs(
                units="1", long_name="mean absolute percentage error by lead, over series and origins"),
            "mape_overall": ape.mean(["origin", "lead", *batch]).assign_attrs(
                units="1", long_name="mean absolute percentage error over series, origins and leads"),
        }
    )
    ds["origin"].attrs.update(long_name=f"first held-out {dim}")
    ds["lead"].attrs.update(long_name=f"steps along {dim} after the last training point", units="1")
    ds.attrs.update(
        dim=dim, horizon=int(horizon), min_train=int(min_train), shift=float(shift),
        method="rolling-origin backtest of EGM(1,1) and a least-squares linear trend (METHODS.md); "
        "averages skip NaN (leads past the data, unfittable windows)",
    )
    return ds
