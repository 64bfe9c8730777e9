"""The notebooks: each runs as a notebook (nbclient, a real ``python3`` kernel), and the stored
files carry their outputs, no errors and no machine paths (they are read on the repository page).

``python notebooks/execute.py`` re-executes and stores them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbclient  # the test extra; a missing one must fail, not skip
import nbformat
import pytest

from subprocess_env import subprocess_env

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 180  # s per cell; a cold numba cache compiles the Monte Carlo kernels in the first cells
# Absolute paths of this kind of machine (a checkout, a temp folder, a home): a stored output
# holding one shows where the notebook was last run and will not match anyone else's run.
MACHINE_PATH = re.compile(r"(?<![\w.])(/work/|/tmp/|/home/|/root/|/Users/|/private/var/|[A-Z]:\\\\Users)")


def _ids(path: Path) -> str:
    return path.name


def _kernel_env() -> dict[str, str]:
    """The kernel is a subprocess: it gets the fastcarbon this test process imported."""
    return subprocess_env(MPLBACKEND="module://matplotlib_inline.backend_inline")


def _first_line(cell) -> str:
    lines = [line for line in cell.source.splitlines() if line.strip()]
    return lines[0][:80] if lines else "<empty>"


def _code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 6, [p.name for p in NOTEBOOKS]


def _execute(nb, name: str, cwd: Path) -> str | None:
    """Run ``nb`` in place in a new kernel started in ``cwd``; None, or what failed and where."""
    from nbclient.exceptions import CellExecutionError

    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute(env=_kernel_env(), cwd=str(cwd))
    except CellExecutionError as err:
        failed = [(i, c) for i, c in _code_cells(nb) if any(o.output_type == "error" for o in c.get("outputs", []))]
        where = f"cell {failed[0][0]} ({_first_line(failed[0][1])})" if failed else "a cell"
        return f"{name}: {where} raised {err.ename}: {err.evalue}\n{err}"
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_executes(path, tmp_path):
    """Every cell runs without error in a fresh kernel started in a temporary folder; and the
    stored file has outputs wherever the fresh run produced some (no cleared or half-cleared
    notebook)."""
    nb = nbformat.read(path, as_version=4)
    failure = _execute(nb, path.name, tmp_path)
    if failure:
        pytest.fail(failure, pytrace=False)
    stored = nbformat.read(path, as_version=4)
    assert len(stored.cells) == len(nb.cells)
    missing = [f"cell {i} ({_first_line(c)})" for (i, c), (_, s) in zip(_code_cells(nb), _code_cells(stored))
               if c.outputs and not s.outputs]
    assert not missing, f"{path.name}: stored without the outputs of {missing}; run python notebooks/execute.py"


def test_execution_reports_the_failing_cell(tmp_path):
    """The kernel runs in the temporary folder with this process's fastcarbon, and a failing cell
    is named with its notebook and index."""
    import fastcarbon
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(cells=[
        new_markdown_cell("# probe"),
        new_code_cell("import os, fastcarbon\nprint(os.getcwd(), fastcarbon.__file__)"),
        new_code_cell("raise ValueError('planted')"),
        new_code_cell("print('never')"),
    ])
    failure = _execute(nb, "probe.ipynb", tmp_path)
    assert failure is not None and failure.startswith("probe.ipynb: cell 2 (raise ValueError('planted')) raised ValueError")
    cwd, module = nb.cells[1].outputs[0].text.split()
    assert Path(cwd).resolve() == tmp_path.resolve()
    assert Path(module).resolve() == Path(fastcarbon.__file__).resolve()
    assert nb.cells[3].get("outputs", []) == []


def _stored_problems(nb, name: str) -> list[str]:
    """What makes a stored notebook unfit to read on the repository page."""
    code = _code_cells(nb)
    if not code:
        return [f"{name}: no code cells"]
    problems = []
    counts = [c.get("execution_count") for _, c in code]
    if counts != list(range(1, len(code) + 1)):
        problems.append(f"{name}: execution counts {counts}; a cleared or hand-run notebook - run python notebooks/execute.py")
    if sum(bool(c.get("outputs")) for _, c in code) < len(code) / 2:
        problems.append(f"{name}: most code cells have no output")
    for i, cell in code:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"{name}: cell {i} ({_first_line(cell)}) stores an error")
            elif out.output_type == "stream" and out.name == "stderr" and "Warning" in out.text:
                problems.append(f"{name}: cell {i} ({_first_line(cell)}) stores a warning: {out.text[:200]}")
        text = json.dumps(cell.get("outputs", []))
        found = MACHINE_PATH.search(text)
        if found:
            problems.append(f"{name}: cell {i} ({_first_line(cell)}) stores a machine path: "
                            f"{text[max(0, found.start() - 40):found.start() + 80]}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_stored_notebook_has_outputs(path):
    """Read on the repository page: executed top to bottom in one kernel (execution counts 1, 2,
    3 ... on every code cell), with outputs, no error outputs or warnings, no absolute machine paths."""
    problems = _stored_problems(nbformat.read(path, as_version=4), path.name)
    assert not problems, "\n".join(problems)


def test_stored_checks_can_fail():
    """A cleared notebook, an error output, a stored warning with its file path: each is caught."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    def notebook(outputs, count=1):
        return new_notebook(cells=[new_code_cell("x = 1\nx", execution_count=count, outputs=outputs)])

    ok = new_output("execute_result", data={"text/plain": "1"}, execution_count=1)
    assert _stored_problems(notebook([ok]), "ok") == []
    cleared = _stored_problems(notebook([], count=None), "cleared")
    assert any("execution counts" in p for p in cleared) and any("no output" in p for p in cleared)
    err = new_output("error", ename="ValueError", evalue="bad", traceback=[])
    assert any("stores an error" in p for p in _stored_problems(notebook([err]), "err"))
    warned = new_output("stream", name="stderr", text="/tmp/ipykernel_1/2.py:1: FlaggedFactorWarning: x\n")
    found = _stored_problems(notebook([ok, warned]), "warned")
    assert any("warning" in p for p in found) and any("machine path" in p for p in found)
    shown = new_output("stream", name="stdout", text="written to /work/wt/x/out.zarr\n")
    assert any("machine path" in p for p in _stored_problems(notebook([ok, shown]), "path"))
    relative = new_output("stream", name="stdout", text="written to sweep.zarr, see ../shared/seeds/001\n")
    assert _stored_problems(notebook([ok, relative]), "relative") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_stored_notebook_is_small(path):
    """Outputs stay readable and the repository small: no huge reprs, figures at modest dpi."""
    size = path.stat().st_size
    assert size < 600_000, f"{path.name}: {size} bytes"
    nb = nbformat.read(path, as_version=4)
    for i, cell in _code_cells(nb):
        for out in cell.outputs:
            for mime, data in out.get("data", {}).items():
                limit = 150_000 if mime.startswith("image/") else 20_000
                assert len(str(data)) < limit, f"{path.name}: cell {i} {mime} output of {len(str(data))} characters"
