"""LMDI-I decomposition over labelled factors: one ``apply_ufunc`` into :mod:`fastcarbon.core.lmdi`."""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon._validate import as_dataarray, as_dataset, describe_in_block, require_numeric
from fastcarbon.core import lmdi as core_lmdi
from fastcarbon.errors import (
    InputError,
    InvalidValueError,
    MissingDimensionError,
    OverflowResultError,
    UnknownLabelError,
)

__all__ = ["lmdi", "TotalMismatchError", "METHOD"]

METHOD = "LMDI-I (Ang 2004, 2005, 2015)"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class TotalMismatchError(InvalidValueError):
    """The factors' Σ Π x does not reproduce the ``total`` given, within ``rtol``.

    Attributes
    ----------
    where : str
        The labels of the worst element (batch labels and the label along ``dim``).
    relative_error : float
    """

    def __init__(self, where: str, computed: float, given: float, relative_error: float, rtol: float):
        self.where, self.relative_error = where, float(relative_error)
        super().__init__(
            f"total: the product of the factors summed over the sub-categories gives {show(computed)} at "
            f"{where} but total is {show(given)} (relative error {self.relative_error:.3g} > rtol={show(rtol)}, "
            f"the worst label); check that the factors form the identity (shares summing to 1, matching units)"
        )


def _parse_identity(identity: str, available: list[Hashable]) -> tuple[str | None, list[str]]:
    """``"emissions = activity * structure * intensity"`` → ("emissions", [factors])."""
    if not isinstance(identity, str):
        raise InputError(f"identity: must be a string such as 'emissions = activity * intensity', "
                         f"got {show(identity)}")
    left, eq, right = identity.partition("=")
    lhs = left.strip() if eq else None
    rhs = right if eq else left
    names = [n.strip() for n in rhs.split("*")]
    bad = [n for n in names + ([lhs] if lhs is not None else []) if not _NAME.match(n or "")]
    if bad or "=" in right:
        raise InputError(
            f"identity: {show(identity)} is not of the form 'total = factor * factor * ...' "
            f"(names joined by '*'); cannot read {show(bad[0]) if bad else repr('=')}"
        )
    dup = [n for n in dict.fromkeys(names) if names.count(n) > 1]
    if dup:
        raise InputError(f"identity: factor(s) {show(dup)} appear more than once in {show(identity)}")
    unknown = [n for n in names if n not in available]
    if unknown:
        raise UnknownLabelError(
            f"identity: unknown variable(s) {show(unknown)} in {show(identity)}; the factors Dataset has "
            f"{show_list(list(available), limit=None)}"
        )
    return lhs, names


def _pairs(labels: list, dim, base, target, chain: bool) -> tuple[list[tuple[int, int]], bool, str]:
    """Positions (base, target) along ``dim``, whether to drop the pair dim (scalar base and
    target), and the pair dim's name."""
    where = {v: k for k, v in enumerate(labels)}

    def pos(value, what):
        try:
            return where[value]
        except (KeyError, TypeError):
            raise UnknownLabelError(
                f"{what}: {show(value)} is not a label of {show(dim)}; its labels are {show_list(labels)}"
            ) from None

    if base is None and target is not None:
        raise InputError(f"target={show(target)} needs a base (the label it is compared with)")
    if base is None:
        if len(labels) < 2:
            raise InputError(f"dim {show(dim)} has one label ({show(labels[0])}); a change needs two")
        if chain:
            return [(k, k + 1) for k in range(len(labels) - 1)], False, "period"
        return [(0, len(labels) - 1)], False, "period"
    scalar = np.ndim(base) == 0 and (target is None or np.ndim(target) == 0)
    bases = [base] if np.ndim(base) == 0 else list(base)
    if target is None:  # fixed base: every other label against it
        b = pos(bases[0], "base") if len(bases) == 1 else None
        if b is None:
            raise InputError("base: a sequence of bases needs a sequence of targets of the same length")
        return [(b, k) for k in range(len(labels)) if k != b], False, "pair"
    targets = [target] if np.ndim(target) == 0 else list(target)
    if len(bases) == 1 and len(targets) > 1:
        bases = bases * len(targets)
    if len(bases) != len(targets):
        raise InputError(f"base and target: sequences of different lengths ({len(bases)} and {len(targets)})")
    return [(pos(b, "base"), pos(t, "target")) for b, t in zip(bases, targets)], scalar, "pair"


def _units(factors: xr.Dataset, names: list[str], total: xr.DataArray | None) -> str:
    """Units of V: those of the total, else the Dataset's ``units`` attr, else the product of the
    factors' units (a factor without ``units`` counts as dimensionless)."""
    from fastcarbon.units import format_units, parse

    if total is not None and "units" in total.attrs:
        parse(total.attrs["units"], what="total")  # a unit string the package can read, or UnitError
        return str(total.attrs["units"])
    if "units" in factors.attrs:
        parse(factors.attrs["units"], what="factors")
        return str(factors.attrs["units"])
    given = [(n, factors[n].attrs["units"]) for n in names if "units" in factors[n].attrs]
    if not given:
        return "1"

    q = 1
    for n, u in given:
        q = q * parse(u, what=f"factors[{show(n)}]")
    q = q.to_reduced_units() if not q.dimensionless else q.to("dimensionless")
    text = format_units(q) if str(q.units) != "dimensionless" else "1"
    mag = float(q.magnitude)
    return text if mag == 1 else f"{mag:g} {text}" if text != "1" else f"{mag:g}"


def lmdi(
    factors: xr.Dataset,
    *,
    dim: Hashable,
    over: Hashable | Sequence[Hashable],
    base=None,
    target=None,
    kind: Literal["additive", "multiplicative"] = "additive",
    chain: bool = True,
    identity: str | None = None,
    total: xr.DataArray | None = None,
    rtol: float = 1e-6,
    detail: bool = True,
    parallel: bool | None = None,
) -> xr.Dataset:
    """Decompose the change of V = Σ_i Π_k x_{k,i} into one effect per factor (LMDI-I).

    The logarithmic mean Divisia index, method I (Ang 2004, "Decomposition analysis for
    policymaking in energy", *Energy Policy* 32; Ang 2005, "The LMDI approach to decomposition
    analysis: a practical guide", *Energy Policy* 33; Ang 2015, "LMDI decomposition approach: a
    guide for implementation", *Energy Policy* 86), for every batch item (region, scenario, draw)
    at once.  With V_i = Π_k x_{k,i} per sub-category i (each label of the ``over`` dims) and
    L(a, b) = (a − b)/(ln a − ln b), L(a, a) = a:

    - additive: ΔV_k = Σ_i L(V_i^T, V_i^0) · ln(x_{k,i}^T / x_{k,i}^0), and Σ_k ΔV_k = V^T − V^0
      (``total``), to rounding: |Σ_k ΔV_k − ΔV| stays within a few ulps of V^T + V^0 + Σ|ΔV_{k,i}|;
    - multiplicative: D_k = exp(ΔV_k / L(V^T, V^0)), and Π_k D_k = V^T / V^0 (``total``); written
      as the exponential of a ratio, so large changes do not overflow.

    L is computed without cancellation near a = b (log1p form).  Zero values take the analytical
    limits of Ang & Liu (2007, "Handling zero values in the logarithmic mean Divisia index
    decomposition approach", *Energy Policy* 35), never a small δ: a sub-category with V_i^0 =
    V_i^T = 0 contributes nothing; with V_i^0 = 0 < V_i^T the factor that went from 0 takes V_i^T
    and the others 0 (several such factors share V_i^T equally: fastcarbon's rule, the symmetric
    choice, since the limit then depends on how fast each goes to 0); with V_i^T = 0 < V_i^0 the
    factor that went to 0 takes −V_i^0 (shared equally likewise).

    Parameters
    ----------
    factors : xarray.Dataset
        One variable per factor.  Each spans any subset of the ``over`` dims, any batch dims
        (every other dim: region, scenario, draw...) and ``dim``; xarray broadcasts them by name.
        A factor without ``dim`` is constant: its effect is exactly 0 (1 multiplicative).
        Finite values >= 0.
    dim : hashable
        The dim along which changes are taken: years, or scenarios.
    over : hashable or sequence of hashable
        The sub-category dims summed over in V (e.g. ``("sector", "fuel")``).
    base, target : label or sequence of labels, optional
        Decompose base → target (scalars: one pair, the ``pair`` dim dropped; equal-length
        sequences: several pairs; a scalar base with a sequence of targets: each against it).
        ``base`` alone: every other label against it.  Given, they take precedence over
        ``chain``.
    kind : {"additive", "multiplicative"}
    chain : bool
        Without ``base``: True decomposes each change between consecutive labels (``period`` dim,
        labels such as ``"2011-2012"``), False the change from the first to the last label.
    identity : str, optional
        ``"emissions = activity * structure * intensity * mix * factor"``: the factors (in this
        order) and, on the left, the name of their total.  Without it every data variable is a
        factor, in Dataset order.  A variable of ``factors`` named by the left side is used as
        ``total`` when ``total`` is not given; other variables are ignored.
    total : xarray.DataArray, optional
        V over ``dim`` and batch dims: checked against Σ_i Π_k x_{k,i} at every label that is
        decomposed; its ``units`` become the results' units.
    rtol : float
        Relative tolerance of that check.
    detail : bool
        Return ``effect_by`` (K × the sub-category grid per item and pair); False saves that
        memory when only the effects per factor are wanted.
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical results).  Default: serial
        for dask-backed input (dask provides the parallelism), else parallel for large input.

    Returns
    -------
    xarray.Dataset
        - ``effect`` (factor, period | pair, *batch): ΔV_k, or D_k;
        - ``effect_by`` (factor, period | pair, *over, *batch): each sub-category's ΔV_{k,i}
          (summing to ``effect`` over the ``over`` dims), or exp(ΔV_{k,i} / L(V^T, V^0))
          (multiplying to it);
        - ``total`` (period | pair, *batch): V^T − V^0, or V^T / V^0;
        - ``V_base``, ``V_target``: V^0 and V^T.

        The ``factor`` coordinate holds the factors' names; the ``period`` or ``pair`` dim has
        coordinates ``base`` and ``target`` (the labels along ``dim``).  Every variable has
        ``units`` (V's units, "1" for multiplicative effects and ratios) and ``long_name``;
        the attrs ``kind``, ``method`` and ``identity``.  Dask-backed input chunked along batch
        dims gives dask-backed output equal bit for bit to eager.

    Raises
    ------
    MissingDimensionError
        ``dim`` or an ``over`` dim in no factor; ``total`` without ``dim``.
    UnknownLabelError
        ``identity`` naming variables ``factors`` lacks (the message lists those it has);
        ``base`` or ``target`` not a label of ``dim``.
    InvalidValueError
        A negative, NaN or infinite factor value at a decomposed label (``BadFactorError``,
        naming the factor and the labels); ``kind="multiplicative"`` with a zero total
        (``ZeroTotalError``); factors that do not reproduce ``total`` (``TotalMismatchError``,
        naming the worst label and its relative error).
    OverflowResultError
        A product of factors outside the float64 range.

    Examples
    --------
    >>> import xarray as xr
    >>> years = [2011, 2020]
    >>> ds = xr.Dataset({
    ...     "energy": ("year", [100.0, 130.0], {"units": "10**4 tce"}),
    ...     "share": (("year", "fuel"), [[0.7, 0.3], [0.5, 0.5]]),
    ...     "factor": ("fuel", [2.66, 1.56], {"units": "t CO2/tce"}),
    ... }, coords={"year": years, "fuel": ["coal", "natural_gas"]})
    >>> out = lmdi(ds, dim="year", over="fuel", base=2011, target=2020)
    >>> out.effect.round(2).values.ravel().tolist()  # energy, fuel mix, factor (10**4 t CO2)
    [65.61, -24.31, 0.0]
    >>> float(out.total.round(2)), out.total.attrs["units"]
    (41.3, '10000 t CO2')
    """
    ds = as_dataset(factors, "factors", "factors (one variable per factor)")
    if kind not in core_lmdi.KINDS:
        raise InputError(f"kind must be 'additive' or 'multiplicative', got {show(kind)}")
    available = list(ds.data_vars)
    if identity is not None:
        lhs, names = _parse_identity(identity, available)
        if total is None and lhs is not None and lhs in ds.data_vars:
            total = ds[lhs]
    else:
        lhs, names = None, [str(n) for n in available]
        if not names:
            raise InputError("factors: the Dataset has no data variables")
    over = (over,) if isinstance(over, str) or not isinstance(over, Sequence) else tuple(over)
    if dim in over:
        raise InputError(f"dim {show(dim)} is also an over dim; changes are taken along dim, sums over over")
    arrays = [ds[n] for n in names]
    for n, da in zip(names, arrays):
        require_numeric(da, f"factors[{show(n)}]")
    held = {d for da in arrays for d in da.dims}
    for d, what in [(dim, "dim")] + [(o, "over dim") for o in over]:
        if d not in held:
            raise MissingDimensionError(
                f"factors: {what} {show(d)} is in none of the factors {show(names)}; they have dims "
                f"{show(sorted(held, key=str))}"
            )
    batch = list(dict.fromkeys(d for da in arrays for d in da.dims if d != dim and d not in over))
    labels = list(ds[dim].values) if dim in ds.coords else list(range(ds.sizes[dim]))
    pairs, scalar, pdim = _pairs(labels, dim, base, target, chain)
    if pdim in ds.dims or pdim in over:
        raise InputError(f"factors: dim {show(pdim)} is taken; the results put the pairs of labels there")
    totals = []
    if total is not None:
        total = as_dataarray(total, "total")
        require_numeric(total, "total")
        if dim not in total.dims:
            raise MissingDimensionError(f"total: needs dim {show(dim)} (V at each label); it has {list(total.dims)}")
        extra = [d for d in total.dims if d != dim and d not in batch]
        if extra:
            raise InputError(f"total: dims {show(extra)} are in none of the factors (V has dims {show(batch)} "
                             f"and {show(dim)})")
        take = {}
        for side in (0, 1):
            pos = xr.DataArray([p[side] for p in pairs], dims=pdim)
            take[side] = total.isel({dim: pos}).drop_vars(dim, errors="ignore")
        totals = [take[0], take[1]]
    units = _units(ds, names, total)
    lazy = any(da.chunks is not None for da in arrays + totals)
    if parallel is None and lazy:
        parallel = False  # serial kernels inside dask tasks; dask provides the parallelism

    # the batch labels travel with the blocks (tiny 1-D arrays), so an error found in one block
    # names the labels of the whole array
    chunks = {}
    for da in arrays + totals:
        if da.chunks is not None:
            chunks.update({d: c for d, c in da.chunksizes.items() if d in batch and d not in chunks})
    label_blocks = []
    for d in batch:
        values = ds[d].values if d in ds.coords else np.arange(ds.sizes[d])
        lab = xr.DataArray(values, dims=d)
        label_blocks.append(lab.chunk({d: chunks[d]}) if d in chunks else lab)
    labelled = [d in ds.coords for d in batch]
    own = [[d for d in ([dim] + list(over)) if d in da.dims] for da in arrays]
    n_k, n_lab = len(arrays), len(label_blocks)
    pair_labels = [(labels[a], labels[b]) for a, b in pairs]
    over_labels = [ds[o].values if o in ds.coords else None for o in over]
    dim_labels = labels

    def run(*blocks):
        fblocks = blocks[:n_k]
        tblocks = blocks[n_k:len(blocks) - n_lab]
        lblocks = blocks[len(blocks) - n_lab:]
        # apply_ufunc orders the loop dims as in `batch` (first seen over the factors), inserts
        # size-1 axes for those an input lacks, except leading ones: pad those here, and give each
        # factor every core axis, so that every block is (*batch, dim, *over) with 1s
        shaped = []
        for x, core in zip(fblocks, own):
            nl = x.ndim - len(core)
            rest = iter(x.shape[nl:])
            full = [next(rest) if d in core else 1 for d in [dim] + list(over)]
            shaped.append(x.reshape((1,) * (len(batch) - nl) + x.shape[:nl] + tuple(full)))
        loop_dims = list(batch)
        try:
            r = core_lmdi.lmdi(shaped, pairs, n_over=len(over), kind=kind, detail=detail, parallel=parallel,
                               names=[f"factors[{show(n)}]" for n in names])
        except core_lmdi.BadFactorError as err:
            idx = err.index
            k = err.factor
            dims_k = [d for d in loop_dims if d in arrays[k].dims] + own[k]
            full_dims = loop_dims + [dim] + list(over)
            where = _where(dims_k, full_dims, idx, lblocks, labelled, loop_dims, dim_labels, over, over_labels)
            raise core_lmdi.BadFactorError(k, idx, err.value, name=f"factors[{show(names[k])}]",
                                           where=where) from None
        except (core_lmdi.ZeroTotalError, OverflowResultError) as err:
            idx = err.index
            where = _batch_where(loop_dims, idx[:-1], lblocks, labelled)
            a, b = pair_labels[idx[-1]]
            where = (where + ", " if where else "") + f"{dim}={show(a)} -> {show(b)}"
            if isinstance(err, core_lmdi.ZeroTotalError):
                raise core_lmdi.ZeroTotalError(idx, err.v_base, err.v_target, where=where) from None
            raise OverflowResultError(err.variable, idx, err.value, where=where, hint=err.hint) from None
        if tblocks:
            for side, (v, t) in enumerate(zip((r.v_base, r.v_target), tblocks)):
                t = np.broadcast_to(np.asarray(t, dtype=np.float64), v.shape)
                scale = np.maximum(np.abs(t), np.abs(v))
                with np.errstate(invalid="ignore", divide="ignore"):
                    rel = np.where(scale > 0, np.abs(v - t) / np.where(scale > 0, scale, 1.0), 0.0)
                rel = np.where(np.isnan(t), np.inf, rel)
                if (rel > rtol).any():
                    pos = np.unravel_index(int(np.argmax(rel)), rel.shape)
                    where = _batch_where(loop_dims, pos[:-1], lblocks, labelled)
                    lab = pair_labels[pos[-1]][side]
                    where = (where + ", " if where else "") + f"{dim}={show(lab)}"
                    raise TotalMismatchError(where, float(v[pos]), float(t[pos]), float(rel[pos]), rtol)
        eff_by = r.effect_by if detail else np.empty(r.effect.shape + (1,) * len(over))
        return r.effect, eff_by, r.total, r.v_base, r.v_target

    # without detail, effect_by is a placeholder of size 1 along stand-in dims (dropped below)
    by_dims = list(over) if detail else [f"_{o}" for o in over]
    sizes = {pdim: len(pairs), "factor": n_k, **({} if detail else {d: 1 for d in by_dims})}
    out = xr.apply_ufunc(
        run,
        *arrays,
        *totals,
        *label_blocks,
        input_core_dims=own + [[pdim] for _ in totals] + [[] for _ in label_blocks],
        output_core_dims=[[pdim, "factor"], [pdim, "factor", *by_dims], [pdim], [pdim], [pdim]],
        dask="parallelized",
        output_dtypes=[np.float64] * 5,
        dask_gufunc_kwargs={"allow_rechunk": True, "output_sizes": sizes},
    )
    effect, effect_by, tot, v_base, v_target = out
    coords = {
        "factor": names,
        pdim: [f"{a}-{b}" for a, b in pair_labels],
        "base": (pdim, [a for a, _ in pair_labels]),
        "target": (pdim, [b for _, b in pair_labels]),
    }
    add = kind == "additive"
    what = lhs or "V"
    ratio = "1"
    span = "between consecutive labels" if pdim == "period" else "from base to target"
    res = xr.Dataset(
        {
            "effect": effect.transpose("factor", pdim, *batch).assign_attrs(
                units=units if add else ratio,
                long_name=f"LMDI-I {kind} effect of each factor on {what} ({dim} {span})",
            ),
            "total": tot.transpose(pdim, *batch).assign_attrs(
                units=units if add else ratio,
                long_name=(f"change of {what}, V^T - V^0" if add else f"ratio of {what}, V^T / V^0"),
            ),
            "V_base": v_base.transpose(pdim, *batch).assign_attrs(units=units, long_name=f"{what} at the base"),
            "V_target": v_target.transpose(pdim, *batch).assign_attrs(units=units,
                                                                      long_name=f"{what} at the target"),
        },
    )
    if detail:
        res["effect_by"] = effect_by.transpose("factor", pdim, *over, *batch).assign_attrs(
            units=units if add else ratio,
            long_name=(f"contribution of each {'/'.join(map(str, over))} label to each effect on {what}"
                       + ("" if add else " (multiplying to effect)")),
        )
        res = res[["effect", "effect_by", "total", "V_base", "V_target"]]
    res = res.assign_coords(coords)
    for o in over:
        if o in ds.coords and detail:
            res = res.assign_coords({o: ds[o]})
    for d in batch:
        if d in ds.coords:
            res = res.assign_coords({d: ds[d]})
    res.attrs = {
        "kind": kind,
        "method": METHOD,
        "identity": identity if identity is not None else f"V = {' * '.join(names)}",
        "dim": str(dim),
        "over": ", ".join(map(str, over)),
    }
    if scalar:
        res = res.isel({pdim: 0})
    return res


def _batch_where(loop_dims, pos, lblocks, labelled) -> str:
    """Labels of a batch position in a block (loop dims of size 1 in the results are left out)."""
    dims, blocks, has, index = [], [], [], []
    for d, blk, lab, k in zip(loop_dims, lblocks, labelled, pos):
        values = np.asarray(blk).reshape(-1)
        dims.append(d)
        blocks.append(values)
        has.append(lab)
        index.append(k)
    return describe_in_block(dims, blocks, has, index) if dims else ""


def _where(dims_k, full_dims, idx, lblocks, labelled, loop_dims, dim_labels, over, over_labels) -> str:
    """Labels of element ``idx`` (in the expanded factor block, axes ``full_dims``) over the
    factor's own dims ``dims_k``."""
    pos = dict(zip(full_dims, idx))
    blocks, has, index = [], [], []
    for d in dims_k:
        if d in loop_dims:
            j = loop_dims.index(d)
            blocks.append(np.asarray(lblocks[j]).reshape(-1))
            has.append(labelled[j])
        elif d in over:
            lab = over_labels[list(over).index(d)]
            blocks.append(lab if lab is not None else np.arange(pos[d] + 1))
            has.append(lab is not None)
        else:
            blocks.append(np.asarray(dim_labels))
            has.append(True)
        index.append(pos[d])
    return describe_in_block(dims_k, blocks, has, index)
