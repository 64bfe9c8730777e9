"""LMDI-I decomposition (issue 14): fastcarbon against a vectorized numpy LMDI and a pandas loop.

Groups are ``lmdi|<shape>``; the cases and the inputs (activity × structure × intensity × mix ×
factor over regions × draws × years × 21 sectors × 8 fuels) are those of
``benchmarks/lmdi_bench.py``, which also runs the full 300 × 1 000 case and the chained 41-year
case in one process and prints the table of ``benchmarks/README.md``.

Measure: ``pytest benchmarks/test_bench_lmdi.py --benchmark-enable -m "slow or not slow"
--benchmark-group-by=group`` (the default test run executes each small case once as a smoke
test).  Compile time is kept out of the timed region by a warm-up call before timing.
"""

from __future__ import annotations

import sys

import pytest

from lmdi_bench import cases, lmdi_pandas_loop, make_inputs, measure_memory, pairs_for, warm_up

#: (regions, draws, years, chained)
SHAPES = {
    "pair-small": (30, 20, 2, False),
    "chain-small": (10, 5, 41, True),
    "pair-large": (300, 200, 2, False),  # 1/5 of the 1 000 draws (mix 161 MB, effect_by 403 MB)
    "chain-large": (300, 10, 41, True),  # mix 330 MB, effect_by 1.6 GB
}
LARGE = {"pair-large", "chain-large"}
CASES = ["fastcarbon", "core", "core_serial", "numpy", "pandas_loop"]

_CACHE: dict = {}


def inputs_for(shape: str):
    if shape not in _CACHE:
        _CACHE.clear()  # one large case in memory at a time
        regions, draws, years, _ = SHAPES[shape]
        _CACHE[shape] = make_inputs(regions, draws, years)
    return _CACHE[shape]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("shape", [s if s not in LARGE else pytest.param(s, marks=pytest.mark.slow) for s in SHAPES])
def test_lmdi(benchmark, case, shape):
    warm_up()
    ds = inputs_for(shape)
    chain = SHAPES[shape][3]
    benchmark.group = f"lmdi|{shape}"
    benchmark.extra_info["items"] = int(ds.sizes["region"] * ds.sizes["draw"])
    if case == "pandas_loop":
        pairs = pairs_for(ds, chain)
        regions = 1  # one region's draws and pairs; scale by the number of regions (README)
        benchmark.extra_info["scale_to_all_regions"] = ds.sizes["region"] / regions
        benchmark.pedantic(lambda: lmdi_pandas_loop(ds, pairs, regions), rounds=1, iterations=1)
        return
    fn = cases(ds, chain)[case]
    benchmark.pedantic(fn, rounds=3 if shape in LARGE else 5, iterations=1, warmup_rounds=1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
@pytest.mark.parametrize("shape", [(30, 20, 2, False), pytest.param((300, 10, 41, True), marks=pytest.mark.slow)],
                         ids=["pair", "chain-large"])
def test_lmdi_extra_peak_memory(shape):
    """Peak RSS above the inputs during the labelled call: outputs + a few MB (issue 14)."""
    m = measure_memory(*shape)
    assert m["extra_bytes"] <= m["outputs_bytes"] + 8 * 2**20, m
