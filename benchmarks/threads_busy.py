"""Serial against 2-thread kernels on an idle and on a busy machine: where the default
``parallel_threshold`` should lie.

On a 2-vCPU machine another process holding one core makes every 2-thread kernel wait for that
core: the second half of the work starts only when the scheduler gives the thread a time slice
(milliseconds), so small parallel calls lose several times over while the best times stay equal.
This script measures, for ``fastcarbon.core.bottom_up`` (full factor layout) and
``fastcarbon.core.grey.fit_egm`` over a range of sizes, the median of the serial and of the
2-thread kernel (``parallel=False`` / ``True``), the two taken in turn round after round so that
both see the same conditions:

- **idle**: nothing started by the script (other users of the machine may still be running:
  say so when reporting);
- **busy**: with a background process started and killed by the script, running a numpy matrix
  product loop pinned to one BLAS thread (``OPENBLAS_NUM_THREADS=1``), i.e. one core kept busy.

Not a test: run it by hand.

    python benchmarks/threads_busy.py [rounds]      # default 31 rounds per size, about 1-2 min

Prints one markdown table (sizes, medians, parallel / serial) and the smallest size from which
the busy-machine ratio stays <= 1.1 (the rule for the default threshold, benchmarks/README.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numba
import numpy as np
from _cli import count_arg

from fastcarbon import core
from fastcarbon.core import grey

LOAD = "import numpy as np; a = np.random.rand(2000, 2000); [a @ a for _ in range(10**6)]"

#: bottom_up: batch rows of a 10 x 10 x 10 x 8 (sector, process, equipment, fuel) tensor, 8 000
#: elements each; 86 rows is the issue's 41 x 21 x 10 x 10 x 8 = 6.9e5-element case; 1024 and
#: 1536 rows (8.2e6, 1.2e7) bracket the default threshold on a fast machine
BOTTOM_UP_ROWS = (2, 32, 86, 128, 256, 384, 512, 768, 1024, 1536)
#: grey: series of 20 points, 8 steps forecast (262144 series: 5.2e6 values, above the default)
GREY_SERIES = (1024, 8192, 16384, 32768, 65536, 131072, 262144)


def _bottom_up_case(rows: int):
    rng = np.random.default_rng(0)
    p = rng.random((rows, 10, 10, 10))
    e = rng.random((rows, 10, 10, 10, 8))
    f = rng.random((rows, 10, 10, 10, 8))
    return p.size * 8, lambda par: core.bottom_up(p, e, f, parallel=par)


def _grey_case(series: int):
    rng = np.random.default_rng(0)
    x = 100.0 * np.exp(0.03 * np.arange(20)) * (1.0 + 0.01 * rng.random((series, 20)))
    return x.size, lambda par: grey.fit_egm(x, horizon=8, parallel=par)


def _medians(fn, rounds: int) -> tuple[float, float, float, float]:
    """Median and min (µs) of fn(False) and fn(True), taken in turn."""
    fn(False), fn(True)  # compile / load outside the timed rounds
    serial, parallel = [], []
    for _ in range(rounds):
        for par, sink in ((False, serial), (True, parallel)):
            t0 = time.perf_counter()
            fn(par)
            sink.append((time.perf_counter() - t0) * 1e6)
        time.sleep(0.002)  # an idle moment, as between the steps of a simulation: the threads sleep
    return float(np.median(serial)), float(np.median(parallel)), min(serial), min(parallel)


def _start_load() -> subprocess.Popen:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-c", LOAD], env=env)
    time.sleep(1.0)  # let it allocate and start multiplying
    return proc


def measure(rounds: int = 31) -> list[dict]:
    cases = [("bottom_up", r, *_bottom_up_case(r)) for r in BOTTOM_UP_ROWS]
    cases += [("fit_egm", s, *_grey_case(s)) for s in GREY_SERIES]
    results = []
    for condition in ("idle", "busy"):
        load = _start_load() if condition == "busy" else None
        try:
            for family, _, size, fn in cases:
                s_med, p_med, s_min, p_min = _medians(fn, rounds)
                results.append(dict(condition=condition, family=family, size=size, serial=s_med, parallel=p_med,
                                    serial_min=s_min, parallel_min=p_min))
        finally:
            if load is not None:
                load.kill()
                load.wait()
    return results


def table(results: list[dict]) -> str:
    lines = ["| kernel | elements | idle serial (µs) | idle 2 threads (µs) | idle ratio | busy serial (µs) "
             "| busy 2 threads (µs) | busy ratio | busy ratio of minima |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    by = {(r["condition"], r["family"], r["size"]): r for r in results}
    for (cond, family, size), _ in by.items():
        if cond != "idle":
            continue
        i, b = by[("idle", family, size)], by[("busy", family, size)]
        lines.append(f"| {family} | {size:.2e} | {i['serial']:.0f} | {i['parallel']:.0f} | "
                     f"{i['parallel'] / i['serial']:.2f} | {b['serial']:.0f} | {b['parallel']:.0f} | "
                     f"{b['parallel'] / b['serial']:.2f} | {b['parallel_min'] / b['serial_min']:.2f} |")
    return "\n".join(lines)


def crossover(results: list[dict], family: str, limit: float = 1.1) -> int | None:
    """Smallest size from which every larger measured size has busy parallel / serial <= limit."""
    busy = sorted((r for r in results if r["condition"] == "busy" and r["family"] == family), key=lambda r: r["size"])
    best = None
    for r in reversed(busy):
        if r["parallel"] / r["serial"] > limit:
            break
        best = r["size"]
    return best


def main(rounds: int = 31) -> None:
    print(f"numba threads: {numba.get_num_threads()}, cpus: {os.cpu_count()}, rounds: {rounds}")
    results = measure(rounds)
    print(table(results))
    for family in ("bottom_up", "fit_egm"):
        size = crossover(results, family)
        print(f"{family}: busy 2-thread median <= 1.1 x serial from {size:.2e} elements on" if size
              else f"{family}: busy 2-thread median > 1.1 x serial at the largest size measured")


if __name__ == "__main__":
    main(count_arg(__doc__, "rounds", 31))
