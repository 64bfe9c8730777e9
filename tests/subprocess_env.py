"""The environment for a test's subprocess (an interpreter, a dask worker, a notebook kernel)."""

from __future__ import annotations

import os
from pathlib import Path


def subprocess_env(**extra: str) -> dict[str, str]:
    """``os.environ`` with the fastcarbon this test process imported first on ``PYTHONPATH`` (the
    worktree's src when run with PYTHONPATH=src, site-packages when installed), plus ``extra``.

    A subprocess given the repository's src instead would, in an installed run, import another copy
    of fastcarbon, whose kernels numba compiles again (its cache is keyed by source path).
    """
    import fastcarbon  # at call time: importing this module imports nothing of fastcarbon

    env = dict(os.environ)
    here = str(Path(fastcarbon.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([here, *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra)
    return env
