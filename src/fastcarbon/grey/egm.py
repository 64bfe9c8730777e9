"""EGM(1,1) over labelled data: fit every series along ``dim`` at once, forecast on a continuing
coordinate (Bengbu study, Scientific Reports 13:14528 (2023), eqs. 9–13, Tables 6–7)."""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np
import xarray as xr

from fastcarbon._build import IndexedCoord, bare_coords, dataarray, dataset, is_lazy, keeps_attrs, variable
from fastcarbon._format import show
from fastcarbon._validate import as_dataarray, block_locator, check_time, require_dims, require_numeric
from fastcarbon.core import grey as core_grey
from fastcarbon.errors import InputError, InputTypeError
from fastcarbon.kernels import grey as _k

__all__ = ["fit_egm", "forecast_egm", "GRADE_LEGEND", "FLAG_LEGEND"]

#: grade code → meaning, as stored in the ``grade`` variable (CF ``flag_values``/``flag_meanings``)
GRADE_LEGEND = {_k.GRADE_NONE: "not graded (series not fitted)"} | dict(enumerate(core_grey.GRADE_NAMES))

#: flag bit → meaning, as stored in the ``flag`` variable (CF ``flag_masks``/``flag_meanings``);
#: 0 = clean
FLAG_LEGEND = dict(core_grey.FLAG_NAMES)

_FLAG_WORDS = "missing_value nonpositive_value too_few_points a_out_of_range level_ratio_failed overflow"
_GRADE_WORDS = "not_graded good qualified barely_qualified unqualified"

_CITATION = "Bengbu industrial carbon emissions study, Scientific Reports 13:14528 (2023)"


def _series_input(da, dim: str, name: str = "da") -> xr.DataArray:
    """Validate the input of a fit: a numeric DataArray with ``dim``, whose coordinate (if any) is
    numeric, strictly increasing and equally spaced (grey models assume equal steps)."""
    da = as_dataarray(da, name)
    require_dims(da, [dim], name)
    require_numeric(da, name)
    check_time(da, dim, name, "equal", required=False)  # grey models assume equal steps
    return da


def _units(da: xr.DataArray) -> str:
    return str(da.attrs.get("units", "1"))


def _time_labels(da: xr.DataArray, dim: str) -> np.ndarray:
    """The labels of ``dim`` as floats (NaN can then mark "none"), positions where it has no
    coordinate."""
    return (da[dim].values if dim in da.coords else np.arange(da.sizes[dim])).astype(np.float64)


def _label(value: float) -> str:
    """A label of the time dim as the user wrote it: 2018, not 2018.0 or np.float64(2018.0)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _locator(locate, label_blocks, whole, batch_dims, dim):
    """The block locator and label blocks that name a failing series: those of the dask graph
    (``locate``, ``label_blocks``), or for numpy input (``whole``, kept out of any graph) a
    locator built only now, on the error path."""
    if whole is None or not batch_dims:
        return locate, label_blocks
    where_from, arrays = block_locator(whole, (dim,))
    return where_from, [np.asarray(a) for a in arrays]


def _unfittable(err: core_grey.UnfittableSeriesError, dim: str, batch_dims, locate, label_blocks, times,
                argument: str = "da"):
    """Re-state the core's unfittable-series error with the coordinate labels (positions for a
    dim without them) and the index of that series in the whole array: ``"series at
    region='B', city[3]"``, or ``"series along 'year'"`` for a single series, with its window as
    labels of ``dim`` (``times``).  ``locate`` and ``label_blocks``: see
    :func:`fastcarbon._validate.block_locator`."""
    window = None
    if err.span is not None and err.n_points:
        window = f"{dim} {_label(times[err.span[0]])}-{_label(times[err.span[1]])}"
    extra = dict(n_points=err.n_points, span=err.span, window=window, argument=argument)
    if not batch_dims:
        return core_grey.UnfittableSeriesError(err.model, err.index, err.flag, f"series along {show(dim)}", **extra)
    where, index = locate(label_blocks, err.index, batch_dims, layout=batch_dims)
    return core_grey.UnfittableSeriesError(err.model, index, err.flag, f"series at {where}", **extra)


#: each model's ``param`` coordinate (its index is immutable: shared by every fit)
@functools.lru_cache(maxsize=None)
def _param_coord(names: tuple[str, ...]) -> IndexedCoord:
    # Built on first use, not at import: a Variable made at import time pulls in dask and pint
    # through xarray's duck-array checks (~0.4 s of every ``import fastcarbon.grey``).
    return IndexedCoord.of("param", list(names))


_GRADE_VALUES = np.array(list(GRADE_LEGEND), dtype=np.int8)
_FLAG_MASKS = np.array(list(FLAG_LEGEND), dtype=np.int32)


def _fit_series(da, dim: str, model: str, errors: str, shift: float, parallel) -> xr.Dataset:
    """Shared body of :func:`fit_egm` and :func:`fastcarbon.grey.fit_linear`.

    The outputs are the core's arrays on the input's own dims and coordinates, put together
    directly (:mod:`fastcarbon._build`): on one series the xarray bookkeeping of apply_ufunc,
    assign_coords, sel and the Dataset's merge cost 4.5 ms of a 4.9 ms fit."""
    if errors not in ("raise", "ignore"):
        raise InputError(f"errors must be 'raise' or 'ignore', got {show(errors)}")
    da = as_dataarray(da, "da")
    require_dims(da, [dim], "da")
    require_numeric(da, "da")
    times = check_time(da, dim, "da", "equal", required=False)  # grey models assume equal steps
    axis = da.dims.index(dim)
    n = da.shape[axis]
    if errors == "raise" and n < _k.MIN_POINTS:
        raise InputError(
            f"da: {n} points along {show(dim)}; {model} needs at least {_k.MIN_POINTS} "
            f"(pass errors='ignore' to get NaN and flag {_k.FLAG_TOO_SHORT} instead)"
        )
    egm = model == "EGM(1,1)"
    fit = core_grey.fit_egm if egm else core_grey.fit_linear
    lazy = is_lazy(da)
    if parallel is None and lazy:
        parallel = False  # serial kernels inside dask tasks; dask provides the parallelism

    # Under dask the core raises inside one block, where its index is a position within that
    # block.  So with errors="raise" the batch dims' labels (positions for a dim without
    # coordinate) travel with the data as tiny 1-D arrays chunked like it, and each block names
    # its series by the labels and index of the whole array.  Eager input is one block, the whole
    # array: its labels are read only when it fails.  errors="ignore" cannot raise and needs neither.
    batch_dims = tuple(d for d in da.dims if d != dim)
    travel = errors == "raise" and lazy and bool(batch_dims)
    locate, labels = block_locator(da, (dim,)) if travel else (None, [])
    whole = da if errors == "raise" and not lazy else None  # never in a dask graph
    # Each series' window (first and last non-NaN value) as labels of dim; NaN for none.
    if times is None:
        times = np.arange(n, dtype=np.float64)
    times_or_nan = np.append(times, np.nan)  # index -1 (no value) reads the NaN

    def run(x, *label_blocks):
        try:
            r = fit(x, shift=shift, errors=errors, parallel=parallel)
        except core_grey.UnfittableSeriesError as err:
            where_from, blocks = _locator(locate, label_blocks, whole, batch_dims, dim)
            raise _unfittable(err, dim, batch_dims, where_from, blocks, times) from None
        return (r.params, r.fitted, r.residual, r.relative_error, r.mape, r.C, r.P, r.grade,
                r.level_ratio_ok, r.flag, r.n_points, times_or_nan[r.first], times_or_nan[r.last])

    if lazy:
        outs = [o.data for o in xr.apply_ufunc(
            run,
            da,
            *labels,
            input_core_dims=[[dim]] + [[] for _ in labels],
            output_core_dims=[["param"], [dim], [dim], [dim], [], [], [], [], [], [], [], [], []],
            dask="parallelized",
            output_dtypes=[np.float64] * 7 + [np.int8, np.bool_, np.int32, np.int32, np.float64, np.float64],
            dask_gufunc_kwargs={"output_sizes": {"param": 2}, "allow_rechunk": True},
        )]
    else:  # the time dim last, the batch dims in the input's order: as apply_ufunc would pass it
        outs = run(da.data if axis == da.ndim - 1 else np.moveaxis(da.data, axis, -1))
    params, fitted, residual, rel, mape, c, p, grade, level_ok, flag, n_points, first_t, last_t = outs
    units = _units(da)
    time_units = da.coords.variables[dim].attrs.get("units", "1") if dim in da.coords else "1"
    key = (model, dim, units, time_units, dim in da.coords)
    try:
        meta, ds_attrs = _fit_metadata(*key)
    except TypeError:  # an unhashable units attr on the time coordinate: nothing to cache
        meta, ds_attrs = _fit_metadata.__wrapped__(*key)
    names = ("a", "b") if egm else ("intercept", "slope")
    along = (*batch_dims, dim)
    data = {"coefficients": ((*batch_dims, "param"), params), names[0]: (batch_dims, params[..., 0]),
            names[1]: (batch_dims, params[..., 1]), "fitted": (along, fitted), "residual": (along, residual),
            "relative_error": (along, rel), "mape": (batch_dims, mape), "C": (batch_dims, c),
            "P": (batch_dims, p), "grade": (batch_dims, grade), "level_ratio_ok": (batch_dims, level_ok),
            "flag": (batch_dims, flag),
            "n_points": (batch_dims, n_points), f"first_{dim}": (batch_dims, first_t),
            f"last_{dim}": (batch_dims, last_t)}
    # The order of the Dataset xr.Dataset(...) built before: each variable's new coordinates
    # (the input's, without attrs, as apply_ufunc gives them), then the variable.
    coords, indexes = bare_coords(da)
    batch_coords = {k: v for k, v in coords.items() if dim not in v.dims}
    time_coords = {k: v for k, v in coords.items() if dim in v.dims}
    param, param_index = _param_coord(tuple(names)).get()
    variables = {**batch_coords, "param": param}
    for name, attrs in meta.items():  # fresh attrs dicts: the caller may change them
        if name == "fitted":
            variables.update(time_coords)
        if name == "param_units":
            variables[name] = variable(("param",), np.array(attrs), {})
        else:
            variables[name] = variable(*data[name], dict(attrs))
    variables["grade"].attrs["flag_values"] = _GRADE_VALUES.copy()
    variables["flag"].attrs["flag_masks"] = _FLAG_MASKS.copy()
    ds_attrs = dict(ds_attrs)
    ds_attrs["shift"] = float(shift)
    coord_names = {*batch_coords, "param", "param_units", *time_coords}
    return dataset(variables, coord_names, {**indexes, "param": param_index}, ds_attrs)


@functools.lru_cache(maxsize=64)
def _fit_metadata(model: str, dim, units: str, time_units, labelled: bool) -> tuple[dict, dict]:
    """The attrs of a fit's variables (``param_units``: the coefficients' units) in the Dataset's
    order, and the Dataset's attrs (``shift`` set per call): the same strings every call."""
    egm = model == "EGM(1,1)"
    labels = f"{dim} labels" if labelled else f"positions along {show(dim)}"
    names = ("a", "b") if egm else ("intercept", "slope")
    step = f"per step along {show(dim)}"
    if egm:
        first = {"a": {"units": "1", "long_name": f"development coefficient a ({step})"},
                 "b": {"units": units, "long_name": f"grey input b ({step})"}}
    else:
        first = {"intercept": {"units": units, "long_name":
                               f"intercept alpha: trend value one step before the series' first {dim}"},
                 "slope": {"units": units, "long_name": f"slope beta ({step})"}}
    meta = {
        "param_units": [first[k]["units"] for k in names],
        "coefficients": {"units": "see param_units", "long_name": f"{model} coefficients {names}"},
        **first,
        "fitted": {"units": units, "long_name": f"{model} fitted values",
                   "description": f"the model from each series' first {dim} on: fitted to the end of its "
                   f"window, out of sample after it (a series that ends early); NaN before the window"},
        "residual": {"units": units, "long_name": "residual x - fitted (NaN outside the window)"},
        "relative_error": {"units": "1", "long_name":
                           "relative error |x - fitted| / |x| (fraction; NaN outside the window)"},
        "mape": {"units": "1",
                 "long_name": "mean absolute percentage error over the series' n_points points (fraction)"},
        "C": {"units": "1", "long_name": "posterior-difference ratio C = S2/S1"},
        "P": {"units": "1", "long_name": "small-error probability P = share of |e - mean e| < 0.6745 S1"},
        # flag_values and flag_masks (arrays) are added per call, each fit its own copy
        "grade": {"units": "1", "long_name": "accuracy grade (000 Table 7)", "flag_values": None,
                  "flag_meanings": _GRADE_WORDS},
        "level_ratio_ok": {"units": "1", "long_name":
                           "every level ratio x(k-1)/x(k) in (e^(-2/(n+1)), e^(2/(n+1))), n = n_points"},
        "flag": {"units": "1", "long_name": "fit flags (bit-field, 0 = clean)", "flag_masks": None,
                 "flag_meanings": _FLAG_WORDS},
        "n_points": {"units": "1",
                     "long_name": f"number of non-NaN values along {show(dim)} (the points fitted)"},
        f"first_{dim}": {"units": time_units, "long_name":
                         f"first {dim} with a value: start of the window fitted ({labels}; NaN: none)"},
        f"last_{dim}": {"units": time_units, "long_name":
                        f"last {dim} with a value: end of the window fitted ({labels}; NaN: none)"},
    }
    attrs = dict(
        model=model, dim=dim, shift=None, input_units=units,
        method=(f"{model} fitted by centered least squares on mean-scaled data, expm1 time response"
                if egm else "linear trend alpha + beta*k, k = 1..n, by centered least squares")
        + f"; each series on its own window of {dim}s (first to last non-NaN value)"
        + f"; posterior-difference test (C, P, grade) per {_CITATION}, Tables 6-7; see METHODS.md",
    )
    return meta, attrs


def fit_egm(
    da: xr.DataArray,
    dim: str = "year",
    *,
    errors: Literal["raise", "ignore"] = "raise",
    shift: float = 0.0,
    parallel: bool | None = None,
) -> xr.Dataset:
    """Fit EGM(1,1) to every series along ``dim``, for all other dims at once.

    .. math::

        x^{(0)}(k) + a\\,z^{(1)}(k) = b, \\qquad
        \\hat x^{(0)}(k+1) = \\frac{\\operatorname{expm1}(a)}{a}\\,(b - a\\,x^{(0)}(1))\\,e^{-ak},
        \\quad \\hat x^{(0)}(1) = x^{(0)}(1)

    x1 is the cumulative sum of x0 and z(k) = (x1(k) + x1(k−1))/2 (Bengbu study, Scientific
    Reports 13:14528 (2023), eqs. 9–13).  a and b come from centered least squares on data
    scaled by their mean; the expm1 form equals the paper's x1-difference form but works at
    a = 0 and overflows to inf, never NaN (METHODS.md).  C, P and the grade are the
    posterior-difference test (Liu Sifeng's convention; 000 Table 7).

    Parameters
    ----------
    da : xarray.DataArray
        Positive values with dim ``dim`` and any other dims (``region``, ``sector``, ``fuel``...).
        The ``dim`` coordinate, if any, must be numeric, strictly increasing and equally spaced.
        Ragged series are fitted as they are: each on its own window, from its first to its last
        non-NaN value (a city that reports only 2015–2020 inside 2011–2020 is fitted on those six
        years, exactly as if cut out); a NaN inside the window is a gap (flag 1), fewer than 4
        values are too few (flag 4).
        Dask-backed input gives dask-backed output, identical to eager for any chunking of the
        other dims.
    dim : str
        The time dimension.
    errors : {"raise", "ignore"}
        As in ``xarray.Dataset.curvefit``: ``"raise"`` stops at the first series that cannot be
        fitted (a gap or inf, a value <= 0, fewer than 4 values, |a| >= 2) and names it, with its
        number of values and window;
        ``"ignore"`` gives NaN for it and says why in ``flag``.
    shift : float
        Constant c added before fitting and removed afterwards (for series with values <= 0).
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical).  Default: serial under
        dask and for small inputs.

    Returns
    -------
    xarray.Dataset
        ``coefficients`` (``param`` = a, b), ``a``, ``b``, ``fitted`` (the model from the
        series' first year to the last of ``dim``: out of sample after the series' last value),
        ``residual`` (x − x̂, NaN outside the window), ``relative_error``, ``mape`` (over the
        window, a fraction), ``n_points`` and the window ``first_<dim>``, ``last_<dim>``
        (``first_year``, ``last_year``: labels of ``dim``, NaN for a series without values),
        ``C``, ``P``, ``grade``
        (int8 code: :data:`GRADE_LEGEND`, -1 not graded, 0 good, 1 qualified, 2 barely
        qualified, 3 unqualified), ``level_ratio_ok`` and ``flag`` (int32 bit-field:
        :data:`FLAG_LEGEND`; 1 missing, 2 non-positive, 4 too few points, 8 |a| >= 2 — these
        leave the series unfitted — 16 level ratio outside the admissible interval, 32 overflow
        — warnings).  Every variable has ``units`` and ``long_name``; ``fitted``, ``residual``
        and ``b`` carry the input's units.

    Raises
    ------
    MissingDimensionError, InputTypeError
        No ``dim``; non-numeric data or coordinate.
    InvalidValueError
        A coordinate that is not strictly increasing or not equally spaced.
    UnfittableSeriesError
        With ``errors="raise"``: a series that cannot be fitted, named by its coordinate labels
        (by its position along a dim without them).  Under dask it is raised at compute time,
        with the same labels and the same ``index`` (the series' position in the whole array).

    Examples
    --------
    >>> from fastcarbon.datasets import bengbu
    >>> from fastcarbon.grey import fit_egm
    >>> fit = fit_egm(bengbu().x0 / 1e4)          # 000 Table 6, in 10^4 t C
    >>> round(float(fit.a), 6), round(float(fit.b), 3)
    (-0.011391, 312.272)
    >>> round(float(fit.C), 3), float(fit.P), GRADE_LEGEND[int(fit.grade)]
    (0.314, 1.0, 'good')
    >>> fit.fitted.sel(year=2020).round(2).item()
    348.0

    A series that starts in 2013 is fitted on 2013–2020 (its k = 1 is 2013):

    >>> late = fit_egm((bengbu().x0 / 1e4).where(lambda x: x.year >= 2013))
    >>> int(late.n_points), int(late.first_year), int(late.last_year)
    (8, 2013, 2020)
    """
    return _fit_series(da, dim, "EGM(1,1)", errors, shift, parallel)


def _forecast_series(fit: xr.Dataset, horizon: int, model: str) -> xr.DataArray:
    """Shared body of :func:`forecast_egm` and :func:`fastcarbon.grey.forecast_linear`."""
    if (not isinstance(fit, xr.Dataset) or "coefficients" not in fit or "model" not in fit.attrs
            or f"first_{fit.attrs.get('dim')}" not in fit):
        raise InputTypeError(
            f"fit: expected the Dataset returned by fit_{'egm' if model == 'EGM(1,1)' else 'linear'}, "
            f"got {type(fit).__name__}"
        )
    if fit.attrs["model"] != model:
        raise InputError(f"fit: this is a {fit.attrs['model']} fit; {model} forecasts need a {model} fit")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 0:
        raise InputError(f"horizon must be an integer >= 0, got {show(horizon)}")
    dim, shift = fit.attrs["dim"], float(fit.attrs["shift"])
    n = fit.sizes[dim]
    variables = fit.variables
    coefficients, fitted = variables["coefficients"], variables["fitted"]
    first_label = variables[f"first_{dim}"]
    coord = variables[dim].values if dim in fit.coords else None
    times = np.arange(n, dtype=np.float64) if coord is None else coord.astype(np.float64)
    egm = model == "EGM(1,1)"

    def run(params, fitted, first_label):
        # Each series' first position back from its label (exact: the same coordinate); -1 for a
        # series without values (its parameters are NaN, so is its forecast).
        at_start = bool(n) and bool((first_label == times[0]).all())  # every series starts at the first label (NaN: no)
        if at_start:
            first = np.zeros(first_label.shape, dtype=np.int64)
        else:
            known = ~np.isnan(first_label)
            first = np.where(known, np.searchsorted(times, np.where(known, first_label, times[0])), -1)
        if not egm:
            return core_grey.forecast_linear(params, n, horizon, shift=shift, first=first)
        x_first = fitted[..., 0] if at_start else np.take_along_axis(
            fitted, np.maximum(first, 0)[..., None], axis=-1)[..., 0]
        return core_grey.forecast_egm(params, x_first, n, horizon, shift=shift, first=first)[0]

    # The core on the variables' data when they hold numpy arrays on the same batch dims (a fit as
    # fit_egm returns it); apply_ufunc for dask and for fits whose variables were reshaped apart.
    batch = tuple(d for d in coefficients.dims if d != "param")
    lazy = any(is_lazy(v) for v in (coefficients, fitted, first_label))
    if not lazy and set(fitted.dims) == {*batch, dim} and set(first_label.dims) == set(batch):
        layout = ((coefficients, (*batch, "param")), (fitted, (*batch, dim)), (first_label, batch))
        data = run(*(v.data if v.dims == core else v.transpose(*core).data for v, core in layout))
    else:
        out = xr.apply_ufunc(
            run, fit["coefficients"].drop_vars(["param", "param_units"]), fit["fitted"], fit[f"first_{dim}"],
            input_core_dims=[["param"], [dim], []], output_core_dims=[[dim]], exclude_dims={dim},
            dask="parallelized", output_dtypes=[np.float64],
            dask_gufunc_kwargs={"output_sizes": {dim: horizon}, "allow_rechunk": True},
        )
        batch, data = out.dims[:-1], out.data
    if coord is not None:
        step = coord[1] - coord[0] if coord.size > 1 else 1
        ahead = _continuing(dim, coord[-1], step, coord.dtype, horizon)
    else:
        ahead = _continuing(dim, n - 1, 1, np.dtype(np.int64), horizon)
    # The fit's coordinates on the batch dims (with their attrs if xarray's keep_attrs option says
    # so, as apply_ufunc gave them), then the continuing time coordinate.
    coords, indexes = bare_coords(fit, lambda dims: set(dims) <= set(batch), attrs=keeps_attrs())
    coords[dim], indexes[dim] = ahead.get()
    forecast = variable((*batch, dim), data, {
        "units": fit.attrs["input_units"], "long_name": f"{model} forecast",
        "description": f"the {horizon} steps after the last {dim} of the fit, each series' model continued "
        f"from its own first {dim} (a series that ends early is forecast further ahead); inf beyond the "
        f"float64 range"})
    return dataarray(forecast, coords, indexes, "forecast")


@functools.lru_cache(maxsize=64)
def _continuing(dim, last, step, dtype, horizon: int) -> IndexedCoord:
    """The ``horizon`` labels after ``last``, ``step`` apart (a pandas index costs ~25 us to build,
    and an embedding loop asks for the same years every call)."""
    return IndexedCoord.of(dim, last + step * np.arange(1, horizon + 1, dtype=dtype))


def forecast_egm(fit: xr.Dataset, horizon: int = 10) -> xr.DataArray:
    """EGM(1,1) values for the ``horizon`` steps after the fitted ones, on a continuing coordinate.

    x̂0(k+1) = φ(a)·(b − a·x0(1))·e^{−ak}, k = n..n+h−1, from the fit's a, b and x̂0(1) = x0(1)
    (000 eq. 12–13 in the expm1 form, METHODS.md).  Values beyond the float64 range are inf.

    Parameters
    ----------
    fit : xarray.Dataset
        The result of :func:`fit_egm`.
    horizon : int
        Number of steps.

    Returns
    -------
    xarray.DataArray
        ``forecast`` with the fit's other dims and ``dim`` labelled last + step, ..., last +
        horizon·step (2021..2030 after 2011..2020); the input's units.  NaN where the series was
        not fitted.  The forecast years are the same for every series; each series' model runs
        from its own first year: a series observed 2015–2018 inside a 2011–2020 fit has its model
        values for 2019–2020 in ``fit.fitted`` and is here forecast 3 to 12 steps after its last
        observation (k counted from 2015), never as if 2021 followed 2018.

    Examples
    --------
    >>> from fastcarbon.datasets import bengbu
    >>> from fastcarbon.grey import fit_egm, forecast_egm
    >>> fc = forecast_egm(fit_egm(bengbu().x0 / 1e4), horizon=10)
    >>> fc.year.values[[0, -1]].tolist(), fc.round(2).values[[0, -1]].tolist()
    ([2021, 2030], [351.99, 389.99])
    """
    return _forecast_series(fit, horizon, "EGM(1,1)")
