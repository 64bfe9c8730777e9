"""fastcarbon.sweep: bit-identical results for any block, scheduler and worker count, through
worker and process kills; region independence; the store's layout; bad inputs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from fastcarbon.core import summarize_draws
from fastcarbon.errors import (
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    OutputPathError,
    StoreMismatchError,
    UnknownLabelError,
)
from fastcarbon.sweep import Sweep, run
from fastcarbon.uncertainty import Noise

from subprocess_env import subprocess_env

NOISE = dict(intensity_noise=Noise("lognormal", 0.15, on="rate", ar1=0.7, sector_correlation=0.4),
             activity_noise=Noise("normal", 0.2, on="rate", ar1=0.5, sector_correlation=1.0))


def panel(n_regions: int, n_sectors: int = 3, n_years: int = 21, seed: int = 0, first: int = 0) -> xr.Dataset:
    """A small synthetic panel: region × scenario GDP and region × scenario × sector intensity;
    region k's values depend on its label only (``first`` shifts the labels)."""
    years = np.arange(2020, 2020 + n_years)
    labels = [f"city-{k:03d}" for k in range(first, first + n_regions)]
    gdp, ci = [], []
    for label in labels:
        rng = np.random.default_rng([seed, int(label[5:])])
        g = rng.uniform(0.03, 0.07)
        gdp.append(rng.uniform(100, 1000) * (1 + g) ** (years - 2020))
        ci.append(rng.uniform(0.5, 2.0, (n_sectors, 1)))
    rates = np.array([0.03, 0.05, 0.07])
    gdp = np.broadcast_to(np.array(gdp)[:, None, :], (n_regions, 3, n_years)).copy()
    ci = np.array(ci)[:, None, :, :] * (1 - rates[None, :, None, None]) ** (years - 2020)
    return xr.Dataset(
        {"gdp": (("region", "scenario", "year"), gdp, {"units": "1"}),
         "carbon_intensity": (("region", "scenario", "sector", "year"), ci, {"units": "t CO2"})},
        coords={"region": labels, "scenario": ["slow", "mid", "fast"], "year": years,
                "sector": [f"s{m}" for m in range(n_sectors)]})


def sweep_args(**kw):
    return dict(n_draws=120, seed=7, target_year=2030, target=500.0, progress=False, **NOISE) | kw


def results(ds: xr.Dataset) -> xr.Dataset:
    """The stored values and labels, without the block size (an attr of the store's layout)."""
    ds = ds.compute()
    ds.attrs = {k: v for k, v in ds.attrs.items() if k != "fastcarbon_sweep"}
    return ds


# ---------------------------------------------------------------------------- same results


def test_any_block_gives_identical_results_and_the_store_layout(tmp_path, monkeypatch):
    import fastcarbon.sweep._run as sweep_run

    ds = panel(11)
    ref = run(ds, store=tmp_path / "default.zarr", keep_draws=["city-004"], **sweep_args())
    # one block at a time with numba's parallel kernels, instead of one block per thread
    monkeypatch.setattr(sweep_run, "IN_PROCESS_THREADS", 1)
    one = run(ds, store=tmp_path / "one-thread.zarr", block=3, keep_draws=["city-004"], **sweep_args())
    xr.testing.assert_identical(results(one), results(ref))
    monkeypatch.setattr(sweep_run, "IN_PROCESS_THREADS", 3)
    for block in (1, 4, 11, 50):
        other = run(ds, store=tmp_path / f"b{block}.zarr", block=block, keep_draws=["city-004"], **sweep_args())
        xr.testing.assert_identical(results(other), results(ref))
        # block k is chunk k of every region-first variable; the last partial block its edge chunk
        chunks = other.emissions_quantile.chunks[0]
        assert chunks == ((block,) * (11 // block) + ((11 % block,) if 11 % block else ()) if block <= 11 else (11,))
    meta = json.loads((tmp_path / "b4.zarr" / "emissions_quantile" / "zarr.json").read_text())
    assert meta["zarr_format"] == 3 and meta["chunk_grid"]["configuration"]["chunk_shape"][0] == 4
    assert len(list((tmp_path / "b4.zarr" / "_complete").glob("block-*"))) == 3
    opened = xr.open_zarr(tmp_path / "b4.zarr")  # the plain reader
    for name, var in opened.data_vars.items():
        assert var.attrs.get("units") and var.attrs.get("long_name"), name
    assert not np.isnan(opened.to_array()).any()
    expected = {"emissions_quantile", "emissions_quantile_low", "emissions_quantile_high", "emissions_mean",
                "emissions_std", "emissions_mean_se", "peak_probability", "peak_probability_se",
                "peak_year_probability", "censored_share", "censored_share_se", "prob_peak_by_target",
                "prob_peak_by_target_se", "draws_needed", "prob_below", "prob_below_se", "draws"}
    assert set(opened.data_vars) == expected
    assert opened.draws.dims == ("draws_region", "draw", "scenario", "year")


def test_draw_chunks_inside_a_task_give_the_same_summaries():
    from fastcarbon.sweep._task import block_summaries

    sweep = Sweep(panel(3), **{k: v for k, v in sweep_args().items() if k != "progress"})
    inputs, kwargs = sweep.task_arguments(0, 3, None)
    whole = block_summaries(inputs, sweep.years, **kwargs)
    for chunk in (1, 7, 50):
        parts = block_summaries(inputs, sweep.years, **{**kwargs, "draw_chunk": chunk})
        assert whole.keys() == parts.keys()
        for name in whole:
            np.testing.assert_array_equal(parts[name], whole[name], err_msg=name)


def test_summaries_equal_the_labelled_summaries_of_the_same_draws(tmp_path):
    from fastcarbon.uncertainty import summarize

    ds = panel(5)
    out = run(ds, store=tmp_path / "s.zarr", keep_draws=["city-001", "city-003"], **sweep_args()).load()
    for region in ("city-001", "city-003"):
        draws = out.draws.sel(draws_region=region, drop=True).transpose("draw", "scenario", "year")
        ref = summarize(draws.assign_attrs(units="t CO2"), target_year=2030)
        got = out.sel(region=region)
        pairs = [(got.emissions_mean, ref.sample_mean), (got.emissions_std, ref.sample_std),
                 (got.emissions_mean_se, ref.sample_mean_se), (got.peak_probability, ref.peak_probability),
                 (got.peak_probability_se, ref.peak_probability_se), (got.peak_year_probability, ref.probability),
                 (got.censored_share, ref.censored_share), (got.censored_share_se, ref.censored_share_se),
                 (got.prob_peak_by_target, ref.prob_peak_by_target),
                 (got.prob_peak_by_target_se, ref.prob_peak_by_target_se), (got.draws_needed, ref.draws_needed)]
        for q, name in ((0.05, "p5"), (0.5, "p50"), (0.95, "p95")):
            pairs += [(got[f"emissions_quantile{end}"].sel(quantile=q, drop=True), ref[name + end])
                      for end in ("", "_low", "_high")]
        for mine, theirs in pairs:
            np.testing.assert_array_equal(mine.values, theirs.transpose(*mine.dims).values, err_msg=mine.name)
        p = got.prob_peak_by_target.values
        np.testing.assert_allclose(got.prob_peak_by_target_se, np.sqrt(p * (1 - p) / 120), rtol=1e-12)
        from fastcarbon.uncertainty import prob_below

        np.testing.assert_array_equal(got.prob_below, prob_below(draws, 500.0, 2030))


def test_region_results_do_not_depend_on_the_other_regions(tmp_path):
    full = results(run(panel(8), store=tmp_path / "full.zarr", block=3, **sweep_args()))
    # regions 2..5 alone, with new ones around them, in reverse order
    others = xr.concat([panel(4, first=2), panel(3, first=40)], "region").isel(region=slice(None, None, -1))
    part = results(run(others, store=tmp_path / "part.zarr", block=2, **sweep_args()))
    shared = [f"city-{k:03d}" for k in range(2, 6)]
    xr.testing.assert_identical(part.sel(region=shared), full.sel(region=shared))


def test_two_regions_with_identical_inputs_get_independent_draws(tmp_path):
    one = panel(1)
    twins = xr.concat([one, one.assign_coords(region=["city-twin"])], "region")
    out = run(twins, store=tmp_path / "t.zarr", keep_draws=["city-000", "city-twin"],
              **sweep_args(n_draws=2000, target=None, target_year=None)).load()
    a, b = (out.draws.sel(draws_region=r, scenario="mid", year=2035).values for r in ("city-000", "city-twin"))
    assert not np.array_equal(a, b)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.08  # 4 standard errors of a zero correlation at n = 2000
    shared = run(twins, store=tmp_path / "shared.zarr", independent=(), keep_draws=["city-000", "city-twin"],
                 **sweep_args(n_draws=200, target=None, target_year=None)).load()
    np.testing.assert_array_equal(shared.draws.sel(draws_region="city-000"), shared.draws.sel(draws_region="city-twin"))


@pytest.mark.parametrize("independent, rho", [((), 0.0), (("region",), 0.0), (("region",), 0.6)],
                         ids=["shared", "independent", "correlated"])
def test_the_sweep_reproduces_the_labelled_monte_carlo(tmp_path, independent, rho):
    from fastcarbon.uncertainty import monte_carlo

    ds = panel(4)
    out = run(ds, store=tmp_path / "s.zarr", independent=independent, stream_correlation=rho, **sweep_args()).load()
    mc = monte_carlo(ds, 120, seed=7, **NOISE, independent=independent, stream_correlation=rho).emissions
    mc = mc.transpose("draw", "region", "scenario", "year")
    ref = summarize_draws(mc.values, ds.year.values, target=500.0, target_year=2030)
    np.testing.assert_array_equal(out.emissions_quantile.transpose("quantile", ...).values, ref.quantile)
    np.testing.assert_array_equal(out.peak_probability.values, ref.peak_probability)
    np.testing.assert_array_equal(out.emissions_mean.values, ref.mean)
    np.testing.assert_array_equal(out.prob_below.values, ref.prob_below)


# ---------------------------------------------------------------------------- resume and store


def test_a_rerun_skips_complete_blocks_and_recomputes_a_missing_one(tmp_path):
    ds, store = panel(7), tmp_path / "r.zarr"
    sweep = Sweep(ds, **{k: v for k, v in sweep_args().items() if k != "progress"})
    first = results(sweep.run(store, block=2, progress=False))
    assert (sweep.last_run.computed, sweep.last_run.skipped, sweep.last_run.n_blocks) == (4, 0, 4)
    again = results(sweep.run(store, progress=False))  # the store's block is kept
    assert (sweep.last_run.computed, sweep.last_run.skipped, sweep.last_run.block) == (0, 4, 2)
    (store / "_complete" / "block-000002").unlink()
    import zarr

    zarr.open_group(store, mode="r+")["emissions_mean"][4:6] = -1.0  # a block half-written, unmarked
    resumed = results(sweep.run(store, progress=False))
    assert sweep.last_run.computed == 1
    xr.testing.assert_identical(resumed, first)
    xr.testing.assert_identical(again, first)


def test_a_failing_write_is_raised_and_leaves_the_blocks_written_before_it(tmp_path, monkeypatch):
    from fastcarbon.sweep._store import SweepStore

    real = SweepStore.write

    def write(self, k, results, durable=True):
        if k == 2:
            raise OSError(28, "No space left on device")
        return real(self, k, results, durable)

    monkeypatch.setattr(SweepStore, "write", write)
    store = tmp_path / "w.zarr"
    with pytest.raises(OutputPathError, match=r"cannot write block 2 \(no space left on device\).*rerun"):
        run(panel(5), store=store, block=1, **sweep_args())
    done = {p.name for p in (store / "_complete").glob("block-*")}
    assert done and "block-000002" not in done  # the blocks before it stay complete


def test_a_store_of_another_sweep_is_refused_by_name(tmp_path):
    ds, store = panel(3), tmp_path / "x.zarr"
    run(ds, store=store, block=3, **sweep_args())
    with pytest.raises(StoreMismatchError, match=r"different sweep .*'seed'"):
        run(ds, store=store, **sweep_args(seed=8))
    with pytest.raises(StoreMismatchError, match="input values or labels differ"):
        run(ds * 1.01, store=store, **sweep_args())
    with pytest.raises(StoreMismatchError, match="'n_draws'"):
        run(ds, store=store, **sweep_args(n_draws=121))
    with pytest.raises(InputError, match=r"written with block=3 .*got block=1"):
        run(ds, store=store, block=1, **sweep_args())
    other = tmp_path / "plain.zarr"
    xr.Dataset({"a": ("x", [1.0])}).to_zarr(other, zarr_format=3, consolidated=False)
    with pytest.raises(StoreMismatchError, match="not made by fastcarbon.sweep"):
        run(ds, store=other, **sweep_args())


def test_progress_bar_on_stderr_and_silenced(tmp_path, capfd):
    ds = panel(3)
    run(ds, store=tmp_path / "p.zarr", block=1, **sweep_args(progress=True))
    err = capfd.readouterr().err
    assert "sweep blocks" in err and "3/3" in err
    run(ds, store=tmp_path / "q.zarr", block=1, **sweep_args())
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------------------- bad input

BAD = {
    "unknown variable": (dict(activity="gdpx"), UnknownLabelError, ["activity", "'gdpx'", "'gdp'"]),
    "region dim missing": (dict(region_dim="city"), MissingDimensionError, ["region_dim", "'city'"]),
    "block 0": (dict(block=0), InvalidValueError, ["block", ">= 1", "0"]),
    "block float": (dict(block=2.0), InputTypeError, ["block", "2.0"]),
    "n_draws 0": (dict(n_draws=0), InvalidValueError, ["n_draws", "0"]),
    "unknown summary": (dict(summaries=["bands", "tails"]), UnknownLabelError, ["summaries", "'tails'"]),
    "below without target": (dict(summaries=["below"], target=None), InputError, ["below", "target"]),
    "target without year": (dict(target_year=None), InputError, ["target", "target_year"]),
    "target year off the axis": (dict(target_year=2100), UnknownLabelError, ["target_year", "2100"]),
    "kept region unknown": (dict(keep_draws=["nowhere"]), UnknownLabelError, ["keep_draws", "'nowhere'"]),
    "independent scenario": (dict(independent=("scenario",)), InvalidValueError, ["independent", "'scenario'"]),
    "correlation above 1": (dict(stream_correlation=1.5), InvalidValueError, ["stream_correlation", "1.5"]),
    "quantile above 1": (dict(quantiles=(0.5, 1.2)), InvalidValueError, ["quantiles", "1.2"]),
    "client text": (dict(client="threads"), InputError, ["client", "'threads'"]),
    "client processes:x": (dict(client="processes:x"), InputError, ["client", "'processes:x'"]),
    "noise type": (dict(intensity_noise=0.1), InputTypeError, ["intensity_noise", "Noise"]),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_is_one_clear_error(tmp_path, case):
    kw, error, words = BAD[case]
    with pytest.raises(error) as info:
        run(panel(2), store=tmp_path / "s.zarr", **sweep_args(**kw))
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_region_without_labels_and_unwritable_stores_are_refused(tmp_path):
    ds = panel(2)
    with pytest.raises(MissingDimensionError, match="no coordinate"):
        run(ds.drop_vars("region"), store=tmp_path / "s.zarr", **sweep_args())
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputPathError, match="cannot write there"):
        run(ds, store=tmp_path / "file" / "s.zarr", **sweep_args())
    with pytest.raises(OutputPathError, match="is a file"):
        run(ds, store=tmp_path / "file", **sweep_args())
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    with pytest.raises(OutputPathError, match="not a Zarr store and not empty"):
        run(ds, store=tmp_path / "busy", **sweep_args())
    with pytest.raises(InputTypeError, match="store"):
        run(ds, store=3, **sweep_args())
    (tmp_path / "empty").mkdir()  # an empty folder becomes the store
    assert run(ds, store=tmp_path / "empty", **sweep_args()).sizes["region"] == 2


# ---------------------------------------------------------------------------- clusters and kills


def test_local_cluster_of_2_processes_equals_in_process(tmp_path):
    ds = panel(9)
    ref = results(run(ds, store=tmp_path / "here.zarr", block=2, **sweep_args()))
    two = results(run(ds, store=tmp_path / "two.zarr", block=2, client="processes:2", **sweep_args()))
    xr.testing.assert_identical(two, ref)


def _markers(store: Path) -> int:
    return len(list((store / "_complete").glob("block-*"))) if (store / "_complete").exists() else 0


def test_a_worker_killed_mid_sweep_changes_nothing(tmp_path):
    from distributed import Client, LocalCluster

    ds = panel(24)
    args = sweep_args(n_draws=600)
    ref = results(run(ds, store=tmp_path / "ref.zarr", block=1, **args))
    store = tmp_path / "killed.zarr"
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0", env={"NUMBA_NUM_THREADS": "1"}) as cluster, \
            Client(cluster) as client:
        box = {}
        thread = threading.Thread(target=lambda: box.update(ds=run(ds, store=store, block=1, client=client, **args)))
        thread.start()
        deadline = time.monotonic() + 120
        while _markers(store) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        victim = sorted(client.scheduler_info()["workers"])[0]
        assert _markers(store) < 24, "the sweep ended before the kill"
        try:
            client.run(os._exit, 1, workers=[victim])
        except Exception:  # noqa: BLE001 (the worker dies before it can answer)
            pass
        killed_at = _markers(store)
        thread.join(timeout=240)
        assert "ds" in box, "the sweep did not finish after the kill"
        assert victim not in client.scheduler_info()["workers"]  # it died (its nanny started a new one)
    assert killed_at < 24
    xr.testing.assert_identical(results(box["ds"]), ref)


KILL_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_sweep import panel, sweep_args
    from fastcarbon.sweep import run
    run(panel(24), store={store!r}, block=1, **sweep_args(n_draws=600))
""")


def _killed_run(store: Path, after_blocks: int) -> int:
    """Start the sweep in a subprocess, SIGKILL it once ``after_blocks`` blocks are marked; return
    the number of markers at the kill."""
    script = KILL_SCRIPT.format(tests=str(Path(__file__).parent), store=str(store))
    env = subprocess_env()
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    try:
        def started():  # the template being written (a hidden ".partial" folder) or in place
            return store.exists() or any(store.parent.glob(f".{store.name}.partial.*"))

        while proc.poll() is None and time.monotonic() < deadline and (
                _markers(store) < after_blocks if after_blocks else not started()):
            time.sleep(0.002 if after_blocks else 0.0005)
        assert proc.poll() is None, f"the sweep ended before the kill: {proc.stderr.read().decode()[-2000:]}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    return _markers(store)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("moments", [(0, 1, 5), pytest.param((2, 3, 8, 15), marks=pytest.mark.slow)], ids=["3", "4"])
def test_sigkill_then_rerun_gives_the_undisturbed_result(tmp_path, moments):
    import zarr

    args = sweep_args(n_draws=600)
    ref = results(run(panel(24), store=tmp_path / "ref.zarr", block=1, **args))
    for after in moments:
        store = tmp_path / f"kill{after}.zarr"
        at_kill = _killed_run(store, after)
        assert after <= at_kill < 24
        if after == 0 and not (store / "zarr.json").exists():
            assert not store.exists()  # killed while the template was written: nothing under the final name
        # every block marked complete holds its whole, final data
        g = zarr.open_group(store, mode="r") if store.exists() else None
        for marker in (store / "_complete").glob("block-*"):
            k = int(marker.name.split("-")[1])
            for name in ref.data_vars:
                np.testing.assert_array_equal(g[name][k:k + 1], ref[name].values[k:k + 1], err_msg=f"{name} block {k}")
        sweep = Sweep(panel(24), **{k: v for k, v in args.items() if k != "progress"})
        rerun = results(sweep.run(store, block=1, progress=False))
        assert sweep.last_run.skipped == at_kill and sweep.last_run.computed == 24 - at_kill
        xr.testing.assert_identical(rerun, ref)
        assert not list(tmp_path.glob(".*.partial.*"))  # the dead run's template was removed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_dask_scheduler_and_worker_started_from_the_command_line(tmp_path):
    port = _free_port()
    env = subprocess_env(NUMBA_NUM_THREADS="1")
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--dashboard-address", ":0"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        from distributed import Client

        time.sleep(1.0)
        procs.append(subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--nworkers", "2",
                                       "--nthreads", "1", "--no-dashboard"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=120)
        ds = panel(6)
        ref = results(run(ds, store=tmp_path / "here.zarr", block=2, **sweep_args()))
        remote = results(run(ds, store=tmp_path / "remote.zarr", block=2, client=address, **sweep_args()))
        xr.testing.assert_identical(remote, ref)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_fastcarbon_run_national_sweep_prints_the_shares_and_the_store(tmp_path):
    from typer.testing import CliRunner

    from fastcarbon.cli import app

    result = CliRunner().invoke(app, ["run", "-o", str(tmp_path), "--job", "national_sweep"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "share of regions likely (P >= 0.5) to peak by 2030: RS" in text
    assert str(tmp_path / "national_sweep.zarr") in "".join(result.output.split())  # the store's path, however wrapped
    store = xr.open_zarr(tmp_path / "national_sweep.zarr")
    assert store.sizes["region"] == 50 and store.attrs["n_draws"] == 500
    table = xr.open_dataset(tmp_path / "national_sweep.nc", engine="h5netcdf")
    shares = (store.prob_peak_by_target >= 0.5).mean("region")
    np.testing.assert_array_equal(table.share_likely_to_peak.values, shares.values)
