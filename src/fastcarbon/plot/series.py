"""Figures over years: grey forecasts, scenario trajectories, Monte Carlo fans, stacked structure."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, UnknownLabelError
from fastcarbon.plot import _common as c

__all__ = ["forecast", "trajectories", "fan", "structure"]

_FIT_VARS = ("fitted", "residual", "grade")
_BANDS = ("p5", "p25", "p50", "p75", "p95")


def forecast(fit: xr.Dataset, future: xr.DataArray | None = None, *, horizon: int = 10,
             select: Mapping | None = None, label: str = "value", ax=None, figsize=(7.0, 4.0)):
    """Observed, fitted and forecast values of one grey (or linear) series, with its grade.

    The observed values are read back from the fit as ``fitted + residual`` (x = x̂ + e, exact
    inside each series' window, NaN outside it), the forecast is :func:`fastcarbon.grey.forecast_egm`
    (or ``forecast_linear``) of the fit unless given, and the title states the posterior-difference
    test: grade, C = S2/S1 and P (000 Tables 6-7, the Bengbu study, *Sci. Rep.* 13:14528) with
    the MAPE.

    Parameters
    ----------
    fit : xarray.Dataset
        The result of :func:`fastcarbon.grey.fit_egm` or :func:`fastcarbon.grey.fit_linear`.
    future : xarray.DataArray, optional
        The forecast to draw (e.g. ``forecast_egm(fit, 20)``); default: computed with ``horizon``.
    horizon : int
        Steps forecast when ``future`` is not given (0: no forecast line).
    select : mapping, optional
        ``{dim: label}`` picking one series of a batch fit (e.g. ``{"region": "Bengbu"}``).
    label : str
        What the series is, for the y axis (its units come from the fit).
    ax : matplotlib Axes, optional
        Draw into it; default a new figure of ``figsize`` inches.

    Returns
    -------
    (Figure, Axes)
        Three lines: observed (markers), fitted, forecast (dashed).

    Raises
    ------
    InputTypeError
        ``fit`` is not a fit Dataset (a forecast DataArray goes to ``future=``).
    InputError
        Several series left (pick one with ``select=``), a forecast along another dim.

    Examples
    --------
    >>> from fastcarbon.datasets import bengbu
    >>> from fastcarbon.grey import fit_egm
    >>> from fastcarbon import plot
    >>> fig, ax = plot.forecast(fit_egm(bengbu().x0 / 1e4), horizon=10, label="industrial carbon")
    >>> len(ax.lines), ax.get_title().startswith("EGM(1,1)")
    (3, True)
    """
    if isinstance(fit, xr.DataArray):
        raise InputTypeError(
            "fit: expected the Dataset returned by fit_egm or fit_linear, got a DataArray; a forecast goes to "
            "future=, with its fit first: plot.forecast(fit, future=forecast_egm(fit, 10))"
        )
    fit = c.labelled(fit, "fit", "the Dataset returned by fit_egm or fit_linear")
    c.require(fit, _FIT_VARS, "fit", "a fit_egm / fit_linear result")
    if "dim" not in fit.attrs or "model" not in fit.attrs:
        raise InputError("fit: the attrs 'dim' and 'model' of a fit_egm / fit_linear result are missing")
    dim, model = fit.attrs["dim"], str(fit.attrs["model"])
    fit = c.select(fit, select, "fit")
    c.only_dims(fit["fitted"], [dim], "fit")
    fit = c.squeeze_extra(fit, [dim, "param"])
    if future is None:
        from fastcarbon import grey

        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 0:
            raise InputError(f"horizon must be an integer >= 0, got {show(horizon)}")
        make = grey.forecast_egm if model == "EGM(1,1)" else grey.forecast_linear
        future = make(fit, int(horizon)) if horizon else None
    else:
        future = c.labelled(future, "future", "a forecast DataArray")
        if not isinstance(future, xr.DataArray):
            raise InputTypeError(f"future: expected the forecast DataArray, got a Dataset with {show(list(future.data_vars))}")
        c.has_dims(future, [dim], "future")
        future = c.select(future, {k: v for k, v in (select or {}).items() if k in future.dims} or None, "future")
        c.only_dims(future, [dim], "future")
        future = c.squeeze_extra(future, [dim])
    units = str(fit.attrs.get("input_units", c.units_of(fit["fitted"])))
    fig, ax = c.new_axes(ax, figsize)
    t = np.asarray(c.labels_of(fit, dim), dtype=np.float64)
    fitted = c.finite_values(fit["fitted"], "fit.fitted")
    observed = fitted + c.finite_values(fit["residual"], "fit.residual")
    ax.plot(t, observed, "o", color="k", markersize=4, label="observed")
    ax.plot(t, fitted, "-", color="C0", label=f"{model} fitted")
    if future is not None:
        tf = np.asarray(c.labels_of(future, dim), dtype=np.float64)
        # the dashed line starts from the last fitted value, so fit and forecast read as one path
        ax.plot(np.r_[t[-1], tf], np.r_[fitted[-1], c.finite_values(future, "future")], "--", color="C1",
                label=f"forecast {tf[0]:g}-{tf[-1]:g}")
    grade = int(fit["grade"].values)
    words = _grade_words(grade)
    cp = f"C = {float(fit['C']):.3f}, P = {float(fit['P']):.2f}" if "C" in fit and "P" in fit else ""
    mape = f", MAPE {100 * float(fit['mape']):.2f} %" if "mape" in fit else ""
    ax.set_title(f"{model}: grade {words}" + (f" ({cp}{mape})" if cp else ""), fontsize="medium")
    ax.set_xlabel(c.year_label(fit, dim))
    c.integer_years(ax)
    ax.set_ylabel(c.with_units(label, units))
    ax.legend(fontsize="small")
    return fig, ax


def _grade_words(grade: int) -> str:
    from fastcarbon.grey import GRADE_LEGEND

    return GRADE_LEGEND.get(grade, f"code {grade}")


def trajectories(scenarios, *, variable: str = "emissions", peaks: xr.Dataset | None = None, dim: Hashable = "year",
                 scenario_dim: Hashable = "scenario", select: Mapping | None = None, ax=None, figsize=(7.0, 4.0)):
    """Scenario trajectories with each peak (triangle) and net-zero year (circle) marked.

    Peaks follow :func:`fastcarbon.peaks.peak`: the first maximum, censored (no marker, "no
    peak by" in the legend) unless a lower value follows it; the net-zero year is the first year
    at or below zero.  001 Fig. 2 (Dai et al. 2025) draws the Chongqing scenarios this way.

    Parameters
    ----------
    scenarios : xarray.Dataset or DataArray
        E.g. :func:`fastcarbon.studies.chongqing.chongqing_scenarios` (``variable`` is drawn) or an
        emissions DataArray over (``scenario_dim``, ``dim``).
    variable : str
        The variable of a Dataset.
    peaks : xarray.Dataset, optional
        :func:`fastcarbon.peaks.peak` of the same data (``peak_year``, ``peak_value``,
        ``net_zero_year``); default: computed.
    dim, scenario_dim : hashable
        The year dim and the scenario dim (optional in the data).
    select : mapping, optional
        Labels of other dims (``{"region": "Chongqing"}``).
    ax : matplotlib Axes, optional

    Returns
    -------
    (Figure, Axes)
        One line per scenario; one marker collection for the peaks, one for the net-zero years
        (when any scenario reaches net zero).

    Examples
    --------
    >>> from fastcarbon.studies.chongqing import chongqing_scenarios
    >>> from fastcarbon import plot
    >>> fig, ax = plot.trajectories(chongqing_scenarios())
    >>> len(ax.lines), len(ax.collections)
    (3, 2)
    """
    da = _data(scenarios, variable, "scenarios", "scenario results or emissions over years")
    da = c.select(da, select, "scenarios")
    c.has_dims(da, [dim], "scenarios")
    c.only_dims(da, [dim, scenario_dim], "scenarios")
    da = c.squeeze_extra(da, [dim, scenario_dim])
    if peaks is None:
        from fastcarbon.peaks import peak

        peaks = peak(da, dim=dim)
    else:
        peaks = c.labelled(peaks, "peaks", "the Dataset returned by fastcarbon.peaks.peak")
        if not isinstance(peaks, xr.Dataset):
            raise InputTypeError("peaks: expected the Dataset returned by fastcarbon.peaks.peak, got a DataArray")
        c.require(peaks, ("peak_year", "peak_value"), "peaks", "a fastcarbon.peaks.peak result")
        peaks = c.select(peaks, {k: v for k, v in (select or {}).items() if k in peaks.dims} or None, "peaks")
    t = np.asarray(c.labels_of(da, dim), dtype=np.float64)
    names = c.labels_of(da, scenario_dim) if scenario_dim in da.dims else [None]
    fig, ax = c.new_axes(ax, figsize)
    peak_xy, zero_xy, peak_colours, zero_colours = [], [], [], []
    for k, name in enumerate(names):
        row = da.sel({scenario_dim: name}) if name is not None else da
        p = _peak_row(peaks, scenario_dim, name)
        y = c.finite_values(row, "scenarios")
        colour = c.COLOURS[k % len(c.COLOURS)]
        py = float(p["peak_year"])
        words = [f"peak {py:.0f}" if np.isfinite(py) else f"no peak by {t[-1]:.0f}"]
        if np.isfinite(py):
            peak_xy.append((py, float(p["peak_value"])))
            peak_colours.append(colour)
        nz = float(p["net_zero_year"]) if "net_zero_year" in p else np.nan
        if np.isfinite(nz):
            zero_xy.append((nz, float(row.sel({dim: nz}).values) if nz in t else 0.0))
            zero_colours.append(colour)
            words.append(f"net zero {nz:.0f}")
        ax.plot(t, y, color=colour, label=f"{c.text(name) + ': ' if name is not None else ''}{', '.join(words)}")
    if peak_xy:
        x, y = zip(*peak_xy)
        ax.scatter(x, y, marker="^", s=60, c=peak_colours, edgecolors="k", zorder=3, label="peak")
    if zero_xy:
        x, y = zip(*zero_xy)
        ax.scatter(x, y, marker="o", s=50, c="white", edgecolors=zero_colours, linewidths=2, zorder=3,
                   label="net zero")
    long_name = da.attrs.get("long_name", da.name or "value")
    ax.set_title(f"{long_name}: peaks and net-zero years", fontsize="medium")
    ax.set_xlabel(c.year_label(da, dim))
    c.integer_years(ax)
    ax.set_ylabel(c.with_units(str(long_name), c.units_of(da)))
    ax.legend(fontsize="small")
    return fig, ax


def _peak_row(peaks: xr.Dataset, scenario_dim, name):
    if name is None:
        c.only_dims(peaks["peak_year"], [], "peaks")
        return c.squeeze_extra(peaks, [])
    if scenario_dim not in peaks.dims or name not in list(peaks.indexes.get(scenario_dim, [])):
        raise UnknownLabelError(f"peaks: no {show(scenario_dim)} {show(name)}; pass the peak() result of the same data")
    return peaks.sel({scenario_dim: name})


def _data(obj, var: str, name: str, what: str) -> xr.DataArray:
    obj = c.labelled(obj, name, what)
    da = c.variable(obj, var, name, what) if isinstance(obj, xr.Dataset) else obj
    kind = np.dtype(da.dtype).kind
    if kind not in "iuf":
        raise InputTypeError(f"{name}: expected real numbers, got dtype {show(str(da.dtype))}")
    return da


def fan(draws, *, variable: str = "emissions", dim: Hashable = "year", draw_dim: Hashable = "draw",
        scenario_dim: Hashable = "scenario", select: Mapping | None = None, ax=None, figsize=(7.0, 4.0)):
    """Monte Carlo fan: the 5-95 % and 25-75 % bands over the draws and the median, per scenario.

    Quantiles are :func:`fastcarbon.uncertainty.quantile_bands` (linear interpolation between
    order statistics, Hyndman & Fan 1996 type 7) of the draws, or read from a summary.

    Parameters
    ----------
    draws : xarray.Dataset or DataArray
        :func:`fastcarbon.uncertainty.monte_carlo` output (``variable`` over ``draw_dim``), a
        DataArray of draws, or a summary Dataset with ``p5``, ``p25``, ``p50``, ``p75``, ``p95``
        (``summarize(e, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95))``).
    variable : str
        The variable of a draws Dataset.
    dim, draw_dim, scenario_dim : hashable
    select : mapping, optional
        Labels of other dims.
    ax : matplotlib Axes, optional

    Returns
    -------
    (Figure, Axes)
        Per scenario two bands (collections) and one median line.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from fastcarbon import plot
    >>> e = xr.DataArray(np.random.default_rng(0).normal(50, 5, (200, 11)), dims=("draw", "year"),
    ...                  coords={"year": range(2020, 2031)}, attrs={"units": "Mt CO2"})
    >>> fig, ax = plot.fan(e)
    >>> len(ax.collections), len(ax.lines), ax.get_ylabel()
    (2, 1, 'emissions (Mt CO2)')
    """
    obj = c.labelled(draws, "draws", "Monte Carlo draws or their summary")
    if isinstance(obj, xr.Dataset) and all(b in obj.data_vars for b in _BANDS):
        bands = obj[list(_BANDS)]
        units = c.units_of(obj["p50"])
        long_name = "emissions" if variable == "emissions" else variable
    else:
        if isinstance(obj, xr.Dataset) and variable not in obj.data_vars and any(b in obj.data_vars for b in _BANDS):
            missing = [b for b in _BANDS if b not in obj.data_vars]
            raise UnknownLabelError(
                f"draws: this summary lacks {show(missing)}; the fan needs {show(list(_BANDS))}: "
                f"summarize(emissions, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) gives them"
            )
        da = _data(obj, variable, "draws", "Monte Carlo draws (monte_carlo output)")
        c.has_dims(da, [draw_dim], "draws")
        from fastcarbon.uncertainty import quantile_bands

        bands = quantile_bands(da, (0.05, 0.25, 0.5, 0.75, 0.95), draw_dim=draw_dim)
        units = c.units_of(da)
        long_name = str(da.attrs.get("long_name", da.name or variable)).removesuffix(", Monte Carlo draws")
    bands = c.select(bands, select, "draws")
    c.has_dims(bands["p50"], [dim], "draws")
    c.only_dims(bands["p50"], [dim, scenario_dim], "draws")
    bands = c.squeeze_extra(bands, [dim, scenario_dim])
    t = np.asarray(c.labels_of(bands, dim), dtype=np.float64)
    names = c.labels_of(bands, scenario_dim) if scenario_dim in bands.dims else [None]
    fig, ax = c.new_axes(ax, figsize)
    for k, name in enumerate(names):
        b = bands.sel({scenario_dim: name}) if name is not None else bands
        q = {v: c.finite_values(b[v], f"draws.{v}") for v in _BANDS}
        colour = c.COLOURS[k % len(c.COLOURS)]
        prefix = f"{c.text(name)}: " if name is not None else ""
        ax.fill_between(t, q["p5"], q["p95"], color=colour, alpha=0.18, linewidth=0, label=f"{prefix}5-95 %")
        ax.fill_between(t, q["p25"], q["p75"], color=colour, alpha=0.38, linewidth=0, label=f"{prefix}25-75 %")
        ax.plot(t, q["p50"], color=colour, label=f"{prefix}median")
    n = obj.attrs.get("n_draws", obj.sizes.get(draw_dim))
    ax.set_title(f"{long_name}: Monte Carlo bands" + (f" ({n} draws)" if n else ""), fontsize="medium")
    ax.set_xlabel(c.year_label(bands, dim))
    c.integer_years(ax)
    ax.set_ylabel(c.with_units(long_name, units))
    # outside the axes, to the right (constrained layout makes room): inside, a legend of three
    # entries per scenario sits on the bands it names
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig, ax


def structure(data, by: str = "fuel", *, quantity: str = "emissions", variable: str | None = None,
              dim: Hashable = "year", scenario_dim: Hashable = "scenario", scenario=None,
              select: Mapping | None = None, ax=None, figsize=None):
    """Energy or emissions stacked by fuel or by sector over the years (001 Figs. 3-4).

    Parameters
    ----------
    data : xarray.Dataset or DataArray
        E.g. :func:`fastcarbon.studies.chongqing.chongqing_scenarios` (its ``{quantity}_by_{by}``
        variable, e.g. ``energy_by_fuel``) or a DataArray over (``by``, ``dim``).
    by : str
        The stacked dim, ``"fuel"`` or ``"sector"`` (or any dim of the data).
    quantity : {"emissions", "energy"}
        With a Dataset and no ``variable``: draws ``{quantity}_by_{by}``.
    variable : str, optional
        The variable of a Dataset, instead of ``quantity``.
    dim, scenario_dim : hashable
    scenario : label, optional
        One scenario; default: one panel per scenario.
    select : mapping, optional
        Labels of other dims.
    ax : matplotlib Axes, optional
        Only for one panel.

    Returns
    -------
    (Figure, Axes) or (Figure, ndarray of Axes)
        One stacked layer (a collection) per label of ``by`` in each panel; several scenarios
        give one row of panels sharing the y axis.

    Raises
    ------
    InvalidValueError
        A negative or NaN value (stacked areas need values >= 0).

    Examples
    --------
    >>> from fastcarbon.studies.chongqing import chongqing_scenarios
    >>> from fastcarbon import plot
    >>> fig, ax = plot.structure(chongqing_scenarios(), by="fuel", quantity="energy", scenario="AP-NZES")
    >>> len(ax.collections), ax.get_ylabel()
    (4, 'energy demand by fuel (Mtce)')
    """
    if not isinstance(by, str):
        raise InputTypeError(f"by: expected a dim name such as 'fuel' or 'sector', got {type(by).__name__}")
    if quantity not in ("emissions", "energy"):
        raise InputError(f"quantity must be 'emissions' or 'energy', got {show(quantity)}")
    da = _data(data, variable or f"{quantity}_by_{by}", "data", f"{quantity} by {by}")
    if scenario is not None:
        c.has_dims(da, [scenario_dim], "data")
        da = c.select(da, {scenario_dim: scenario}, "data")
    da = c.select(da, select, "data")
    c.has_dims(da, [dim, by], "data")
    c.only_dims(da, [dim, by, scenario_dim], "data")
    da = c.squeeze_extra(da, [dim, by, scenario_dim])
    values = c.finite_values(da, "data")
    bad = np.isnan(values) | (values < 0)
    if bad.any():
        where = np.argwhere(bad)[0]
        labels = ", ".join(f"{d}={show(c.labels_of(da, d)[i])}" for d, i in zip(da.dims, where))
        raise InvalidValueError(
            f"data: {show(float(values[tuple(where)]))} at {labels}; stacked layers need values >= 0 (no NaN)")
    names = c.labels_of(da, scenario_dim) if scenario_dim in da.dims else [None]
    fig, axes = c.new_panels(1, len(names), ax, figsize, (5.5, 4.0), sharey=True)
    t = np.asarray(c.labels_of(da, dim), dtype=np.float64)
    layers = c.labels_of(da, by)
    long_name = str(da.attrs.get("long_name", da.name or f"{quantity} by {by}"))
    for k, name in enumerate(names):
        panel = axes[0, k]
        row = da.sel({scenario_dim: name}) if name is not None else da
        ys = np.asarray(row.transpose(by, dim).values, dtype=np.float64)
        panel.stackplot(t, ys, labels=[c.text(v) for v in layers], colors=[c.COLOURS[j % 10] for j in range(len(layers))])
        panel.set_title(c.text(name) if name is not None else long_name, fontsize="medium")
        panel.set_xlabel(c.year_label(da, dim))
        c.integer_years(panel)
        panel.margins(x=0)
    axes[0, 0].set_ylabel(c.with_units(long_name, c.units_of(da)))
    axes[0, -1].legend(fontsize="small", title=by, reverse=True)
    if len(names) > 1:
        fig.suptitle(long_name)
    return c.panels_result(fig, axes)
