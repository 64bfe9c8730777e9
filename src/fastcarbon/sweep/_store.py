"""The sweep's Zarr v3 store: a template with the final chunks, one write per region block,
a completion marker per block, and the fingerprint that ties the store to one sweep.

Layout.  Every stored variable has the region dim first, chunked by ``block`` regions and whole
along every other dim, so block k is exactly chunk k of each variable: a block write never
touches another block's chunk, and the last, partial block is the array's partial edge chunk,
written by that block alone.  Raw draws (``draws``) are chunked one kept region per chunk and
written by the block holding that region.

Completion.  After a block's chunks are written (each chunk file is replaced atomically by
zarr's local store) and flushed to disk, a marker file ``_complete/block-<k>`` holding the
sweep's fingerprint is written to a temporary name, flushed and renamed: a marker exists only
for a block whose data are whole, whenever the process stops.  A block without its marker is
computed and written again in full on the next run (the write is idempotent).

One writer.  Blocks are written by the process that runs :func:`fastcarbon.sweep.run` (the
client), as the tasks' summaries arrive; workers only compute.  A task returns
n_regions·batch·years·(3·Q + 10) floats (about 1.3 MB for 40 regions × 4 scenarios × 41 years),
small next to the draws it reduced, so nothing large crosses the scheduler; and one writer means
no two processes ever write one chunk, workers on other machines need no shared file system, and
a task that dask runs twice (a lost worker's tasks are recomputed) is written once.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import warnings
from pathlib import Path

import numpy as np

from fastcarbon._format import show
from fastcarbon.errors import InputError, InputTypeError, OutputPathError, StoreMismatchError

__all__ = ["SweepStore", "ATTR", "MARKERS"]

#: the store attribute holding the sweep's fingerprint, block and description
ATTR = "fastcarbon_sweep"
#: folder of the completion markers inside the store
MARKERS = "_complete"


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def _fsync(path: Path, directory: bool = False) -> None:
    if directory and os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY if directory else os.O_RDWR)
    try:
        os.fsync(fd)
    except OSError:  # a file system that cannot flush a folder: the files themselves are flushed
        if not directory:
            raise
    finally:
        os.close(fd)


_HOST = socket.gethostname()


def _remove_dead_partials(path: Path) -> None:
    """Remove the ".partial" templates of ``path`` that runs on this host, now dead, left."""
    if os.name != "posix" or not path.parent.is_dir():
        return
    prefix = f".{path.name}.partial."
    for entry in path.parent.glob(prefix + "*"):
        # .<name>.partial.<pid>@<host>.<token>; the host may hold dots, the token does not
        pid, _, host = entry.name[len(prefix):].rpartition(".")[0].partition("@")
        if host == _HOST and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SweepStore:
    """The store of one sweep at ``path``: created from the sweep's template, or reopened when
    it holds the same sweep's fingerprint (then its ``block`` is kept)."""

    def __init__(self, path, sweep, block: int | None, n_workers: int = 1):
        if not isinstance(path, (str, os.PathLike)):
            raise InputTypeError(f"store: expected a path (str or pathlib.Path) to a Zarr store, got {type(path).__name__}")
        self.path = Path(path)
        self.sweep = sweep
        self.fingerprint = sweep.fingerprint
        where = f"store '{self.path}'"
        if self.path.exists() and not self.path.is_dir():
            raise OutputPathError(f"{where} is a file, not a folder: name a folder for the Zarr store")
        if (self.path / "zarr.json").exists():
            self.block = self._reopen(block)
            self._check_writable(self.path / MARKERS)
        else:
            if self.path.exists() and any(self.path.iterdir()):
                raise OutputPathError(
                    f"store: '{self.path}' is a folder that is not a Zarr store and not empty; name a new or empty "
                    f"folder (it is created), or a store an earlier run of this sweep made")
            self._check_writable(self.path.parent)
            self.block = sweep.default_block(n_workers) if block is None else block
            self._create()
        self.n_blocks = -(-sweep.n_regions // self.block)
        self._group = None

    # ---------------------------------------------------------------- opening
    def _check_writable(self, folder: Path) -> None:
        """Create ``folder`` (and its parents) and a file in it, or a clear error."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".{self.path.name}.probe.{os.getpid()}.{secrets.token_hex(4)}"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            raise OutputPathError(f"store '{self.path}': cannot write there ({_reason(exc)}); "
                                  f"choose a folder you can write to") from None

    def _reopen(self, block: int | None) -> int:
        import zarr

        try:
            attrs = dict(zarr.open_group(self.path, mode="r").attrs)
        except Exception as exc:  # noqa: BLE001 (any unreadable store is the same problem for the user)
            raise StoreMismatchError(f"store: '{self.path}' cannot be opened as a Zarr store ({exc}); "
                                     f"name a new folder") from None
        mine = attrs.get(ATTR)
        if not isinstance(mine, dict) or "fingerprint" not in mine:
            raise StoreMismatchError(f"store: '{self.path}' is a Zarr store not made by fastcarbon.sweep; name a new folder")
        if mine["fingerprint"] != self.fingerprint:
            theirs, ours = mine.get("sweep", {}), self.sweep.describe()
            differ = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
            what = (f"it differs in {show(differ)}" if differ else
                    "same settings, but the input values or labels differ")
            raise StoreMismatchError(
                f"store: '{self.path}' holds a different sweep ({what}); its results cannot be resumed by this "
                f"one. Name a new folder, or delete the old store to start again")
        stored = int(mine["block"])
        if block is not None and block != stored:
            raise InputError(f"block: the store '{self.path}' was written with block={stored} (its chunks); "
                             f"got block={block}. Omit block= to resume it, or name a new store")
        return stored

    def _create(self) -> None:
        import zarr

        ds, encoding = self.sweep.template(self.block)
        ds.attrs[ATTR] = {"fingerprint": self.fingerprint, "block": self.block, "sweep": self.sweep.describe()}
        ds.attrs.update(
            title="fastcarbon national sweep: Monte Carlo summaries per region",
            method=("Monte Carlo of activity x intensity x factor with multiplicative noise; Philox4x32-10 keyed by "
                    "(seed, region key, draw, variate); draws reduced inside region-block tasks"),
            seed=str(self.sweep.seed), n_draws=self.sweep.n_draws, units=self.sweep.units,
            independent=", ".join(map(str, self.sweep.independent)) or "none (one noise shared by all regions)",
        )
        # The template is written next to the store and renamed into place: a run killed while
        # writing it leaves no half-made store under the final name (only a hidden ".partial"
        # folder, removed by the next run once its process is gone).
        _remove_dead_partials(self.path)
        tmp = self.path.with_name(f".{self.path.name}.partial.{os.getpid()}@{_HOST}.{secrets.token_hex(4)}")
        try:
            with warnings.catch_warnings():
                # zarr notes that consolidated metadata is not yet in the v3 spec; xarray reads
                # it and opens the store without listing it
                warnings.simplefilter("ignore", zarr.errors.ZarrUserWarning)
                ds.to_zarr(tmp, mode="w-", compute=False, zarr_format=3, consolidated=True, encoding=encoding)
            (tmp / MARKERS).mkdir()
            os.replace(tmp, self.path)  # onto a missing or empty folder
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise OutputPathError(f"store '{self.path}': cannot write the template ({_reason(exc)})") from None

    # ---------------------------------------------------------------- blocks
    def _marker(self, k: int) -> Path:
        return self.path / MARKERS / f"block-{k:06d}"

    def completed(self) -> set[int]:
        """Blocks whose marker holds this sweep's fingerprint."""
        done = set()
        for entry in (self.path / MARKERS).glob("block-*"):
            try:
                if json.loads(entry.read_text()).get("fingerprint") == self.fingerprint:
                    done.add(int(entry.name.split("-")[1]))
            except (OSError, ValueError):  # a marker being renamed or unreadable: not complete
                continue
        return {k for k in done if k < self.n_blocks}

    def regions_of(self, k: int) -> slice:
        return slice(k * self.block, min((k + 1) * self.block, self.sweep.n_regions))

    def write(self, k: int, results: dict[str, np.ndarray], durable: bool = True) -> None:
        """Write block ``k``'s summaries into its chunks, flush them, then mark it complete."""
        import zarr

        if self._group is None:
            self._group = zarr.open_group(self.path, mode="r+", zarr_format=3)
        g = self._group
        sl = self.regions_of(k)
        kept = [j for j, i in enumerate(self.sweep.keep) if sl.start <= i < sl.stop]
        written = []
        for name, value in results.items():
            if name == "draws":
                for row, j in enumerate(kept):
                    g[name][j] = value[row]
                    written.append(self.path / name / "c" / str(j))
            else:
                g[name][sl] = value
                written.append(self.path / name / "c" / str(k))
        if durable:  # the chunks reach the disk before the marker names them complete
            files = [f for root in written
                     for f in ([root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()])]
            # concurrently: the file system commits them together (measured: 50 ms a block one by
            # one, mostly waiting, against ~10 ms at once for 38 regions' 11 chunks)
            list(self._flusher().map(_fsync, files))
        marker = self._marker(k)
        tmp = marker.with_name(f".{marker.name}.{os.getpid()}.{secrets.token_hex(4)}")
        tmp.write_text(json.dumps({"fingerprint": self.fingerprint, "block": k,
                                   "regions": [sl.start, sl.stop]}))
        if durable:
            _fsync(tmp)
        os.replace(tmp, marker)
        if durable:
            _fsync(marker.parent, directory=True)

    def _flusher(self):
        if getattr(self, "_pool", None) is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(16, thread_name_prefix="fastcarbon-sweep-fsync")
        return self._pool

    def close(self) -> None:
        """Stop the flushing threads (the store stays as written)."""
        if getattr(self, "_pool", None) is not None:
            self._pool.shutdown()
            self._pool = None

    def open(self):
        """The store as an xarray Dataset (:func:`xarray.open_zarr`)."""
        import xarray as xr

        return xr.open_zarr(self.path)
