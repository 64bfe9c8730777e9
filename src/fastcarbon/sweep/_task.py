"""One task of a sweep: a block of regions × every scenario × every draw, reduced to summaries.

numpy only (no xarray, no dask, no zarr): a worker process runs this function on plain arrays and
sends back a dict of small arrays.  The draws of the block are generated in draw chunks (each with
its global ``draw_offset``, so the split never changes a value) into one buffer of
n_draws × block × batch × years floats, reduced once along the draw axis and dropped: the draw
dim is never rechunked and never leaves the task (except the raw draws of ``keep`` regions).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from fastcarbon.core.draws import draws_needed, summarize_draws
from fastcarbon.core.montecarlo import monte_carlo

__all__ = ["BlockInputs", "block_summaries", "task_bytes"]


class BlockInputs(NamedTuple):
    """The model inputs of one block, region axis first, sector and year last (size-1 axes
    broadcast), and each region's random-stream key."""

    activity: np.ndarray
    intensity: np.ndarray
    factor: np.ndarray | None
    #: uint64 (b, 1, ..., 1) stream keys broadcastable to the batch shape, or None (shared noise)
    streams: np.ndarray | None


def task_bytes(n_draws: int, n_regions: int, n_batch: int, n_t: int, n_q: int) -> int:
    """Peak bytes a task allocates for ``n_regions`` regions, beyond the inputs: the draw buffer
    (8·D·b·S·T), one working copy of it for the order statistics, one draw chunk (at most a
    quarter of the buffer), and the summaries (about (3·Q + 10)·b·S·T floats)."""
    buffer = 8 * n_draws * n_regions * n_batch * n_t
    return int(2.25 * buffer) + 8 * (3 * n_q + 10) * n_regions * n_batch * n_t


def block_summaries(inputs: BlockInputs, years: np.ndarray, *, n_draws: int, seed: int, noises: dict,
                    stream_correlation: float, quantiles: tuple[float, ...], level: float,
                    target: float | None, target_year: float | None, target_index: int | None,
                    draw_chunk: int, half_width: float, keep: tuple[int, ...],
                    summaries: tuple[str, ...], parallel: bool | None) -> dict[str, np.ndarray]:
    """Draw, reduce and return the summaries of one block (arrays with the region axis first).

    ``keep`` are positions in the block whose raw draws are returned too, as ``draws``
    (k, n_draws, *batch, T).  ``target_index`` is the position of ``target_year`` in ``years``.
    """
    act, inten, fac, streams = inputs
    shapes = [a.shape for a in (act, inten, fac) if a is not None]
    batch = np.broadcast_shapes(*(s[:-2] for s in shapes))
    n_t = years.shape[0]
    extra = {} if streams is None else {"streams": streams, "stream_correlation": stream_correlation}
    if draw_chunk >= n_draws:  # one kernel call: its output is the buffer (no second buffer, no copy)
        e = monte_carlo(act, inten, fac, n_draws=n_draws, seed=seed, draw_offset=0, parallel=parallel,
                        **noises, **extra).emissions
    else:
        e = np.empty((n_draws, *batch, n_t))
        for start in range(0, n_draws, draw_chunk):
            size = min(draw_chunk, n_draws - start)
            r = monte_carlo(act, inten, fac, n_draws=size, seed=seed, draw_offset=start, parallel=parallel,
                            **noises, **extra)
            e[start:start + size] = r.emissions
            del r
    s = summarize_draws(e, years, quantiles=quantiles, level=level, target=target,
                        target_year=target_year, axis=0, parallel=parallel)
    out: dict[str, np.ndarray] = {}
    if "bands" in summaries:
        # (Q, b, ..., T) -> (b, ..., Q, T): the region axis first in every stored variable
        out["emissions_quantile"] = np.moveaxis(s.quantile, 0, -2)
        out["emissions_quantile_low"] = np.moveaxis(s.quantile_low, 0, -2)
        out["emissions_quantile_high"] = np.moveaxis(s.quantile_high, 0, -2)
    if "moments" in summaries:
        out["emissions_mean"] = s.mean
        out["emissions_std"] = s.std
        out["emissions_mean_se"] = s.mean_se
    if "peaks" in summaries:
        out["peak_probability"] = s.peak_probability
        out["peak_probability_se"] = s.peak_probability_se
        out["peak_year_probability"] = s.peak_year_probability
        out["censored_share"] = s.censored_share
        out["censored_share_se"] = s.censored_share_se
        if target_index is not None:
            p = s.peak_probability[..., target_index]
            out["prob_peak_by_target"] = p
            out["prob_peak_by_target_se"] = s.peak_probability_se[..., target_index]
            out["draws_needed"] = np.asarray(draws_needed(p, half_width, level), dtype=np.float64)
    if "below" in summaries:
        out["prob_below"] = s.prob_below
        out["prob_below_se"] = s.prob_below_se
    if keep:
        out["draws"] = np.ascontiguousarray(np.moveaxis(e[:, list(keep)], 1, 0))
    return {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in out.items()}


def draw_chunk_size(n_draws: int, per_draw_bytes: int, limit: int = 64 << 20) -> int:
    """Draws per chunk: the whole set when its draws fit in ``limit`` bytes (one kernel call),
    else quarters or smaller, so the chunk's own output adds at most a quarter to the buffer."""
    if n_draws * per_draw_bytes <= limit:
        return n_draws
    return max(1, min(math.ceil(n_draws / 4), limit // max(per_draw_bytes, 1)))

