"""out= buffers against fresh outputs: the numpy API called in a loop (issue 13, "Reuse").

Groups are ``reuse|<call>``; in each, ``fresh`` allocates its outputs every call, ``out`` passes
the previous result back as ``out=`` (the loop idiom of README "Embedding fastcarbon").  Both
run the same inputs in the same run; compare the two within a group.  The script
``benchmarks/embed_loop.py`` times every kernel family the same way (1 000 calls, first call
included).  Measure: ``pytest benchmarks/test_bench_reuse.py --benchmark-enable -m "slow or not
slow" --benchmark-group-by=group``; the default test run executes each small case once.
"""

from __future__ import annotations

import numpy as np
import pytest

from fastcarbon import core
from fastcarbon.core import grey


def _grey(series: int):
    rng = np.random.default_rng(0)
    x = 100.0 * np.exp(0.03 * np.arange(10)) * (1 + 0.02 * rng.random((series, 10)))
    return lambda out=None: grey.fit_egm(x, horizon=5, parallel=False, out=out)


def _bottom_up(rows: int):
    rng = np.random.default_rng(0)
    p, e, f = rng.random((rows, 21, 10, 10)), rng.random((rows, 21, 10, 10, 8)), rng.random((rows, 21, 10, 10, 8))
    return lambda out=None: core.bottom_up(p, e, f, parallel=False, out=out)


def _summary(rows: int):
    rng = np.random.default_rng(0)
    draws = rng.random((500, rows, 41))
    years = np.arange(2020, 2061)
    return lambda out=None: core.summarize_draws(draws, years, parallel=False, out=out)


CALLS = {
    "fit_egm,B=1e3": (_grey, 1_000, 200),
    "fit_egm,B=1e6": (_grey, 1_000_000, 5),
    "bottom_up,1x21x10x10x8": (_bottom_up, 1, 500),
    "summarize_draws,D=500,B=10,T=41": (_summary, 10, 50),
}
SLOW = {"fit_egm,B=1e6"}


@pytest.mark.parametrize("case", ["fresh", "out"])
@pytest.mark.parametrize("call", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW else c for c in CALLS])
def test_reuse(benchmark, call, case):
    make, size, rounds = CALLS[call]
    fn = make(size)
    previous = fn()  # compiled and warm; the buffers of the out case
    fn(previous)
    benchmark.group = f"reuse|{call}"
    if case == "fresh":
        benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)
    else:
        benchmark.pedantic(lambda: fn(previous), rounds=rounds, iterations=1, warmup_rounds=1)
