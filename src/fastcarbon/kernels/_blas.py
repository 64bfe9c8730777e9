"""Spare numba's first call the import of all of ``scipy.linalg``.

The first time a process compiles a numba function (a user's own ``@njit`` code, or a kernel the
cache does not hold) or loads one from the cache with numba's own loader, numba refreshes its CPU
target; fastcarbon's cached kernels load without it when they can (``_load.py``), so here it is
the refresh of the first compilation that matters.  The refresh imports ``numba.np.arraymath``,
whose module-level check for a BLAS (``numba.np.linalg.ensure_blas``) runs
``import scipy.linalg.cython_blas``.  Python imports a
package before any of its submodules, so that line executes ``scipy/linalg/__init__.py``: every
Python module of ``scipy.linalg`` and, through scipy's array-API layer, ``numpy.f2py``.  Measured
on the development machine (2026-12-04, numba 0.68.1, scipy 1.17.1): the first call of a trivial
cached ``@njit`` function after ``import fastcarbon.grey`` took 0.27 s, 0.105 s with the module
below loaded first; fastcarbon's kernels use no BLAS at all.

:func:`preload_cython_blas` loads the ``cython_blas`` extension module on its own under its full
name, so numba's check finds it in :data:`sys.modules` and the rest of ``scipy.linalg`` is not
imported until something uses it.  Everything stays as scipy and numba expect:

- numba's BLAS and LAPACK calls take their function pointers from that module's
  ``__pyx_capi__`` (``numba.core.extending.get_cython_function_address`` imports the module by
  name), so ``np.dot`` and ``np.linalg`` in a user's ``@njit`` code work as before;
- a later ``import scipy.linalg`` runs as usual and gets the same, single ``cython_blas``
  module (a Cython module cannot be initialised twice in one process); :class:`_BindSubmodule`
  sets ``scipy.linalg.cython_blas`` on the package when it is imported, which Python only does
  for a submodule it loads itself.

It does nothing when ``scipy.linalg`` is already imported (nothing left to spare), when scipy or
the extension file is not where scipy keeps it, or when ``FASTCARBON_PRELOAD_BLAS=0``; any
failure while loading leaves the import to numba, as without this module.

When: not at import. Loading the extension loads scipy's OpenBLAS, whose worker thread spins after
it starts and takes CPU from the import that follows (``import fastcarbon.grey`` in a fresh venv,
2026-12-04 18:00 UTC, 11 rounds: 0.846 s of CPU, user + system, with the load at import, 0.744 s
without; the same wall time on the idle 2-core machine); and a process that only loads
fastcarbon's cached kernels never refreshes the target (``_load.py``), so it never needs it.
:func:`preload_when_numba_checks_blas` therefore puts a finder first on :data:`sys.meta_path` that
waits for the import of ``numba.np.linalg`` (the module of ``ensure_blas``, imported by
``numba.np.arraymath`` before its check runs, by every target refresh, a user's first compilation
included) and loads the extension just before it, once. The 0.16 s the preload spares a user's
first ``@njit`` compilation stay spared; an earlier attempt that loaded it before fastcarbon's own
refreshes only had missed that compilation.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

__all__ = ["preload_cython_blas", "preload_when_numba_checks_blas"]

_PACKAGE = "scipy.linalg"
_NAME = "scipy.linalg.cython_blas"
#: the module whose import means numba is about to check for a BLAS
_TRIGGER = "numba.np.linalg"


def preload_when_numba_checks_blas() -> bool:
    """Run :func:`preload_cython_blas` just before numba's first import of ``numba.np.linalg``.

    Returns
    -------
    bool
        Whether the finder was installed (``False``: turned off, or numba has checked already, or
        ``scipy.linalg`` or its ``cython_blas`` is imported already).
    """
    if os.environ.get("FASTCARBON_PRELOAD_BLAS", "1") == "0":
        return False
    if any(name in sys.modules for name in (_TRIGGER, _NAME, _PACKAGE)):
        return False
    if not any(isinstance(f, _PreloadFirst) for f in sys.meta_path):  # a reload installs no second
        sys.meta_path.insert(0, _PreloadFirst())
    return True


def preload_cython_blas() -> bool:
    """Load ``scipy.linalg.cython_blas`` without the rest of ``scipy.linalg``.

    Returns
    -------
    bool
        Whether this call loaded it (``False``: already loaded, turned off, or not found).
    """
    if os.environ.get("FASTCARBON_PRELOAD_BLAS", "1") == "0":
        return False
    if _NAME in sys.modules or _PACKAGE in sys.modules:
        return False
    try:
        path = _extension_path()
        if path is None:
            return False
        spec = importlib.util.spec_from_file_location(_NAME, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[_NAME]
            raise
    except Exception:  # noqa: BLE001 - whatever went wrong, numba imports it the usual way
        return False
    sys.meta_path.insert(0, _BindSubmodule(module))
    return True


def _extension_path() -> str | None:
    """The file of ``scipy.linalg.cython_blas``, located without importing ``scipy.linalg``."""
    scipy = importlib.util.find_spec("scipy")  # a top-level name: finds it, does not import it
    if scipy is None or not scipy.submodule_search_locations:
        return None
    for root in scipy.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(root, "linalg", "cython_blas" + suffix)
            if os.path.isfile(path):
                return path
    return None


class _BindSubmodule(importlib.abc.MetaPathFinder):
    """Sets ``scipy.linalg.cython_blas`` on ``scipy.linalg`` when the package is imported.

    It finds nothing itself: on the one import of ``scipy.linalg`` it removes itself from
    :data:`sys.meta_path`, lets the remaining finders find the package, and wraps the loader's
    ``exec_module`` so the attribute is set before the package's code runs (as if its first
    ``import .cython_blas`` had loaded it).
    """

    def __init__(self, module):
        self._module = module

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _PACKAGE:
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:  # another thread got here first
            return None
        spec = importlib.util.find_spec(fullname)  # the other finders, now that this one is gone
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module
        module = self._module

        def exec_and_bind(package):
            package.cython_blas = module
            exec_module(package)

        loader.exec_module = exec_and_bind  # this loader instance serves scipy.linalg alone
        return spec


class _PreloadFirst(importlib.abc.MetaPathFinder):
    """Loads ``scipy.linalg.cython_blas`` on its own when ``numba.np.linalg`` is first imported.

    On that one import it removes itself from :data:`sys.meta_path`, runs
    :func:`preload_cython_blas` and returns the spec the remaining finders give for numba's
    module, as :class:`_BindSubmodule` does (returning ``None`` instead would let Python, which
    walks the live list, skip the finder that moved into this one's place).
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _TRIGGER:
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:  # another thread got here first
            return None
        preload_cython_blas()
        return importlib.util.find_spec(fullname)
