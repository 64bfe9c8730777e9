"""Figures of LMDI decompositions: a waterfall from V^0 through each effect to V^T, or bars of
the effects per factor (stacked by sector or fuel)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon.errors import InputError, InputTypeError
from fastcarbon.plot import _common as c

__all__ = ["decomposition"]

#: rises and falls of a waterfall, and the two levels it starts and ends at
_UP, _DOWN, _LEVEL = "C3", "C2", "0.55"
_NOTE = dict(ha="center", va="bottom", fontsize="small", xytext=(0, 2), textcoords="offset points")


def decomposition(result: xr.Dataset, *, kind: str = "waterfall", by: Hashable | None = None,
                  select: Mapping | None = None, factor_dim: Hashable = "factor", ax=None, figsize=None):
    """Effects of an additive LMDI decomposition, as a waterfall or as bars.

    - ``kind="waterfall"``: one bar for :math:`V^0` (``V_base``), one floating bar per effect
      :math:`\\Delta V_k` (up in red, down in green) and one for :math:`V^T` (``V_target``); since
      :math:`V^0 + \\sum_k \\Delta V_k = V^T` (Ang 2004, 2015) the last effect ends at the top of
      :math:`V^T`.  One pair of periods (or scenarios): pick it with ``select``.
    - ``kind="bar"``: one bar per factor, grouped by the one other dim left (periods, years,
      pairs); with ``by`` (``"sector"``, ``"fuel"``: a dim of ``effect_by``) each bar is stacked
      by that dim's contributions, positive parts upwards and negative ones downwards from 0.

    Parameters
    ----------
    result : xarray.Dataset
        The output of :func:`fastcarbon.decompose.lmdi` (``effect``, ``effect_by``, ``V_base``,
        ``V_target``), or a study's Dataset with those variables
        (:func:`fastcarbon.studies.chongqing.chongqing_decomposition`,
        :func:`fastcarbon.studies.bengbu.bengbu_decomposition`).
    kind : {"waterfall", "bar"}
    by : hashable, optional
        Stack the bars by this dim of ``effect_by`` (``kind="bar"`` only).
    select : mapping, optional
        ``{dim: label}`` picking one pair, year, region... (a scalar label drops its dim).
    factor_dim : hashable
        The dim of the factor names.
    ax : matplotlib Axes, optional
        Draw into it; default a new figure of ``figsize`` inches.

    Returns
    -------
    (Figure, Axes)
        Waterfall: factors + 2 bars; bar: factors × groups bars, × labels of ``by`` stacked.
        The y axis carries the effects' units.

    Raises
    ------
    InputTypeError
        ``result`` is not a Dataset.
    UnknownLabelError
        A variable the figure needs is missing; an unknown ``select`` label.
    MissingDimensionError
        ``by`` or ``factor_dim`` is not a dim of the data.
    InputError
        An unknown ``kind``; ``by`` with a waterfall; more dims left than the figure can draw
        (the message says which label to ``select``); an infinite value.

    Examples
    --------
    >>> from fastcarbon.studies.chongqing import chongqing_decomposition
    >>> from fastcarbon import plot
    >>> r = chongqing_decomposition()
    >>> fig, ax = plot.decomposition(r, select={"year": 2030})
    >>> len(ax.patches), ax.get_ylabel()  # V(RS), activity, intensity, V(AP-NZES)
    (4, 'industrial CO2 emissions (Mt CO2)')
    >>> fig, ax = plot.decomposition(r, kind="bar", by="sector")
    >>> len(ax.patches)  # 2 factors x 3 years x 5 sectors
    30
    """
    ds = c.labelled(result, "result", "an LMDI result (fastcarbon.decompose.lmdi)")
    if not isinstance(ds, xr.Dataset):
        raise InputTypeError("result: expected the Dataset of fastcarbon.decompose.lmdi, got a DataArray")
    if kind not in ("waterfall", "bar"):
        raise InputError(f"kind must be 'waterfall' or 'bar', got {show(kind)}")
    if by is not None and kind == "waterfall":
        raise InputError(f"by: a waterfall draws the total effect of each factor; stack by {show(by)} with kind='bar'")
    needed = ("effect", "V_base", "V_target") if kind == "waterfall" else ("effect_by",) if by is not None else ("effect",)
    c.require(ds, needed, "result", "an LMDI result")
    ds = c.select(ds, select, "result")
    effect = ds["effect_by"] if by is not None else ds["effect"]
    c.has_dims(effect, [factor_dim] + ([by] if by is not None else []), "result.effect_by" if by else "result.effect")
    units = c.units_of(effect)
    factors = [c.text(f) for f in c.labels_of(effect, factor_dim)]
    if kind == "waterfall":
        return _waterfall(ds, effect, factor_dim, factors, units, ax, figsize)
    return _bars(effect, factor_dim, by, factors, units, ax, figsize)


def _quantity(ds: xr.Dataset) -> str:
    """What V is, for the y axis: the Dataset's ``quantity`` attr, else the long name of ``V_target``."""
    return str(ds.attrs.get("quantity") or ds["V_target"].attrs.get("long_name", "value"))


def _waterfall(ds, effect, factor_dim, factors, units, ax, figsize):
    name = "result.effect"
    c.only_dims(effect, [factor_dim], name)
    effect = c.squeeze_extra(effect, [factor_dim])
    v0, v1 = (c.squeeze_extra(ds[v], []) for v in ("V_base", "V_target"))
    for v, label in ((v0, "V_base"), (v1, "V_target")):
        c.only_dims(v, [], f"result.{label}")
    steps = c.finite_values(effect, name)
    start = float(c.finite_values(v0, "result.V_base"))
    end = float(c.finite_values(v1, "result.V_target"))
    base_label, target_label = _ends(ds)
    fig, ax = c.new_axes(ax, figsize if figsize is not None else (1.1 * len(factors) + 3.5, 4.0))
    x = np.arange(len(factors) + 2, dtype=np.float64)
    ax.bar(x[0], start, 0.6, color=_LEVEL)
    ax.annotate(f"{start:.3g}", (x[0], start), **_NOTE)
    level = start
    for k, step in enumerate(steps, start=1):
        ax.bar(x[k], step, 0.6, bottom=level, color=_UP if step > 0 else _DOWN)
        # a connector at the level each bar starts from, so the eye follows the running sum
        ax.plot([x[k - 1] + 0.3, x[k] - 0.3], [level, level], color="0.3", linewidth=0.7)
        ax.annotate(f"{step:+.3g}", (x[k], max(level, level + step)), **_NOTE)
        level += step
    ax.plot([x[-2] + 0.3, x[-1] - 0.3], [level, level], color="0.3", linewidth=0.7)
    ax.bar(x[-1], end, 0.6, color=_LEVEL)
    ax.annotate(f"{end:.3g}", (x[-1], end), **_NOTE)
    if min(start, end, *(start + np.cumsum(steps))) >= 0:
        ax.set_ylim(bottom=0)  # the margin's room below 0 would show levels that cannot be
    ax.use_sticky_edges = False
    ax.margins(y=0.12)  # room for the values above the bars
    ax.set_xticks(x, [base_label, *factors, target_label], rotation=20, ha="right")
    ax.set_xlabel(str(factor_dim))
    ax.set_ylabel(c.with_units(_quantity(ds), units))
    ax.axhline(0, color="0.4", linewidth=0.8)
    ax.set_title(f"LMDI-I: {base_label} to {target_label}, change {end - start:+.3g} {units}", fontsize="medium")
    return fig, ax


def _ends(ds) -> tuple[str, str]:
    """Tick labels of the two levels: 'V 2011' and 'V 2020', from the base and target coords."""
    labels = []
    for name in ("base", "target"):
        value = ds.coords.get(name)
        if value is None and name in ds.attrs:
            value = ds.attrs[name]
        if isinstance(value, xr.DataArray):
            value = value.values.item() if value.size == 1 else None
        labels.append(f"V {c.text(value)}" if value is not None else ("V^0" if name == "base" else "V^T"))
    return labels[0], labels[1]


def _bars(effect, factor_dim, by, factors, units, ax, figsize):
    name = "result.effect_by" if by is not None else "result.effect"
    core = [factor_dim] + ([by] if by is not None else [])
    groups = [d for d in effect.dims if d not in core and effect.sizes[d] > 1]
    if len(groups) > 1:
        first = effect[groups[1]].values[0] if groups[1] in effect.coords else 0
        raise InputError(
            f"{name}: dims {show(groups)} left besides {show(core)}; the bars are grouped along one of them. "
            f"Choose one label of the others with select={{{show(groups[1])}: {show(first)}}}")
    group = groups[0] if groups else None
    effect = c.squeeze_extra(effect, core + ([group] if group is not None else []))
    order = core + ([group] if group is not None else [])
    values = c.finite_values(effect.transpose(*order), name)
    if by is None:
        values = values[:, None, ...]
    if group is None:
        values = values[..., None]
    # values: (factor, by, group)
    group_labels = c.labels_of(effect, group) if group is not None else [None]
    parts = c.labels_of(effect, by) if by is not None else [None]
    n_f, n_g = len(factors), len(group_labels)
    fig, ax = c.new_axes(ax, figsize if figsize is not None else (max(5.0, 1.2 * n_f * max(n_g, 1) ** 0.5 + 3.0), 4.0))
    x = np.arange(n_f, dtype=np.float64)
    width = 0.8 / n_g
    for g in range(n_g):
        xs = x + (g - (n_g - 1) / 2) * width
        up = np.zeros(n_f)
        down = np.zeros(n_f)
        for p, part in enumerate(parts):
            v = values[:, p, g]
            bottom = np.where(v >= 0, up, down)
            # stacked: one colour and one legend entry per part; grouped only: per group
            if by is not None:
                colour, label = c.COLOURS[p % 10], c.text(part) if g == 0 else None
            else:
                colour, label = c.COLOURS[g % 10], c.text(group_labels[g]) if group is not None else None
            ax.bar(xs, v, width * (0.9 if by is not None else 1.0), bottom=bottom, color=colour, label=label,
                   edgecolor="white" if by is not None else None, linewidth=0.4)
            up = up + np.where(v >= 0, v, 0.0)
            down = down + np.where(v < 0, v, 0.0)
        if by is not None and n_g > 1:
            # the group's label at the far end of its stack, where the bar is longest
            for xi, hi, lo in zip(xs, up, down):
                below = -lo > hi
                ax.annotate(c.text(group_labels[g]), (xi, lo if below else hi), ha="center",
                            va="top" if below else "bottom", fontsize="x-small", xytext=(0, -1 if below else 1),
                            textcoords="offset points")
    ax.axhline(0, color="0.4", linewidth=0.8)
    ax.use_sticky_edges = False  # bars stick to 0; room above and below for the labels
    ax.margins(y=0.08)
    ax.set_xticks(x, [f.replace("_", " ") for f in factors])
    ax.set_xlabel(str(factor_dim))
    ax.set_ylabel(c.with_units(str(effect.attrs.get("long_name", "effect")), units))
    if by is not None or group is not None:
        ax.legend(fontsize="small", title=str(by if by is not None else group), loc="best")
    stacked = f", stacked by {by}" if by is not None else ""
    grouped = f" per {group}" if group is not None else ""
    ax.set_title(f"LMDI-I effects{grouped}{stacked}", fontsize="medium")
    return fig, ax
