"""Global sensitivity analysis through SALib: Sobol' indices and Morris screening, labelled.

SALib does the statistics (samplers and estimators); this module validates its inputs with
fastcarbon's errors and labels its samples and results with xarray.  The general model of rate
multipliers is in :mod:`fastcarbon.uncertainty.rates`; the Chongqing example of 001 in
:mod:`fastcarbon.studies.chongqing.sensitivity`.

- :func:`check_problem` — a SALib problem dict checked (names, bounds, distributions).
- :func:`sobol_sample`, :func:`sobol_analyze` — Saltelli's design on a scrambled Sobol' sequence,
  first and total order indices with bootstrap confidence intervals.
- :func:`morris_sample`, :func:`morris_analyze` — elementary effects (mu, mu*, sigma).

Samples are DataArrays over (``draw``, ``param``) whose ``draw`` coordinate is SALib's row
order (0, 1, 2, ...): the analysis functions rely on it, so evaluate the model row by row in that
order, keep ``draw`` as the output's dim, and do not sort, subset or shuffle it.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import as_dataarray, describe_first, require_dims, require_numeric
from fastcarbon.errors import (
    CoordinateMismatchError,
    FastcarbonWarning,
    InputError,
    InputTypeError,
    InvalidValueError,
    UnknownLabelError,
)

__all__ = [
    "DISTRIBUTIONS",
    "check_problem",
    "sobol_sample",
    "sobol_analyze",
    "morris_sample",
    "morris_analyze",
]

#: SALib 1.6 distributions and what their ``bounds`` entry holds
DISTRIBUTIONS = {
    "unif": "[lower, upper], lower < upper",
    "logunif": "[lower, upper], 0 < lower < upper",
    "triang": "[start, end, peak], start < end, peak as a fraction of the width in [0, 1)",
    "norm": "[mean, sd], sd > 0",
    "truncnorm": "[lower, upper, mean, sd], lower < upper, sd > 0",
    "lognorm": "[ln-space mean, ln-space sd], sd > 0",
    "weibull": "[shape, scale] or [shape, scale, location], shape > 0, scale > 0",
}
_N_BOUNDS = {"unif": (2,), "logunif": (2,), "triang": (3,), "norm": (2,), "truncnorm": (4,),
             "lognorm": (2,), "weibull": (2, 3)}


# --------------------------------------------------------------------------------------------
# validation


def check_problem(problem: Mapping) -> dict:
    """A SALib problem dict, checked and completed (``num_vars``, ``dists``).

    Parameters
    ----------
    problem : mapping
        ``names`` (unique strings), ``bounds`` (one entry per name, see :data:`DISTRIBUTIONS`),
        optional ``dists`` (default all ``"unif"``) and ``num_vars`` (must equal the number of
        names).  SALib's ``groups`` are not supported: every parameter is its own factor.

    Returns
    -------
    dict
        A new dict with ``num_vars``, ``names``, ``bounds`` (lists of floats) and ``dists``.

    Raises
    ------
    InputTypeError
        Not a mapping; names that are not strings; bounds that are not numbers.
    InputError
        Missing keys, duplicated names, lengths that disagree, ``groups``.
    InvalidValueError
        Bounds that the distribution cannot use (lower >= upper, sd <= 0, NaN...).
    UnknownLabelError
        A distribution SALib does not know.

    Examples
    --------
    >>> p = check_problem({"names": ["a", "b"], "bounds": [[0, 1], [2, 0.5]], "dists": ["unif", "norm"]})
    >>> p["num_vars"], p["bounds"]
    (2, [[0.0, 1.0], [2.0, 0.5]])
    >>> check_problem({"names": ["a"], "bounds": [[1, 0]]})
    Traceback (most recent call last):
    ...
    fastcarbon.errors.InvalidValueError: problem: bounds of 'a' are [1.0, 0.0]; 'unif' needs [lower, upper], lower < upper
    """
    if not isinstance(problem, Mapping):
        raise InputTypeError(f"problem: expected a dict with 'names' and 'bounds' (SALib's problem), got {type(problem).__name__}")
    missing = [k for k in ("names", "bounds") if k not in problem]
    if missing:
        raise InputError(f"problem: missing key(s) {missing}; a SALib problem has 'names', 'bounds' and optionally 'dists'")
    groups = problem.get("groups")
    if groups is not None and list(groups) != list(problem["names"]):
        raise InputError("problem: 'groups' are not supported; give each parameter its own name (one factor each)")
    # SALib writes "groups" (= names) and "sample_scaled" into a problem dict it is given
    extra = sorted(set(problem) - {"names", "bounds", "dists", "num_vars", "groups", "outputs", "sample_scaled"})
    if extra:
        raise InputError(f"problem: unknown key(s) {extra}; allowed: 'names', 'bounds', 'dists', 'num_vars'")
    names = problem["names"]
    if isinstance(names, str) or not isinstance(names, Sequence) or len(names) == 0:
        raise InputError(f"problem: 'names' must be a non-empty list of strings, got {show(names)}")
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise InputTypeError(f"problem: parameter names must be strings, got {show(bad)}")
    dup = sorted({n for n in names if list(names).count(n) > 1})
    if dup:
        raise InputError(f"problem: duplicated parameter name(s) {show(dup)}; each name labels one parameter")
    d = len(names)
    if "num_vars" in problem and problem["num_vars"] != d:
        raise InputError(f"problem: 'num_vars' is {show(problem['num_vars'])} but there are {d} names")
    dists = problem.get("dists")
    dists = ["unif"] * d if dists is None else list(dists)
    bounds = problem["bounds"]
    if not isinstance(bounds, Sequence) and not isinstance(bounds, np.ndarray):
        raise InputTypeError(f"problem: 'bounds' must be a list with one entry per name, got {type(bounds).__name__}")
    for what, seq in (("bounds", bounds), ("dists", dists)):
        if len(seq) != d:
            raise InputError(f"problem: {len(seq)} {what} for {d} names {show(list(names))}; give one per name")
    out_bounds = []
    for name, dist, b in zip(names, dists, bounds):
        if dist not in DISTRIBUTIONS:
            raise UnknownLabelError(f"problem: unknown distribution {show(dist)} for {show(name)}; SALib knows {list(DISTRIBUTIONS)}")
        try:
            vals = [float(v) for v in b]
        except (TypeError, ValueError):
            raise InputTypeError(f"problem: bounds of {show(name)} must be a list of numbers, got {show(b)}") from None
        if len(vals) not in _N_BOUNDS[dist]:
            raise InputError(f"problem: bounds of {show(name)} have {len(vals)} values; {show(dist)} needs {DISTRIBUTIONS[dist]}")
        if not all(math.isfinite(v) for v in vals) or not _bounds_ok(dist, vals):
            raise InvalidValueError(f"problem: bounds of {show(name)} are {vals}; {show(dist)} needs {DISTRIBUTIONS[dist]}")
        out_bounds.append(vals)
    return {"num_vars": d, "names": list(names), "bounds": out_bounds, "dists": dists}


def _bounds_ok(dist: str, b: list[float]) -> bool:
    if dist == "unif":
        return b[0] < b[1]
    if dist == "logunif":
        return 0 < b[0] < b[1]
    if dist == "triang":
        return b[0] < b[1] and 0 <= b[2] < 1
    if dist in ("norm", "lognorm"):
        return b[1] > 0
    if dist == "truncnorm":
        return b[0] < b[1] and b[3] > 0
    return b[0] > 0 and b[1] > 0  # weibull


def _check_int(value, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"{name}: must be an integer, got {show(value)} ({type(value).__name__})")
    if value < minimum:
        raise InvalidValueError(f"{name}: must be >= {minimum}, got {value}")
    return int(value)


def _check_seed(seed) -> int:
    """Integer seeds only: a float or None would make results unreproducible or ambiguous."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InputTypeError(
            f"seed: must be a non-negative integer (results are reproducible from it), got {show(seed)} "
            f"({type(seed).__name__})"
        )
    if seed < 0:
        raise InvalidValueError(f"seed: must be a non-negative integer, got {seed}")
    return int(seed)


def _bootstrap_seed(seed: int) -> int:
    """SALib's sobol.analyze treats ``seed=0`` as "no seed" (``if seed:``) and then draws from
    numpy's global state; derive a non-zero integer from ``seed`` so every seed is reproducible."""
    return int(np.random.SeedSequence(seed).generate_state(1, np.uint32)[0]) | 1


def _salib_call(func, what: str, problem: dict, *args, **kwargs):
    """Call SALib on a copy of ``problem`` (SALib adds keys to the dict it is given), turning its
    ValueError/RuntimeError (bad input) into fastcarbon's InputError with SALib's reason."""
    problem = {k: (list(v) if isinstance(v, list) else v) for k, v in problem.items()}
    try:
        return func(problem, *args, **kwargs)
    except (ValueError, RuntimeError) as err:
        reason = " ".join(str(err).split())
        raise InputError(f"{what}: SALib rejected the input: {reason}") from err


# --------------------------------------------------------------------------------------------
# samples


def _sample_array(x: np.ndarray, problem: dict, attrs: dict, **coords) -> xr.DataArray:
    rows = np.arange(x.shape[0])
    return xr.DataArray(
        x, dims=("draw", "param"),
        coords={"draw": rows, "param": problem["names"], **{k: ("draw", v) for k, v in coords.items()}},
        attrs=attrs,
    )


def sobol_sample(problem: Mapping, n: int, *, seed: int, calc_second_order: bool = False) -> xr.DataArray:
    """Saltelli's design on a scrambled Sobol' sequence (SALib ``sample.sobol``).

    A Sobol' sequence of dimension 2D gives, for each of n base points, two independent points
    :math:`A_i` and :math:`B_i`; Saltelli's scheme (Saltelli 2002; Saltelli et al. 2010) adds
    :math:`A_B^{(j)}`, equal to A except column j taken from B, for every parameter j (and
    :math:`B_A^{(j)}` with ``calc_second_order``).  Rows come in blocks per base point:

    .. math::

        A_i,\\; A_B^{(1)}{}_i, \\dots, A_B^{(D)}{}_i,\\; [B_A^{(1)}{}_i, \\dots, B_A^{(D)}{}_i,]\\; B_i

    so the sample has :math:`n(D+2)` rows, or :math:`n(2D+2)` with second order.  The unit
    hypercube is mapped to each parameter's distribution by SALib.

    Parameters
    ----------
    problem : mapping
        SALib problem, see :func:`check_problem`.
    n : int
        Base points: a power of 2, at least 2.  A Sobol' sequence is balanced (its
        low-discrepancy property holds) only for powers of 2; scipy warns otherwise, and fastcarbon
        refuses it.
    seed : int
        Seed of the scrambling (non-negative integer).
    calc_second_order : bool
        Include the :math:`B_A` rows needed for second-order indices.

    Returns
    -------
    xarray.DataArray
        Dims (``draw``, ``param``); ``draw`` = 0, 1, ... in SALib's row order, with coords
        ``base_point`` (i) and ``matrix`` ("A", "AB:<name>", "BA:<name>", "B") per row.

    Raises
    ------
    InputError, InvalidValueError, InputTypeError, UnknownLabelError
        See :func:`check_problem`; n not a power of 2; a seed that is not an integer.

    Examples
    --------
    >>> x = sobol_sample({"names": ["a", "b"], "bounds": [[0, 1], [10, 20]]}, 4, seed=1)
    >>> x.sizes["draw"], x.matrix.values[:4].tolist()
    (16, ['A', 'AB:a', 'AB:b', 'B'])
    >>> bool(((x.sel(param="b") >= 10) & (x.sel(param="b") <= 20)).all())
    True
    >>> sobol_sample({"names": ["a"], "bounds": [[0, 1]]}, 100, seed=1)
    Traceback (most recent call last):
    ...
    fastcarbon.errors.InvalidValueError: n: 100 base points is not a power of 2 (use 64 or 128); a Sobol' sequence keeps its balance (low-discrepancy) properties only for 2**k points, so SALib/scipy would warn and the indices converge more slowly
    """
    from SALib.sample import sobol as salib_sobol

    p = check_problem(problem)
    n = _check_int(n, "n", minimum=2)
    if n & (n - 1):
        lo = 1 << (n.bit_length() - 1)
        raise InvalidValueError(
            f"n: {n} base points is not a power of 2 (use {lo} or {2 * lo}); a Sobol' sequence keeps its "
            f"balance (low-discrepancy) properties only for 2**k points, so SALib/scipy would warn and the "
            f"indices converge more slowly"
        )
    seed = _check_seed(seed)
    x = _salib_call(salib_sobol.sample, "sobol_sample", p, n, calc_second_order=bool(calc_second_order), seed=seed)
    block = ["A", *(f"AB:{k}" for k in p["names"]),
             *((f"BA:{k}" for k in p["names"]) if calc_second_order else ()), "B"]
    attrs = {"long_name": "parameter sample (Saltelli design on a scrambled Sobol' sequence, SALib row order)",
             "method": "SALib.sample.sobol", "n": n, "seed": seed, "calc_second_order": int(bool(calc_second_order))}
    return _sample_array(x, p, attrs, base_point=np.repeat(np.arange(n), len(block)), matrix=np.tile(block, n))


def morris_sample(
    problem: Mapping,
    n: int,
    *,
    seed: int,
    num_levels: int = 4,
    optimal_trajectories: int | None = None,
) -> xr.DataArray:
    """Morris trajectories (one-at-a-time steps on a p-level grid), SALib ``sample.morris``.

    Each of the n trajectories starts at a random grid point of the unit hypercube and moves one
    parameter at a time by :math:`\\Delta = p / (2(p-1))` (Morris 1991), so a trajectory has D+1
    rows.  ``optimal_trajectories`` keeps the r of the n trajectories that are most spread out
    (Campolongo et al. 2007).

    Parameters
    ----------
    problem : mapping
        SALib problem, see :func:`check_problem`.
    n : int
        Number of trajectories to generate (>= 2).
    seed : int
        Non-negative integer.
    num_levels : int
        Grid levels p: even and >= 2 (with an odd p the step Δ does not give every level the
        same probability, Morris 1991).
    optimal_trajectories : int, optional
        Keep this many (2 <= r < n) of the n trajectories.

    Returns
    -------
    xarray.DataArray
        Dims (``draw``, ``param``) in SALib's row order, with coord ``trajectory`` per row.

    Examples
    --------
    >>> x = morris_sample({"names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}, 10, seed=3)
    >>> x.sizes["draw"], x.trajectory.values[:5].tolist()
    (40, [0, 0, 0, 0, 1])
    """
    from SALib.sample import morris as salib_morris

    p = check_problem(problem)
    n = _check_int(n, "n", minimum=2)
    seed = _check_seed(seed)
    num_levels = _check_int(num_levels, "num_levels", minimum=2)
    if num_levels % 2:
        raise InvalidValueError(
            f"num_levels: {num_levels} is odd; Morris' design needs an even number of grid levels so "
            f"that the step p/(2(p-1)) reaches every level with the same probability"
        )
    if optimal_trajectories is not None:
        optimal_trajectories = _check_int(optimal_trajectories, "optimal_trajectories", minimum=2)
        if optimal_trajectories >= n:
            raise InvalidValueError(f"optimal_trajectories: {optimal_trajectories} must be below n = {n} (it selects among them)")
    x = _salib_call(salib_morris.sample, "morris_sample", p, n, num_levels=num_levels,
                    optimal_trajectories=optimal_trajectories, seed=seed)
    size = p["num_vars"] + 1
    attrs = {"long_name": "parameter sample (Morris trajectories, SALib row order)", "method": "SALib.sample.morris",
             "n": n, "seed": seed, "num_levels": num_levels}
    return _sample_array(x, p, attrs, trajectory=np.arange(x.shape[0]) // size)


# --------------------------------------------------------------------------------------------
# analysis


def _outputs_dataset(outputs, dim: Hashable) -> xr.Dataset:
    if isinstance(outputs, xr.Dataset):
        ds = outputs
        if not ds.data_vars:
            raise InputError("outputs: the Dataset has no data variables")
    else:
        da = as_dataarray(outputs, "outputs")
        ds = da.to_dataset(name=da.name if da.name is not None else "output")
    for name, da in ds.data_vars.items():
        require_numeric(da, f"outputs[{show(name)}]")
        require_dims(da, [dim], f"outputs[{show(name)}]")
        if dim in da.indexes and not np.array_equal(da.indexes[dim].to_numpy(), np.arange(da.sizes[dim])):
            raise CoordinateMismatchError(
                f"outputs[{show(name)}]: the {show(dim)} coordinate is not 0, 1, ..., {da.sizes[dim] - 1}; the analysis "
                f"needs SALib's row order, so keep the sample's {show(dim)} order (do not sort, subset or shuffle)"
            )
        bad = ~np.isfinite(np.asarray(da.values, dtype=np.float64))
        if bad.any():
            where, value = describe_first(da, bad)
            raise InvalidValueError(
                f"outputs[{show(name)}]: {show(value)} at {where}; every model run must give a finite value "
                f"(a censored peak year, for instance, needs a stated replacement first)"
            )
    return ds


def _per_column(ds: xr.Dataset, dim: Hashable, params: list[str], analyze, keys: Sequence[str]) -> dict:
    """Run ``analyze(y) -> dict`` on every 1-d column of every output; stack into DataArrays
    over (output, param, *other dims).  Constant columns get NaN (no variance to apportion)."""
    per_key: dict[str, list[xr.DataArray]] = {k: [] for k in keys}
    for name, da in ds.data_vars.items():
        other = [d for d in da.dims if d != dim]
        y = np.asarray(da.transpose(dim, *other).values, dtype=np.float64).reshape(da.sizes[dim], -1)
        res = {k: np.full((len(params), y.shape[1]), np.nan) for k in keys}
        for c in range(y.shape[1]):
            col = y[:, c]
            if np.ptp(col) == 0.0:
                where = ", ".join(f"{d}={show(da[d].values.ravel()[i])}" if d in da.coords else f"{d}[{i}]"
                                  for d, i in zip(other, np.unravel_index(c, [da.sizes[d] for d in other])))
                warnings.warn(f"outputs[{show(name)}] is constant ({show(float(col[0]))}) over the sample"
                              + (f" at {where}" if where else "") + "; its indices are NaN (no variance to apportion)",
                              FastcarbonWarning, stacklevel=3)
                continue
            si = analyze(col)
            for k in keys:
                res[k][:, c] = np.asarray(si[k], dtype=np.float64)
        shape = (len(params), *(da.sizes[d] for d in other))
        coords = {d: da[d].values for d in other if d in da.coords}
        for k in keys:
            per_key[k].append(xr.DataArray(res[k].reshape(shape), dims=("param", *other), coords={"param": params, **coords}))
    names = list(ds.data_vars)
    return {k: xr.concat(v, dim=xr.DataArray(names, dims="output", name="output")).transpose("output", "param", ...)
            for k, v in per_key.items()}


def _check_conf(num_resamples, conf_level) -> tuple[int, float]:
    num_resamples = _check_int(num_resamples, "num_resamples", minimum=2)
    if not isinstance(conf_level, numbers.Real) or not 0 < conf_level < 1:
        raise InvalidValueError(f"conf_level: must be a number strictly between 0 and 1 (e.g. 0.95), got {show(conf_level)}")
    return num_resamples, float(conf_level)


def sobol_analyze(
    problem: Mapping,
    outputs: xr.DataArray | xr.Dataset,
    *,
    seed: int,
    calc_second_order: bool = False,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    dim: Hashable = "draw",
) -> xr.Dataset:
    """First- and total-order Sobol' indices of every output (SALib ``analyze.sobol``).

    With the model evaluated on :func:`sobol_sample` (:math:`f(A)`, :math:`f(B)`,
    :math:`f(A_B^{(j)})`) and V the variance of f over A and B, SALib's estimators are those of
    Saltelli et al. (2010), Table 2 (b) and (f), for the indices of Sobol' (2001):

    .. math::

        S_j = \\frac{V[E(Y|X_j)]}{V(Y)} \\approx
              \\frac{\\tfrac1n\\sum_i f(B)_i\\,\\bigl(f(A_B^{(j)})_i - f(A)_i\\bigr)}{V},
        \\qquad
        S_{Tj} = \\frac{E[V(Y|X_{\\sim j})]}{V(Y)} \\approx
              \\frac{\\tfrac{1}{2n}\\sum_i \\bigl(f(A)_i - f(A_B^{(j)})_i\\bigr)^2}{V}

    ``S1_conf`` and ``ST_conf`` are half-widths of the ``conf_level`` interval from
    ``num_resamples`` bootstrap resamples of the n base points: :math:`z\\,\\mathrm{sd}^*`.
    The outputs are standardised first (SALib), which does not change the indices.

    Parameters
    ----------
    problem : mapping
        The problem that made the sample (:func:`check_problem`).
    outputs : xarray.DataArray or Dataset
        Model outputs with dim ``dim`` in the sample's row order; a Dataset's variables become
        the ``output`` coordinate (a DataArray's name, or "output").  Other dims (``scenario``,
        ``region``...) are analysed one column at a time and kept.  Values must be finite.
    seed : int
        Seed of the bootstrap (non-negative integer; passed to SALib through a SeedSequence
        because SALib ignores a seed of 0).
    calc_second_order : bool
        As in :func:`sobol_sample`; adds ``S2`` and ``S2_conf`` over (``param``, ``param_2``),
        symmetric, NaN on the diagonal (Saltelli 2002 estimator).
    num_resamples : int
        Bootstrap resamples (>= 2).
    conf_level : float
        In (0, 1).
    dim : str
        The draw dimension.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` over (``output``, ``param``, other dims), units
        "1".  A constant output (no variance) gets NaN indices and a :class:`FastcarbonWarning`.

    Raises
    ------
    InputError
        A draw count that is not n(D+2) (n(2D+2) with second order) for an integer n >= 2: SALib
        splits the rows into the A, AB, (BA), B blocks and cannot otherwise.
    InvalidValueError
        Non-finite outputs (the message gives the labels), bad ``conf_level``.
    CoordinateMismatchError
        A ``draw`` coordinate that is not SALib's row order 0, 1, ...

    References
    ----------
    Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical models and their
    Monte Carlo estimates. *Math. Comput. Simul.* 55, 271–280.
    Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity indices.
    *Comput. Phys. Commun.* 145, 280–297.
    Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., Tarantola, S. (2010).
    Variance based sensitivity analysis of model output. *Comput. Phys. Commun.* 181, 259–270.

    Examples
    --------
    Ishigami's function, whose first-order indices are 0.314, 0.442 and 0:

    >>> import numpy as np
    >>> prob = {"names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    >>> x = sobol_sample(prob, 1024, seed=7)
    >>> y = np.sin(x.sel(param="x1")) + 7 * np.sin(x.sel(param="x2")) ** 2 \\
    ...     + 0.1 * x.sel(param="x3") ** 4 * np.sin(x.sel(param="x1"))
    >>> si = sobol_analyze(prob, y.rename("ishigami"), seed=7)
    >>> (si.S1.round(1) + 0.0).values.tolist(), si.ST.round(1).values.tolist()
    ([[0.3, 0.4, 0.0]], [[0.6, 0.4, 0.2]])
    """
    from SALib.analyze import sobol as salib_sobol

    p = check_problem(problem)
    seed = _check_seed(seed)
    num_resamples, conf_level = _check_conf(num_resamples, conf_level)
    ds = _outputs_dataset(outputs, dim)
    d = p["num_vars"]
    block = 2 * d + 2 if calc_second_order else d + 2
    rows = ds.sizes[dim]
    if rows % block or rows // block < 2:
        raise InputError(
            f"outputs: {rows} {dim}s cannot be split into Saltelli blocks of {block} rows "
            f"(A, {d} AB{f', {d} BA' if calc_second_order else ''}, B for {d} parameters"
            f"{' with' if calc_second_order else ', without'} second order); SALib needs n x {block} rows with "
            f"n >= 2 base points. Evaluate the model on every row of sobol_sample(problem, n, "
            f"calc_second_order={bool(calc_second_order)}), and use the same calc_second_order here"
        )
    keys = ["S1", "S1_conf", "ST", "ST_conf"]
    boot = _bootstrap_seed(seed)

    def analyze(y):
        si = _salib_call(salib_sobol.analyze, "sobol_analyze", p, y, calc_second_order=bool(calc_second_order),
                         num_resamples=num_resamples, conf_level=conf_level, seed=boot)
        out = {k: si[k] for k in keys}
        if calc_second_order:
            out["S2"], out["S2_conf"] = si["S2"], si["S2_conf"]
        return out

    if calc_second_order:
        # S2 is D x D: analysed as D columns of the param axis, each holding one row of S2.
        s2_keys = [f"S2[{j}]" for j in range(d)] + [f"S2_conf[{j}]" for j in range(d)]
        stats = _per_column(ds, dim, p["names"], lambda y: _flatten_s2(analyze(y), d), keys + s2_keys)
        for stem in ("S2", "S2_conf"):
            stats[stem] = xr.concat([stats.pop(f"{stem}[{j}]") for j in range(d)],
                                    dim=xr.DataArray(p["names"], dims="param_2", name="param_2")
                                    ).transpose("output", "param", "param_2", ...)
    else:
        stats = _per_column(ds, dim, p["names"], analyze, keys)
    level = f"{conf_level:g}"
    long = {"S1": "first-order Sobol' index", "ST": "total-order Sobol' index", "S2": "second-order Sobol' index"}
    out = xr.Dataset()
    for k, v in stats.items():
        stem = k.removesuffix("_conf")
        name = long[stem] + (f": half-width of the {level} bootstrap confidence interval" if k.endswith("_conf") else "")
        out[k] = v.assign_attrs(units="1", long_name=name)
    out.attrs.update(method="Sobol' indices, Saltelli et al. (2010) estimators via SALib.analyze.sobol",
                     num_resamples=num_resamples, conf_level=conf_level, seed=seed, n=rows // block,
                     calc_second_order=int(bool(calc_second_order)))
    return out


def _flatten_s2(si: dict, d: int) -> dict:
    """S2[j, k] as D entries "S2[k]" over j, so that it goes through the per-param stacking."""
    out = {k: si[k] for k in ("S1", "S1_conf", "ST", "ST_conf")}
    for stem in ("S2", "S2_conf"):
        m = np.asarray(si[stem], dtype=np.float64)
        m = np.where(np.isnan(m), m.T, m)  # SALib fills the upper triangle only: make it symmetric
        for k in range(d):
            out[f"{stem}[{k}]"] = m[:, k]
    return out


def morris_analyze(
    problem: Mapping,
    sample: xr.DataArray,
    outputs: xr.DataArray | xr.Dataset,
    *,
    seed: int,
    num_levels: int = 4,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    scaled: bool = False,
    dim: Hashable = "draw",
) -> xr.Dataset:
    """Morris elementary-effect statistics of every output (SALib ``analyze.morris``).

    Along a trajectory, parameter j moves by :math:`\\pm\\Delta` (in the unit hypercube) and the
    elementary effect is :math:`EE_j = [f(x + \\Delta e_j) - f(x)]/\\Delta` (Morris 1991).  Over
    the r trajectories,

    .. math::

        \\mu_j = \\tfrac1r \\sum EE_j, \\qquad \\mu^*_j = \\tfrac1r \\sum |EE_j|, \\qquad
        \\sigma_j = \\mathrm{sd}(EE_j)

    with :math:`\\mu^*` (Campolongo et al. 2007) the screening measure of importance and σ the sign
    of non-linearity or interaction.  ``mu_star_conf`` is a bootstrap half-width.

    Parameters
    ----------
    problem : mapping
        The problem that made the sample.
    sample : xarray.DataArray
        The :func:`morris_sample` output the model was run on (SALib needs the inputs to find
        each step's parameter and sign).
    outputs : xarray.DataArray or Dataset
        As for :func:`sobol_analyze`, with the same ``draw`` length as ``sample``.
    seed : int
        Seed of the bootstrap.
    num_levels : int
        As used for the sample.
    num_resamples, conf_level, dim
        As for :func:`sobol_analyze`.
    scaled : bool
        Scale each elementary effect by :math:`\\sigma_{x_j}/\\sigma_y` (Sin & Gernaey 2009,
        SALib's ``scaled``), which makes it dimensionless.

    Returns
    -------
    xarray.Dataset
        ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf`` over (``output``, ``param``, other
        dims): output change per step across the whole range of the parameter (Δ in the unit
        hypercube), in the output's units; units "1" with ``scaled``.

    References
    ----------
    Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
    *Technometrics* 33, 161–174.
    Sin, G., Gernaey, K. V. (2009). Improving the Morris method for sensitivity analysis by
    scaling the elementary effects. *Comput. Aided Chem. Eng.* 26, 925–930.
    Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective screening design for
    sensitivity analysis of large models. *Environ. Model. Softw.* 22, 1509–1518.

    Examples
    --------
    A linear function has every elementary effect equal to its slope times the range:

    >>> prob = {"names": ["a", "b"], "bounds": [[0, 1], [0, 2]]}
    >>> x = morris_sample(prob, 8, seed=0)
    >>> y = 3 * x.sel(param="a") - x.sel(param="b")
    >>> m = morris_analyze(prob, x, y, seed=0)
    >>> m.mu.round(6).values.tolist(), m.sigma.round(6).values.tolist()
    ([[3.0, -2.0]], [[0.0, 0.0]])
    """
    from SALib.analyze import morris as salib_morris

    p = check_problem(problem)
    seed = _check_seed(seed)
    num_levels = _check_int(num_levels, "num_levels", minimum=2)
    num_resamples, conf_level = _check_conf(num_resamples, conf_level)
    sample = as_dataarray(sample, "sample")
    require_dims(sample, [dim, "param"], "sample")
    if sample.ndim != 2:
        raise InputError(f"sample: expected dims ({show(dim)}, 'param'), got {list(sample.dims)}")
    names = [str(v) for v in sample.param.values] if "param" in sample.coords else None
    if names != p["names"]:
        raise CoordinateMismatchError(f"sample: param labels {show(names)} differ from the problem's names {show(p['names'])}")
    ds = _outputs_dataset(outputs, dim)
    rows, size = sample.sizes[dim], p["num_vars"] + 1
    if ds.sizes[dim] != rows:
        raise CoordinateMismatchError(f"outputs: {ds.sizes[dim]} {dim}s but the sample has {rows}; run the model on every row")
    if rows % size or rows // size < 2:
        raise InputError(
            f"sample: {rows} rows are not r trajectories of D+1 = {size} rows with r >= 2; use the whole "
            f"morris_sample output for this problem"
        )
    x = np.asarray(sample.transpose(dim, "param").values, dtype=np.float64)
    keys = ["mu", "mu_star", "sigma", "mu_star_conf"]

    def analyze(y):
        return _salib_call(salib_morris.analyze, "morris_analyze", p, x, y, num_resamples=num_resamples,
                           conf_level=conf_level, scaled=bool(scaled), num_levels=num_levels, seed=seed)

    stats = _per_column(ds, dim, p["names"], analyze, keys)
    long = {"mu": "mean elementary effect", "mu_star": "mean absolute elementary effect",
            "sigma": "standard deviation of the elementary effects",
            "mu_star_conf": f"mu_star: half-width of the {conf_level:g} bootstrap confidence interval"}
    out = xr.Dataset()
    for k, v in stats.items():
        units = [ds[o].attrs.get("units", "1") for o in ds.data_vars]
        if scaled:
            units = ["1"]
        out[k] = v.assign_attrs(long_name=long[k], units=units[0] if len(set(units)) == 1 else "output units")
    out.attrs.update(method="Morris elementary effects via SALib.analyze.morris (mu* of Campolongo et al. 2007)",
                     num_resamples=num_resamples, conf_level=conf_level, seed=seed, trajectories=rows // size,
                     scaled=int(bool(scaled)))
    return out


from fastcarbon._deprecate import moved  # noqa: E402

# the Chongqing example moved to fastcarbon.studies.chongqing (issue 12); old paths warn for one release
__getattr__ = moved(__name__, dict.fromkeys(
    ["CHONGQING_RATE_GROUPS", "chongqing_problem", "chongqing_model", "chongqing_sensitivity"],
    "fastcarbon.studies.chongqing"))
