"""Result files written atomically: :func:`write_atomic` (any writer), :func:`write_result` (a
job's netCDF and CSV), :func:`prepare_output` (check an output folder before anything computes),
:func:`result_files` (the two files of a job)."""

from __future__ import annotations

import errno
import os
import re
import secrets
import socket
from collections.abc import Callable, Iterable
from pathlib import Path

import xarray as xr

from fastcarbon._format import show
from fastcarbon.errors import InputError, InputTypeError, OutputPathError

__all__ = ["result_files", "prepare_output", "write_atomic", "write_result"]

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
