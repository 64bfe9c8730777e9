"""The README's "Embedding fastcarbon" examples run as written and give what the numpy API gives."""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np

import fastcarbon
from fastcarbon import core, kernels
from fastcarbon.core import grey

README = Path(__file__).resolve().parents[1] / "README.md"


def _section_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Embedding fastcarbon", 1)[1].split("\n## ", 1)[0]
    return [part.split("```", 1)[0] for part in section.split("```python")[1:]]


def test_readme_embedding_examples_run_and_agree():
    blocks = _section_blocks()
    assert len(blocks) == 4  # numpy API, own @njit loop, time stepping with out=, set_options
    ns: dict = {}
    before = fastcarbon.get_options()
    for block in blocks:
        exec(compile(block, str(README), "exec"), ns)
    assert fastcarbon.get_options() == before  # the example restores what it changed

    # the @njit loop gives the numpy API's totals, year by year (the same kernel, the same bits;
    # numba's .sum() adds in order, as Python's sum does, where numpy's sums pairwise)
    activity, intensity, factor = ns["activity"], ns["intensity"], ns["factor"]
    a = activity.copy()
    for t in range(ns["n_years"]):
        assert ns["total"][t] == sum(core.bottom_up(a, intensity, factor)[1].ravel().tolist())
        a *= 1.02

    # the out= loop equals fresh calls, and wrote into the first step's arrays
    history = ns["history"]
    observed = history.copy()
    fit = grey.fit_egm(history, horizon=10)
    for year in range(1, 6):
        observed[:, :-1] = observed[:, 1:]
        observed[:, -1] = fit.forecast[:, 0]
        fit = grey.fit_egm(observed, horizon=10)
    for x, y in zip(ns["out_fit"], fit):
        assert np.array_equal(x, y, equal_nan=True)
    ref = core.bottom_up(activity * 1.02**5, intensity, factor)
    assert np.array_equal(ns["energy"], ref[0]) and np.array_equal(ns["emissions"], ref[1])


@numba.njit
def _forecast_then_peak(params, x_first, first, n, horizon, years, forecast, flag, peak_year, peak_value, peaked,
                        peaked_by, net_zero_year, net_zero, cumulative):
    # two kernel families chained in one compiled function: grey forecast, then the peak statistics
    kernels.egm_forecast(params, x_first, first, n, forecast, flag)
    kernels.peak_stats(forecast, years, 0.0, 2035.0, peak_year, peak_value, peaked, peaked_by, net_zero_year,
                       net_zero, cumulative)


def test_kernels_chain_in_a_users_njit_function():
    rng = np.random.default_rng(5)
    t = np.arange(10.0)
    x = np.vstack([100.0 * np.exp(0.04 * t), 100.0 * np.exp(-0.03 * t)]) * (1 + 0.01 * rng.random((2, 10)))
    fit = grey.fit_egm(x)
    horizon, n_b = 8, 2
    years = np.arange(2030.0, 2030.0 + horizon)
    forecast, flag = np.empty((n_b, horizon)), np.empty(n_b, dtype=np.int32)
    f64 = [np.empty(n_b) for _ in range(4)]
    b = [np.empty(n_b, dtype=np.bool_) for _ in range(3)]
    _forecast_then_peak(fit.params, x[:, 0].copy(), fit.first.astype(np.int64), 10, horizon, years, forecast, flag,
                        f64[0], f64[1], b[0], b[1], f64[2], b[2], f64[3])
    ref_fc, ref_flag = grey.forecast_egm(fit.params, x[:, 0], 10, horizon)
    assert np.array_equal(forecast, ref_fc) and np.array_equal(flag, ref_flag)
    ref = core.peak(ref_fc, years, target=2035)
    assert np.array_equal(f64[0], ref.peak_year, equal_nan=True) and np.array_equal(b[0], ref.peaked)
    assert np.array_equal(b[1], ref.peaked_by) and np.array_equal(f64[3], ref.cumulative_emissions)
    assert b[0].tolist() == [False, True]  # rising: censored; falling: peaked at the first year
