"""Running a sweep: open the store, skip its complete blocks, compute the others where the
client says, write each block as it arrives, return the store opened with xarray."""

from __future__ import annotations

import secrets
import time
from typing import NamedTuple

import numpy as np

from fastcarbon._format import show
from fastcarbon.errors import InputTypeError, InvalidValueError, OutputPathError
from fastcarbon.sweep._schedule import Timer, open_client, progress_bar
from fastcarbon.sweep._store import SweepStore, _reason
from fastcarbon.sweep._task import block_summaries

__all__ = ["RunStats", "execute", "IN_PROCESS_THREADS"]

#: threads of an in-process run, one block each with serial kernels; None: numba's thread count.
#: Measured on 2 vCPUs (benchmarks/README.md): blocks on 2 threads beat one block at a time with
#: numba's parallel kernels, whose threads idle in the serial parts of a task.
IN_PROCESS_THREADS: int | None = None


class RunStats(NamedTuple):
    """What one :meth:`Sweep.run` did."""

    #: the store's path, its block size and number of blocks
    store: str
    block: int
    n_blocks: int
    #: blocks computed now, and blocks found complete (skipped)
    computed: int
    skipped: int
    #: wall time of the run; the writer thread's time writing and flushing blocks (it overlaps
    #: the computing), and the CPU part of that (flushing to disk mostly waits)
    seconds: float
    write_seconds: float
    write_cpu_seconds: float
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


class _Writer:
    """The store's one writer: a thread that writes blocks in the order they arrive, so the
    next block computes (in-process) or the next result is gathered (cluster) while one is
    written and flushed.  At most two blocks wait (their summaries are small); an error while
    writing is raised in the caller at the next ``put`` or by ``check``."""

    def __init__(self, st, durable: bool, bar):
        import queue
        import threading

        self.st, self.durable, self.bar = st, durable, bar
        self.timer = Timer()
        self.error: BaseException | None = None
        self.queue = queue.Queue(maxsize=2)
        self.thread = threading.Thread(target=self._loop, name="fastcarbon-sweep-writer", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:  # after an error, the rest is drained unwritten
                try:
                    self._write(*item)
                except BaseException as exc:  # noqa: BLE001 (handed to the caller; the thread lives on)
                    self.error = exc

    def _write(self, k: int, result: dict) -> None:
        try:
            with self.timer:
                self.st.write(k, result, self.durable)
        except OSError as exc:  # no space left, a store folder made read-only...
            raise OutputPathError(
                f"store '{self.st.path}': cannot write block {k} ({_reason(exc)}); the blocks written before it "
                f"are complete: fix the cause and rerun the same call to resume") from None
        self.bar.advance(self.bar.task_id)

    def check(self) -> None:
        """Raise the error writing met, if any."""
        if self.error is not None:
            raise self.error

    def _put(self, item) -> None:
        import queue

        while self.thread.is_alive():  # never wait on a full queue that nobody drains
            try:
                self.queue.put(item, timeout=1.0)
                return
            except queue.Full:
                continue

    def put(self, k: int, result: dict) -> None:
        self.check()
        self._put((k, result))

    def close(self) -> None:
        """Write what was handed over (a few ms a block), then stop."""
        self._put(None)
        self.thread.join()


def execute(sweep, store, *, block=None, client=None, progress: bool = True, durable: bool = True):
    """Run ``sweep`` into ``store``; returns ``(xarray.Dataset, RunStats)``."""
    started = time.perf_counter()
    block = _check_block(block)
    with open_client(client, IN_PROCESS_THREADS) as (dask_client, n_workers, where):
        st = SweepStore(store, sweep, block, n_workers)
        todo = [k for k in range(st.n_blocks) if k not in st.completed()]
        dashboard = None if dask_client is None else dask_client.dashboard_link
        bar = progress_bar(progress, st.n_blocks, st.n_blocks - len(todo), where, dashboard)
        with bar:
            writer = _Writer(st, durable, bar)
            try:
                if dask_client is None:
                    _in_process(sweep, st, todo, writer, n_workers)
                else:
                    _on_cluster(dask_client, sweep, st, todo, writer)
            finally:
                # the blocks handed over are written whole; an error of the computing, if any,
                # is the one raised, else the writer's
                writer.close()
                st.close()
            writer.check()
        ds = st.open()
    stats = RunStats(str(st.path), st.block, st.n_blocks, len(todo), st.n_blocks - len(todo),
                     time.perf_counter() - started, writer.timer.seconds, writer.timer.cpu_seconds, where, dashboard)
    return ds, stats


def _in_process(sweep, st, todo, writer, n_threads: int) -> None:
    """One block per thread, serial kernels (they release the GIL), at most ``n_threads``
    blocks in memory at once; with one thread, the blocks one after the other."""
    if n_threads == 1 or len(todo) == 1:
        for k in todo:
            inputs, kwargs = sweep.task_arguments(k, st.block, None if n_threads == 1 else True)
            writer.put(k, block_summaries(inputs, sweep.years, **kwargs))
        return
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    def task(k):
        inputs, kwargs = sweep.task_arguments(k, st.block, False)
        return k, block_summaries(inputs, sweep.years, **kwargs)

    pending, queue = set(), list(todo)
    with ThreadPoolExecutor(n_threads, thread_name_prefix="fastcarbon-sweep") as pool:
        try:
            while queue or pending:
                while queue and len(pending) < n_threads:
                    pending.add(pool.submit(task, queue.pop(0)))
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    writer.put(*fut.result())
        finally:
            for fut in pending:
                fut.cancel()


def _on_cluster(client, sweep, st, todo, writer) -> None:
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
            writer.put(futures.pop(fut), result)
            fut.release()
    finally:
        if futures:  # an error or Ctrl-C: stop what is left, the written blocks stay complete
            client.cancel(list(futures))
