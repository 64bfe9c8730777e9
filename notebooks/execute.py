"""Execute the notebooks with nbclient and store them with their outputs.

    python notebooks/execute.py                 # every notebooks/*.ipynb, in place
    python notebooks/execute.py 05_*.ipynb      # some of them

Each notebook runs in a fresh ``python3`` kernel whose working directory is a temporary folder
(so nothing a notebook writes lands in the repository) and whose ``PYTHONPATH`` starts with
this checkout's ``src`` (so the notebooks show this checkout's fastcarbon, installed or not).
A cell error stops with the notebook and cell named, and leaves the stored file unchanged.
The tests (tests/test_notebooks.py) execute the notebooks the same way and check that the
stored ones have outputs on every code cell, no errors and no machine paths.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
TIMEOUT = 300  # seconds per cell


def kernel_env(src: Path = SRC) -> dict[str, str]:
    """The environment of the kernel: this one, with ``src`` first on PYTHONPATH (when it exists)
    and matplotlib's non-interactive backend (figures are stored through the inline backend)."""
    env = dict(os.environ)
    if src.is_dir():
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


def execute(path: Path, *, cwd: str | Path, timeout: int = TIMEOUT, env: dict | None = None):
    """Run every cell of the notebook at ``path`` in a new kernel started in ``cwd``; return
    the executed notebook (nbformat node).  A cell error raises ``nbclient`` 's
    ``CellExecutionError`` (its message holds the cell's source and the traceback)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    client.execute(env=kernel_env() if env is None else env, cwd=str(cwd))
    return nb


def tidy(nb, stem: str) -> None:
    """Make a rerun rewrite only what changed: stable cell ids (nbformat 4.5 wants one; random
    ones would change on every save) and no per-cell timing metadata."""
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    prefix = "".join(ch for ch in stem if ch.isalnum())[:40]
    for i, cell in enumerate(nb.cells):
        cell.setdefault("id", f"{prefix}-{i:02d}")
        cell.get("metadata", {}).pop("execution", None)


def main(argv: list[str]) -> int:
    import nbformat
    from nbclient.exceptions import CellExecutionError

    paths = [HERE / a if not Path(a).is_absolute() else Path(a) for a in argv] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            try:
                nb = execute(path, cwd=tmp)
            except CellExecutionError as err:
                print(f"{path.name}: a cell failed, file left as it was\n{err}", file=sys.stderr)
                return 1
        tidy(nb, path.stem)
        nbformat.write(nb, path)
        print(f"{path.name}: {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
