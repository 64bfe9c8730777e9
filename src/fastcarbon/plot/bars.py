"""Bar figures: the peak-year distribution, sensitivity indices, obstacle degrees, potentials."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon.errors import InputError, InputTypeError, UnknownLabelError
from fastcarbon.plot import _common as c
from fastcarbon.plot.series import _data

__all__ = ["peak_years", "sensitivity", "obstacles", "potentials"]


def peak_years(draws, *, variable: str = "emissions", dim: Hashable = "year", draw_dim: Hashable = "draw",
               scenario_dim: Hashable = "scenario", select: Mapping | None = None, ax=None, figsize=None):
    """The distribution of the peak year over Monte Carlo draws, with the censored share.

    One bar per year (the share of draws peaking then), and a hatched bar after the last year
    for the draws with no peak within the horizon (censored: the path still rises, or is at its
    maximum at the end), whose share the title states too; the dashed line is the median peak
    year of the draws that peaked.  Peaks follow :func:`fastcarbon.peaks.peak`.

    Parameters
    ----------
    draws : xarray.Dataset or DataArray
        :func:`fastcarbon.uncertainty.peak_year_distribution` output (``probability`` over
        ``peak_year``, ``censored_share``), or draws: :func:`fastcarbon.uncertainty.monte_carlo`
        output (``variable``) or a DataArray over (``draw_dim``, ``dim``).
    variable, dim, draw_dim, scenario_dim : str
    select : mapping, optional
        Labels of other dims, or one scenario (``{"scenario": "RS"}``).
    ax : matplotlib Axes, optional
        Only for one panel.

    Returns
    -------
    (Figure, Axes) or (Figure, ndarray of Axes)
        One panel per scenario (a column sharing the x axis); in each, one bar per year plus the
        censored bar.

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon import plot
    >>> e = xr.DataArray([[1.0, 3.0, 2.0], [1.0, 2.0, 3.0], [4.0, 2.0, 1.0], [1.0, 3.0, 0.0]],
    ...                  dims=("draw", "year"), coords={"year": [2020, 2021, 2022]})
    >>> fig, ax = plot.peak_years(e)
    >>> len(ax.patches), ax.get_title()
    (4, 'peak-year distribution of 4 draws: censored 25.0 %')
    """
    obj = c.labelled(draws, "draws", "Monte Carlo draws or their peak-year distribution")
    n_draws = None
    if isinstance(obj, xr.Dataset) and "probability" in obj.data_vars:
        c.require(obj, ("probability", "censored_share"), "draws", "a peak_year_distribution result")
        dist = obj
        c.has_dims(dist["probability"], ["peak_year"], "draws.probability")
    else:
        da = _data(obj, variable, "draws", "Monte Carlo draws (monte_carlo output) or peak_year_distribution output")
        c.has_dims(da, [draw_dim, dim], "draws")
        from fastcarbon.uncertainty import peak_year_distribution

        n_draws = da.sizes[draw_dim]
        dist = peak_year_distribution(da, dim=dim, draw_dim=draw_dim)
    dist = c.select(dist, select, "draws")
    c.only_dims(dist["probability"], ["peak_year", scenario_dim], "draws")
    dist = c.squeeze_extra(dist, ["peak_year", scenario_dim])
    names = c.labels_of(dist, scenario_dim) if scenario_dim in dist["probability"].dims else [None]
    fig, axes = c.new_panels(len(names), 1, ax, figsize, (7.0, 2.6 if len(names) > 1 else 4.0), sharex=True)
    years = np.asarray(c.labels_of(dist, "peak_year"), dtype=np.float64)
    step = float(np.median(np.diff(years))) if years.size > 1 else 1.0
    at = years[-1] + 2 * step if years.size else 0.0
    of = f" of {n_draws} draws" if n_draws else ""
    for k, name in enumerate(names):
        panel = axes[k, 0]
        d = dist.sel({scenario_dim: name}) if name is not None else dist
        prob = c.finite_values(d["probability"], "draws.probability")
        censored = float(d["censored_share"])
        colour = c.COLOURS[k % len(c.COLOURS)]
        panel.bar(years, prob, width=0.8 * step, color=colour, label="peak in this year")
        panel.bar([at], [censored], width=0.8 * step, color="0.75", edgecolor="0.3", hatch="//",
                  label=f"no peak by {years[-1]:g}" if years.size else "censored")
        panel.annotate(f"{100 * censored:.1f} %", (at, censored), ha="center", va="bottom", fontsize="small",
                       xytext=(0, 2), textcoords="offset points")
        median = float(d["peak_year_median"]) if "peak_year_median" in d else np.nan
        if np.isfinite(median):
            panel.axvline(median, color="k", linestyle="--", linewidth=1, label=f"median {median:g}")
        panel.set_ylabel(c.with_units("share of draws", c.units_of(d["probability"])))
        who = f"{c.text(name)}: " if name is not None else ""
        panel.set_title(f"{who}peak-year distribution{of}: censored {100 * censored:.1f} %", fontsize="medium")
        panel.legend(fontsize="small")
    if years.size:
        # whole years, and the censored bar's place named: it is no year
        from matplotlib.ticker import MaxNLocator

        ticks = [t for t in MaxNLocator(integer=True, nbins=8).tick_values(years[0], years[-1])
                 if years[0] <= t <= years[-1]]
        # a year tick right beside the censored bar's "none" would run into it ("2060none")
        ticks = [t for t in ticks if at - t >= 0.08 * max(at - years[0], 1e-9)]
        axes[-1, 0].set_xticks(ticks + [at], [f"{t:g}" for t in ticks] + ["none"])
        for panel in axes[:, 0]:
            panel.set_ylim(top=1.12 * max(panel.get_ylim()[1], 1e-9))  # room for the censored share's label
    axes[-1, 0].set_xlabel("peak year")
    return c.panels_result(fig, axes)


_SOBOL = ("S1", "ST")
_MORRIS = ("mu_star", "sigma")


def sensitivity(indices: xr.Dataset, *, select: Mapping | None = None, ax=None, figsize=None):
    """Sobol' S1 and ST bars with their confidence intervals, or Morris μ* against σ.

    Sobol' indices (Sobol' 2001; Saltelli et al. 2010 estimators via SALib) as two bars per
    parameter, first order S1 and total order ST, with the bootstrap half-widths ``S1_conf`` /
    ``ST_conf`` as error bars; Morris screening (Morris 1991, μ* of Campolongo et al. 2007) as
    one point per parameter at (μ*, σ) with the μ* interval: high μ* matters, high σ/μ* means
    non-linear or interacting.

    Parameters
    ----------
    indices : xarray.Dataset
        :func:`fastcarbon.uncertainty.sobol_analyze` (or ``chongqing_sensitivity``) output,
        with ``S1``, ``ST`` over ``param``, or :func:`fastcarbon.uncertainty.morris_analyze`
        output with ``mu_star``, ``sigma``.
    select : mapping, optional
        Labels of dims to fix (``{"scenario": "RS"}``, ``{"output": "peak_year"}``).
    ax : matplotlib Axes, optional
        Only for one panel.

    Returns
    -------
    (Figure, Axes) or (Figure, ndarray of Axes)
        One panel per ``output`` (columns) and per label of one more dim such as ``scenario``
        (rows).  A Sobol' panel has 2 bars per parameter.

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon import plot
    >>> si = xr.Dataset({k: ("param", v) for k, v in {"S1": [0.6, 0.1], "S1_conf": [0.05, 0.04],
    ...                  "ST": [0.8, 0.2], "ST_conf": [0.06, 0.05]}.items()}, coords={"param": ["a", "b"]})
    >>> fig, ax = plot.sensitivity(si)
    >>> len(ax.patches), ax.get_ylabel()
    (4, "Sobol' index (1)")
    """
    ds = c.labelled(indices, "indices", "Sobol' or Morris indices")
    if not isinstance(ds, xr.Dataset):
        raise InputTypeError("indices: expected the Dataset of sobol_analyze or morris_analyze, got a DataArray")
    if all(v in ds.data_vars for v in _SOBOL):
        kind, keys = "sobol", _SOBOL
    elif all(v in ds.data_vars for v in _MORRIS):
        kind, keys = "morris", _MORRIS
    else:
        raise UnknownLabelError(
            f"indices: expected Sobol' indices ({show(list(_SOBOL))}, from sobol_analyze) or Morris statistics "
            f"({show(list(_MORRIS))}, from morris_analyze); this Dataset has {show_list(list(ds.data_vars), limit=12)}"
        )
    c.has_dims(ds[keys[0]], ["param"], "indices")
    ds = c.select(ds, select, "indices")
    lead = ds[keys[0]]
    col_dim = "output" if "output" in lead.dims and lead.sizes["output"] > 1 else None
    rest = [d for d in lead.dims if d not in ("param", "output") and lead.sizes[d] > 1]
    if len(rest) > 1:
        raise InputError(
            f"indices: dims {show(rest)} besides 'param' and 'output'; the figure has rows for one of them. "
            f"Fix the others with select={{{show(rest[1])}: {show(c.labels_of(lead, rest[1])[0])}}}"
        )
    row_dim = rest[0] if rest else None
    ds = c.squeeze_extra(ds, [d for d in ("param", col_dim, row_dim) if d is not None])
    cols = c.labels_of(ds, col_dim) if col_dim else [None]
    rows = c.labels_of(ds, row_dim) if row_dim else [None]
    n_param = ds.sizes["param"]
    panel = (max(3.5, 0.9 * n_param + 1.5), 3.2) if kind == "sobol" else (4.2, 3.6)
    fig, axes = c.new_panels(len(rows), len(cols), ax, figsize, panel)
    params = [c.text(p) for p in c.labels_of(ds, "param")]
    fixed_output = (c.text(ds["output"].values) if "output" in ds.coords and ds["output"].ndim == 0 else None)
    for i, r in enumerate(rows):
        for j, o in enumerate(cols):
            one = ds
            if r is not None:
                one = one.sel({row_dim: r})
            if o is not None:
                one = one.sel({col_dim: o})
            a = axes[i, j]
            (_sobol_panel if kind == "sobol" else _morris_panel)(a, one, params, o if o is not None else fixed_output)
            title = " · ".join(c.text(v) for v in (o if o is not None else fixed_output, r) if v is not None)
            a.set_title(title or ("Sobol' indices" if kind == "sobol" else "Morris screening"), fontsize="medium")
    axes[0, -1].legend(fontsize="small")
    if axes.size > 1:
        what = "Sobol' indices (bars: 95 % bootstrap intervals)" if kind == "sobol" else "Morris screening"
        fig.suptitle(f"{what}" + (f", {ds.attrs['n']} base points" if "n" in ds.attrs else ""))
    return c.panels_result(fig, axes)


def _sobol_panel(ax, one, params, output):
    x = np.arange(len(params), dtype=np.float64)
    width = 0.38
    for shift, key, colour in ((-width / 2, "S1", "C0"), (width / 2, "ST", "C3")):
        values = c.finite_values(one[key], f"indices.{key}")
        conf = c.finite_values(one[f"{key}_conf"], f"indices.{key}_conf") if f"{key}_conf" in one else None
        ax.bar(x + shift, values, width, yerr=conf, capsize=3 if conf is not None else 0, color=colour,
               label={"S1": "first order S1", "ST": "total order ST"}[key], error_kw={"elinewidth": 1})
    ax.axhline(0, color="0.4", linewidth=0.8)
    ax.set_xticks(x, params, rotation=30, ha="right", fontsize="small")
    ax.set_ylabel(c.with_units("Sobol' index", c.units_of(one["ST"])))


def _morris_panel(ax, one, params, output):
    mu = c.finite_values(one["mu_star"], "indices.mu_star")
    sigma = c.finite_values(one["sigma"], "indices.sigma")
    conf = c.finite_values(one["mu_star_conf"], "indices.mu_star_conf") if "mu_star_conf" in one else None
    if conf is not None:
        ax.errorbar(mu, sigma, xerr=conf, fmt="none", ecolor="0.5", elinewidth=1, capsize=2)
    ax.scatter(mu, sigma, c=[c.COLOURS[k % 10] for k in range(len(params))], zorder=3, label="parameter (μ*, σ)")
    for m, s, p in zip(mu, sigma, params):
        ax.annotate(p, (m, s), xytext=(4, 3), textcoords="offset points", fontsize="x-small")
    top = float(np.nanmax(np.r_[mu, sigma, 0.0]))
    ax.plot([0, top], [0, top], ":", color="0.5", linewidth=1, label="σ = μ*")
    units = c.units_of(one["mu_star"])
    if units == "output units" and output is not None:  # morris_analyze of outputs in several units
        units = f"units of {c.text(output)}"
    ax.set_xlabel(c.with_units("μ* (mean |elementary effect|)", units))
    ax.set_ylabel(c.with_units("σ", units))


def obstacles(obstacle_degrees, *, dim: Hashable | None = None, indicator_dim: Hashable | None = None,
              select: Mapping | None = None, ax=None, figsize=(7.0, 4.0)):
    """Obstacle degree of every indicator, stacked per year (000 Fig. 2).

    O_ij = S_ij w_j / Σ_j S_ij w_j, S = 1 − standardized (000 eq. 8, the Bengbu study,
    *Sci. Rep.* 13:14528): each year's bar sums to 1 and its layers are the indicators'
    proportions; the title names the indicator that is most often the main obstacle.

    Parameters
    ----------
    obstacle_degrees : xarray.Dataset or DataArray
        :func:`fastcarbon.index.obstacle_degree` output (its ``obstacle``) or an obstacle
        DataArray over (``dim``, ``indicator_dim``).
    dim : hashable, optional
        The rows (years); default the Dataset's ``row_dim`` attr or the one dim besides the
        indicators.
    indicator_dim : hashable, optional
        Default the Dataset's ``indicator_dim`` attr or ``"indicator"``.
    select : mapping, optional
        One label of other dims (``{"region": "Bengbu"}``).
    ax : matplotlib Axes, optional

    Returns
    -------
    (Figure, Axes)
        One bar per year and indicator (n_years x n_indicators patches).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from fastcarbon.index import obstacle_degree
    >>> from fastcarbon import plot
    >>> x = xr.DataArray(np.random.default_rng(1).random((6, 3)), dims=("year", "indicator"),
    ...                  coords={"year": range(2015, 2021), "indicator": ["X1", "X2", "X3"]})
    >>> fig, ax = plot.obstacles(obstacle_degree(x, "year"))
    >>> len(ax.patches), ax.get_ylabel()
    (18, 'obstacle degree (1)')
    """
    obj = c.labelled(obstacle_degrees, "obstacle_degrees", "obstacle degrees (obstacle_degree output)")
    attrs = obj.attrs
    if isinstance(obj, xr.Dataset):
        da = c.variable(obj, "obstacle", "obstacle_degrees", "the obstacle degrees of obstacle_degree")
    else:
        da = _data(obj, "obstacle", "obstacle_degrees", "obstacle degrees")
    indicator_dim = indicator_dim or attrs.get("indicator_dim", "indicator")
    c.has_dims(da, [indicator_dim], "obstacle_degrees")
    da = c.select(da, select, "obstacle_degrees")
    dim = dim or attrs.get("row_dim")
    if dim is None:
        others = [d for d in da.dims if d != indicator_dim and da.sizes[d] > 1]
        if len(others) != 1:
            raise InputError(f"obstacle_degrees: cannot tell the year dim among {show(others)}; pass dim=")
        dim = others[0]
    c.has_dims(da, [dim], "obstacle_degrees")
    c.only_dims(da, [dim, indicator_dim], "obstacle_degrees")
    da = c.squeeze_extra(da, [dim, indicator_dim]).transpose(indicator_dim, dim)
    values = c.finite_values(da, "obstacle_degrees")
    years = c.labels_of(da, dim)
    x = np.arange(len(years), dtype=np.float64)
    names = c.labels_of(da, indicator_dim)
    long_names = (list(da["indicator_name"].values) if "indicator_name" in da.coords
                  and da["indicator_name"].dims == (indicator_dim,) else [None] * len(names))
    fig, ax = c.new_axes(ax, figsize)
    bottom = np.zeros(len(years))
    for k, (name, long) in enumerate(zip(names, long_names)):
        layer = np.nan_to_num(values[k])
        ax.bar(x, layer, 0.75, bottom=bottom, color=c.COLOURS[k % 10],
               label=f"{c.text(name)} {c.text(long)}" if long else c.text(name))
        bottom += layer
    ax.set_xticks(x, [c.text(v) for v in years], rotation=45 if len(years) > 12 else 0)
    ax.set_xlabel(c.year_label(da, dim))
    ax.set_ylabel(c.with_units(str(da.attrs.get("long_name", "obstacle degree")), c.units_of(da)))
    main = np.nanargmax(np.where(np.isnan(values), -np.inf, values), axis=0)
    counts = np.bincount(main, minlength=len(names))
    top = int(np.argmax(counts))
    ax.set_title(f"Obstacle degree per {dim}: main obstacle {c.text(names[top])} in {counts[top]} of {len(years)}",
                 fontsize="medium")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), reverse=True)
    return fig, ax


def potentials(potentials: xr.Dataset, years: Sequence | None = None, *, quantity: str = "emissions",
               share: bool = True, scenario=None, dim: Hashable = "year", scenario_dim: Hashable = "scenario",
               sector_dim: Hashable = "sector", ax=None, figsize=None):
    """Each sector's part of the reduction against the reference, in chosen years (001 Figs. 5-6).

    The share of sector m in the total reduction, (CE0,m − CEa,m) / (CE0 − CEa) (Dai et al.
    2025, Figs. 5-6), or with ``share=False`` the reduction itself, share × (CE0 − CEa); the
    same for energy with ``quantity="energy"``.  Grouped bars: sectors along x, one bar per year.

    Parameters
    ----------
    potentials : xarray.Dataset
        :func:`fastcarbon.accounting.potentials` output.
    years : sequence of labels, optional
        Years to draw (001: 2030, 2050, 2060); default the last year.
    quantity : {"emissions", "energy"}
        Carbon reduction (``emission_reduction_share``) or energy saving (``energy_saving_share``).
    share : bool
        Fractions of the total reduction (True) or amounts in the result's units (False).
    scenario : label, optional
        One scenario; default one panel per scenario other than the reference.
    dim, scenario_dim, sector_dim : hashable
    ax : matplotlib Axes, optional
        Only for one panel.

    Returns
    -------
    (Figure, Axes) or (Figure, ndarray of Axes)
        Per panel, one bar per sector and year.

    Examples
    --------
    >>> from fastcarbon.accounting import potentials
    >>> from fastcarbon.studies.chongqing import chongqing_scenarios
    >>> from fastcarbon import plot
    >>> pot = potentials(chongqing_scenarios(), reference="RS")
    >>> fig, ax = plot.potentials(pot, years=[2030, 2050, 2060], scenario="AP-NZES")
    >>> len(ax.patches), len(ax.get_legend().texts)
    (15, 3)
    """
    ds = c.labelled(potentials, "potentials", "the Dataset of fastcarbon.accounting.potentials")
    if not isinstance(ds, xr.Dataset):
        raise InputTypeError("potentials: expected the Dataset of fastcarbon.accounting.potentials, got a DataArray")
    if quantity not in ("emissions", "energy"):
        raise InputError(f"quantity must be 'emissions' or 'energy', got {show(quantity)}")
    total_name = "emission_reduction" if quantity == "emissions" else "energy_saving"
    c.require(ds, (f"{total_name}_share", total_name), "potentials", "a fastcarbon.accounting.potentials result")
    da = ds[f"{total_name}_share"]
    c.has_dims(da, [dim, sector_dim], "potentials")
    if years is None:
        years = [c.labels_of(da, dim)[-1]]
    elif isinstance(years, (str, bytes)) or not isinstance(years, (Sequence, np.ndarray, range)):
        years = [years]
    years = list(years)
    if not years:
        raise InputError("years: expected at least one year")
    da = c.select(da, {dim: years}, "potentials")
    total = ds[total_name].sel({dim: years})
    if not share:
        units = c.units_of(ds[total_name])
        da = (da * total).assign_attrs(units=units, long_name=f"{total_name.replace('_', ' ')} by sector")
    reference = ds.attrs.get("reference")
    if scenario is not None:
        c.has_dims(da, [scenario_dim], "potentials")
        if reference is not None and scenario == reference:
            raise InputError(
                f"scenario: {show(scenario)} is the reference of these potentials; it has no reduction against "
                f"itself. Choose another scenario ({show([s for s in c.labels_of(da, scenario_dim) if s != reference])})")
        da = c.select(da, {scenario_dim: scenario}, "potentials")
    c.only_dims(da, [dim, sector_dim, scenario_dim], "potentials")
    da = c.squeeze_extra(da, [dim, sector_dim, scenario_dim])
    if scenario_dim in da.dims:
        names = [s for s in c.labels_of(da, scenario_dim) if s != reference]
        if not names:
            raise InputError(f"potentials: only the reference scenario {show(reference)} is left; nothing to draw")
    else:
        names = [None]
    fig, axes = c.new_panels(len(names), 1, ax, figsize, (7.0, 3.0 if len(names) > 1 else 4.0), sharex=True)
    sectors = c.labels_of(da, sector_dim)
    x = np.arange(len(sectors), dtype=np.float64)
    width = 0.8 / len(years)
    what = ("carbon reduction" if quantity == "emissions" else "energy saving")
    for k, name in enumerate(names):
        panel = axes[k, 0]
        one = da.sel({scenario_dim: name}) if name is not None else da
        values = c.finite_values(one.transpose(dim, sector_dim), "potentials")
        for j, year in enumerate(years):
            panel.bar(x + (j - (len(years) - 1) / 2) * width, values[j], width, color=c.COLOURS[j % 10],
                      label=c.text(year))
        panel.axhline(0, color="0.4", linewidth=0.8)
        label = "share of the reduction" if share else what
        panel.set_ylabel(c.with_units(label, c.units_of(da)))
        against = f" against {reference}" if reference else ""
        who = f"{c.text(name)}: " if name is not None else ""
        panel.set_title(f"{who}{'shares of the ' if share else ''}{what} by {sector_dim}{against}",
                        fontsize="medium")
        panel.legend(fontsize="small", title=str(dim))
    axes[-1, 0].set_xticks(x, [c.text(s).replace("_", " ") for s in sectors], rotation=20, ha="right")
    axes[-1, 0].set_xlabel(str(sector_dim))
    return c.panels_result(fig, axes)
