"""National sweep, small sizes: ``fastcarbon.sweep.run`` in-process against the plain numpy
version of the same model (:func:`sweep_national.numpy_sweep`), with the same outputs (peak-year
distribution, P(peak <= year), 5/50/95 % bands).

Groups ``sweep|<regions>x<draws>``: the national panel's 4 scenarios × 21 sectors × 41 years.
Every round of ``fastcarbon`` writes a new store (a rerun into the same store would skip every
block); compilation and the first store are kept out of the timed region by a warm-up.  The full
national size and the worker-process scaling are in ``benchmarks/sweep_national.py``.

Measure: ``pytest benchmarks/test_bench_sweep.py --benchmark-enable -m "slow or not slow"
--benchmark-group-by=group``.
"""

from __future__ import annotations

import itertools
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from sweep_national import NOISE, QUANTILES, SEED, numpy_sweep  # noqa: E402

SIZES = [pytest.param(1, 1, id="1x1"), pytest.param(10, 200, id="10x200"),
         pytest.param(40, 1000, id="40x1000", marks=pytest.mark.slow)]
_counter = itertools.count()


def _panel(n_regions):
    from fastcarbon.datasets import national_panel

    return national_panel(n_regions, seed=0)


@pytest.mark.parametrize("n_regions, n_draws", SIZES)
@pytest.mark.parametrize("impl", ["fastcarbon", "numpy"])
def test_sweep(benchmark, tmp_path, impl, n_regions, n_draws):
    from fastcarbon.sweep import Sweep

    panel = _panel(n_regions)
    benchmark.group = f"sweep|{n_regions}x{n_draws}"
    if impl == "numpy":
        gdp = panel.gdp.transpose("region", "sector", "year").values
        ci = panel.carbon_intensity.transpose("region", "scenario", "sector", "year").values
        out = benchmark(numpy_sweep, gdp, ci, panel.year.values, n_draws, SEED)
        assert out[0].shape == (len(QUANTILES), n_regions, 4, 41)
        return
    sweep = Sweep(panel, n_draws=n_draws, seed=SEED, summaries=["bands", "peaks"], quantiles=QUANTILES,
                  target_year=2030, intensity_noise=NOISE, activity_noise=None)

    def fresh():
        return (str(tmp_path / f"s{next(_counter)}.zarr"),), {"progress": False}

    sweep.run(*fresh()[0], progress=False)  # compile, first store: off the clock
    ds = benchmark.pedantic(sweep.run, setup=fresh, rounds=3, warmup_rounds=0)
    assert ds.emissions_quantile.shape == (n_regions, 4, len(QUANTILES), 41)
