"""A sweep's specification: validated inputs, noise, draws and summaries, its fingerprint, the
store's layout (variables, dims, units) and the inputs of each region block."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import numbers
from collections.abc import Hashable, Sequence

import numpy as np
import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon._validate import as_dataarray, as_dataset, match_coords, require_numeric
from fastcarbon.core.montecarlo import Noise, check_seed, label_keys
from fastcarbon.errors import (
    FastcarbonError,
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    UnknownLabelError,
)
from fastcarbon.sweep._task import BlockInputs, draw_chunk_size, task_bytes

__all__ = ["Sweep", "SUMMARIES", "TASK_BUDGET", "STORE_FORMAT"]

#: the summaries a sweep can store; "below" needs ``target`` and ``target_year``
SUMMARIES = ("bands", "moments", "peaks", "below")
#: bytes a task may allocate by default (draw buffer, its sorted copy, summaries): ``block`` is
#: the largest number of regions under it (:func:`fastcarbon.sweep._task.task_bytes`)
TASK_BUDGET = 256 << 20
#: blocks per worker thread the default ``block`` aims at, so a slow or lost worker's share is
#: picked up by the others (load balance) without making tasks so small that overheads show
BLOCKS_PER_WORKER = 4
#: version of the store layout; part of the fingerprint
STORE_FORMAT = 1
_DEFAULT_NOISE = Noise("lognormal", 0.1, on="rate")


def _int(value, name: str, low: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"{name}: must be an integer >= {low}, got {show(value)}")
    if int(value) < low:
        raise InvalidValueError(f"{name}: must be >= {low}, got {show(value)}")
    return int(value)


def _fraction(value, name: str, low: float, high: float, *, open_low: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InputTypeError(f"{name}: must be a finite real number, got {show(value)}")
    v = float(value)
    if not (low < v if open_low else low <= v) or not v <= high:
        raise InvalidValueError(f"{name}: must be in {'(' if open_low else '['}{low:g}, {high:g}], got {show(value)}")
    return v


class Sweep:
    """A national sweep: regions × scenarios × draws of :func:`fastcarbon.uncertainty.monte_carlo`'s
    model, reduced to summaries per region.  Build it once, run it with :meth:`run` (or call
    :func:`fastcarbon.sweep.run`, which does both); the arguments are those of
    :func:`fastcarbon.sweep.run`.

    Attributes
    ----------
    regions : numpy.ndarray
        The region labels, in the inputs' order.
    batch_dims : tuple
        The dims of a result besides the region and the year (e.g. ``("scenario",)``).
    fingerprint : str
        SHA-256 of everything that determines the results (inputs, noise, seed, draws,
        summaries); a store made by another fingerprint is refused.
    last_run : RunStats
        After :meth:`run`: the store, its block, blocks computed and skipped, the wall time and
        the time spent writing.

    Examples
    --------
    >>> import tempfile, os
    >>> from fastcarbon.datasets import national_panel
    >>> sweep = Sweep(national_panel(6), n_draws=100, seed=1, target_year=2030)
    >>> sweep.default_block(n_workers=1), sweep.region_bytes() // 2**10  # regions a task, KiB a region
    (2, 312)
    >>> store = os.path.join(tempfile.mkdtemp(), "sweep.zarr")
    >>> out = sweep.run(store, block=2, progress=False)
    >>> sweep.last_run.computed, sweep.run(store, progress=False) is not None, sweep.last_run.skipped
    (3, True, 3)
    """

    def __init__(
        self,
        inputs: xr.Dataset | None = None,
        *,
        n_draws: int,
        seed: int,
        region_dim: Hashable = "region",
        summaries: Sequence[str] | None = None,
        quantiles: Sequence[float] = (0.05, 0.5, 0.95),
        level: float = 0.95,
        target: float | None = None,
        target_year=None,
        precision: float = 0.01,
        keep_draws: Sequence = (),
        independent: Sequence[Hashable] | None = None,
        stream_correlation: float = 0.0,
        activity: str | xr.DataArray = "gdp",
        intensity: str | xr.DataArray = "carbon_intensity",
        factor: str | xr.DataArray | None = None,
        activity_noise: Noise | None = None,
        intensity_noise: Noise | None = _DEFAULT_NOISE,
        factor_noise: Noise | None = None,
        dim: Hashable = "year",
        sector_dim: Hashable = "sector",
        emissions_units: str | None = None,
    ):
        self.n_draws = _int(n_draws, "n_draws")
        self.seed = check_seed(seed)
        self.region_dim, self.dim, self.sector_dim = region_dim, dim, sector_dim
        self.level = _fraction(level, "level", 0.0, 1.0, open_low=True)
        if self.level == 1.0:
            raise InvalidValueError("level: must be below 1 (a 100 % interval is unbounded), got 1")
        self.precision = _fraction(precision, "precision", 0.0, 0.5, open_low=True)
        self.stream_correlation = _fraction(stream_correlation, "stream_correlation", 0.0, 1.0)
        qs = list(quantiles) if isinstance(quantiles, Sequence) and not isinstance(quantiles, str) else None
        if not qs or not all(isinstance(q, numbers.Real) and not isinstance(q, bool) and 0.0 <= q <= 1.0 for q in qs):
            raise InvalidValueError(f"quantiles: must be a non-empty list of numbers in [0, 1], got {show(quantiles)}")
        self.quantiles = tuple(float(q) for q in qs)
        if len(set(self.quantiles)) != len(self.quantiles):
            raise InvalidValueError(f"quantiles: each quantile once, got {show(list(quantiles))}")
        self.noises = dict(activity_noise=activity_noise, intensity_noise=intensity_noise, factor_noise=factor_noise)
        for name, noise in self.noises.items():
            if noise is not None and not isinstance(noise, Noise):
                raise InputTypeError(f"{name}: expected a fastcarbon Noise(...) or None, got {type(noise).__name__}")
        if independent is None:
            independent = (region_dim,)
        if isinstance(independent, (str, bytes)) or not isinstance(independent, Sequence):
            raise InputTypeError(f"independent: expected a tuple of dims, e.g. ({show(region_dim)},) or (), "
                                 f"got {show(independent)}")
        if any(d != region_dim for d in independent):
            raise InvalidValueError(
                f"independent: a sweep draws independent noise per region ({show((region_dim,))}) or one noise "
                f"shared by all (()); got {show(tuple(independent))} (scenarios of a region always share noise)")
        self.independent = tuple(independent)
        self._prepare(inputs, activity, intensity, factor, emissions_units)
        self._targets(target, target_year, summaries)
        self._keep(keep_draws)
        self.fingerprint = self._fingerprint()

    # ---------------------------------------------------------------- inputs
    def _prepare(self, inputs, activity, intensity, factor, emissions_units) -> None:
        """Validate the inputs (through the labelled Monte Carlo, which names a bad value by its
        labels), then hold each variable as numpy (region, *batch, sector, year), size 1 where the
        variable lacks a dim."""
        from fastcarbon.units import parse, scale_to

        if inputs is not None:
            inputs = as_dataset(inputs, "inputs", "trajectories (e.g. fastcarbon.datasets.national_panel())")
        given = {"activity": activity, "intensity": intensity, "factor": factor}
        das = {}
        for name, value in given.items():
            if value is None:
                continue
            if isinstance(value, str):
                have = [] if inputs is None else list(inputs.data_vars)
                if value not in have:
                    raise UnknownLabelError(f"{name}: no variable {show(value)} in inputs; it has {show(have)}")
                value = inputs[value]
            da = as_dataarray(value, name)
            require_numeric(da, name)
            das[name] = da
        if "activity" not in das or "intensity" not in das:
            raise InputError("activity and intensity: both are needed (a variable name in inputs or a DataArray)")
        names = list(das)
        if not any(self.region_dim in da.dims for da in das.values()):
            raise MissingDimensionError(
                f"region_dim: none of {names} has the region dim {show(self.region_dim)}; dims: "
                + ", ".join(f"{n} {show(list(da.dims))}" for n, da in das.items())
                + f". Pass region_dim= the dim that holds the regions, or .rename({{...: {show(self.region_dim)}}})")
        for n, da in das.items():
            if self.region_dim in da.dims and self.region_dim not in da.coords:
                raise MissingDimensionError(
                    f"{n}: the region dim {show(self.region_dim)} has no coordinate; region labels key the random "
                    f"streams, e.g. {n}.assign_coords({self.region_dim}=[...names...])")
        # one draw over every region: every check of the Monte Carlo (years, values, units, noise)
        from fastcarbon.uncertainty import monte_carlo

        try:
            probe = monte_carlo(inputs, 1, seed=self.seed, **given, **self.noises, dim=self.dim,
                                sector_dim=self.sector_dim, emissions_units=emissions_units,
                                independent=())  # the streams are the sweep's own (self.keys)
        except FastcarbonError as err:
            # the labelled Monte Carlo names a variable of its Dataset scenarios['gdp']: here it is inputs['gdp']
            text = str(err)
            if "scenarios[" in text:
                err = copy.copy(err)
                err.args = (text.replace("scenarios[", "inputs["),)
            raise err from None
        self.units = probe.emissions.attrs["units"]
        aligned = dict(zip(names, match_coords(list(das.values()), names)))
        # the units' conversion, as the labelled Monte Carlo applies it (into the factor)
        product = None
        for da in aligned.values():
            q = parse(da.attrs.get("units", "1"), what="units")
            product = q if product is None else product * q
        scale = 1.0 if emissions_units is None else scale_to(product, emissions_units, what="emissions")
        dims: list[Hashable] = []
        for da in aligned.values():
            dims += [d for d in da.dims if d not in dims]
        batch = [d for d in dims if d not in (self.region_dim, self.sector_dim, self.dim)]
        order = [self.region_dim, *batch, self.sector_dim, self.dim]
        self.batch_dims = tuple(batch)
        ref = {d: next(da for da in aligned.values() if d in da.dims) for d in dims}
        self.sizes = {d: ref[d].sizes[d] for d in dims}
        self.coords = {d: ref[d][d].values for d in dims if d in ref[d].coords}
        self.regions = np.asarray(self.coords[self.region_dim])
        self.years = np.asarray(self.coords[self.dim], dtype=np.float64)
        self.units_of_years = ref[self.dim][self.dim].attrs.get("units", "year")
        arrays = {}
        for n, da in aligned.items():
            have = [d for d in order if d in da.dims]
            a = np.asarray(da.transpose(*have).values, dtype=np.float64)
            arrays[n] = a.reshape([self.sizes[d] if d in da.dims else 1 for d in order])
        if scale != 1.0:
            arrays["factor"] = arrays.get("factor", np.ones((1,) * len(order))) * scale
        self.arrays = arrays
        self.n_regions = self.sizes[self.region_dim]
        if self.independent:
            self.keys = label_keys(self.regions).reshape((-1,) + (1,) * len(batch))
        else:
            self.keys = None

    def _targets(self, target, target_year, summaries) -> None:
        if target_year is not None:
            hit = np.flatnonzero(self.years == target_year) if isinstance(target_year, numbers.Real) else []
            if isinstance(target_year, bool) or len(hit) != 1:
                raise UnknownLabelError(f"target_year: {show(target_year)} is not on {show(self.dim)} "
                                        f"({show(self.years[0])}..{show(self.years[-1])})")
            self.target_index = int(hit[0])
            self.target_year = float(target_year)
        else:
            self.target_index, self.target_year = None, None
        if target is not None:
            if isinstance(target, bool) or not isinstance(target, numbers.Real) or not math.isfinite(target):
                raise InputTypeError(f"target: must be a finite number in the emissions' units ({self.units}), "
                                     f"got {show(target)}")
            if target_year is None:
                raise InputError("target: needs target_year, the year whose emissions are compared with it")
            target = float(target)
        self.target = target
        if summaries is None:
            summaries = [s for s in SUMMARIES if s != "below" or target is not None]
        if isinstance(summaries, str) or not isinstance(summaries, Sequence) or not summaries:
            raise InputTypeError(f"summaries: expected a non-empty list of {show(list(SUMMARIES))}, got {show(summaries)}")
        unknown = [s for s in summaries if s not in SUMMARIES]
        if unknown:
            raise UnknownLabelError(f"summaries: unknown {show(unknown)}; allowed: {show(list(SUMMARIES))}")
        if "below" in summaries and target is None:
            raise InputError("summaries: 'below' (P(emissions <= target in target_year)) needs target= and target_year=")
        self.summaries = tuple(s for s in SUMMARIES if s in summaries)

    def _keep(self, keep_draws) -> None:
        if isinstance(keep_draws, str) or not isinstance(keep_draws, Sequence):
            raise InputTypeError(f"keep_draws: expected a list of region labels, got {show(keep_draws)}")
        position = {r: k for k, r in enumerate(self.regions.tolist())}
        missing = [r for r in keep_draws if r not in position]
        if missing:
            raise UnknownLabelError(f"keep_draws: {show_list(list(missing))} not on {show(self.region_dim)}; "
                                    f"regions: {show_list(self.regions.tolist())}")
        if len(set(keep_draws)) != len(keep_draws):
            raise InvalidValueError(f"keep_draws: each region once, got {show(list(keep_draws))}")
        self.keep = tuple(sorted(position[r] for r in keep_draws))

    def _fingerprint(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps(self.describe(), sort_keys=True).encode())
        for name in ("activity", "intensity", "factor"):
            a = self.arrays.get(name)
            h.update(name.encode() + (b"none" if a is None else str(a.shape).encode() + a.tobytes()))
        for d in sorted(self.coords, key=str):
            h.update(str(d).encode() + np.asarray(self.coords[d]).astype(str).tobytes())
        return h.hexdigest()

    def describe(self) -> dict:
        """What determines the results besides the input values, as JSON-ready values (stored in
        the store's attrs; a mismatch names the entries that differ)."""
        from fastcarbon import __version__

        return {
            # another version may compute other numbers: its store is another sweep's
            "store_format": STORE_FORMAT, "fastcarbon": __version__, "n_draws": self.n_draws, "seed": str(self.seed),
            "noise": {k: repr(v) for k, v in self.noises.items()},
            "independent": [str(d) for d in self.independent], "stream_correlation": self.stream_correlation,
            "summaries": list(self.summaries), "quantiles": list(self.quantiles), "level": self.level,
            "target": self.target, "target_year": self.target_year, "precision": self.precision,
            "keep_draws": [str(self.regions[k]) for k in self.keep], "units": self.units,
            "dims": [str(d) for d in (self.region_dim, *self.batch_dims, self.dim)],
            "sizes": {str(d): int(n) for d, n in self.sizes.items()},
        }

    # ---------------------------------------------------------------- blocks
    @property
    def n_batch(self) -> int:
        return math.prod(self.sizes[d] for d in self.batch_dims)

    def region_bytes(self) -> int:
        """Bytes one region adds to a task (:func:`fastcarbon.sweep._task.task_bytes`)."""
        return task_bytes(self.n_draws, 1, self.n_batch, len(self.years), len(self.quantiles))

    def default_block(self, n_workers: int = 1, budget: int = TASK_BUDGET) -> int:
        """Regions per task: the most that fit in ``budget`` bytes, and at most
        n_regions / (BLOCKS_PER_WORKER · n_workers) so every worker gets several blocks."""
        by_memory = max(1, budget // self.region_bytes())
        by_balance = max(1, math.ceil(self.n_regions / (BLOCKS_PER_WORKER * max(1, n_workers))))
        return int(min(by_memory, by_balance, self.n_regions))

    def block_inputs(self, k: int, block: int) -> BlockInputs:
        """The inputs of block ``k`` (regions k·block .. (k+1)·block - 1)."""
        sl = slice(k * block, min((k + 1) * block, self.n_regions))

        def part(a):
            return None if a is None else np.ascontiguousarray(a[sl] if a.shape[0] > 1 else a)

        return BlockInputs(part(self.arrays["activity"]), part(self.arrays["intensity"]),
                           part(self.arrays.get("factor")), None if self.keys is None else self.keys[sl].copy())

    def task_arguments(self, k: int, block: int, parallel: bool | None) -> tuple[BlockInputs, dict]:
        """Positional inputs and keywords of :func:`fastcarbon.sweep._task.block_summaries` for block ``k``."""
        lo, hi = k * block, min((k + 1) * block, self.n_regions)
        per_draw = 8 * (hi - lo) * self.n_batch * len(self.years)
        kwargs = dict(
            n_draws=self.n_draws, seed=self.seed, noises=self.noises, stream_correlation=self.stream_correlation,
            quantiles=self.quantiles, level=self.level, target=self.target, target_year=self.target_year,
            target_index=self.target_index, draw_chunk=draw_chunk_size(self.n_draws, per_draw),
            half_width=self.precision, keep=tuple(i - lo for i in self.keep if lo <= i < hi),
            summaries=self.summaries, parallel=parallel)
        return self.block_inputs(k, block), kwargs

    # ---------------------------------------------------------------- the store's variables
    def variables(self) -> dict[str, tuple[tuple, str, str]]:
        """Stored variable -> (dims, units, long_name), in the order they are written."""
        r, b, y = self.region_dim, self.batch_dims, self.dim
        u = self.units
        lv = f"{100 * self.level:g} %"
        out: dict[str, tuple[tuple, str, str]] = {}
        if "bands" in self.summaries:
            out["emissions_quantile"] = ((r, *b, "quantile", y), u, "quantile of emissions over the draws (linear, numpy's default)")
            out["emissions_quantile_low"] = ((r, *b, "quantile", y), u, f"lower end of the {lv} distribution-free confidence interval of the quantile (order statistics)")
            out["emissions_quantile_high"] = ((r, *b, "quantile", y), u, f"upper end of the {lv} distribution-free confidence interval of the quantile (order statistics)")
        if "moments" in self.summaries:
            out["emissions_mean"] = ((r, *b, y), u, "mean of emissions over the draws")
            out["emissions_std"] = ((r, *b, y), u, "standard deviation of emissions over the draws (ddof 0)")
            out["emissions_mean_se"] = ((r, *b, y), u, "Monte Carlo standard error of the mean")
        if "peaks" in self.summaries:
            out["peak_probability"] = ((r, *b, y), "1", f"probability of peaking in this {y} or earlier")
            out["peak_probability_se"] = ((r, *b, y), "1", "binomial standard error of peak_probability")
            out["peak_year_probability"] = ((r, *b, "peak_year"), "1", "share of draws peaking in this year")
            out["censored_share"] = ((r, *b), "1", "share of draws with no peak within the horizon")
            out["censored_share_se"] = ((r, *b), "1", "binomial standard error of censored_share")
            if self.target_year is not None:
                ty = show(self.coords[y][self.target_index])
                out["prob_peak_by_target"] = ((r, *b), "1", f"probability of peaking in {ty} or earlier")
                out["prob_peak_by_target_se"] = ((r, *b), "1", "binomial standard error of prob_peak_by_target")
                out["draws_needed"] = ((r, *b), "1", f"draws needed for prob_peak_by_target within "
                                       f"±{100 * self.precision:g} percentage points at {lv}")
        if "below" in self.summaries:
            ty = show(self.coords[y][self.target_index])
            out["prob_below"] = ((r, *b), "1", f"probability of emissions <= {self.target:g} {u} in {ty}")
            out["prob_below_se"] = ((r, *b), "1", "binomial standard error of prob_below")
        if self.keep:
            out["draws"] = (("draws_region", "draw", *b, y), u, "emissions, raw Monte Carlo draws of the kept regions")
        return out

    def shape_of(self, dims: tuple) -> tuple[int, ...]:
        extra = {"quantile": len(self.quantiles), "peak_year": len(self.years), "draw": self.n_draws,
                 "draws_region": len(self.keep)}
        return tuple(extra[d] if d in extra else self.sizes[d] for d in dims)

    def template(self, block: int) -> tuple[xr.Dataset, dict]:
        """The store's Dataset of lazy (never computed) data with its final chunks, and the
        encoding: chunk = ``block`` regions (1 kept region for ``draws``), whole along the rest."""
        import dask.array as dsa

        data, encoding = {}, {}
        for name, (dims, units, long_name) in self.variables().items():
            shape = self.shape_of(dims)
            chunks = (1 if name == "draws" else block,) + shape[1:]
            data[name] = xr.Variable(dims, dsa.empty(shape, chunks=chunks, dtype=np.float64, name=f"template-{name}"),
                                     attrs={"units": units, "long_name": long_name})
            encoding[name] = {"chunks": chunks, "fill_value": np.nan}
        coords = {}
        for d in (self.region_dim, *self.batch_dims, self.dim):
            if d in self.coords:
                values = np.asarray(self.coords[d])
                coords[d] = values.astype(object) if values.dtype.kind in "US" else values
        from fastcarbon.core.draws import order_statistic_interval

        coords["quantile"] = ("quantile", np.array(self.quantiles), {"units": "1", "long_name": "quantile level"})
        # the same for every region: the intervals' ranks depend on n_draws, q and level only
        cover = [order_statistic_interval(self.n_draws, q, self.level)[2] for q in self.quantiles]
        coords["quantile_ci_coverage"] = ("quantile", np.array(cover), {
            "units": "1", "long_name": "coverage of the quantile's confidence interval for continuous draws "
                                       f"(below {100 * self.level:g} %: too few draws for that quantile)"})
        coords["peak_year"] = ("peak_year", np.asarray(self.coords[self.dim]),
                               {"units": self.units_of_years, "long_name": "peak year"})
        if self.keep:
            kept = self.regions[list(self.keep)]
            coords["draws_region"] = ("draws_region", kept.astype(object) if kept.dtype.kind in "US" else kept,
                                      {"long_name": "regions whose raw draws are kept"})
            coords["draw"] = ("draw", np.arange(self.n_draws), {"units": "1", "long_name": "global draw id"})
        ds = xr.Dataset(data, coords=coords)
        return ds, encoding

    def run(self, store, *, block: int | None = None, client=None, progress: bool = True, durable: bool = True):
        """Compute the blocks the store does not hold yet, write them, return the store opened
        with :func:`xarray.open_zarr` (see :func:`fastcarbon.sweep.run` for the arguments).
        :attr:`last_run` then holds the run's :class:`~fastcarbon.sweep._run.RunStats`."""
        from fastcarbon.sweep._run import execute

        ds, self.last_run = execute(self, store, block=block, client=client, progress=progress, durable=durable)
        return ds
