"""Peaks asked of a grey forecast: the observed history, then the model (METHODS.md, EGM(1,1))."""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import as_dataarray, block_locator, require_dims, require_numeric
from fastcarbon.core import grey as core_grey
from fastcarbon.errors import CoordinateMismatchError, InputError, InputTypeError
from fastcarbon.grey.egm import _forecast_series, _label, _locator, _time_labels, _units

__all__ = ["forecast_peak", "PEAK_LEGEND"]

#: status code → meaning, as stored in the ``status`` variable (CF ``flag_values``/``flag_meanings``)
PEAK_LEGEND = {code: meaning for code, (_, meaning) in core_grey.PEAK_STATUS.items()}


def forecast_peak(observed: xr.DataArray, fit: xr.Dataset, *, horizon: int | None = None,
                  by: float | None = None) -> xr.Dataset:
    """Has each series peaked, and will it by ``by``, from its data and a grey (or linear) forecast.

    EGM(1,1) is one exponential, so its fitted-plus-forecast path is monotone: on its own it
    cannot show a peak inside the horizon (a falling path "peaks" in its first year, a rising
    one never), and a peak question asked of it alone is answered by the sign of ``a``.  This
    function answers from the **path**: each series' observed values up to its last observed
    year, then the model's values after it (the years the series does not cover inside the fit,
    then the forecast).  On the path, with the rule of :func:`fastcarbon.peaks.peak`:

    - the peak is the first maximum; the series has **peaked** when a lower value follows it by
      the horizon end, else it is censored ("no peak within the horizon", ``peak_year`` NaN);
    - ``peaked_by`` (with ``by``): peaked, in ``by`` or earlier;
    - ``status`` says where the answer comes from (legend in its attrs, :data:`PEAK_LEGEND`):

      - 0 *peaked in the data*: the observed data peak and fall below the peak, and the
        forecast does not rise: peaked, with the peak year from the data;
      - 1 *peaked in the data, forecast rising*: the same data, but the model (fitted to the
        whole window) rises again while staying below the peak through the horizon.  Decided:
        peaked within the horizon, as for any trajectory — but the model disagrees, and a longer
        horizon may reverse it (an exponential passes any level);
      - 2 *censored by the model's shape*: the path ends at its maximum, because the forecast
        rises (above any peak in the data) or stays level: not peaked;
      - 3 *decline only in the forecast*: the data do not fall after their maximum, only the
        falling model does: peaked, the decline being the model's;
      - −1 *undetermined*: the series was not fitted (``fit.flag``): NaN answers, never "not
        peaked".

      ``from_model_shape`` is True for 2 and 3: answers the model's monotone shape gives alone.

    A peak in a series' first observed year (data falling from the start) means "in that year
    or before": the data cannot tell.

    Parameters
    ----------
    observed : xarray.DataArray
        The data ``fit`` was made from (same dims and labels; each series' non-NaN values must
        span the window the fit reports).
    fit : xarray.Dataset
        The result of :func:`fastcarbon.grey.fit_egm` or :func:`fastcarbon.grey.fit_linear`
        (``errors="ignore"`` leaves unfitted series undetermined here).
    horizon : int, optional
        Steps to forecast after the last year of the fit (>= 1).  Default: up to ``by``.
    by : float, optional
        Target year for ``peaked_by``, at most the horizon's last year.

    Returns
    -------
    xarray.Dataset
        Over the fit's other dims: ``peak_year`` (NaN: censored or undetermined), ``peak_value``
        (the path's maximum; for a censored series a lower bound), ``peaked`` and ``peaked_by``
        (1.0 yes, 0.0 no, NaN undetermined: float, so sums and means skip the undetermined),
        ``status`` (int8, legend in ``flag_values``/``flag_meanings`` and ``legend``),
        ``from_model_shape`` (bool), and ``path`` (the observed history then the model, over the
        fit's years and the horizon).  Each has ``units`` and ``long_name``.  Dask-backed
        input gives dask-backed output.

    Raises
    ------
    InputTypeError
        ``fit`` is not a grey fit; ``observed`` is not a numeric DataArray; ``by`` not a number.
    InputError
        No ``horizon`` and no ``by``; ``horizon`` < 1; ``by`` after the horizon.
    CoordinateMismatchError
        ``observed`` and ``fit`` disagree on dims or labels, or on a series' window
        (:class:`fastcarbon.core.grey.WindowMismatchError`, raised at compute time under dask).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from fastcarbon.grey import fit_egm, forecast_peak
    >>> x = xr.DataArray(
    ...     [[100, 110, 120, 115, 108, 101, 95, 90, 86],      # peaked in 2014, falling since
    ...      [100, 104, 109, 113, 118, 124, 129, 135, 141],   # rising
    ...      [100, 125, 100, 103, 106, 109, 112, 115, 118]],  # peaked in 2013, rising again
    ...     dims=("city", "year"),
    ...     coords={"city": ["A", "B", "C"], "year": np.arange(2012, 2021)}, attrs={"units": "Mt CO2"})
    >>> out = forecast_peak(x, fit_egm(x), by=2025)
    >>> out.peak_year.values.tolist(), out.peaked_by.values.tolist(), out.status.values.tolist()
    ([2014.0, nan, 2013.0], [1.0, 0.0, 1.0], [0, 2, 1])
    >>> out.from_model_shape.values.tolist()   # B's "not by 2025" is the exponential's shape
    [False, True, False]
    >>> # What not to do: the maximum of the model alone is its second point or its last.
    >>> fit_egm(x).fitted.idxmax("year").astype(int).values.tolist()
    [2013, 2020, 2020]
    """
    if (not isinstance(fit, xr.Dataset) or "model" not in fit.attrs or "dim" not in fit.attrs
            or f"first_{fit.attrs['dim']}" not in fit):
        raise InputTypeError(f"fit: expected the Dataset returned by fit_egm or fit_linear, got {type(fit).__name__}")
    dim = fit.attrs["dim"]
    observed = as_dataarray(observed, "observed")
    require_numeric(observed, "observed")
    require_dims(observed, [dim], "observed")
    if set(observed.dims) != set(fit.fitted.dims):
        raise CoordinateMismatchError(
            f"observed: dims {list(observed.dims)} differ from the fit's {list(fit.fitted.dims)}; pass the data "
            f"the fit was made from")
    try:
        observed, _ = xr.align(observed, fit.fitted, join="exact")
    except ValueError:
        raise CoordinateMismatchError(
            "observed: its labels differ from the fit's along some dim; pass the data the fit was made from") from None
    times = _time_labels(fit, dim)
    n = times.size
    step = times[1] - times[0] if n > 1 else 1.0
    if by is not None and (isinstance(by, bool) or not isinstance(by, (int, float, np.integer, np.floating))
                           or not math.isfinite(by)):
        shown = by.item() if isinstance(by, np.generic) else by  # 2030.5, not np.float64(2030.5)
        raise InputTypeError(f"by: a year (a finite real number), got {show(shown)}")
    if horizon is None:
        if by is None:
            raise InputError("forecast_peak needs horizon= (steps after the fit's last year) or by= (a target year)")
        horizon = max(1, int(np.ceil((float(by) - times[-1]) / step - 1e-9)))
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        shown = horizon.item() if isinstance(horizon, np.generic) else horizon
        raise InputError(f"horizon must be an integer >= 1, got {show(shown)}")
    years = np.concatenate([times, times[-1] + step * np.arange(1, horizon + 1)])
    if by is not None and float(by) > years[-1]:
        raise InputError(f"by: {_label(float(by))} is after the horizon's last {dim} {_label(years[-1])}; "
                         f"pass horizon >= {int(np.ceil((float(by) - times[-1]) / step - 1e-9))} or an earlier by")
    forecast = _forecast_series(fit, int(horizon), fit.attrs["model"]).drop_vars(dim).rename({dim: _AHEAD})
    names = ["path", "peak_year", "peak_value", "peaked", "peaked_by", "status", "from_model_shape"]
    if by is None:
        names.remove("peaked_by")

    # As in fit_egm: under dask the labels of the batch dims travel with the blocks so that a
    # window mismatch found in one block is named by the labels of the whole array.
    batch_dims = [d for d in observed.dims if d != dim]
    lazy = any(v.chunks is not None for v in (observed, fit.fitted, forecast))
    locate, label_arrays = block_locator(observed, (dim,)) if lazy and batch_dims else (None, [])
    whole = observed if not lazy else None  # never in a dask graph

    def run(x, fitted, ahead, first_label, last_label, grade, *label_blocks):
        first, last = (_positions_of(lab, times) for lab in (first_label, last_label))
        model = np.concatenate([fitted, ahead], axis=-1)
        try:
            r = core_grey.forecast_peak(x, model, first, last, grade >= 0, years, by=by)
        except core_grey.WindowMismatchError as err:
            where_from, blocks = _locator(locate, label_blocks, whole, batch_dims, dim)
            raise _mismatch(err, dim, batch_dims, where_from, blocks, times) from None
        out = r._asdict() | {"from_model_shape": np.isin(r.status, core_grey.PEAK_FROM_SHAPE)}
        return tuple(out[k] for k in names)

    results = xr.apply_ufunc(
        run, observed, fit.fitted, forecast, fit[f"first_{dim}"], fit[f"last_{dim}"], fit.grade, *label_arrays,
        input_core_dims=[[dim], [dim], [_AHEAD], [], [], []] + [[] for _ in label_arrays],
        output_core_dims=[[_PATH]] + [[] for _ in names[1:]],
        exclude_dims={dim},
        dask="parallelized",
        output_dtypes=[{"status": np.int8, "from_model_shape": np.bool_}.get(k, np.float64) for k in names],
        dask_gufunc_kwargs={"output_sizes": {_PATH: years.size}, "allow_rechunk": True},
    )
    units = _units(observed)
    time_units = fit[f"first_{dim}"].attrs.get("units", "1")
    span = f"{_label(times[0])}-{_label(years[-1])}"
    model = fit.attrs["model"]
    what = {
        "path": (units, f"observed values to each series' last observed {dim}, then the {model} model"),
        "peak_year": (time_units, f"peak {dim} of the path (NaN: no peak within {dim} {span}, or undetermined)"),
        "peak_value": (units, f"maximum of the path over {dim} {span} (NaN: undetermined)"),
        "peaked": ("1", f"peaked within {dim} {span}: 1 yes, 0 no (censored), NaN undetermined (not fitted)"),
        "peaked_by": ("1", f"peaked in {dim} {_label(float(by)) if by is not None else ''} or earlier: 1 yes, 0 no, "
                           "NaN undetermined (not fitted)"),
        "status": ("1", "where the answer comes from (see legend)"),
        "from_model_shape": ("1", f"the answer comes from the {model} path's monotone shape alone (status 2 or 3)"),
    }
    ds = xr.Dataset({k: r.assign_attrs(units=what[k][0], long_name=what[k][1]) for k, r in zip(names, results)})
    ds["path"] = ds.path.rename({_PATH: dim}).assign_coords({dim: years.astype(fit[dim].dtype) if dim in fit.coords
                                                             else np.arange(years.size)})
    legend = "; ".join(f"{c}: {m}" for c, m in PEAK_LEGEND.items())
    ds["status"].attrs.update(
        flag_values=np.array(list(PEAK_LEGEND), dtype=np.int8),
        flag_meanings=" ".join(name for name, _ in core_grey.PEAK_STATUS.values()), legend=legend)
    if by is not None:
        ds["peaked_by"].attrs["target"] = by
    ds.attrs.update(
        model=model, dim=dim, horizon=int(horizon), status_legend=legend,
        method=(f"peak of the path: observed values to each series' last observed {dim}, then the {model} "
                "model; first maximum, peaked when a lower value follows by the horizon end (as "
                "fastcarbon.peaks.peak); a monotone model cannot show a peak alone, so status says "
                "whether the answer comes from the data or from the model's shape (METHODS.md)"),
    )
    return ds


_AHEAD = "__forecast_step"  # the forecast's steps, while they travel beside the fit's years
_PATH = "__path_step"  # the path's points (the fit's years, then the horizon)


def _positions_of(labels: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Positions along the fit's time dim of window labels (exact: the same coordinate), -1 for NaN."""
    known = ~np.isnan(labels)
    return np.where(known, np.searchsorted(times, np.where(known, labels, times[0])), -1)


def _mismatch(err: core_grey.WindowMismatchError, dim, batch_dims, locate, label_blocks, times):
    """The core's window mismatch with coordinate labels (as :func:`fastcarbon.grey.egm._unfittable`)."""

    def shown(span):
        return f"{dim} {_label(times[span[0]])}-{_label(times[span[1]])}" if span[0] >= 0 else "no value"

    where, index = ("series along " + repr(dim), err.index)
    if batch_dims:
        where, index = locate(label_blocks, err.index, batch_dims, layout=batch_dims)
        where = f"series at {where}"
    return core_grey.WindowMismatchError(index, err.observed, err.fitted, where, (shown(err.observed), shown(err.fitted)))
