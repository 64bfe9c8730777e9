"""fastcarbon.kernels._jit.ready_target: a process's first kernel call loads numba's CPU target
with the cyclic garbage collector paused, and leaves the collector as it found it (issue 13:
cached first call).

Each check runs in a fresh interpreter: this test process has loaded numba's target long ago."""

from __future__ import annotations


from subprocess_env import run_json


_run = run_json  # a new interpreter's JSON answer (tests/subprocess_env.py)


#: counts full collections, and those that ran while numba's target was being refreshed
_COUNT_COLLECTIONS = """
    import gc, json
    import numpy as np
    import xarray as xr  # a heap as a labelled call has it
    from numba.core import base
    from fastcarbon.core import grey
    from fastcarbon.kernels import _jit
    seen = {"in_refresh": 0, "full": 0, "refreshing": False}
    def count(phase, info):
        if phase == "start" and info["generation"] == 2:
            seen["full"] += 1
            seen["in_refresh"] += seen["refreshing"]
    gc.callbacks.append(count)
    refresh = base.BaseContext.refresh
    def watched(self):
        outer = seen["refreshing"]
        seen["refreshing"] = True
        try:
            return refresh(self)
        finally:
            seen["refreshing"] = outer
    base.BaseContext.refresh = watched
"""


def test_first_kernel_call_refreshes_numba_with_the_collector_paused_and_restores_it():
    out = _run(_COUNT_COLLECTIONS + """
    gc.collect()
    seen["full"] = 0
    gc.set_threshold(50, 2, 2)  # full collections come often, so an unpaused refresh would see some
    ready_before = _jit._target_ready
    fit = grey.fit_egm(100 * 1.05 ** np.arange(8.0))
    after = gc.isenabled()
    garbage = [[i] for i in range(20000)]  # the collector works again after the first call
    print(json.dumps(dict(seen, refreshing=None, ready_before=ready_before,
                          ready_after=_jit._target_ready, enabled_after=after,
                          a=float(fit[0][0]))))
    """)
    assert not out["ready_before"] and out["ready_after"]
    assert out["enabled_after"]
    assert out["in_refresh"] == 0
    assert out["full"] > 0
    assert out["a"] < 0  # a growing series: the development coefficient is negative


def test_the_same_refresh_without_the_pause_does_see_full_collections():
    # the counter above can see what it claims: numba's refresh, unpaused, under the same
    # thresholds, runs full collections
    out = _run(_COUNT_COLLECTIONS + """
    from numba.core.registry import cpu_target
    gc.collect()
    gc.set_threshold(50, 2, 2)
    cpu_target.target_context.refresh()
    print(json.dumps(dict(seen, refreshing=None)))
    """)
    assert out["in_refresh"] > 0


def test_a_collector_the_caller_disabled_stays_disabled():
    out = _run("""
    import gc, json
    import numpy as np
    from fastcarbon.core import grey
    gc.disable()
    grey.fit_egm(100 * 1.05 ** np.arange(8.0))
    print(json.dumps({"enabled": gc.isenabled()}))
    """)
    assert out["enabled"] is False


def test_first_calls_from_two_threads_at_once_both_succeed_and_agree():
    out = _run("""
    import gc, json, threading
    import numpy as np
    from fastcarbon.core import grey
    x = 100 * 1.05 ** np.arange(8.0)
    results, errors = [None, None], []
    start = threading.Barrier(2)
    def first(i):
        try:
            start.wait()
            results[i] = grey.fit_egm(x)[0].tolist()
        except Exception as e:  # reported below, so the test names it
            errors.append(repr(e))
    threads = [threading.Thread(target=first, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"same": results[0] == results[1] and results[0] is not None,
                      "errors": errors, "enabled": gc.isenabled()}))
    """)
    assert out["errors"] == []
    assert out["same"] and out["enabled"]


def test_a_typing_error_still_reaches_the_caller_through_the_wrapped_dispatcher():
    out = _run("""
    import json
    import numba
    import numpy as np
    from fastcarbon.kernels import _jit
    from fastcarbon.kernels.grey import egm_fit
    try:
        egm_fit("not an array", *[np.zeros(2)] * 8, 3)
        kind = None
    except numba.core.errors.TypingError as e:
        kind = type(e).__name__
    print(json.dumps({"kind": kind, "ready": _jit._target_ready}))
    """)
    assert out["kind"] == "TypingError"
    assert out["ready"]


def test_a_dispatcher_that_takes_no_attributes_is_left_as_it_is():
    from fastcarbon.kernels import _jit

    class Slotted:  # as a numba dispatcher with __slots__ would be
        __slots__ = ()

        def _compile_for_args(self, *args):
            return "numba's own"

    class Bare:  # and one without the method
        pass

    slotted, bare = Slotted(), Bare()
    assert _jit._readied(slotted) is slotted and slotted._compile_for_args() == "numba's own"
    assert _jit._readied(bare) is bare and not hasattr(bare, "_compile_for_args")
