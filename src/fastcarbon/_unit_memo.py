"""A memo of unit arithmetic on disk, so a new process's first labelled call need not build pint's
registry.

The labelled functions reduce their inputs' ``units`` attrs to a few numbers once per combination
of strings (``bottom_up``: the two scales of activity × intensity and energy × factor;
``monte_carlo``: the scale and the output's units).  Those are pure functions of the strings,
which were memoised per process with :func:`functools.lru_cache`.  In a new process the first
such call built pint's registry (~0.03-0.05 s quiet, on a first call of ~0.17 s in all; xarray
has usually imported pint itself by then); with this memo a combination seen before on the
machine is read from one small JSON file.

What is stored and when it is used:

- only results; a combination that raises (a bad string, units that do not convert) is never
  stored, so the error comes from pint as before;
- the file is keyed by everything the results depend on: the memoised function's name, the
  ``(size, mtime)`` of its source file and of ``fastcarbon/units.py`` (the definitions), and of
  pint's package and definitions files (an upgrade rewrites them).  A key that does not match
  is a different file; an old file is never read again;
- it is best effort, like pint's own cache: an unreadable or damaged file is ignored and
  rewritten, an unwritable folder leaves the memo in memory only, and concurrent writers each
  replace the file atomically (one may drop the other's newest entries, which are then computed
  again).  It holds at most :data:`MAX_ENTRIES` combinations.
- ``FASTCARBON_UNITS_CACHE=0`` turns it off (memory only, as before); the folder is
  ``platformdirs.user_cache_path("fastcarbon")`` (``$XDG_CACHE_HOME/fastcarbon`` on Linux),
  where pint keeps its cache under ``pint``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading

__all__ = ["disk_memo", "MAX_ENTRIES"]

#: at most this many combinations per file; more are kept in memory only
MAX_ENTRIES = 4096
_FORMAT = 1


def disk_memo(fn):
    """Memoise ``fn`` (arguments: ``str``, ``None`` and tuples of them; result: a tuple of floats
    and strings) in memory and in a JSON file shared by this machine's processes.

    The wrapper raises ``TypeError`` for arguments JSON cannot key (as ``lru_cache`` does for
    unhashable ones), has ``__wrapped__`` and ``cache_clear()`` (memory only).
    """
    return functools.update_wrapper(_DiskMemo(fn), fn)


class _DiskMemo:
    def __init__(self, fn):
        self.__wrapped__ = fn
        self._lock = threading.Lock()
        # keyed by the arguments themselves (a hit costs a dict lookup); their JSON text is the
        # key in the file only, written on a miss
        self._mem: dict[tuple, tuple] = {}
        self._path: str | None = None
        self._loaded = False

    def cache_clear(self) -> None:
        with self._lock:
            self._mem.clear()
            self._loaded = False

    def __call__(self, *args):
        hit = self._mem.get(args)  # unhashable arguments raise TypeError here, as with lru_cache
        if hit is not None:
            return hit
        key = _key(args)  # and arguments JSON cannot key, here
        if not self._loaded:
            self._load()
            hit = self._mem.get(args)
            if hit is not None:
                return hit
        value = self.__wrapped__(*args)
        with self._lock:
            if len(self._mem) < MAX_ENTRIES:
                self._mem[args] = value
        if _checked(value):
            self._store(key, value)
        return value

    # the file ----------------------------------------------------------------------------

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            self._path = _file_for(self.__wrapped__)
            if self._path is None:
                return
            for key, value in _read(self._path).items():
                try:
                    args = _tuples(json.loads(key))
                except ValueError:  # a key this module did not write
                    continue
                if isinstance(args, tuple):
                    self._mem.setdefault(args, tuple(value))

    def _store(self, key: str, value: tuple) -> None:
        path = self._path
        if path is None:
            return
        with self._lock:
            entries = _read(path)  # another process's entries are kept
            if key in entries or len(entries) >= MAX_ENTRIES:
                return
            entries[key] = list(value)
            tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(tmp, "w", encoding="utf-8") as fh:
                    json.dump({"format": _FORMAT, "entries": entries}, fh)
                os.replace(tmp, path)  # readers see the old file or the new one, never half
            except OSError:
                self._path = None  # unwritable: memory only from now on
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def _key(args: tuple) -> str:
    try:
        return json.dumps(args, separators=(",", ":"))
    except (TypeError, ValueError):
        raise TypeError("disk_memo: arguments must be strings, None or tuples of them") from None


def _tuples(obj):
    """A file key back as the arguments it was written from (JSON has lists for tuples)."""
    return tuple(_tuples(o) for o in obj) if isinstance(obj, list) else obj


def _checked(value) -> bool:
    """Whether ``value`` survives JSON unchanged (a tuple of finite floats, ints and strings)."""
    if not isinstance(value, tuple):
        return False
    for v in value:
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                return False
        elif not isinstance(v, (str, int)) or isinstance(v, bool):
            return False
    return True


def _read(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("entries"), dict):
        return {}
    return {k: v for k, v in data["entries"].items() if isinstance(v, list)}


def _file_for(fn) -> str | None:
    """The memo file of ``fn`` in this environment, or ``None`` when turned off or unknowable."""
    if os.environ.get("FASTCARBON_UNITS_CACHE", "1") == "0":
        return None
    try:
        import importlib.util

        import platformdirs

        pint = importlib.util.find_spec("pint")  # located, not imported
        if pint is None or not pint.origin:
            return None
        pint_dir = os.path.dirname(pint.origin)
        units_py = os.path.join(os.path.dirname(__file__), "units.py")  # the unit definitions
        sources = [fn.__code__.co_filename, units_py, pint.origin, os.path.join(pint_dir, "default_en.txt")]
        digest = hashlib.sha256(fn.__qualname__.encode())
        digest.update(fn.__module__.encode())
        for source in sources:
            st = os.stat(source)
            digest.update(f"{source}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        folder = platformdirs.user_cache_path("fastcarbon", appauthor=False)
        return os.path.join(str(folder), f"units-{fn.__name__.strip('_')}-{digest.hexdigest()[:16]}.json")
    except Exception:  # noqa: BLE001 - no memo file is always safe
        return None
