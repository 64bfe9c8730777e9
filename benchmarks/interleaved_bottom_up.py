"""Bottom-up large case, measured interleaved: read-only pass, numpy API, labelled call, in turn.

pytest-benchmark times one case after another; on a VM whose memory bandwidth drifts over seconds
(here the read-only pass alone moves between 11 and 21 ms) the ratio of two cases then depends on
when each ran.  Taking the three calls in turn, round after round, puts them under the same
conditions.  Not a test: run it by hand.

    python benchmarks/interleaved_bottom_up.py [rounds]      # default 40 rounds, about 3 s

Prints the minimum and median of each, and the ratio read_only / fastcarbon (target ≥ 0.8).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _cli import count_arg  # noqa: E402
from test_bench_bottom_up import SHAPES, make_inputs, read_only_pass  # noqa: E402

from fastcarbon import core  # noqa: E402
from fastcarbon.accounting import bottom_up  # noqa: E402


def main(rounds: int = 40) -> dict[str, np.ndarray]:
    P, E, F = make_inputs(SHAPES["large"])
    p, e, f = P.values, E.values, F.values
    cases = {
        "read_only": lambda: read_only_pass(p, e, f),
        "core": lambda: core.bottom_up(p, e, f),
        "fastcarbon": lambda: bottom_up(P, E, F),
    }
    for fn in cases.values():  # compile and warm up outside the timed rounds
        fn()
    times = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1e3)
    out = {name: np.array(v) for name, v in times.items()}
    for name, v in out.items():
        print(f"{name:>10}: min {v.min():6.2f} ms   median {np.median(v):6.2f} ms")
    ro, fc = out["read_only"], out["fastcarbon"]
    print(f"read_only / fastcarbon: {np.median(ro) / np.median(fc):.2f} (medians), "
          f"{ro.min() / fc.min():.2f} (minima), {np.median(ro / fc):.2f} (median of per-round ratios)")
    return out


if __name__ == "__main__":
    main(count_arg(__doc__, "rounds", 40))
