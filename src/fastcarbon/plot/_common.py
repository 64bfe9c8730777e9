"""What every figure shares: the lazy matplotlib import, input checks, labels with units, panels.

Matplotlib is imported here, inside :func:`pyplot`, and nowhere at module level: importing
:mod:`fastcarbon` or any subpackage (this one included) stays free of it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon._validate import check_labels
from fastcarbon.errors import (
    InputError,
    InputTypeError,
    MissingDependencyError,
    MissingDimensionError,
    UnknownLabelError,
)

INSTALL = "pip install 'fastcarbon[plot]'"

#: the colours of successive series (matplotlib's default cycle, named so that bands, medians
#: and markers of one scenario share one colour)
COLOURS = ("C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9")


def pyplot():
    """``matplotlib.pyplot``, or a :class:`MissingDependencyError` naming the install command."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised in a subprocess without matplotlib
        raise MissingDependencyError(
            f"fastcarbon.plot needs matplotlib >= 3.8, which is not installed ({exc}); "
            f"install it with: {INSTALL}"
        ) from None
    return plt


def new_axes(ax, figsize, name: str = "ax"):
    """``(fig, ax)``: the figure of ``ax``, or a new figure of ``figsize`` inches with one axes."""
    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=check_figsize(figsize), layout="constrained")
        return fig, ax
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise InputTypeError(f"{name}: expected a matplotlib Axes (or None for a new figure), got {type(ax).__name__}")
    return ax.figure, ax


def new_panels(nrows: int, ncols: int, ax, figsize, panel: tuple[float, float], *, sharex=False, sharey=False):
    """``(fig, axes)`` with ``axes`` a 2-D array of nrows x ncols; ``ax`` only for one panel."""
    if nrows * ncols == 1:
        fig, one = new_axes(ax, figsize if figsize is not None else panel)
        return fig, np.array([[one]])
    if ax is not None:
        raise InputError(
            f"ax: this figure has {nrows * ncols} panels ({nrows} x {ncols}); pass ax=None for a new figure, "
            f"or select one panel (select= or scenario=) to draw into your axes"
        )
    if figsize is None:
        figsize = (panel[0] * ncols, panel[1] * nrows)
    fig, axes = pyplot().subplots(nrows, ncols, figsize=check_figsize(figsize), squeeze=False,
                                  sharex=sharex, sharey=sharey, layout="constrained")
    return fig, axes


def panels_result(fig, axes):
    """``(fig, ax)`` for one panel, ``(fig, axes)`` (2-D array) for several."""
    return (fig, axes[0, 0]) if axes.size == 1 else (fig, axes)


def check_figsize(figsize) -> tuple[float, float]:
    try:
        w, h = (float(v) for v in figsize)
    except (TypeError, ValueError):
        raise InputTypeError(f"figsize: expected (width, height) in inches, got {show(figsize)}") from None
    if not (np.isfinite(w) and np.isfinite(h) and w > 0 and h > 0):
        raise InputError(f"figsize: width and height must be positive inches, got {show(figsize)}")
    return w, h


def units_of(obj, default: str = "1") -> str:
    return str(obj.attrs.get("units", default)) if hasattr(obj, "attrs") else default


def with_units(text: str, units: str) -> str:
    """An axis label: ``"CO2 emissions (Mt CO2)"``; dimensionless values say ``(1)``."""
    return f"{text} ({units or '1'})"


def labelled(obj, name: str, what: str):
    """``obj`` if it is an xarray DataArray or Dataset with usable labels, else InputTypeError."""
    if not isinstance(obj, (xr.DataArray, xr.Dataset)):
        raise InputTypeError(f"{name}: expected {what} (an xarray Dataset or DataArray), got {type(obj).__name__}")
    return check_labels(obj, name)


def variable(ds: xr.Dataset, var: str, name: str, what: str) -> xr.DataArray:
    """``ds[var]`` or an :class:`UnknownLabelError` listing the variables ``ds`` has."""
    if not isinstance(var, str):
        raise InputTypeError(f"variable: expected a variable name (str), got {type(var).__name__}")
    if var not in ds.data_vars:
        raise UnknownLabelError(
            f"{name}: no variable {show(var)} ({what}); it has {show_list(list(ds.data_vars), limit=12)}. "
            f"Pass variable= to name another one"
        )
    return ds[var]


def require(ds: xr.Dataset, names: Sequence[str], name: str, what: str) -> None:
    """Raise :class:`UnknownLabelError` unless every variable of ``names`` is in ``ds``."""
    missing = [v for v in names if v not in ds.data_vars]
    if missing:
        raise UnknownLabelError(
            f"{name}: missing variable(s) {show(missing)}; {what} holds {show(list(names))}, "
            f"this Dataset has {show_list(list(ds.data_vars), limit=12)}"
        )


def has_dims(da, dims: Sequence[Hashable], name: str) -> None:
    missing = [d for d in dims if d not in da.dims]
    if missing:
        raise MissingDimensionError(
            f"{name}: missing dimension(s) {show(missing)}; it has dims {show(list(da.dims))}. "
            f"Rename yours with .rename({{'yours': {show(missing[0])}}}) if it is there under another name"
        )


def select(obj, select: Mapping | None, name: str):
    """``obj.sel(select)`` with each dim and label checked (a scalar label drops its dim)."""
    if select is None:
        return obj
    if not isinstance(select, Mapping):
        raise InputTypeError(f"select: expected a mapping {{dim: label}}, got {type(select).__name__}")
    for dim, label in select.items():
        if dim not in obj.dims:
            raise MissingDimensionError(f"select: {name} has no dim {show(dim)}; it has dims {show(list(obj.dims))}")
        known = list(obj.indexes[dim]) if dim in obj.indexes else list(range(obj.sizes[dim]))
        labels = list(label) if isinstance(label, (list, tuple, np.ndarray)) else [label]
        bad = [v for v in labels if v not in known]
        if bad:
            raise UnknownLabelError(
                f"select: {show(dim)} has no label(s) {show(bad)} in {name}; available: {show_list(known, limit=12)}"
            )
        obj = obj.sel({dim: label}) if dim in obj.indexes else obj.isel({dim: label})
    return obj


def only_dims(da, allowed: Sequence[Hashable], name: str) -> None:
    """Raise :class:`InputError` when ``da`` has dims beyond ``allowed`` (other than length 1)."""
    extra = [d for d in da.dims if d not in allowed and da.sizes[d] > 1]
    if extra:
        d = extra[0]
        first = da[d].values[0] if d in da.coords else 0
        raise InputError(
            f"{name}: dim(s) {show(extra)} cannot be drawn in this figure (it draws {show(list(allowed))}); "
            f"choose one label with select={{{show(d)}: {show(first)}}}"
        )


def squeeze_extra(da, allowed: Sequence[Hashable]):
    """``da`` without its length-1 dims outside ``allowed`` (after :func:`only_dims`)."""
    extra = [d for d in da.dims if d not in allowed]
    return da.isel({d: 0 for d in extra}, drop=True) if extra else da


def labels_of(da, dim: Hashable) -> list:
    return list(da[dim].values) if dim in da.coords else list(range(da.sizes[dim]))


def text(label) -> str:
    """A label as text in a figure (no quotes: the legend reads RS, not 'RS')."""
    return str(label.item() if isinstance(label, np.generic) else label)


def finite_values(da, name: str) -> np.ndarray:
    """The values of ``da`` as float64, computed if dask-backed; inf is rejected (NaN is a gap)."""
    values = np.asarray(da.values, dtype=np.float64)
    if np.isinf(values).any():
        where = np.argwhere(np.isinf(values))[0]
        labels = ", ".join(f"{d}={show(da[d].values[i]) if d in da.coords else int(i)}" for d, i in zip(da.dims, where))
        raise InputError(f"{name}: infinite value at {labels}; a figure cannot place it (NaN leaves a gap)")
    return values


def year_label(da, dim: Hashable) -> str:
    units = da[dim].attrs.get("units") if dim in da.coords else None
    return f"{dim} ({units})" if units and units != str(dim) else str(dim)


def integer_years(ax) -> None:
    """Ticks on whole years only (2012.5 is no year)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
