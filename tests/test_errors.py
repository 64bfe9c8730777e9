"""The error hierarchy: errors survive pickling, so dask.distributed delivers them intact."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import xarray as xr

from fastcarbon import core, errors
from fastcarbon.core import grey as core_grey
from fastcarbon.core import montecarlo as core_mc
from fastcarbon.core import trajectory as core_trajectory
from fastcarbon.core import peaks as core_peaks


@pytest.mark.parametrize(
    "err",
    [
        core_grey.UnfittableSeriesError("EGM(1,1)", (1, 2), 2, "series at region='B', city[3]"),
        core_peaks.NaNTrajectoryError((0, 3), "region='bj', year=2027"),
        core.BadValueError("activity", (1, 0, 2, 1), -1.0),
        core_mc.MonteCarloValueError("intensity", (1, 0, 5), float("inf"), False, True,
                                     where="scenario='NZ', sector='steel', year=2025"),
        core_trajectory.TrajectoryValueError("{name}: 4.25 for period 2021-2025{at} is outside [0, 1]",
                                             "rates", (1,), "scenario='NZ'"),
        errors.UnknownLabelError("fuel: 'peat' not found"),
        errors.InvalidValueError("intensity: bad value nan at year=2030"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_survive_pickling_with_their_attributes(err):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert str(back) == str(err) and back.args == err.args
    assert back.__dict__ == err.__dict__


def test_error_from_a_distributed_worker_process_keeps_type_and_labels():
    distributed = pytest.importorskip("distributed")
    from fastcarbon.peaks import peak

    years = np.arange(2020, 2041)
    x = np.tile(np.linspace(1.0, 2.0, years.size), (4, 1))
    x[3, 5] = np.nan
    da = xr.DataArray(x, dims=("region", "year"), coords={"region": list("abcd"), "year": years})
    with pytest.raises(core_peaks.NaNTrajectoryError) as eager:
        peak(da, nan_policy="raise")
    lazy = peak(da.chunk({"region": 2}), nan_policy="raise")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster):
            with pytest.raises(core_peaks.NaNTrajectoryError) as remote:
                lazy.compute()
    # the same error as computed here: message with the whole-array labels, and index
    assert "NaN at region='d', year=2025;" in str(remote.value)
    assert str(remote.value) == str(eager.value) and remote.value.index == eager.value.index == (3, 5)
