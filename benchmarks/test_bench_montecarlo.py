"""Monte Carlo draws: fastcarbon's fused Philox kernel against numpy vectorized with its own generator.

Groups are ``monte_carlo|<draws>``: 21 sectors x 41 years, intensity noise on annual reduction
rates (lognormal, AR(1) 0.8, sector correlation 0.5) and activity noise on growth rates (normal,
AR(1) 0.8, one economy: correlation 1), total emissions per draw and year.  In each group

- ``fastcarbon``: :func:`fastcarbon.core.montecarlo.monte_carlo`, multi-threaded kernel
  (reproducible: bit-identical for any thread count and any split of the draws);
- ``fastcarbon_serial``: the same, one thread;
- ``numpy``: :func:`fastcarbon.reference.montecarlo.monte_carlo_numpy`, vectorized over draws
  with ``np.random.default_rng`` (ziggurat normals, sequential stream).

Groups ``monte_carlo_regions|<regions>x<scenarios>``: one region block of a national sweep,
50 regions x 4 scenarios x 1000 draws x 41 years x 21 sectors, the same noise, each region its
own random stream (keyed by its label; the scenarios of a region share it).  In the default test
run (benchmarks disabled) each case runs once on 5 regions x 200 draws, with the same checks, as a
smoke pass:

- ``fastcarbon`` / ``fastcarbon_serial``: ``monte_carlo(..., streams=label_keys(regions))``;
- ``numpy``: :func:`fastcarbon.reference.montecarlo.monte_carlo_numpy` with ``streams``: one
  ``np.random.default_rng([seed, key])`` per region, the region's scenarios vectorized over draws
  (what a user writes to keep cities independent).

Two noises: ``sweep`` (the sweep's default, lognormal σ = 0.1 on the intensity rates) and
``chongqing`` (the noise above: two variables, AR(1), sector correlations).
``extra_info`` holds ns per normal variate (time / (regions x draws x variables x 21 x 42)) and
ns per element (time / (draws x regions x scenarios x 21 x 41)).  Group ``monte_carlo_one``: a
one-element call (1 draw, 1 sector, 1 year), the fixed cost of a call.

Measure: ``pytest benchmarks/test_bench_montecarlo.py --benchmark-enable -m "slow or not slow"
--benchmark-group-by=group``; draws/s = draws / mean time.  The 1e5 case is ``slow`` (the numpy
baseline holds several 690 MB temporaries).
"""

from __future__ import annotations

import numpy as np
import pytest

from fastcarbon.core.montecarlo import Noise, label_keys, monte_carlo
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


# --- one region block of a national sweep: independent streams per region --------------------

N_REGIONS, N_SCENARIOS, N_BLOCK_DRAWS = 50, 4, 1000
#: the block of the default run's smoke pass (benchmarks disabled: each case runs once, with its
#: check), 1/50 of the measured one: the full block took ~40 s of the test suite over six cases
SMOKE_REGIONS, SMOKE_DRAWS = 5, 200


def make_region_block(n_regions: int = N_REGIONS):
    rng = np.random.default_rng(1)
    t = np.arange(N_YEARS)
    gdp = 100.0 * np.cumprod(1.0 + rng.uniform(0.02, 0.06, (n_regions, 1, 1, N_YEARS)), axis=-1)
    base = np.cumprod(1.0 - rng.uniform(0.02, 0.06, (n_regions, 1, N_SECTORS, N_YEARS)), axis=-1)
    extra = rng.uniform(0.0, 0.03, (1, N_SCENARIOS, 1, 1))  # scenarios: faster intensity cuts
    ci = base * (1.0 - extra) ** t
    share = rng.dirichlet(np.ones(N_SECTORS), n_regions)[:, None, :, None]
    keys = label_keys([f"city-{k:03d}" for k in range(n_regions)])[:, None]
    return gdp, ci, share, keys


BLOCKS = {N_REGIONS: make_region_block(), SMOKE_REGIONS: make_region_block(SMOKE_REGIONS)}


#: the sweep's default noise (lognormal σ = 0.1 on the intensity rates: one perturbed variable)
#: and the Chongqing noise of the cases above (two variables, AR(1), sector correlations)
BLOCK_NOISES = {"sweep": {"intensity_noise": Noise("lognormal", 0.1, on="rate")}, "chongqing": NOISE}


def run_block_fastcarbon(parallel, noise, n_regions=N_REGIONS, n_draws=N_BLOCK_DRAWS):
    gdp, ci, share, keys = BLOCKS[n_regions]
    return monte_carlo(gdp, ci, share, n_draws=n_draws, seed=1, streams=keys, parallel=parallel,
                       **BLOCK_NOISES[noise]).emissions


def run_block_numpy(noise, n_regions=N_REGIONS, n_draws=N_BLOCK_DRAWS):
    gdp, ci, share, keys = BLOCKS[n_regions]
    return ref.monte_carlo_numpy(gdp, ci, share, n_draws=n_draws, seed=1, streams=keys, **BLOCK_NOISES[noise])


@pytest.mark.parametrize("noise", list(BLOCK_NOISES))
@pytest.mark.parametrize("impl", ["fastcarbon", "fastcarbon_serial", "numpy"])
def test_monte_carlo_region_block(benchmark, impl, noise):
    # measured (--benchmark-enable): the 50-region block; the default run's smoke pass: 5 regions
    n_regions, n_draws = (SMOKE_REGIONS, SMOKE_DRAWS) if benchmark.disabled else (N_REGIONS, N_BLOCK_DRAWS)
    gdp, ci, share, keys = BLOCKS[n_regions]
    gdp1, ci1, share1 = gdp[:1, :1], ci[:1, :1], share[:1]
    for par in (True, False):  # compile outside the timed region
        monte_carlo(gdp1, ci1, share1, n_draws=2, seed=1, streams=keys[:1], parallel=par, **BLOCK_NOISES[noise])
    benchmark.group = f"monte_carlo_regions|{n_regions}x{N_SCENARIOS}|{noise}"
    if impl == "numpy":
        out = benchmark.pedantic(run_block_numpy, args=(noise, n_regions, n_draws), rounds=3, iterations=1)
    else:
        out = benchmark.pedantic(run_block_fastcarbon, args=(impl == "fastcarbon", noise, n_regions, n_draws),
                                 rounds=3, iterations=1)
    if benchmark.stats is not None:  # None under --benchmark-disable
        best = benchmark.stats.stats.min
        n_var = len(BLOCK_NOISES[noise])
        normals = n_regions * n_draws * n_var * N_SECTORS * (N_YEARS + N_YEARS % 2)
        elements = n_draws * n_regions * N_SCENARIOS * N_SECTORS * N_YEARS
        benchmark.extra_info.update(ns_per_normal=best / normals * 1e9, ns_per_element=best / elements * 1e9)
    assert out.shape == (n_draws, n_regions, N_SCENARIOS, N_YEARS)
    assert np.isfinite(out).all()
    # the same law: the 2060 mean of every region within a few standard errors of the other's
    other = (run_block_numpy(noise, n_regions, n_draws) if impl != "numpy"
             else run_block_fastcarbon(True, noise, n_regions, n_draws))
    se = np.sqrt(out[..., -1].var(0) / n_draws + other[..., -1].var(0) / n_draws)
    assert (np.abs(out[..., -1].mean(0) - other[..., -1].mean(0)) < 6 * se).mean() > 0.99


@pytest.mark.parametrize("impl", ["fastcarbon", "numpy"])
def test_monte_carlo_one_element(benchmark, impl):
    gdp, ci, key = np.array([100.0]), np.array([[2.0]]), label_keys(["Hefei"])[0]
    run = (lambda: monte_carlo(gdp, ci, n_draws=1, seed=1, streams=key, **NOISE).emissions) if impl == "fastcarbon" \
        else (lambda: ref.monte_carlo_numpy(gdp, ci, n_draws=1, seed=1, streams=key, **NOISE))
    run()
    benchmark.group = "monte_carlo_one"
    out = benchmark(run)
    assert out.shape == (1, 1)
