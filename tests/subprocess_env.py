"""The environment for a test's subprocess (an interpreter, a dask worker, a notebook kernel)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
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


def run_json(*code: str, **env: str) -> dict:
    """Run the ``code`` blocks (dedented, joined) in a new interpreter with :func:`subprocess_env`
    plus ``env``; it must exit 0 and print one JSON object on its last line, which is returned."""
    source = "\n".join(textwrap.dedent(block) for block in code)
    done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=300,
                          env=subprocess_env(**env))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
