"""fastcarbon.kernels._load: cached kernels load without numba's target refresh when their machine
code needs nothing it provides; results, a user's own ``@njit`` code and numba's fallback are as
with numba's own cache (issue 13: cached first call).

The load checks run in fresh interpreters: this test process has long refreshed numba's target.
Each child script runs twice first, so that a cold cache (a clean checkout) is filled before the
runs that are checked."""

from __future__ import annotations

import struct

import llvmlite.binding as ll
import numba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba.core.caching import FunctionCache

from fastcarbon.kernels import _load
from fastcarbon.kernels._jit import kernel

from subprocess_env import run_json

# Whether numba's target has been refreshed in a child: its context has registries installed then
_REFRESHED = "len(__import__('numba').core.registry.cpu_target.target_context._registries) > 0"

# Every kernel family through the numpy API, serial and two-thread, on small inputs; prints a
# digest of every output's bytes, how the loads went, and whether numba's target was refreshed.
_FAMILIES = """
    import hashlib, json, sys
    import numpy as np
    import fastcarbon
    from fastcarbon import core
    from fastcarbon.core import grey, lmdi
    from fastcarbon.core.montecarlo import Noise

    digest = {}
    def keep(name, *arrays):
        h = hashlib.sha256()
        for a in arrays:  # a field the call did not ask for is None
            h.update(b"None" if a is None else np.ascontiguousarray(a).tobytes())
        digest[name] = h.hexdigest()

    rng = np.random.default_rng(5)
    activity = rng.uniform(1, 2, (3, 4, 5))
    intensity = rng.uniform(0, 1, (3, 4, 5, 6))
    factor = rng.uniform(1, 3, 6)
    x = 100 * 1.05 ** np.arange(8.0) * rng.uniform(0.95, 1.05, (7, 8))
    with fastcarbon.set_options(num_threads=2):
        for par in (False, True):
            keep(f"bottom_up {par}", *core.bottom_up(activity, intensity, factor, factor_layout="fuel",
                                                      parallel=par))
            fit = grey.fit_egm(x, horizon=5, parallel=par)
            keep(f"fit_egm {par}", *fit)
            keep(f"peak {par}", *core.peak(x, np.arange(2015, 2023), parallel=par))
            keep(f"entropy {par}", *core.entropy_weights(x.T, parallel=par))
            keep(f"quantile {par}", core.quantile(x, [0.1, 0.5], axis=1, parallel=par))
            keep(f"lmdi {par}", *lmdi.lmdi([x[:, :2, None], np.ones((7, 2, 3))], [(0, 1)], n_over=1,
                                            parallel=par))
            keep(f"monte_carlo {par}", *core.monte_carlo(
                x[:2, :6], x[2:4, :6] / 100, n_draws=16, seed=3, parallel=par,
                intensity_noise=Noise("lognormal", 0.05, ar1=0.5)))
    from fastcarbon.kernels._load import LOADS
    state = {"digest": digest, "loads": dict(LOADS), "refreshed": REFRESHED}
""".replace("REFRESHED", _REFRESHED)


def _families(**env) -> dict:
    return run_json(_FAMILIES, "print(json.dumps(state))", **env)


@pytest.fixture(scope="module")
def warm():
    # a clean checkout compiles here, in a child, and saves every kernel into numba's cache
    _families(FASTCARBON_QUICK_LOAD="0")
    return _families()


def test_every_family_loads_without_refresh_and_gives_numbas_bits(warm):
    quick, stock = _families(), _families(FASTCARBON_QUICK_LOAD="0")
    assert quick["digest"] == stock["digest"] == warm["digest"]
    assert len(quick["digest"]) == 14
    assert not quick["refreshed"] and stock["refreshed"]
    assert set(quick["loads"]) <= {"as_is", "nrt"} and sum(quick["loads"].values()) >= 14
    assert set(stock["loads"]) == {"off"}


def test_user_njit_code_after_a_quick_load(warm):
    # the embedding case: a kernel loaded without the refresh, then a user's own compiled loop
    # that calls it (numba's compiler refreshes the target itself and links the loaded library)
    out = run_json(_FAMILIES, """
    import numba
    from fastcarbon import kernels
    k = kernels.sector_fuel_energy_emissions
    a4, i5, f5 = activity[None], intensity[None], np.broadcast_to(factor, intensity.shape)[None].copy()
    direct = core.bottom_up(a4[0], i5[0], f5[0])  # loads k (quick) for these argument types
    loaded, before = len(k.signatures), dict(LOADS)
    rows = np.zeros(1, dtype=np.int64)
    energy, emissions = np.empty((1, 3, 6)), np.empty((1, 3, 6))
    bad = np.empty((1, 3, 2), dtype=np.int64)

    @numba.njit
    def user_total(a, i, f, rows, energy, emissions, bad):
        s = 0.0
        for step in range(3):
            k(a, i, f, rows, rows, rows, energy, emissions, bad)
            s += emissions.sum()
        return s

    total = user_total(a4, i5, f5, rows, energy, emissions, bad)
    print(json.dumps({"before": before, "refreshed_now": REFRESHED,
                      "loaded": loaded, "signatures": len(k.signatures),
                      "same": bool(np.array_equal(emissions[0], direct[1])),
                      "total": total, "expected": 3 * float(emissions.sum())}))
    """.replace("REFRESHED", _REFRESHED))
    assert set(out["before"]) <= {"as_is", "nrt"}
    assert out["refreshed_now"] and out["same"]
    assert out["signatures"] == out["loaded"] >= 1  # the user's code linked the loaded overload
    assert out["total"] == pytest.approx(out["expected"], rel=1e-14)


# A kernel whose machine code calls a symbol that numba's target refresh registers.  Of numba's
# own symbols only NRT's are registered that late (the loader handles them), so the child makes
# its refresh register one more, as a registry module that calls ``ll.add_symbol`` on import
# would: the symbol is really missing until a refresh has run.
_REFRESH_SYMBOL = """
import ctypes
import llvmlite.binding as ll
import numba.core.cpu

_refresh = numba.core.cpu.CPUContext.refresh

def refresh(self):
    ll.add_symbol("fc_test_labs", ctypes.cast(ctypes.CDLL(None).labs, ctypes.c_void_p).value)
    _refresh(self)

numba.core.cpu.CPUContext.refresh = refresh
"""
_SYMBOL_KERNEL = """
from numba import types
from fastcarbon.kernels._jit import kernel

fc_test_labs = types.ExternalFunction("fc_test_labs", types.int64(types.int64))

@kernel
def ext_abs(x):
    return fc_test_labs(x)
"""


def test_a_symbol_only_the_refresh_provides_falls_back_to_it(tmp_path):
    (tmp_path / "fc_test_refresh_symbol.py").write_text(_REFRESH_SYMBOL)
    (tmp_path / "fc_test_symbol_kernel.py").write_text(_SYMBOL_KERNEL)
    code = f"""
    import json, sys
    sys.path.insert(0, {str(tmp_path)!r})
    import fc_test_refresh_symbol
    import llvmlite.binding as ll
    from fc_test_symbol_kernel import ext_abs
    from fastcarbon.kernels._load import LOADS
    before = bool(ll.address_of_symbol("fc_test_labs"))
    print(json.dumps({{"before": before, "abs": ext_abs(-7), "loads": dict(LOADS), "refreshed": {_REFRESHED}}}))
    """
    first = run_json(code)  # a cache miss: numba compiles, and its compiler refreshes
    assert first == {"before": False, "abs": 7, "loads": {}, "refreshed": True}
    again = run_json(code)  # cached: the quick load finds the symbol missing and refreshes first
    assert again == {"before": False, "abs": 7, "loads": {"refresh": 1}, "refreshed": True}
    off = run_json(code, FASTCARBON_QUICK_LOAD="0")
    assert off == {"before": False, "abs": 7, "loads": {"off": 1}, "refreshed": True}


_RAISING_KERNEL = """
from fastcarbon.kernels._jit import kernel

@kernel
def checked_sqrt(x):
    if x < 0.0:
        raise ValueError("checked_sqrt: x must be >= 0")
    return x ** 0.5
"""


def test_a_quick_loaded_kernel_raises_as_compiled(tmp_path):
    # nopython code raises through numba's helper functions (registered with the CPU target, not
    # by the refresh): the exception and its message survive the quick load
    (tmp_path / "fc_test_raising_kernel.py").write_text(_RAISING_KERNEL)
    code = f"""
    import json, sys
    sys.path.insert(0, {str(tmp_path)!r})
    from fc_test_raising_kernel import checked_sqrt
    from fastcarbon.kernels._load import LOADS
    try:
        checked_sqrt(-1.0)
        error = None
    except ValueError as e:
        error = str(e)
    print(json.dumps({{"value": checked_sqrt(4.0), "error": error, "loads": dict(LOADS),
                      "refreshed": {_REFRESHED}}}))
    """
    first = run_json(code)
    assert first == {"value": 2.0, "error": "checked_sqrt: x must be >= 0", "loads": {}, "refreshed": True}
    again = run_json(code)
    assert again["value"] == 2.0 and again["error"] == "checked_sqrt: x must be >= 0"
    assert set(again["loads"]) <= {"as_is", "nrt"} and not again["refreshed"]


# --- the object-file reader ---------------------------------------------------------------------


def _object(ir: str) -> bytes:
    ll.initialize_native_target()
    ll.initialize_native_asmprinter()
    module = ll.parse_assembly(ir)
    return ll.Target.from_default_triple().create_target_machine(reloc="pic", codemodel="default").emit_object(module)


_IR = """
declare double @fc_test_external_fn(double)
@fc_test_external_data = external global double
define double @fc_test_defined(double %x) {
  %a = call double @fc_test_external_fn(double %x)
  %b = load double, double* @fc_test_external_data
  %c = fadd double %a, %b
  ret double %c
}
"""


@pytest.fixture(scope="module")
def elf() -> bytes:
    obj = _object(_IR)
    if obj[:4] != b"\x7fELF":
        pytest.skip("the reader only handles ELF; elsewhere every load takes numba's refresh")
    return obj


def test_reader_lists_exactly_the_external_references(elf):
    names = _load.undefined_symbols(elf)
    assert sorted(names) == ["fc_test_external_data", "fc_test_external_fn"]


def test_reader_on_a_numba_cached_kernel():
    @numba.njit
    def twice(x):
        return 2.0 * x

    twice(1.0)
    obj = twice.overloads[twice.signatures[0]].library.serialize_using_object_code()[2][0]
    names = _load.undefined_symbols(obj)
    assert names is not None and all(isinstance(n, str) and n for n in names)
    assert not any(n.startswith("cpython.") and "twice" in n for n in names)  # its own code is defined


@pytest.mark.parametrize("head", [b"", b"\x7fEL", b"\xcf\xfa\xed\xfe" + bytes(60),  # empty, short, Mach-O
                                  b"\x7fELF\x01\x01" + bytes(58),  # 32-bit
                                  b"\x7fELF\x02\x02" + bytes(58)])  # big-endian
def test_reader_declines_what_it_cannot_read(head):
    assert _load.undefined_symbols(head) is None


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, 10**6), flip=st.integers(0, 10**6), value=st.integers(0, 255))
def test_reader_never_raises_on_damaged_files(elf, cut, flip, value):
    # a damaged entry must mean "ask numba" (None) or a list, never an exception in the loader
    data = bytearray(elf[: cut % (len(elf) + 1)])
    if data:
        data[flip % len(data)] = value
    out = _load.undefined_symbols(bytes(data))
    assert out is None or all(isinstance(n, str) for n in out)


def test_reader_handles_a_symbol_table_past_the_end(elf):
    (shoff,) = struct.unpack_from("<Q", elf, 0x28)
    assert _load.undefined_symbols(elf[: shoff + 64]) is None  # section headers cut off


# --- what install does and does not touch -------------------------------------------------------


def test_install_reclasses_only_numbas_function_cache():
    def f(x):
        return x + 1.0

    cached = kernel(f)
    assert type(cached._cache) is _load.QuickLoadCache and isinstance(cached._cache, FunctionCache)
    plain = numba.njit(lambda x: x)  # no cache=True: numba's null cache stays
    assert _load.install(plain) is plain and type(plain._cache) is not _load.QuickLoadCache
    user = numba.njit(cache=True)(f)  # a user's own cached function keeps numba's class
    assert type(user._cache) is FunctionCache

