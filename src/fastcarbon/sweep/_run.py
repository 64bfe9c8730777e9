"""Running a sweep: open the store, skip its complete blocks, compute the others where the
client says, write each block as it arrives, return the store opened with xarray."""

from __future__ import annotations

import secrets
import time
from typing import NamedTuple

import numpy as np

from fastcarbon._format import show
from fastcarbon.errors import InputTypeError, InvalidValueError
from fastcarbon.sweep._schedule import Timer, open_client, progress_bar
from fastcarbon.sweep._store import SweepStore
from fastcarbon.sweep._task import block_summaries

__all__ = ["RunStats", "execute"]


class RunStats(NamedTuple):
    """What one :meth:`Sweep.run` did."""

    #: the store's path, its block size and number of blocks
    store: str
    block: int
    n_blocks: int
    #: blocks computed now, and blocks found complete (skipped)
    computed: int
    skipped: int
    #: wall time of the run, and the part of it spent writing blocks into the store
    seconds: float
    write_seconds: float
    #: where the blocks ran, and the dashboard link of a cluster (None in-process)
    where: str
    dashboard: str | None


def _check_block(block) -> int | None:
    if block is None:
        return None
    if isinstance(block, (bool, np.bool_)) or not isinstance(block, (int, np.integer)):
        raise InputTypeError(f"block: must be a number of regions per task (int >= 1), got {show(block)}")
    if block < 1:
        raise InvalidValueError(f"block: must be >= 1 region per task, got {show(block)}")
    return int(block)


def execute(sweep, store, *, block=None, client=None, progress: bool = True, durable: bool = True):
    """Run ``sweep`` into ``store``; returns ``(xarray.Dataset, RunStats)``."""
    started = time.perf_counter()
    block = _check_block(block)
    with open_client(client) as (dask_client, n_workers, where):
        st = SweepStore(store, sweep, block, n_workers)
        todo = [k for k in range(st.n_blocks) if k not in st.completed()]
        writing = Timer()
        dashboard = None if dask_client is None else dask_client.dashboard_link
        bar = progress_bar(progress, st.n_blocks, st.n_blocks - len(todo), where, dashboard)
        with bar:
            if dask_client is None:
                for k in todo:
                    # in-process: numba's threads share each block's kernels (parallel=None picks
                    # them by size); the blocks themselves run one after the other
                    inputs, kwargs = sweep.task_arguments(k, st.block, None)
                    result = block_summaries(inputs, sweep.years, **kwargs)
                    with writing:
                        st.write(k, result, durable)
                    bar.advance(bar.task_id)
            else:
                _on_cluster(dask_client, sweep, st, todo, writing, bar, durable)
        ds = st.open()
    stats = RunStats(str(st.path), st.block, st.n_blocks, len(todo), st.n_blocks - len(todo),
                     time.perf_counter() - started, writing.seconds, where, dashboard)
    return ds, stats


def _on_cluster(client, sweep, st, todo, writing, bar, durable) -> None:
    from distributed import as_completed

    # readable on the dashboard, unique per run (two runs of one sweep on one client never share a key)
    tag = f"{sweep.fingerprint[:8]}-{secrets.token_hex(3)}"
    futures = {}
    for k in todo:
        inputs, kwargs = sweep.task_arguments(k, st.block, False)  # one numba thread per worker
        fut = client.submit(block_summaries, inputs, sweep.years, **kwargs, key=f"sweep-{tag}-block-{k}",
                            pure=False)
        futures[fut] = k
    try:
        for fut in as_completed(futures):
            result = fut.result()  # a task's error (bad value...) is raised here, as in-process
            k = futures.pop(fut)
            with writing:
                st.write(k, result, durable)
            fut.release()
            bar.advance(bar.task_id)
    finally:
        if futures:  # an error or Ctrl-C: stop what is left, the written blocks stay complete
            client.cancel(list(futures))
