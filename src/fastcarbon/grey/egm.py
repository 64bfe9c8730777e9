"""EGM(1,1) over labelled data: fit every series along ``dim`` at once, forecast on a continuing
coordinate (Bengbu study, Scientific Reports 13:14528 (2023), eqs. 9–13, Tables 6–7)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon._validate import as_dataarray, block_locator, require_dims, require_numeric
from fastcarbon.core import grey as core_grey
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError
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
    if dim in da.coords:
        coord = da[dim].values
        if coord.dtype.kind not in "iuf":
            raise InputTypeError(
                f"{name}: the {show(dim)} coordinate must be numeric (e.g. integer years), got dtype "
                f"{coord.dtype} ({show_list(coord, limit=3)})"
            )
        steps = np.diff(coord)
        if steps.size and not (steps > 0).all():
            k = int(np.flatnonzero(~(steps > 0))[0])
            raise InvalidValueError(
                f"{name}: the {show(dim)} coordinate must be strictly increasing; {show(coord[k])} is "
                f"followed by {show(coord[k + 1])}. Sort with .sortby({show(dim)})"
            )
        if steps.size and not np.allclose(steps, steps[0], rtol=1e-9, atol=0):
            k = int(np.flatnonzero(~np.isclose(steps, steps[0], rtol=1e-9, atol=0))[0])
            raise InvalidValueError(
                f"{name}: the {show(dim)} coordinate must be equally spaced (grey models assume equal "
                f"steps); step {show(steps[0])} at the start but {show(steps[k])} after {show(coord[k])}"
            )
    return da


def _units(da: xr.DataArray) -> str:
    return str(da.attrs.get("units", "1"))


def _unfittable(err: core_grey.UnfittableSeriesError, dim: str, batch_dims, locate, label_blocks):
    """Re-state the core's unfittable-series error with the coordinate labels (positions for a
    dim without them) and the index of that series in the whole array: ``"series at
    region='B', city[3]"``, or ``"series along 'year'"`` for a single series.  ``locate`` and
    ``label_blocks``: see :func:`fastcarbon._validate.block_locator`."""
    if not batch_dims:
        return core_grey.UnfittableSeriesError(err.model, err.index, err.flag, f"series along {show(dim)}")
    where, index = locate(label_blocks, err.index, batch_dims, layout=batch_dims)
    return core_grey.UnfittableSeriesError(err.model, index, err.flag, f"series at {where}")


def _fit_series(da, dim: str, model: str, errors: str, shift: float, parallel) -> xr.Dataset:
    """Shared body of :func:`fit_egm` and :func:`fastcarbon.grey.fit_linear`."""
    if errors not in ("raise", "ignore"):
        raise InputError(f"errors must be 'raise' or 'ignore', got {show(errors)}")
    da = _series_input(da, dim)
    n = da.sizes[dim]
    if errors == "raise" and n < _k.MIN_POINTS:
        raise InputError(
            f"da: {n} points along {show(dim)}; {model} needs at least {_k.MIN_POINTS} "
            f"(pass errors='ignore' to get NaN and flag {_k.FLAG_TOO_SHORT} instead)"
        )
    egm = model == "EGM(1,1)"
    fit = core_grey.fit_egm if egm else core_grey.fit_linear
    lazy = da.chunks is not None
    if parallel is None and lazy:
        parallel = False  # serial kernels inside dask tasks; dask provides the parallelism

    # Under dask the core raises inside one block, where its index is a position within that
    # block.  So with errors="raise" the batch dims' labels (positions for a dim without
    # coordinate) travel with the data as tiny 1-D arrays chunked like it, and each block names
    # its series by the labels and index of the whole array.  Eager input is one block, the whole
    # array: its labels are read only when it fails (passing them through apply_ufunc would cost
    # ~0.25 ms per call).  errors="ignore" cannot raise and needs neither.
    batch_dims = [d for d in da.dims if d != dim]
    travel = errors == "raise" and lazy and bool(batch_dims)
    locate, labels = block_locator(da, (dim,)) if travel else (None, [])
    whole = da if errors == "raise" and not lazy else None  # never in a dask graph

    def run(x, *label_blocks):
        try:
            r = fit(x, shift=shift, errors=errors, parallel=parallel)
        except core_grey.UnfittableSeriesError as err:
            where_from, blocks = locate, label_blocks
            if whole is not None and batch_dims:
                where_from, arrays = block_locator(whole, (dim,))
                blocks = [np.asarray(a) for a in arrays]
            raise _unfittable(err, dim, batch_dims, where_from, blocks) from None
        return (r.params, r.fitted, r.residual, r.relative_error, r.mape, r.C, r.P, r.grade,
                r.level_ratio_ok, r.flag)

    outs = xr.apply_ufunc(
        run,
        da,
        *labels,
        input_core_dims=[[dim]] + [[] for _ in labels],
        output_core_dims=[["param"], [dim], [dim], [dim], [], [], [], [], [], []],
        dask="parallelized",
        output_dtypes=[np.float64] * 7 + [np.int8, np.bool_, np.int32],
        dask_gufunc_kwargs={"output_sizes": {"param": 2}, "allow_rechunk": True},
        keep_attrs=False,
    )
    params, fitted, residual, rel, mape, c, p, grade, level_ok, flag = outs
    units = _units(da)
    names = ("a", "b") if egm else ("intercept", "slope")
    params = params.assign_coords(param=list(names))
    step = f"per step along {show(dim)}"
    if egm:
        first = {"a": (params.sel(param="a", drop=True), "1", f"development coefficient a ({step})"),
                 "b": (params.sel(param="b", drop=True), units, f"grey input b ({step})")}
    else:
        first = {"intercept": (params.sel(param="intercept", drop=True), units,
                               "intercept alpha: trend value one step before the first point"),
                 "slope": (params.sel(param="slope", drop=True), units, f"slope beta ({step})")}
    coefficient_units = [first[k][1] for k in names]
    variables = {
        "coefficients": params.assign_coords(param_units=("param", coefficient_units)).assign_attrs(
            units="see param_units", long_name=f"{model} coefficients {names}"),
        **{k: v.assign_attrs(units=u, long_name=ln) for k, (v, u, ln) in first.items()},
        "fitted": fitted.assign_attrs(units=units, long_name=f"{model} fitted values"),
        "residual": residual.assign_attrs(units=units, long_name="residual x - fitted"),
        "relative_error": rel.assign_attrs(units="1", long_name="relative error |x - fitted| / |x| (fraction)"),
        "mape": mape.assign_attrs(units="1", long_name=f"mean absolute percentage error over all {n} points (fraction)"),
        "C": c.assign_attrs(units="1", long_name="posterior-difference ratio C = S2/S1"),
        "P": p.assign_attrs(units="1", long_name="small-error probability P = share of |e - mean e| < 0.6745 S1"),
        "grade": grade.assign_attrs(
            units="1", long_name="accuracy grade (000 Table 7)",
            flag_values=np.array(list(GRADE_LEGEND), dtype=np.int8), flag_meanings=_GRADE_WORDS),
        "level_ratio_ok": level_ok.assign_attrs(
            units="1", long_name=f"every level ratio x(k-1)/x(k) in (e^(-2/(n+1)), e^(2/(n+1))), n = {n}"),
        "flag": flag.assign_attrs(
            units="1", long_name="fit flags (bit-field, 0 = clean)",
            flag_masks=np.array(list(FLAG_LEGEND), dtype=np.int32), flag_meanings=_FLAG_WORDS),
    }
    ds = xr.Dataset(variables)
    ds.attrs.update(
        model=model, dim=dim, n_points=n, shift=float(shift), input_units=units,
        method=(f"{model} fitted by centered least squares on mean-scaled data, expm1 time response"
                if egm else "linear trend alpha + beta*k, k = 1..n, by centered least squares")
        + f"; posterior-difference test (C, P, grade) per {_CITATION}, Tables 6-7; see METHODS.md",
    )
    return ds


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
        Dask-backed input gives dask-backed output, identical to eager for any chunking of the
        other dims.
    dim : str
        The time dimension.
    errors : {"raise", "ignore"}
        As in ``xarray.Dataset.curvefit``: ``"raise"`` stops at the first series that cannot be
        fitted (NaN or inf, a value <= 0, fewer than 4 points, |a| >= 2) and names it;
        ``"ignore"`` gives NaN for it and says why in ``flag``.
    shift : float
        Constant c added before fitting and removed afterwards (for series with values <= 0).
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical).  Default: serial under
        dask and for small inputs.

    Returns
    -------
    xarray.Dataset
        ``coefficients`` (``param`` = a, b), ``a``, ``b``, ``fitted``, ``residual`` (x − x̂),
        ``relative_error``, ``mape`` (over all n points, a fraction), ``C``, ``P``, ``grade``
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
    """
    return _fit_series(da, dim, "EGM(1,1)", errors, shift, parallel)


def _forecast_series(fit: xr.Dataset, horizon: int, model: str) -> xr.DataArray:
    """Shared body of :func:`forecast_egm` and :func:`fastcarbon.grey.forecast_linear`."""
    if not isinstance(fit, xr.Dataset) or "coefficients" not in fit or "model" not in fit.attrs:
        raise InputTypeError(
            f"fit: expected the Dataset returned by fit_{'egm' if model == 'EGM(1,1)' else 'linear'}, "
            f"got {type(fit).__name__}"
        )
    if fit.attrs["model"] != model:
        raise InputError(f"fit: this is a {fit.attrs['model']} fit; {model} forecasts need a {model} fit")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 0:
        raise InputError(f"horizon must be an integer >= 0, got {show(horizon)}")
    dim, n, shift = fit.attrs["dim"], int(fit.attrs["n_points"]), float(fit.attrs["shift"])
    coefficients = fit["coefficients"].drop_vars(["param", "param_units"])
    if model == "EGM(1,1)":
        first = fit["fitted"].isel({dim: 0}, drop=True)

        def run(params, x_first):
            return core_grey.forecast_egm(params, x_first, n, horizon, shift=shift)[0]

        args, cores = (coefficients, first), [["param"], []]
    else:

        def run(params):
            return core_grey.forecast_linear(params, n, horizon, shift=shift)

        args, cores = (coefficients,), [["param"]]
    out = xr.apply_ufunc(
        run, *args, input_core_dims=cores, output_core_dims=[[dim]], dask="parallelized",
        output_dtypes=[np.float64], dask_gufunc_kwargs={"output_sizes": {dim: horizon}},
    )
    if dim in fit.coords:
        coord = fit[dim].values
        step = coord[1] - coord[0] if coord.size > 1 else 1
        out = out.assign_coords({dim: coord[-1] + step * np.arange(1, horizon + 1, dtype=coord.dtype)})
    else:
        out = out.assign_coords({dim: np.arange(n, n + horizon)})
    return out.rename("forecast").assign_attrs(
        units=fit.attrs["input_units"], long_name=f"{model} forecast",
        description=f"{horizon} steps after the last of the {n} fitted points; inf beyond the float64 range",
    )


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
        not fitted.

    Examples
    --------
    >>> from fastcarbon.datasets import bengbu
    >>> from fastcarbon.grey import fit_egm, forecast_egm
    >>> fc = forecast_egm(fit_egm(bengbu().x0 / 1e4), horizon=10)
    >>> fc.year.values[[0, -1]].tolist(), fc.round(2).values[[0, -1]].tolist()
    ([2021, 2030], [351.99, 389.99])
    """
    return _forecast_series(fit, horizon, "EGM(1,1)")
