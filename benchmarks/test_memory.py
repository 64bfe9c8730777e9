"""Extra peak memory of the public bottom-up call: no tensor-sized temporary.

Run in a fresh subprocess.  Compilation (warm-up) and input construction raise the process's
peak RSS, so the peak is reset just before the call (Linux: writing 5 to /proc/self/clear_refs
resets VmHWM to the current RSS) and the extra peak is VmHWM after the call minus VmRSS before.
Target (issue 2): extra peak <= size of the outputs + a few MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {bench_dir!r})
    from test_bench_bottom_up import make_inputs, _warm_up
    from fastcarbon.accounting import bottom_up
    _warm_up()
    P, E, F = make_inputs({extra!r})
    def status(key):
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith(key + ":"))
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = status("VmRSS")
    out = bottom_up(P, E, F)
    after = status("VmHWM")
    print(json.dumps({{"extra_kib": after - before, "outputs_bytes": int(out.nbytes),
                      "tensor_bytes": int(E.nbytes)}}))
    """
)


def measure(extra: dict[str, int]) -> dict:
    import pathlib

    code = SCRIPT.format(bench_dir=str(pathlib.Path(__file__).parent), extra=extra)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"region": 8, "year": 41}, id="medium"),
        pytest.param({"region": 75, "year": 41}, id="large", marks=pytest.mark.slow),
    ],
)
def test_extra_peak_memory(extra):
    m = measure(extra)
    extra_bytes = m["extra_kib"] * 1024
    allowed = m["outputs_bytes"] + 8 * 2**20
    print(f"extra peak {extra_bytes / 2**20:.1f} MiB, outputs {m['outputs_bytes'] / 2**20:.1f} MiB, "
          f"tensor {m['tensor_bytes'] / 2**20:.0f} MiB")
    assert extra_bytes <= allowed, m
