"""Process-level import and first-call times of fastcarbon (issue 13), as ratios in one run.

What it measures, each in fresh ``python`` processes, in interleaved rounds (every subject once
per round, so a load change on the machine hits all of them alike), reporting min and median:

- **import**: the wall time of ``python -c "import fastcarbon.<pkg>"`` for every public module
  and subpackage, against ``python -c "import numba, xarray"`` (the floor: fastcarbon needs
  both).  Target: at most 1.15 × the floor.  A second column divides by the floor followed by
  500 empty lists: the floor ends just short of a full garbage collection that is already due
  and that whatever comes next pays (see ``BASELINE_DUE``).  A third column is robust to a
  machine whose speed drifts (a VM beside busy neighbours: wall times moved by 10-40 % within
  minutes on 2026-12-07): the baseline runs between every two subjects, each subject is divided
  by the mean of the baseline runs just before and after it, and the column is the median of
  those paired ratios over the rounds.
- **instructions** (``--instructions``, needs valgrind): each import once under valgrind's
  callgrind, its instruction count against the baseline's.  Load and clock speed do not enter;
  counts vary by ~1 % run to run.  What a wall ratio cannot separate from noise, this shows: the
  work fastcarbon adds to ``import numba, xarray``.
- **first call**: in a new process with a warm numba cache, the time of the first call of
  ``bottom_up``, ``fit_egm``, ``peak`` and ``monte_carlo`` (labelled API) on a small input,
  measured inside the process around the call alone (building the input is not counted).
  Target: at most 0.15 s.  For scale the table also gives the first call of a trivial cached
  ``@numba.njit`` function, a user's own, which numba loads with its target refresh: what numba
  itself costs on a first call (refreshing its CPU target, loading the cache), and what
  fastcarbon's kernels no longer pay when they load without the refresh
  (``fastcarbon/kernels/_load.py``; ``FASTCARBON_QUICK_LOAD=0`` in the environment gives numba's
  own loading for comparison), alone and after ``import fastcarbon.kernels._jit`` (which loads
  ``scipy.linalg.cython_blas`` on its own, so numba's target no longer imports ``scipy.linalg``:
  see ``fastcarbon/kernels/_blas.py``); and the first ``xr.DataArray(...)`` of a
  process, which imports dask.array inside xarray (the benchmark builds its inputs before the
  timed call, so that cost is not in the fastcarbon rows).

Children run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` is dropped) and one
unmeasured run of each subject comes first, as for an installed package.  Also listed: which
heavy modules (pint, dask, pandas, scipy, matplotlib) each subject leaves
imported, from one extra process per subject.

Run from a checkout (``PYTHONPATH=src python benchmarks/import_time.py``); ``--rounds`` sets the
rounds (default 7), ``--markdown`` prints the tables for benchmarks/README.md, ``--instructions``
adds the instruction counts (about 50 s per import, two at a time).  The numbers are
only comparable within one run: each ratio's numerator and denominator come from the same
rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import pkgutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

BASELINE = "import numba, xarray"
#: the baseline followed by 500 empty lists: ``import numba, xarray`` ends a few hundred
#: allocations short of a full garbage collection (~25-30 ms here) that is already due, which
#: whatever runs next pays, fastcarbon's import included; this row is the baseline with it paid
BASELINE_DUE = "import numba, xarray; x = [[] for _ in range(500)]"
HEAVY = ("pint", "dask", "pandas", "scipy", "matplotlib")

#: name -> (code run before the timed call, the timed call)
FIRST_CALLS = {
    "bottom_up": (
        """
        import numpy as np, xarray as xr
        from fastcarbon.accounting import bottom_up
        P = xr.DataArray(np.ones((2, 2, 2)), dims=("sector", "process", "equipment"),
                         coords={"sector": ["a", "b"]}, attrs={"units": "t"})
        E = xr.DataArray(np.ones((2, 2, 2, 3)), dims=("sector", "process", "equipment", "fuel"),
                         coords={"sector": ["a", "b"], "fuel": ["coal", "oil", "gas"]},
                         attrs={"units": "tce/t"})
        F = xr.DataArray([2.6, 2.1, 1.6], dims="fuel", coords={"fuel": ["coal", "oil", "gas"]},
                         attrs={"units": "t CO2/tce"})
        """,
        "bottom_up(P, E, F)",
    ),
    "fit_egm": (
        """
        import numpy as np, xarray as xr
        from fastcarbon.grey import fit_egm
        da = xr.DataArray(100 * 1.05 ** np.arange(8.0), dims="year",
                          coords={"year": np.arange(2015, 2023)}, attrs={"units": "Mt CO2"})
        """,
        "fit_egm(da)",
    ),
    "peak": (
        """
        import numpy as np, xarray as xr
        from fastcarbon.peaks import peak
        da = xr.DataArray([1.0, 3.0, 4.0, 2.0, 1.0], dims="year",
                          coords={"year": np.arange(2020, 2025)}, attrs={"units": "Mt CO2"})
        """,
        "peak(da)",
    ),
    "monte_carlo": (
        """
        import numpy as np, xarray as xr
        from fastcarbon.uncertainty import monte_carlo
        years = np.arange(2020, 2031)
        t = np.arange(years.size)
        ds = xr.Dataset({
            "gdp": xr.DataArray(100 * 1.05 ** t, dims="year", coords={"year": years},
                                attrs={"units": "1e8 CNY"}),
            "carbon_intensity": xr.DataArray(0.97 ** t, dims="year", coords={"year": years},
                                             attrs={"units": "t CO2 / (1e4 CNY)"}),
        })
        """,
        "monte_carlo(ds, 20, seed=1)",
    ),
}

#: a trivial cached kernel: numba's own first-call cost, for scale
_FLOOR_MODULE = '''
import numba

@numba.njit(cache=True)
def total(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
    return s
'''
_FLOOR_SETUP = "import numpy as np, numba\nfrom _import_time_floor import total\nx = np.ones(3)"
#: the same after fastcarbon's kernels module is imported: with scipy.linalg.cython_blas loaded
#: on its own just before numba's BLAS check (fastcarbon.kernels._blas), numba's first refresh
#: no longer imports scipy.linalg
_FLOOR_FC_SETUP = _FLOOR_SETUP.replace("import numpy as np, numba", "import numpy as np, fastcarbon.kernels._jit")
#: xarray imports dask.array when it builds its first Variable (``array_type("dask")`` in
#: ``as_compatible_data``), so whoever builds the first DataArray pays for dask
_XARRAY_SETUP = "import numpy as np, xarray as xr\nx = np.ones(3)"


def public_modules() -> list[str]:
    """``fastcarbon`` and every public module and subpackage directly under it."""
    import fastcarbon

    names = [m.name for m in pkgutil.iter_modules(fastcarbon.__path__) if not m.name.startswith("_")]
    return ["fastcarbon"] + [f"fastcarbon.{n}" for n in sorted(names)]


def _run(code: str, env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise RuntimeError(f"{code!r} failed:\n{done.stderr}")
    return wall, done.stdout


def _first_call_code(setup: str, call: str) -> str:
    return (
        "import time, json\n" + textwrap.dedent(setup) + "\nt0 = time.perf_counter()\n" + call
        + "\nt1 = time.perf_counter()\nprint(json.dumps(t1 - t0))\n"
    )


def measure(rounds: int = 7, modules: list[str] | None = None, calls: list[str] | None = None) -> dict:
    """Run the interleaved rounds; returns ``{"import": {stmt: [s, ...]}, "first_call": {...},
    "loaded": {stmt: [heavy modules]}}``."""
    modules = public_modules() if modules is None else modules
    calls = list(FIRST_CALLS) if calls is None else calls
    env = dict(os.environ)
    # Bytecode is written and read, as for an installed package: without it every fastcarbon
    # module is compiled from source on each import (~0.3 s for the labelled packages), while
    # numba's and xarray's come precompiled from site-packages.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "_import_time_floor.py"), "w") as fh:
            fh.write(_FLOOR_MODULE)
        env["PYTHONPATH"] = os.pathsep.join([tmp] + [p for p in [env.get("PYTHONPATH")] if p])
        statements = [BASELINE, BASELINE_DUE] + [f"import {m}" for m in modules]
        call_codes = {name: _first_call_code(*FIRST_CALLS[name]) for name in calls}
        call_codes["numba floor (trivial @njit)"] = _first_call_code(_FLOOR_SETUP, "total(x)")
        call_codes["numba floor after fastcarbon's BLAS preload"] = _first_call_code(_FLOOR_FC_SETUP, "total(x)")
        call_codes["xarray: first DataArray"] = _first_call_code(_XARRAY_SETUP, "xr.DataArray(x)")
        for code in call_codes.values():  # warm the numba cache (and the OS file cache)
            _run(code, env)
        loaded = {}
        for stmt in statements:
            out = _run(f"{stmt}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))", env)[1]
            loaded[stmt] = out.split()
        imports = {s: [] for s in statements}
        paired = {s: [] for s in statements[1:]}
        first = {name: [] for name in call_codes}
        for _ in range(rounds):
            # the baseline runs between every two subjects: each subject's paired ratio divides
            # by the mean of the baseline runs just before and just after it, so a machine whose
            # speed drifts within a round (a VM's neighbours) moves numerator and denominator alike.
            # Only the round's first baseline run counts in its min and median: every subject
            # then has one sample a round, and a minimum over many more runs would be luckier.
            before = _run(BASELINE, env)[0]
            imports[BASELINE].append(before)
            for stmt in statements[1:]:
                t = _run(stmt, env)[0]
                after = _run(BASELINE, env)[0]
                imports[stmt].append(t)
                paired[stmt].append(t / (0.5 * (before + after)))
                before = after
            for name, code in call_codes.items():
                first[name].append(json.loads(_run(code, env)[1]))
    return {"import": imports, "paired": paired, "first_call": first, "loaded": loaded}


def instructions(statements: list[str], jobs: int = 2) -> dict[str, int]:
    """Instructions executed by ``python -c stmt``, counted by valgrind's callgrind, per statement.

    A count does not depend on the machine's load or speed (a VM's neighbours move wall times by
    10-40 % here); it varies by ~1 % run to run with address-space layout.  ``PYTHONHASHSEED`` is
    fixed at 0 so that dict and set layouts do not add to that.  About 50 s per statement (the
    interpreter runs ~50 × slower under callgrind); ``jobs`` run at once.
    """
    import concurrent.futures
    import re
    import shutil

    if shutil.which("valgrind") is None:
        raise RuntimeError("--instructions needs valgrind on PATH (Debian: apt install valgrind)")
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for stmt in statements:  # bytecode written, numba's index read once outside valgrind
        _run(stmt, env)

    def count(stmt: str) -> int:
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", sys.executable, "-c", stmt],
                env=env, capture_output=True, text=True,
            )
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode or found is None:
            raise RuntimeError(f"callgrind on {stmt!r} failed:\n{done.stderr[-2000:]}")
        return int(found.group(1))

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        return dict(zip(statements, pool.map(count, statements)))


def tables(result: dict) -> str:
    """The two markdown tables of :func:`measure`'s result."""
    imports, first, loaded = result["import"], result["first_call"], result["loaded"]
    paired = result.get("paired", {})
    base = min(imports[BASELINE])
    due = min(imports[BASELINE_DUE]) if BASELINE_DUE in imports else float("nan")
    lines = [
        "| import | min (s) | median (s) | min / `import numba, xarray` | min / the same with its due"
        " collection | paired ratio, median | also imports |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for stmt, times in imports.items():
        pair = f"{statistics.median(paired[stmt]):.2f}" if paired.get(stmt) else "-"
        lines.append(
            f"| `{stmt}` | {min(times):.3f} | {statistics.median(times):.3f} | {min(times) / base:.2f} "
            f"| {min(times) / due:.2f} | {pair} | {', '.join(loaded[stmt]) or '-'} |"
        )
    lines += ["", "| first call, warm numba cache | min (s) | median (s) |", "|---|---:|---:|"]
    for name, times in first.items():
        lines.append(f"| `{name}` | {min(times):.3f} | {statistics.median(times):.3f} |")
    return "\n".join(lines)


def instruction_table(counts: dict[str, int]) -> str:
    """Markdown table of :func:`instructions`' counts, as ratios to the baseline's."""
    base = counts[BASELINE]
    lines = ["| import | instructions (10^9) | / `import numba, xarray` |", "|---|---:|---:|"]
    for stmt, n in counts.items():
        lines.append(f"| `{stmt}` | {n / 1e9:.3f} | {n / base:.3f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--markdown", action="store_true", help="print only the markdown tables")
    parser.add_argument("--modules", nargs="*", help="only these modules (default: every public one)")
    parser.add_argument("--calls", nargs="*", choices=list(FIRST_CALLS),
                        help="only these first calls (default: all; none with an empty list)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count each import's instructions under valgrind's callgrind (~50 s each)")
    args = parser.parse_args(argv)
    result = measure(args.rounds, args.modules, args.calls)
    if not args.markdown:
        print(f"{args.rounds} interleaved rounds; python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f} at the end")
    print(tables(result))
    if args.instructions:
        statements = [BASELINE] + [s for s in result["import"] if s not in (BASELINE, BASELINE_DUE)]
        print()
        print(instruction_table(instructions(statements)))


if __name__ == "__main__":
    main()
