"""Reproductions of published results, each returning a labelled Dataset (used by ``fastcarbon run``)."""

from __future__ import annotations

import errno
import os
import re
import secrets
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import xarray as xr

from fastcarbon._format import show
from fastcarbon.errors import InputError, InputTypeError, OutputPathError

__all__ = ["bengbu_accounting", "bengbu_forecast", "chongqing_monte_carlo_table", "national_sweep", "Job", "JOBS",
           "result_files", "prepare_output", "write_atomic", "write_result"]


def bengbu_accounting() -> xr.Dataset:
    """Bengbu industrial emissions 2011–2020 recomputed from Table 4 fuel use and Table 1 factors.

    ``computed`` = Σ fuel × carbon emission factor (000 eq. 1), in t C; ``computed_co2`` the same
    in t CO2 (× 44/12 through the unit system); ``printed`` = Table 4's CE; ``gap`` =
    (printed − computed) / computed.  The printed CE sits 0.2–1.2 % above the recomputed sum in
    every year; the paper does not say why (rounding of the fuel columns to 0.001 × 10^4 tce
    moves the sum by < 0.01 %, so it cannot explain 1.2 %), so the gap is reported, not fudged.
    Measured (printed − computed)/computed, 2011 to 2020: +0.60, +1.24, +0.90, +0.79, +0.85,
    +1.00, +0.62, +0.81, +0.49, +0.20 %; 2011: computed 309.001 × 10^4 t C, printed 310.843.

    Table 1's flagged natural-gas factor (2.1622 "t C/tce", likely kg CO2/m³) is used as printed,
    since this reproduces the paper: the :class:`~fastcarbon.errors.FlaggedFactorWarning` of
    :func:`~fastcarbon.accounting.fuel_emissions` is not emitted here; the ``summary`` attr
    (printed by ``fastcarbon run``) and ``notes`` say it instead, once.

    Examples
    --------
    >>> from fastcarbon.report import bengbu_accounting
    >>> r = bengbu_accounting()
    >>> bool(((r.gap > 0.0019) & (r.gap < 0.0125)).all())
    True
    """
    import warnings

    from fastcarbon import factors
    from fastcarbon.accounting import fuel_emissions
    from fastcarbon.datasets import bengbu
    from fastcarbon.errors import FlaggedFactorWarning

    ds = bengbu()
    with warnings.catch_warnings():
        # the printed values are the point of a reproduction; the note below says so once
        warnings.simplefilter("ignore", FlaggedFactorWarning)
        carbon = fuel_emissions(ds.fuel_use, "bengbu2023", units="t C").emissions
        co2 = fuel_emissions(ds.fuel_use, "bengbu2023", units="t CO2").emissions
    used = factors.load("bengbu2023").emission_factor.sel(fuel=ds.fuel_use.indexes["fuel"])
    as_printed = [
        f"Table 1 value kept for the reproduction: {f.describe()}" for f in factors.flagged(used, "bengbu2023")
    ]
    printed = ds.ce_printed
    out = xr.Dataset(
        {
            "computed": carbon.assign_attrs(long_name="sum of fuel use x Table 1 carbon factor"),
            "computed_co2": co2.assign_attrs(long_name="the same as CO2"),
            "printed": printed,
            "gap": ((printed - carbon) / carbon).assign_attrs(
                units="1", long_name="relative gap (printed - computed) / computed"
            ),
        }
    )
    out.attrs.update(title="Bengbu fuel accounting: recomputed vs printed (000 eq. 1, Tables 1 and 4)",
                     source=ds.attrs["source"], notes=" ".join(as_printed))
    gap = out.gap.values
    out.attrs["summary"] = [
        f"printed CE above the recomputed sum by {100 * gap.min():.2f} to {100 * gap.max():.2f} % "
        f"({int(out.year[0])}-{int(out.year[-1])}); the gap is reported, not adjusted",
        *as_printed,
    ]
    return out


def bengbu_forecast(last_year: int = 2030) -> xr.Dataset:
    """Bengbu industrial emissions: EGM(1,1) fitted on 2011–2020 and forecast, against the linear
    baseline and the values printed in 000 Table 6 (eqs. 9–13).

    Returns a Dataset over ``year`` (2011 to ``last_year``) in 10^4 t C, the paper's unit:
    ``observed`` X(0), ``egm`` (fitted, then forecast), ``linear`` (the same for the least-squares
    line), ``table6`` (the fitted column printed in Table 6), and the relative errors
    ``egm_error`` and ``linear_error``.  The attrs ``summary`` lines give a, b, C, P, the grade,
    the MAPE of both models and whether emissions peak by 2030, from the data to 2020 and then
    the EGM forecast (:func:`fastcarbon.grey.forecast_peak`; 000 concludes they do not: the
    fitted development coefficient a = −0.0114 < 0 means growth of about 1.15 % a year, an answer
    that comes from the model's rising shape alone, as the summary says).

    Examples
    --------
    >>> from fastcarbon.report import bengbu_forecast
    >>> r = bengbu_forecast()
    >>> round(r.attrs["a"], 6), round(r.attrs["C"], 3), r.attrs["grade"], r.attrs["peaks_by_2030"]
    (-0.011391, 0.314, 'good', 'no')
    """
    from fastcarbon.datasets import bengbu
    from fastcarbon.grey import (
        GRADE_LEGEND,
        fit_egm,
        fit_linear,
        forecast_egm,
        forecast_linear,
        forecast_peak,
    )
    from fastcarbon.units import conversion_factor

    ds = bengbu()
    x0 = ds.x0
    horizon = last_year - int(x0.year[-1])
    egm, lin = fit_egm(x0), fit_linear(x0)
    # Tables in the paper's unit, 10^4 t C, so the columns compare with Table 6 at a glance.
    shown = "10**4 t C"
    k = conversion_factor(x0.attrs["units"], shown)

    def in_shown(da, long_name):
        return (da * k).assign_attrs(units=shown, long_name=long_name)

    def path(fit, forecast, name):
        both = xr.concat([fit.fitted, forecast(fit, horizon)], dim="year")
        return in_shown(both, f"{name}: fitted 2011-2020, forecast after")

    egm_path = path(egm, forecast_egm, "EGM(1,1)")
    out = xr.Dataset(
        {
            "observed": in_shown(x0, x0.attrs["long_name"]),
            "egm": egm_path,
            "linear": path(lin, forecast_linear, "linear regression"),
            "table6": in_shown(ds.egm_fitted_printed, "EGM(1,1) fitted, as printed in Table 6"),
            "egm_error": egm.relative_error.assign_attrs(units="1", long_name="EGM(1,1) relative error |x - fit| / x"),
            "linear_error": lin.relative_error.assign_attrs(units="1", long_name="linear relative error |x - fit| / x"),
        }
    )
    # Not peak(egm_path): the EGM path is monotone, its maximum is its last or second year whatever
    # the data did.  forecast_peak reads the data, then the forecast, and says which one answered.
    p = forecast_peak(x0, egm, horizon=horizon, by=min(2030, last_year))
    peaked = bool(p.peaked_by)
    shape_only = " - the EGM model's monotone shape alone answers" if bool(p.from_model_shape) else ""
    grade = GRADE_LEGEND[int(egm.grade)]
    out.attrs.update(
        title="Bengbu EGM(1,1) forecast (000 eqs. 9-13, Table 6)",
        source=ds.attrs["source"],
        a=float(egm.a), b=float(egm.b), C=float(egm.C), P=float(egm.P), grade=grade,
        mape_egm=float(egm.mape), mape_linear=float(lin.mape),
        peaks_by_2030="yes" if peaked else "no",
        summary=[
            f"EGM(1,1): a = {float(egm.a):.6f}, b = {float(egm.b) * k:.3f} {shown} "
            f"(000 Table 6: a = -0.011391, b = 312.272)",
            f"posterior-difference test: C = {float(egm.C):.4f}, P = {float(egm.P):.2f}, grade {grade} "
            f"(paper: C = 0.3143, P = 1, good)",
            f"MAPE 2011-2020: EGM {100 * float(egm.mape):.2f} %, linear {100 * float(lin.mape):.2f} %",
            f"peak before 2030: {'yes, in ' + str(int(p.peak_year)) if peaked else 'no'} "
            f"(data to 2020, then the EGM forecast, at {float(egm_path.sel(year=last_year)):.2f} {shown} in "
            f"{last_year}{shape_only})",
        ],
    )
    return out


def _chongqing_peaks() -> xr.Dataset:
    """:func:`fastcarbon.scenarios.chongqing_peaks` with its headline lines (imported on use)."""
    from fastcarbon.scenarios import chongqing_peaks

    out = chongqing_peaks()
    order = " < ".join(str(s) for s in out.peak_year.sortby(out.peak_year).scenario.values)
    out.attrs["summary"] = [
        f"peak order (earliest first): {order}; paper: AP-NZES (2027) < PP-NZES (2029) < RS (2033)",
        out.attrs["notes"],
    ]
    return out


def chongqing_monte_carlo_table(mc: xr.Dataset) -> xr.Dataset:
    """One row per scenario from :func:`fastcarbon.uncertainty.chongqing_monte_carlo`: the
    deterministic and median peak years, the 5–95 % range of the peak year, the probability of
    peaking by the target year, the censored share, and the 5/50/95 % emissions in the target
    year and in the last year."""
    target, last = int(mc.attrs["target_year"]), int(mc.year[-1])
    # Peak-year quantiles from the distribution: the first year whose cumulative share of draws
    # reaches q (draws with no peak in the horizon count as later than every year).
    cum = mc.probability.cumsum("peak_year")

    def peak_quantile(q):
        hit = cum >= q
        year = mc.peak_year.where(hit).min("peak_year")
        return year.assign_attrs(units="year", long_name=f"{100 * q:.0f} % quantile of the peak year")

    out = xr.Dataset(
        {
            "deterministic_peak": mc.deterministic_peak_year,
            "median_peak": mc.peak_year_median,
            "peak_p5": peak_quantile(0.05),
            "peak_p95": peak_quantile(0.95),
            f"P_peak_by_{target}": mc.prob_peak_by_target,
            "censored_share": mc.censored_share,
            **{
                f"{q}_{year}": mc[q].sel(year=year, drop=True)
                for year in (target, last)
                for q in ("p5", "p50", "p95")
            },
        }
    )
    return out


def _chongqing_monte_carlo() -> xr.Dataset:
    from fastcarbon.uncertainty import chongqing_monte_carlo

    mc = chongqing_monte_carlo(2000)
    mc.attrs["summary"] = [
        f"{mc.attrs['n_draws']} draws, seed {mc.attrs['seed']}: {mc.attrs['noise']}",
        "full bands (p5, p50, p95 by scenario and year) and the peak-year distribution are in "
        "chongqing_monte_carlo.nc",
    ]
    return mc


def national_sweep(output: str | os.PathLike = ".", *, n_regions: int = 50, n_draws: int = 500,
                   target_year: int = 2030) -> xr.Dataset:
    """A national sweep of the synthetic panel (:func:`fastcarbon.datasets.national_panel`,
    ``n_regions`` cities × its scenarios) with ``n_draws`` Monte Carlo draws per city
    (:func:`fastcarbon.sweep.run`, independent noise per city), stored in
    ``<output>/national_sweep.zarr``; a rerun resumes that store.

    Returns one row per scenario: the share of regions likely to peak by ``target_year``
    (P(peak <= target_year) >= 0.5), the mean of that probability over the regions, and the
    largest number of draws any region needs for ±1 percentage point on it.

    Examples
    --------
    >>> import tempfile
    >>> out = national_sweep(tempfile.mkdtemp(), n_regions=6, n_draws=100)
    >>> out.share_likely_to_peak.dims, out.share_likely_to_peak.attrs["units"]
    (('scenario',), '1')
    """
    from fastcarbon.datasets import national_panel
    from fastcarbon.sweep import run

    store = Path(output) / "national_sweep.zarr"
    panel = national_panel(n_regions, seed=0)
    res = run(panel, n_draws=n_draws, seed=20261202, store=store, target_year=target_year, progress=False)
    p = res.prob_peak_by_target.load()
    out = xr.Dataset({
        "share_likely_to_peak": (p >= 0.5).mean("region")
        .assign_attrs(units="1", long_name=f"share of regions with P(peak <= {target_year}) >= 0.5"),
        "mean_prob_peak": p.mean("region").assign_attrs(
            units="1", long_name=f"P(peak <= {target_year}), mean over the regions"),
        "draws_needed_max": res.draws_needed.max("region").load().assign_attrs(
            units="draws", long_name=f"draws the least settled region needs for ±1 point on P(peak <= {target_year})"),
    })
    shares = ", ".join(f"{sc} {100 * float(v):.0f} %" for sc, v in zip(out.scenario.values, out.share_likely_to_peak.values))
    out.attrs.update(
        title=f"National sweep (synthetic panel): {n_regions} regions x {n_draws} draws",
        store=str(store),
        summary=[
            f"share of regions likely (P >= 0.5) to peak by {target_year}: {shares}",
            f"{n_regions} regions x {res.sizes['scenario']} scenarios x {n_draws} draws, independent noise per region "
            f"(seed {res.attrs['seed']}); summaries per region in the Zarr store {store} (xarray.open_zarr)",
        ],
    )
    return out


class Job(NamedTuple):
    """One job of ``fastcarbon run``: ``run()`` returns a Dataset, written as ``<name>.nc`` and
    printed under ``title`` with its ``summary`` attr lines.  The printed table, also written as
    ``<name>.csv``, is the Dataset itself (which must then be over one dim) or ``table(ds)``.
    A job with ``store`` also writes that entry into the output folder: ``run(output)`` is
    called with the folder."""

    name: str
    title: str
    run: Callable[..., xr.Dataset]
    table: Callable[[xr.Dataset], xr.Dataset] | None = None
    #: the name of a further output the job writes into the output folder (e.g. a Zarr store)
    store: str | None = None


#: the jobs of ``fastcarbon run``, in order; later reproductions append here
JOBS: list[Job] = [
    Job(
        "bengbu_accounting",
        "Bengbu industrial carbon emissions, recomputed (000 eq. 1) vs printed (Table 4)",
        bengbu_accounting,
    ),
    Job(
        "bengbu_forecast",
        "Bengbu industrial carbon emissions: EGM(1,1) and linear baseline, fitted 2011-2020, to 2030",
        bengbu_forecast,
    ),
    Job(
        "chongqing_peaks",
        "Chongqing industrial CO2 peaks under 001's scenarios: fastcarbon (top-down) vs the paper",
        _chongqing_peaks,
    ),
    Job(
        "chongqing_monte_carlo",
        "Chongqing Monte Carlo: 2 000 draws of uncertain Table 1 rates and GDP growth",
        _chongqing_monte_carlo,
        chongqing_monte_carlo_table,
    ),
    Job(
        "national_sweep",
        "National sweep of the synthetic panel: 50 regions x 4 scenarios x 500 draws, peaking by 2030",
        national_sweep,
        store="national_sweep.zarr",
    ),
]


# --- Writing results -------------------------------------------------------------------------
# Every result file goes through write_atomic: the data are written to a temporary file in the
# final folder (same filesystem, so the rename cannot turn into a copy), flushed to disk, then
# renamed over the final name.  A run killed at any moment leaves under a final name either the
# previous complete file or the new complete one, never a part; before this, 9 of 14 SIGKILLs
# during to_netcdf left a file that no longer opened (16 of 19 kills in the moments of
# tests/test_cli.py's SIGKILL test, 0 of 19 since).  The temporaries are hidden files named
# ".<final name>.<pid>@<host>.<random>.part", so a later run can tell a dead run's leftover
# (removed) from a file another live run is still writing into the same folder (kept).

_HOST = socket.gethostname()


def result_files(folder: str | os.PathLike, name: str) -> tuple[Path, Path]:
    """The two files of a ``fastcarbon run`` job: ``<folder>/<name>.nc`` and ``<name>.csv``."""
    folder, name = _as_path(folder, "folder"), _job_name(name, "name")
    return folder / f"{name}.nc", folder / f"{name}.csv"


def _job_name(value, argument: str) -> str:
    """A job name makes file names: a non-empty str that cannot reach outside the folder."""
    if not isinstance(value, str):
        raise InputTypeError(f"{argument}: expected a job name (str), got {type(value).__name__} {show(value)}")
    if not value or value in {".", ".."} or any(sep in value for sep in {"/", os.sep}):
        raise InputError(f"{argument}: {show(value)} is not a job name; expected a non-empty name without '/'")
    return value


def _as_path(value, argument: str) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise InputTypeError(f"{argument}: expected a path (str or pathlib.Path), got {type(value).__name__}")
    return Path(value)


def prepare_output(folder: str | os.PathLike, names: Iterable[str], *, option: str = "folder") -> None:
    """Make sure the results of the jobs ``names`` can be written into ``folder``, before any job
    computes, so a bad output path costs no computing.

    Creates ``folder`` (and its missing parents), checks that a file can be created in it, checks
    that no folder sits where a result file goes, and removes the temporaries that killed runs
    left behind for these results.

    Parameters
    ----------
    folder : path
        The output folder.
    names : iterable of str
        The jobs whose results will be written (see :func:`result_files`).
    option : str, default "folder"
        How the caller names the folder in error messages (``"--output"`` on the command line).

    Raises
    ------
    OutputPathError
        ``folder`` is a file, cannot be created, or is not writable; or a result's name is taken
        by a folder.  The message names the path, the reason and the fix.
    """
    folder = _as_path(folder, "folder")
    if isinstance(names, str) or not isinstance(names, Iterable):  # a str would go letter by letter
        raise InputTypeError(f"names: expected a list of job names, got {type(names).__name__} {show(names)}")
    targets = [path for name in names for path in result_files(folder, _job_name(name, "names"))]
    where = f"{option} '{folder}'"
    try:
        _check_output(folder, targets, where)
    except OSError as exc:  # a stat the system refused (e.g. a parent folder we may not enter)
        raise OutputPathError(f"{where}: {_reason(exc)}; choose a folder you can write to") from None


def _check_output(folder: Path, targets: list[Path], where: str) -> None:
    """The checks of :func:`prepare_output`; the OSErrors left are the unexpected ones."""
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"{where} is a file, not a folder: name a folder (it is created if missing)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocking = _first_file_on(folder)
        reason = f"'{blocking}' is a file, not a folder" if blocking is not None else _reason(exc)
        raise OutputPathError(
            f"{where}: cannot create the folder ({reason}); choose a folder you can write to"
        ) from None
    probe = folder / "fastcarbon"
    try:  # the only sure test of writability, also for root and read-only mounts
        _new_temporary(probe).unlink()
    except OSError as exc:
        raise OutputPathError(
            f"{where}: cannot write in the folder ({_reason(exc)}); choose a folder you can write to"
        ) from None
    for path in targets:
        if path.is_dir() and not path.is_symlink():  # os.replace cannot put a file there
            raise OutputPathError(
                f"{where}: a folder sits where the result file '{path}' goes; "
                "move or remove it, or choose another folder"
            )
    _remove_leftovers(folder, {probe.name, *(path.name for path in targets)})


def write_atomic(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Write one result file atomically: ``path`` holds either what it held before or the whole
    new file, whenever the process is stopped (SIGKILL, power loss after the rename).

    Parameters
    ----------
    path : path
        The final name.
    write : callable
        ``write(tmp)`` writes the whole file at ``tmp``, a new empty file next to ``path``
        (e.g. ``lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf")``).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputPathError
        Writing, flushing or renaming failed (no space left, a folder in the way...); the message
        names the file and the system's reason.  The temporary is removed.
    """
    path = _as_path(path, "path")
    if not callable(write):
        raise InputTypeError(f"write: expected a function write(tmp), got {type(write).__name__}")
    try:
        tmp = _new_temporary(path)
    except OSError as exc:
        raise OutputPathError(f"cannot write the result file '{path}' ({_reason(exc)})") from None
    try:
        write(tmp)
        _fsync(tmp)  # the data reach the disk before the name points at them
        os.replace(tmp, path)
        _fsync(path.parent, directory=True)  # and the rename itself survives a crash
    except BaseException as exc:  # also Ctrl-C: never leave the temporary behind
        try:
            tmp.unlink()
        except OSError:  # already gone, or the folder turned read-only: keep the first error
            pass
        if isinstance(exc, OSError):
            raise OutputPathError(f"cannot write the result file '{path}' ({_reason(exc)})") from exc
        raise
    return path


def write_result(
    folder: str | os.PathLike, name: str, ds: xr.Dataset, table: xr.Dataset
) -> tuple[Path, Path]:
    """Write a job's Dataset as ``<name>.nc`` (netCDF through h5netcdf) and its printed table as
    ``<name>.csv`` into ``folder``, each with :func:`write_atomic`; returns the two paths."""
    for argument, value in (("ds", ds), ("table", table)):
        if not isinstance(value, xr.Dataset):
            raise InputTypeError(f"{argument}: expected an xarray.Dataset, got {type(value).__name__}")
    nc, csv = result_files(folder, name)
    write_atomic(nc, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
    write_atomic(csv, lambda tmp: table.to_dataframe().to_csv(tmp))
    return nc, csv


def _new_temporary(path: Path) -> Path:
    """Create and return a new empty hidden file next to ``path`` (see the naming note above).
    os.open, not tempfile.mkstemp: mkstemp creates files readable by their owner only, and the
    results must keep the usual permissions (0666 minus the umask)."""
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}@{_HOST}.{secrets.token_hex(4)}.part")
        try:
            os.close(os.open(tmp, flags, 0o666))
        except FileExistsError:  # 1 in 4 billion per try
            continue
        return tmp


def _remove_leftovers(folder: Path, names: set[str]) -> None:
    """Remove the temporaries of the files ``names`` in ``folder`` that runs on this host, now
    dead, left behind."""
    if os.name != "posix":  # no safe liveness test (os.kill would stop the process): ignore them
        return
    pattern = re.compile(r"\.(?P<name>.+?)\.(?P<pid>\d+)@(?P<host>.+)\.[0-9a-f]{8}\.part")
    for entry in folder.iterdir():
        match = pattern.fullmatch(entry.name)
        if match and match["name"] in names and match["host"] == _HOST and not _alive(int(match["pid"])):
            try:
                entry.unlink()
            except FileNotFoundError:  # another run cleaned it first
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _fsync(path: Path, directory: bool = False) -> None:
    if directory and os.name != "posix":  # Windows cannot open a folder to flush it
        return
    fd = os.open(path, os.O_RDONLY if directory else os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some filesystems cannot flush a folder (EINVAL); the file itself is complete and in place.
        if not (directory and exc.errno in (errno.EINVAL, errno.ENOTSUP)):
            raise
    finally:
        os.close(fd)


def _first_file_on(folder: Path) -> Path | None:
    """The first existing component of ``folder`` that is not a folder, if any."""
    for part in reversed((folder, *folder.parents)):
        if part.exists() and not part.is_dir():
            return part
    return None


def _reason(exc: OSError) -> str:
    """The system's reason in words, lower case ("read-only file system"), without the errno."""
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]
