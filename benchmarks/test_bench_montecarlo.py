"""Monte Carlo draws: fastcarbon's fused Philox kernel against numpy vectorized with its own generator.

Groups are ``monte_carlo|<draws>``: 21 sectors x 41 years, intensity noise on annual reduction
rates (lognormal, AR(1) 0.8, sector correlation 0.5) and activity noise on growth rates (normal,
AR(1) 0.8, one economy: correlation 1), total emissions per draw and year.  In each group

- ``fastcarbon``: :func:`fastcarbon.core.montecarlo.monte_carlo`, multi-threaded kernel
  (reproducible: bit-identical for any thread count and any split of the draws);
- ``fastcarbon_serial``: the same, one thread;
- ``numpy``: :func:`fastcarbon.reference.montecarlo.monte_carlo_numpy`, vectorized over draws
  with ``np.random.default_rng`` (ziggurat normals, sequential stream).

Measure: ``pytest benchmarks/test_bench_montecarlo.py --benchmark-enable -m "slow or not slow"
--benchmark-group-by=group``; draws/s = draws / mean time.  The 1e5 case is ``slow`` (the numpy
baseline holds several 690 MB temporaries).
"""

from __future__ import annotations

import numpy as np
import pytest

from fastcarbon.core.montecarlo import Noise, monte_carlo
from fastcarbon.reference import montecarlo as ref

N_SECTORS, N_YEARS = 21, 41
DRAWS = [pytest.param(10_000, id="1e4"), pytest.param(100_000, id="1e5", marks=pytest.mark.slow)]
NOISE = dict(
    intensity_noise=Noise("lognormal", 0.15, on="rate", ar1=0.8, sector_correlation=0.5),
    activity_noise=Noise("normal", 0.2, on="rate", ar1=0.8, sector_correlation=1.0),
)


def make_inputs():
    rng = np.random.default_rng(0)
    gdp = 100.0 * np.cumprod(1.0 + rng.uniform(0.02, 0.06, N_YEARS))
    ci = np.cumprod(1.0 - rng.uniform(0.02, 0.1, (N_SECTORS, N_YEARS)), axis=-1)
    share = rng.dirichlet(np.ones(N_SECTORS))[:, None]
    return gdp, ci, share


INPUTS = make_inputs()


def run_fastcarbon(n, parallel):
    return monte_carlo(*INPUTS, n_draws=n, seed=1, parallel=parallel, **NOISE).emissions


def run_numpy(n):
    return ref.monte_carlo_numpy(*INPUTS, n_draws=n, seed=1, **NOISE)


def _warm_up():
    run_fastcarbon(2, True)
    run_fastcarbon(2, False)


@pytest.mark.parametrize("n", DRAWS)
@pytest.mark.parametrize("impl", ["fastcarbon", "fastcarbon_serial", "numpy"])
def test_monte_carlo(benchmark, n, impl):
    _warm_up()  # compile outside the timed region
    benchmark.group = f"monte_carlo|{n:.0e}"
    benchmark.extra_info["draws"] = n
    if impl == "numpy":
        out = benchmark.pedantic(run_numpy, args=(n,), rounds=3, iterations=1)
    else:
        out = benchmark.pedantic(run_fastcarbon, args=(n, impl == "fastcarbon"), rounds=3, iterations=1)
    assert out.shape == (n, N_YEARS)
    assert np.isfinite(out).all()
    # both sample the same law: compare the 2060 mean of the two within a few standard errors
    other = run_numpy(n) if impl != "numpy" else run_fastcarbon(n, True)
    se = np.sqrt(out[:, -1].var() / n + other[:, -1].var() / n)
    assert abs(out[:, -1].mean() - other[:, -1].mean()) < 6 * se
