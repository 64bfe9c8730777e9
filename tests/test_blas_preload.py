"""fastcarbon.kernels._blas: numba's first target refresh finds ``scipy.linalg.cython_blas`` loaded
on its own, just before its BLAS check (not at import), so the rest of ``scipy.linalg`` is not
imported; BLAS in a user's ``@njit`` code and a later
``import scipy.linalg`` work as without it (issue 13: cached first call).

Each check runs in a fresh interpreter, since this test process has imported scipy.linalg.  The
first-call checks turn fastcarbon's quick load off (``FASTCARBON_QUICK_LOAD=0``,
fastcarbon/kernels/_load.py), so that loading the kernel runs numba's target refresh, as a
user's own compilation does."""

from __future__ import annotations

import importlib.machinery

import pytest

from subprocess_env import run_json

pytest.importorskip("scipy")


_run = run_json  # a new interpreter's JSON answer (tests/subprocess_env.py)


_FIRST_CALL = """
    import json, sys
    import numpy as np
    import fastcarbon.grey
    from fastcarbon.core import grey
    state = {"loaded_at_import": "scipy.linalg.cython_blas" in sys.modules}
    grey.fit_egm(100 * 1.05 ** np.arange(8.0))  # numba's target refresh runs here (quick load off)
    state["preloaded"] = "scipy.linalg.cython_blas" in sys.modules
    state["linalg_after_call"] = "scipy.linalg" in sys.modules
"""


def test_first_kernel_call_does_not_import_scipy_linalg_and_blas_still_works():
    out = _run(_FIRST_CALL + """
    import numba
    @numba.njit
    def user(a, b):  # numba's BLAS (dot) and LAPACK (solve) from a user's own code
        return np.dot(a, b), np.linalg.solve(a, b)
    a = np.array([[2.0, 1.0], [1.0, 3.0]]); b = np.array([1.0, 2.0])
    dot, solve = user(a, b)
    import scipy.linalg
    from scipy.linalg import cython_blas
    state.update(
        dot=dot.tolist(), solve=solve.tolist(), scipy_solve=scipy.linalg.solve(a, b).tolist(),
        one_module=scipy.linalg.cython_blas is cython_blas is sys.modules["scipy.linalg.cython_blas"],
        capi="dgemm" in cython_blas.__pyx_capi__,
        finder_left=[type(f).__name__ for f in sys.meta_path
                     if type(f).__name__ in ("_BindSubmodule", "_PreloadFirst")],
    )
    print(json.dumps(state))
    """, FASTCARBON_QUICK_LOAD="0")
    assert not out["loaded_at_import"]  # it waits for numba's BLAS check
    assert out["preloaded"] and not out["linalg_after_call"]
    assert out["dot"] == [4.0, 7.0]
    assert out["solve"] == pytest.approx([0.2, 0.6], rel=1e-15)
    assert out["scipy_solve"] == pytest.approx([0.2, 0.6], rel=1e-15)
    assert out["one_module"] and out["capi"]
    assert out["finder_left"] == []  # each removes itself on the one import it serves


def test_turned_off_numba_imports_scipy_linalg_as_usual():
    # also the reason the module exists: without it, numba's first load imports scipy.linalg
    out = _run(_FIRST_CALL + "    print(json.dumps(state))", FASTCARBON_PRELOAD_BLAS="0", FASTCARBON_QUICK_LOAD="0")
    assert out == {"loaded_at_import": False, "preloaded": True, "linalg_after_call": True}


def test_nothing_is_done_when_scipy_linalg_is_already_imported():
    out = _run("""
        import json, sys
        import scipy.linalg
        blas = sys.modules["scipy.linalg.cython_blas"]
        from fastcarbon.kernels._blas import (preload_cython_blas, preload_when_numba_checks_blas,
                                              _BindSubmodule, _PreloadFirst)
        print(json.dumps({"loaded": preload_cython_blas(), "same": sys.modules["scipy.linalg.cython_blas"] is blas,
                          "hook": preload_when_numba_checks_blas(),
                          "finder": any(isinstance(f, (_BindSubmodule, _PreloadFirst)) for f in sys.meta_path)}))
    """)
    assert out == {"loaded": False, "same": True, "hook": False, "finder": False}


def test_no_hook_once_numba_has_checked_for_a_blas():
    # numba.np.linalg imported: numba's check has run (and imported what it imports), nothing to spare
    out = _run("""
        import json, sys
        import numba.np.linalg
        import fastcarbon.kernels._jit
        from fastcarbon.kernels._blas import _PreloadFirst
        print(json.dumps({"finder": any(isinstance(f, _PreloadFirst) for f in sys.meta_path)}))
    """)
    assert out == {"finder": False}


def test_the_hook_loads_the_extension_just_before_numbas_check_and_leaves_the_other_finders_be():
    # a finder placed after the hook still sees numba.np.linalg: the hook's removal of itself from
    # the list Python is walking must not make Python skip the next one
    out = _run("""
        import json, sys, importlib.abc
        seen = []
        class Watch(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "numba.np.linalg":
                    seen.append("scipy.linalg.cython_blas" in sys.modules)
                return None
        import fastcarbon.kernels._jit
        from fastcarbon.kernels._blas import _PreloadFirst
        at = [i for i, f in enumerate(sys.meta_path) if isinstance(f, _PreloadFirst)]
        sys.meta_path.insert(at[0] + 1, Watch())
        import numba.np.linalg
        print(json.dumps({"at": at, "seen": seen, "linalg": "scipy.linalg" in sys.modules,
                          "left": any(isinstance(f, _PreloadFirst) for f in sys.meta_path)}))
    """)
    assert out == {"at": [0], "seen": [True], "linalg": False, "left": False}


def _fake_scipy(root, extension: bytes | None):
    pkg = root / "scipy"
    (pkg / "linalg").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "linalg" / "__init__.py").write_text("")
    if extension is not None:
        suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
        (pkg / "linalg" / f"cython_blas{suffix}").write_bytes(extension)


_PRELOAD_WITH_FAKE = """
    import json, sys
    sys.path.insert(0, {root!r})
    from fastcarbon.kernels._blas import preload_cython_blas, _BindSubmodule
    loaded = preload_cython_blas()
    print(json.dumps({{"loaded": loaded, "in_modules": "scipy.linalg.cython_blas" in sys.modules,
                      "finder": any(isinstance(f, _BindSubmodule) for f in sys.meta_path)}}))
"""


@pytest.mark.parametrize("extension", [None, b"\x7fELF not really a shared object"],
                         ids=["no-extension-file", "damaged-extension-file"])
def test_a_scipy_without_a_usable_cython_blas_is_left_to_numba(tmp_path, extension):
    _fake_scipy(tmp_path, extension)
    out = _run(_PRELOAD_WITH_FAKE.format(root=str(tmp_path)))
    assert out == {"loaded": False, "in_modules": False, "finder": False}


def test_a_users_first_compilation_after_a_quick_load_does_not_import_scipy_linalg():
    # fastcarbon's own loads need no refresh; the refresh then comes in the user's first
    # compilation (0.16 s more there without the preload, benchmarks/README.md), and the hook
    # spares that one scipy.linalg too
    out = _run(_FIRST_CALL + """
    import numba
    @numba.njit
    def user(x):
        return x.sum()
    state["user"] = float(user(np.arange(4.0)))
    state["linalg_after_compile"] = "scipy.linalg" in sys.modules
    print(json.dumps(state))
    """)
    del out["preloaded"]  # after a quick load: no refresh yet, so nothing loaded (_load.py's tests)
    assert out == {"loaded_at_import": False, "linalg_after_call": False, "user": 6.0,
                   "linalg_after_compile": False}
