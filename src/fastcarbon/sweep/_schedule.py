"""Where the blocks run: in this process, on a LocalCluster of worker processes, or on a running
dask scheduler; and the progress bar."""

from __future__ import annotations

import contextlib
import logging
import time

from fastcarbon._format import show
from fastcarbon.errors import InputError, InputTypeError

__all__ = ["open_client", "progress_bar"]

#: environment of LocalCluster workers: numba (and BLAS) one thread each; dask is the parallelism
WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _processes(client: str) -> int:
    text = client.split(":", 1)[1]
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1 or str(n) != text.strip():
        raise InputError(f"client: 'processes:N' needs a number of worker processes N >= 1, got {show(client)}")
    return n


@contextlib.contextmanager
def open_client(client, threads: int | None = None):
    """Yield ``(dask client or None, number of workers, what it is)`` for ``client``:
    None (this process, ``threads`` threads, default numba's count), ``"processes:N"`` (a
    LocalCluster, closed at the end), a scheduler address (``"tcp://host:8786"``), or a
    :class:`distributed.Client` (used as it is)."""
    if client is None:
        import numba

        n = max(1, int(threads or numba.get_num_threads()))
        yield None, n, f"this process ({n} thread{'s' * (n > 1)})"
        return
    from distributed import Client

    if isinstance(client, Client):
        yield client, max(1, len(client.scheduler_info().get("workers", {}))), "the given client"
        return
    if not isinstance(client, str):
        raise InputTypeError(f"client: expected None, 'processes:N', a scheduler address such as "
                             f"'tcp://127.0.0.1:8786' or a distributed.Client; got {type(client).__name__}")
    if client.startswith("processes:"):
        from distributed import LocalCluster

        n = _processes(client)
        # dashboard on a free port: several sweeps (or test runs) on one machine do not collide
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                          env=WORKER_ENV, silence_logs=logging.ERROR) as cluster, Client(cluster) as c:
            yield c, n, f"LocalCluster of {n} worker processes"
        return
    if "://" not in client and ":" not in client:
        raise InputError(f"client: {show(client)} is neither 'processes:N' nor a scheduler address "
                         f"('tcp://host:port')")
    try:
        c = Client(client, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"client: cannot connect to the dask scheduler at {show(client)} ({exc}); "
                         f"start one with `dask scheduler` or check the address") from None
    try:
        yield c, max(1, len(c.scheduler_info().get("workers", {}))), f"scheduler {client}"
    finally:
        c.close()


def progress_bar(enabled: bool, total: int, done: int, where: str, dashboard: str | None):
    """A rich progress bar over blocks on stderr (done/total, remaining, rate, ETA), or a
    no-op; the dashboard link is printed first when a cluster runs the blocks."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task):
            return Text("" if not task.speed else f"{task.speed:.2f} blocks/s")

    class Left(ProgressColumn):
        def render(self, task):
            return Text(f"{int(task.remaining or 0)} left")

    console = Console(stderr=True, highlight=False)
    if enabled and dashboard:
        console.print(f"sweep on {where}; dashboard: {dashboard}", markup=False)
    bar = Progress(TextColumn("sweep blocks"), BarColumn(), MofNCompleteColumn(), Left(), Rate(),
                   TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn(), console=console,
                   disable=not enabled)
    bar.task_id = bar.add_task("sweep", total=total, completed=done)
    return bar


class Timer:
    """Seconds spent in ``with timer:`` blocks, summed: wall time (``seconds``) and the CPU
    time of the thread that runs them (``cpu_seconds``; a flush to disk waits without CPU)."""

    def __init__(self):
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    def __enter__(self):
        self._t, self._c = time.perf_counter(), time.thread_time()

    def __exit__(self, *exc):
        self.seconds += time.perf_counter() - self._t
        self.cpu_seconds += time.thread_time() - self._c
