"""Obstacle degree ("resistance") of indicators over labelled data (000, eq. 8)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import (
    as_dataarray,
    as_dataset,
    block_locator,
    first_position,
    require_dims,
    require_numeric,
)
from fastcarbon.core import entropy as core
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, MissingDimensionError
from fastcarbon.index.entropy import CITATION, as_labels, entropy_weights

__all__ = ["obstacle_degree"]


def obstacle_degree(
    data: xr.DataArray | xr.Dataset,
    dim: Hashable | None = None,
    *,
    indicator_dim: Hashable | None = None,
    negative: Iterable[Hashable] | Hashable = (),
    errors: str = "raise",
    parallel: bool | None = None,
) -> xr.Dataset:
    """Obstacle degree of every indicator in every row, its ranking, and the main obstacles.

    .. math::

        S_{ij} = 1 - X_{ij},\\qquad O_{ij} = \\frac{S_{ij}\\, w_j}{\\sum_j S_{ij}\\, w_j}

    with X the standardized indicators and w their entropy weights (000, eq. 8: the Bengbu
    study's "resistance model", *Scientific Reports* 13:14528, 2023, with factor contribution
    w_j and index deviation S_ij; its Fig. 2 plots O per year).

    Parameters
    ----------
    data : xarray.DataArray or xarray.Dataset
        Either the raw indicators (a DataArray, as for
        :func:`fastcarbon.index.entropy_weights`, which is called with ``dim``, ``negative``,
        ``errors`` and ``parallel``), or the Dataset that ``entropy_weights`` returned — or any
        Dataset with ``standardized`` (..., dim, indicator) in [0, 1] and ``weight``
        (..., indicator) >= 0, e.g. with published weights put in its place
        (``ds.assign(weight=...)``, which aligns the indicator labels: a missing one becomes
        NaN and is reported); a ``weight`` without the batch dims applies to all.
    dim : hashable, optional
        The rows (e.g. ``"year"``).  Required with a DataArray; with a Dataset taken from its
        ``row_dim`` attr, or else the one dim of ``standardized`` that ``weight`` lacks.
    indicator_dim : hashable, optional
        Default ``"indicator"``, or the Dataset's ``indicator_dim`` attr.
    negative : label or iterable of labels
        Negative indicators; only with a DataArray (a Dataset is already standardized).
    errors : {"raise", "ignore"}
        Only with a DataArray: see :func:`fastcarbon.index.entropy_weights`.
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical results).

    Returns
    -------
    xarray.Dataset
        - ``obstacle`` (..., dim, indicator): O_ij; sums to 1 over the indicators in every row
          except rows flagged ``no_obstacle``, where it is 0;
        - ``deviation`` (..., dim, indicator): S_ij = 1 − X_ij;
        - ``rank`` (..., dim, indicator): 1 = largest obstacle of the row (ties share the better
          rank);
        - ``main_obstacle_count`` (..., indicator): number of rows in which the indicator is the
          main obstacle (000, Fig. 2: urbanization in 8 of 10 years);
        - ``no_obstacle`` (..., dim): rows with no weighted deviation;
        - ``weight`` (..., indicator): the weights used.

        Every variable has ``units`` and ``long_name``.

    Raises
    ------
    InputTypeError
        ``data`` neither a DataArray nor a Dataset; non-numeric data.
    MissingDimensionError
        A dim absent; a Dataset without ``standardized`` or ``weight``.
    InputError
        ``negative`` or ``errors`` given with a Dataset; ``dim`` missing or ambiguous.
    InvalidValueError
        NaN or out-of-range standardized values, negative or NaN weights (with the coordinate
        labels of the first one), and everything :func:`entropy_weights` rejects.

    Notes
    -----
    - A constant indicator has deviation 0 (it is standardized to 1) and weight 0, so its
      obstacle degree is 0 in every row; it takes part in the ranking with O = 0.
    - A row where Σ_j S_ij w_j = 0 (every weighted indicator at its best) has no obstacle:
      O = 0 for every indicator rather than 0/0, ``no_obstacle`` is True, and the row counts
      for no indicator in ``main_obstacle_count``.  When every indicator is constant (with
      ``errors="ignore"``) every row is such a row.
    - Ties are ranked competition-style ("1224"): rank = 1 + the number of indicators with a
      strictly larger O.  Every indicator of rank 1 with O > 0 counts as a main obstacle, so
      with exact ties ``main_obstacle_count`` sums to more than the number of rows.
    - The paper's Fig. 2 (urbanization the main obstacle in 8 of 10 years) cannot be recomputed:
      the indicator values are not printed.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from fastcarbon.index import entropy_weights, obstacle_degree
    >>> da = xr.DataArray(
    ...     [[40.0, 1.2], [41.0, 1.1], [43.0, 1.1], [47.0, 0.9]],
    ...     dims=("year", "indicator"),
    ...     coords={"year": [2017, 2018, 2019, 2020], "indicator": ["urbanization", "energy_intensity"]},
    ... )
    >>> ob = obstacle_degree(da, "year", negative="energy_intensity")
    >>> ob.obstacle.sel(year=2018).round(3).values.tolist()
    [0.608, 0.392]
    >>> ob.no_obstacle.values.tolist()          # 2020 is the best year on both indicators
    [False, False, False, True]
    >>> ob.main_obstacle_count.values.tolist()
    [3, 0]

    The same from the weights' Dataset, here with the weights replaced by other values:

    >>> ew = entropy_weights(da, "year", negative=["energy_intensity"])
    >>> w = xr.DataArray([0.5, 0.5], dims="indicator", coords={"indicator": ["urbanization", "energy_intensity"]})
    >>> obstacle_degree(ew.assign(weight=w)).obstacle.sel(year=2018).round(3).values.tolist()
    [0.562, 0.438]
    """
    if isinstance(data, xr.Dataset):
        data = as_dataset(data, "data")
        if as_labels(negative):
            raise InputError(
                "negative: not allowed with a Dataset, whose 'standardized' data already apply it; "
                "pass the raw DataArray to obstacle_degree, or give negative to entropy_weights"
            )
        if errors != "raise":
            raise InputError("errors: only used with a raw DataArray (it is passed to entropy_weights)")
        missing = [v for v in ("standardized", "weight") if v not in data.data_vars]
        if missing:
            raise MissingDimensionError(
                f"data: the Dataset has no {missing} variable(s) (it has {list(data.data_vars)}); "
                "pass the output of fastcarbon.index.entropy_weights"
            )
        indicator_dim = indicator_dim or data.attrs.get("indicator_dim", "indicator")
        standardized, weight = data["standardized"], data["weight"]
        dim = _row_dim(standardized, weight, dim if dim is not None else data.attrs.get("row_dim"))
    elif isinstance(data, xr.DataArray):
        if dim is None:
            raise InputError("dim: required with a DataArray of raw indicators, e.g. dim='year'")
        indicator_dim = indicator_dim or "indicator"
        ew = entropy_weights(
            data, dim, indicator_dim=indicator_dim, negative=negative, errors=errors, parallel=parallel,
            _name="data",
        )
        standardized, weight = ew["standardized"], ew["weight"]
    else:
        raise InputTypeError(
            f"data: expected an xarray.DataArray of raw indicators or the Dataset returned by "
            f"entropy_weights, got {type(data).__name__}"
        )
    standardized = as_dataarray(standardized, "standardized")
    weight = as_dataarray(weight, "weight")
    for da, name in ((standardized, "standardized"), (weight, "weight")):
        require_numeric(da, name)
    require_dims(standardized, (dim, indicator_dim), "standardized")
    require_dims(weight, (indicator_dim,), "weight")
    if dim in weight.dims:
        raise InputError(f"weight: must not have the row dim {show(dim)}; weights are per indicator")

    lazy = standardized.chunks is not None or weight.chunks is not None
    if parallel is None and lazy:
        parallel = False  # serial kernels inside dask tasks; dask provides the parallelism

    # dask-backed input: the batch dims' labels travel with the blocks, so that an error found in
    # one block names its element by the labels of the whole array (numpy-backed input: none)
    locate, label_args = block_locator(standardized, (dim, indicator_dim)) if lazy else (None, [])
    s_dims, w_dims = standardized.dims, weight.dims  # not the arrays: compute goes into the graph
    # a weight with a (length-1) batch dim that standardized lacks adds an axis to the blocks:
    # then the kernel's own message, with positions in the block
    located = locate is not None and set(w_dims) <= {*locate.batch, indicator_dim}

    def compute(s, w, *label_blocks):
        try:
            return tuple(core.obstacle_degree(s, w, parallel=parallel))
        except core.NonFiniteError as err:
            if not located:
                raise
            where, index = locate(label_blocks, err.index, s_dims)
            raise core.NonFiniteError("standardized", index, err.value, _IN_RANGE, where) from None
        except InvalidValueError:
            if not located:
                raise
            # the weights as the numpy layer checked them: broadcast over the block's batch
            wb = np.broadcast_to(w, s.shape[:-2] + s.shape[-1:])
            local = tuple(int(k) for k in np.argwhere(~(np.isfinite(wb) & (wb >= 0)))[0])
            where, _ = locate(label_blocks, local, w_dims, layout=(*locate.batch, indicator_dim))
            raise InvalidValueError(_bad_weight(float(wb[local]), where)) from None

    try:
        deviation, obstacle, rank, main_count, no_obstacle = xr.apply_ufunc(
            compute,
            standardized,
            weight,
            *label_args,
            input_core_dims=[[dim, indicator_dim], [indicator_dim]] + [[]] * len(label_args),
            output_core_dims=[[dim, indicator_dim]] * 3 + [[indicator_dim], [dim]],
            dask="parallelized",
            output_dtypes=[np.float64, np.float64, np.int64, np.int64, np.bool_],
            dask_gufunc_kwargs={"allow_rechunk": True},
            keep_attrs=False,
        )
    except core.NonFiniteError:
        # only on the error path: find the element again, by its labels
        values = standardized.values
        where, index = first_position(standardized, ~((values >= 0) & (values <= 1)))
        value = float(values[index])
        raise core.NonFiniteError("standardized", index, value, _IN_RANGE, where) from None
    except InvalidValueError:
        values = weight.values
        where, index = first_position(weight, ~(np.isfinite(values) & (values >= 0)))
        value = float(values[index])
        raise InvalidValueError(_bad_weight(value, where)) from None

    ds = xr.Dataset(
        {
            "obstacle": obstacle.assign_attrs(units="1", long_name="obstacle degree"),
            "deviation": deviation.assign_attrs(units="1", long_name="index deviation (1 - standardized)"),
            "rank": rank.assign_attrs(units="1", long_name="obstacle rank within the row (1 = largest)"),
            "main_obstacle_count": main_count.assign_attrs(
                units="1", long_name=f"number of {dim} values in which the indicator is the main obstacle"
            ),
            "no_obstacle": no_obstacle.assign_attrs(units="1", long_name="row with no weighted deviation"),
            "weight": weight.assign_attrs(units="1", long_name=weight.attrs.get("long_name", "weight")),
        }
    )
    ds.attrs.update(
        row_dim=str(dim),
        indicator_dim=str(indicator_dim),
        method="obstacle degree O = S w / sum_j S w, S = 1 - standardized; ties share the better "
        "rank; rows with sum_j S w = 0 have O = 0 (000 eq. 8)",
        source=CITATION,
    )
    return ds


_IN_RANGE = "must lie in [0, 1]"


def _bad_weight(value: float, where: str) -> str:
    return f"weight: bad value {show(value)} at {where}; weights must be finite and >= 0"


def _row_dim(standardized: xr.DataArray, weight: xr.DataArray, dim) -> Hashable:
    if dim is not None:
        return dim
    candidates = [d for d in standardized.dims if d not in weight.dims]
    if len(candidates) != 1:
        raise InputError(
            f"dim: cannot tell the row dim of 'standardized' {list(standardized.dims)} from "
            f"'weight' {list(weight.dims)} (candidates {candidates}); pass dim=..."
        )
    return candidates[0]
