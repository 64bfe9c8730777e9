"""Entropy weights of indicators over labelled data (000, eqs. 2–7)."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable

import numpy as np
import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon._validate import (
    as_dataarray,
    block_locator,
    first_position,
    require_dims,
    require_numeric,
)
from fastcarbon.core import entropy as core
from fastcarbon.errors import InputError, UnknownLabelError

__all__ = ["entropy_weights", "negative_mask", "as_labels", "CITATION"]

#: the seed text carries no author list, so none is given
CITATION = (
    "Bengbu industrial carbon emissions study, Scientific Reports 13:14528 (2023), "
    "doi:10.1038/s41598-023-41857-0"
)


def entropy_weights(
    da: xr.DataArray,
    dim: Hashable,
    *,
    indicator_dim: Hashable = "indicator",
    negative: Iterable[Hashable] | Hashable = (),
    errors: str = "raise",
    parallel: bool | None = None,
    _name: str = "da",
) -> xr.Dataset:
    """Entropy weights of indicators, standardized over ``dim`` separately for every other dim.

    .. math::

        X_{ij} = \\frac{a_{ij} - \\min_i a_{ij}}{\\max_i a_{ij} - \\min_i a_{ij}} \\;(+),\\qquad
        X_{ij} = \\frac{\\max_i a_{ij} - a_{ij}}{\\max_i a_{ij} - \\min_i a_{ij}} \\;(-)

        p_{ij} = \\frac{X_{ij}}{\\sum_i X_{ij}},\\quad
        e_j = -\\frac{1}{\\ln m}\\sum_{i=1}^m p_{ij}\\ln p_{ij}\\;(0 \\ln 0 = 0),\\quad
        d_j = 1 - e_j,\\quad w_j = \\frac{d_j}{\\sum_j d_j}

    for rows i = 1..m along ``dim`` and indicators j along ``indicator_dim`` (000, eqs. 2–7: the
    Bengbu study, *Scientific Reports* 13:14528, 2023; its "CEI method").  Every other dim
    (``region``, ``scenario``, ``draw``...) is a batch: each city gets its own min–max
    standardization and its own weights.

    Parameters
    ----------
    da : xarray.DataArray
        Raw indicator values with dims ``dim`` and ``indicator_dim`` (+ any batch dims);
        finite real numbers.  Units may differ between indicators: the method is scale-free.
    dim : hashable
        The rows standardized over, e.g. ``"year"`` (the paper: 2011–2020), or ``"region"``
        to weight indicators across cities.  At least 2 rows.
    indicator_dim : hashable
        The indicator dim; ``negative`` refers to its coordinate labels.
    negative : label or iterable of labels
        Negative indicators (smaller is better, eq. 3), e.g. energy intensity.  The others are
        positive (eq. 2).  A single string is one label.
    errors : {"raise", "ignore"}
        For a batch item whose indicators are *all* constant along ``dim``: raise
        :class:`fastcarbon.core.entropy.AllConstantError` (default) or give every indicator
        weight 0 there (its ``constant`` flags are all True).
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical results); default serial
        for dask-backed input and small arrays.

    Returns
    -------
    xarray.Dataset
        - ``weight`` (..., indicator): w_j, summing to 1 over the indicators;
        - ``entropy`` (..., indicator): e_j in [0, 1];
        - ``difference`` (..., indicator): the difference coefficient d_j = 1 − e_j;
        - ``standardized`` (..., dim, indicator): X_ij in [0, 1];
        - ``constant`` (..., indicator): indicator constant along ``dim``;
        - ``negative`` (indicator): the attribute used (True = negative).

        Every variable has ``units`` and ``long_name``; the attrs ``row_dim`` and
        ``indicator_dim`` let :func:`fastcarbon.index.obstacle_degree` take this Dataset.

    Raises
    ------
    InputTypeError
        Not a DataArray, or non-numeric data.
    MissingDimensionError
        ``dim`` or ``indicator_dim`` absent.
    InputError
        ``dim == indicator_dim``; fewer than 2 rows; no indicator; ``negative`` labels without an
        indicator coordinate; an unknown ``errors``.
    UnknownLabelError
        A label of ``negative`` that is not an indicator.
    InvalidValueError
        NaN or ±inf (the message gives the coordinate labels of the first one), or every
        indicator constant in some batch item with ``errors="raise"``.

    Warns
    -----
    ConstantIndicatorWarning
        Some indicator is constant along ``dim`` in some batch item.

    Notes
    -----
    - A constant indicator (max = min) carries no information: it is standardized to 1 in every
      row (every row attains the best value observed), so e = 1, d = 0 and its weight is exactly
      0 — never NaN — and it has no deviation in the obstacle degree.  A warning names it.
    - The paper's Table 5 weights (0.327, 0.211, 0.160, 0.149, 0.153, in
      ``fastcarbon.datasets.bengbu().weight``) cannot be recomputed: the paper does not print
      the indicator values they come from (Table 3 only describes the indicators).  The tests
      check analytic cases and invariances instead.
    - With dask-backed input the errors come at compute time, with the same messages (the
      coordinate labels of the whole array); the warnings also come at compute time but give
      positions within a chunk instead of coordinate labels.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from fastcarbon.index import entropy_weights
    >>> da = xr.DataArray(
    ...     [[40.0, 1.2], [41.0, 1.1], [43.0, 1.1], [47.0, 0.9]],
    ...     dims=("year", "indicator"),
    ...     coords={"year": [2017, 2018, 2019, 2020], "indicator": ["urbanization", "energy_intensity"]},
    ... )
    >>> ds = entropy_weights(da, "year", negative=["energy_intensity"])
    >>> ds.standardized.sel(indicator="energy_intensity").round(3).values.tolist()
    [0.0, 0.333, 0.333, 1.0]
    >>> ds.weight.round(3).values.tolist(), float(ds.weight.sum())
    ([0.547, 0.453], 1.0)
    >>> ds.weight.attrs["long_name"]
    'entropy weight'
    """
    name = _name  # how the messages call the data: obstacle_degree passes its own argument's name
    da = as_dataarray(da, name)
    require_numeric(da, name)
    if dim == indicator_dim:
        raise InputError(
            f"dim and indicator_dim are both {show(dim)}; dim names the rows (years or cities) "
            "standardized over, indicator_dim the indicators"
        )
    require_dims(da, (dim, indicator_dim), name)
    if da.sizes[dim] < 2:
        raise InputError(
            f"{name}: dimension {show(dim)} has {da.sizes[dim]} row(s); min-max standardization and "
            "ln m in eq. 5 need at least 2"
        )
    if da.sizes[indicator_dim] < 1:
        raise InputError(f"{name}: dimension {show(indicator_dim)} is empty; need at least 1 indicator")
    mask = negative_mask(da, indicator_dim, negative, name)
    if errors not in ("raise", "ignore"):
        raise InputError(f"errors must be 'raise' or 'ignore', got {show(errors)}")

    lazy = da.chunks is not None
    if parallel is None and lazy:
        parallel = False  # serial kernels inside dask tasks; dask provides the parallelism

    # dask-backed input: the batch dims' labels travel with the blocks, so that an error found in
    # one block names its element by the labels of the whole array (numpy-backed input: none)
    locate, label_args = block_locator(da, (dim, indicator_dim)) if lazy else (None, [])
    dims = da.dims  # not da itself: the function below goes into the dask graph

    def compute(x, *label_blocks):
        # warnings of eager calls are issued below with coordinate labels
        try:
            return tuple(core.entropy_weights(x, mask, errors=errors, warn=lazy, parallel=parallel))
        except core.NonFiniteError as err:
            if locate is None:
                raise
            where, index = locate(label_blocks, err.index, dims)
            raise core.NonFiniteError(name, index, err.value, _NON_FINITE, where) from None
        except core.AllConstantError as err:
            if locate is None:
                raise
            where, index = locate(label_blocks, err.index, locate.batch, layout=locate.batch)
            raise core.AllConstantError(index, _all_constant(dim, where)) from None

    try:
        standardized, entropy, difference, weight, constant = xr.apply_ufunc(
            compute,
            da,
            *label_args,
            input_core_dims=[[dim, indicator_dim]] + [[]] * len(label_args),
            output_core_dims=[[dim, indicator_dim]] + [[indicator_dim]] * 4,
            dask="parallelized",
            output_dtypes=[np.float64] * 4 + [np.bool_],
            dask_gufunc_kwargs={"allow_rechunk": True},
            keep_attrs=False,
        )
    except core.NonFiniteError:
        # only on the error path: find the element again, by its labels in the caller's order
        where, index = first_position(da, ~np.isfinite(da.values))
        value = float(da.values[index])
        raise core.NonFiniteError(name, index, value, _NON_FINITE, where) from None
    except core.AllConstantError:
        flat = (da.max(dim) == da.min(dim)).all(indicator_dim)
        where, index = first_position(flat, flat.values)
        raise core.AllConstantError(index, _all_constant(dim, where)) from None

    if not lazy and bool(constant.any()):
        hit = constant.any([d for d in constant.dims if d != indicator_dim]).values
        labels = (da.indexes[indicator_dim][hit].tolist() if indicator_dim in da.indexes
                  else np.flatnonzero(hit).tolist())
        warnings.warn(
            f"{name}: indicator(s) {labels} constant along {show(dim)} "
            f"({int(constant.sum())} case(s) in all, see the 'constant' variable); they get weight 0",
            core.ConstantIndicatorWarning,
            stacklevel=2,
        )

    ds = xr.Dataset(
        {
            "weight": weight.assign_attrs(units="1", long_name="entropy weight"),
            "entropy": entropy.assign_attrs(units="1", long_name="information entropy"),
            "difference": difference.assign_attrs(units="1", long_name="difference coefficient (1 - entropy)"),
            "standardized": standardized.assign_attrs(units="1", long_name="min-max standardized indicator"),
            "constant": constant.assign_attrs(units="1", long_name=f"indicator constant along {dim}"),
            "negative": xr.DataArray(mask, dims=indicator_dim).assign_attrs(
                units="1", long_name="negative indicator (smaller is better)"
            ),
        }
    )
    ds.attrs.update(
        row_dim=str(dim),
        indicator_dim=str(indicator_dim),
        method="entropy weights: min-max standardization per indicator along "
        f"{dim}, e = -sum p ln p / ln m, d = 1 - e, w = d / sum d; a constant indicator gets "
        "weight 0 (000 eqs. 2-7)",
        source=CITATION,
    )
    return ds


_NON_FINITE = "must be finite (no NaN or inf)"


def _all_constant(dim, where: str) -> str:
    return (
        f"da: every indicator is constant along {show(dim)} at {where}, so all entropy weights "
        "would be 0/0; pass errors='ignore' to give every indicator weight 0 there"
    )


def negative_mask(da: xr.DataArray, indicator_dim: Hashable, negative, name: str) -> np.ndarray:
    """Boolean mask over ``da``'s indicators, True at the labels listed in ``negative``."""
    negative = as_labels(negative)
    n = da.sizes[indicator_dim]
    if not negative:
        return np.zeros(n, dtype=np.bool_)
    if indicator_dim not in da.indexes:
        raise InputError(
            f"{name}: negative={show(negative)} names indicators, but dimension {show(indicator_dim)} has "
            f"no coordinate labels; add them with .assign_coords({indicator_dim}=[...])"
        )
    known = da.indexes[indicator_dim]
    unknown = [v for v in negative if v not in set(known)]
    if unknown:
        raise UnknownLabelError(
            f"negative: {show(unknown)} not found along {name}'s {show(indicator_dim)}; "
            f"available {indicator_dim} labels: {show_list(known)}"
        )
    return np.asarray(known.isin(negative), dtype=np.bool_)


def as_labels(labels) -> list:
    """``labels`` as a list; a single string (or other scalar) is one label, not its characters."""
    if labels is None:
        return []
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
        return [labels]
    return list(labels)
