"""fastcarbon's quick load of cached kernels against numba's own loading, over whole processes.

``fastcarbon/kernels/_load.py`` loads a cached kernel without numba's first target refresh.  A
shorter first call could also come from moving work out of the timed window (as pausing the
garbage collector did; benchmarks/README.md), so this script times whole processes too: each
workload runs in fresh interpreters, alternating ``FASTCARBON_QUICK_LOAD=1`` (the default) and
``=0`` (numba's ``FunctionCache``, refresh included), with a warm numba cache.  Per run it
records the first call (timed inside the process), the loop after it, the wall time of the
whole process (timed from outside: start-up, imports, the work and the interpreter's exit) and
the full garbage collections in the process; it reports min and median per mode and the ratio
of the minima (stock / quick: above 1 means the quick load is faster).

Workloads (one step of a simulation each, as in ``embed_loop.py``):

- ``fit_egm labelled``: ``fastcarbon.grey.fit_egm`` + ``forecast_egm`` on one series, 1 000 times;
- ``bottom_up numpy``: ``core.bottom_up`` on 21 x 10 x 10 x 8, 1 000 times;
- ``monte_carlo labelled``: ``fastcarbon.uncertainty.monte_carlo`` on 2 sectors x 11 years,
  200 draws, 100 times;
- ``user @njit after``: the ``bottom_up`` first call, then a user's own ``@njit`` loop calling the
  tensor kernel (numba compiles it, so its refresh runs in both modes: what the quick load saves
  then is only what the stock load did twice).

Not a test: run it by hand (about 1 min with the default 7 rounds).

    PYTHONPATH=src python benchmarks/quick_load.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time

from import_time import FIRST_CALLS  # the labelled inputs of the first-call table


def _steps(n: int) -> str:
    """The loop after the first call: ``step()`` ``n`` more times."""
    return f"for _ in range({n}):\n    step()\n"


_PRELUDE = """
import gc, json, time
full = []
gc.callbacks.append(lambda phase, info: full.append(1) if phase == "stop" and info["generation"] == 2 else None)
import numpy as np
"""

WORKLOADS = {
    "fit_egm labelled": (
        FIRST_CALLS["fit_egm"][0] + """
        from fastcarbon.grey import forecast_egm
        def step():
            return forecast_egm(fit_egm(da), 5)
        """,
        _steps(1000),
    ),
    "bottom_up numpy": (
        """
        from fastcarbon import core
        rng = np.random.default_rng(0)
        p, e, f = rng.random((21, 10, 10)), rng.random((21, 10, 10, 8)), rng.random((21, 10, 10, 8))
        def step():
            return core.bottom_up(p, e, f)
        """,
        _steps(1000),
    ),
    "monte_carlo labelled": (
        FIRST_CALLS["monte_carlo"][0] + """
        def step():
            return monte_carlo(ds, 200, seed=1)
        """,
        _steps(100),
    ),
    "user @njit after": (
        """
        import numba
        from fastcarbon import core, kernels
        rng = np.random.default_rng(0)
        p, e, f = rng.random((1, 21, 10, 10)), rng.random((1, 21, 10, 10, 8)), rng.random((1, 21, 10, 10, 8))
        def step():
            return core.bottom_up(p[0], e[0], f[0])

        @numba.njit
        def user_loop(p, e, f, n):
            rows = np.zeros(1, dtype=np.int64)
            energy, emissions = np.empty((1, 21, 8)), np.empty((1, 21, 8))
            bad = np.empty((1, 21, 2), dtype=np.int64)
            s = 0.0
            for _ in range(n):
                kernels.sector_fuel_energy_emissions(p, e, f, rows, rows, rows, energy, emissions, bad)
                s += emissions.sum()
            return s
        """,
        "user_loop(p, e, f, 1000)\n",  # the user's compiled function, 1 000 steps (compiled in the loop)
    ),
}


def _code(setup: str, loop: str) -> str:
    return (
        _PRELUDE + textwrap.dedent(setup)
        + "t0 = time.perf_counter()\nstep()\nt1 = time.perf_counter()\n"
        + loop
        + "t2 = time.perf_counter()\n"
        + "print(json.dumps({'first': t1 - t0, 'loop': t2 - t1, 'full_gc': len(full)}))\n"
    )


def _run(code: str, quick: bool) -> dict:
    env = dict(os.environ, FASTCARBON_QUICK_LOAD="1" if quick else "0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as for an installed package
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise RuntimeError(done.stderr)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["process"] = wall
    return out


def measure(rounds: int, names=None) -> dict:
    names = list(WORKLOADS) if names is None else names
    codes = {n: _code(*WORKLOADS[n]) for n in names}
    for code in codes.values():  # warm the numba cache (and the OS file cache), both modes
        _run(code, True)
        _run(code, False)
    result = {n: {True: [], False: []} for n in names}
    for r in range(rounds):
        for n, code in codes.items():
            for quick in ((True, False) if r % 2 == 0 else (False, True)):
                result[n][quick].append(_run(code, quick))
    return result


def table(result: dict) -> str:
    lines = [
        ("| workload | mode | first call min / median (ms) | loop min / median (ms) | process min / median (s) "
         "| full collections | numba / quick (process min) |"),
        "|---|---|---:|---:|---:|---:|---:|",
    ]

    def span(values, scale=1.0, digits=1):
        values = [scale * v for v in values]
        return f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f}"

    for name, modes in result.items():
        ratio = min(r["process"] for r in modes[False]) / min(r["process"] for r in modes[True])
        for quick in (True, False):
            runs = modes[quick]
            gcs = "-".join(str(n) for n in sorted({r["full_gc"] for r in runs}))
            lines.append(
                f"| {name if quick else ''} | {'quick' if quick else 'numba'} "
                f"| {span([r['first'] for r in runs], 1e3)} | {span([r['loop'] for r in runs], 1e3)} "
                f"| {span([r['process'] for r in runs], digits=3)} | {gcs} | {f'{ratio:.2f}' if quick else ''} |"
            )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workloads", nargs="*", choices=list(WORKLOADS))
    args = parser.parse_args(argv)
    result = measure(args.rounds, args.workloads)
    print(f"{args.rounds} rounds, modes alternated; python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(table(result))


if __name__ == "__main__":
    main()
