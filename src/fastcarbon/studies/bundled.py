"""The bundled studies that ``fastcarbon run`` (no argument) runs, each a folder of
``fastcarbon/studies/`` holding a study file with its data and code: Bengbu (000,
:mod:`fastcarbon.studies.bengbu`), Chongqing (001, :mod:`fastcarbon.studies.chongqing`) and the
national sweep of the synthetic panel (:mod:`fastcarbon.studies.national`).  They run through
:func:`fastcarbon.studies.run_study` as any user's study does; their paper-specific results are
``[custom]`` tables of their study files.

:data:`STUDIES` names the files; :func:`describe` reads their names, descriptions and results
without importing their code (for ``fastcarbon run --help``).  :data:`JOBS` (one per ``[custom]``
result, as the jobs of earlier releases) is read from the files on first use."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import xarray as xr

from fastcarbon.studies.chongqing.study import monte_carlo_table as chongqing_monte_carlo_table
from fastcarbon.studies.national import national_sweep

__all__ = ["STUDIES", "describe", "Job", "chongqing_monte_carlo_table", "national_sweep"]  # and JOBS (on first use)

_HERE = Path(__file__).parent
#: the bundled studies, in the order ``fastcarbon run`` runs them: name -> study file
STUDIES: dict[str, Path] = {name: _HERE / name / "study.toml" for name in ("bengbu", "chongqing", "national")}


def describe() -> list[tuple[str, str, list[str]]]:
    """(name, description, [custom] result names) of each bundled study, read from its file's
    TOML alone: no data read, no code imported (what ``fastcarbon run --help`` lists)."""
    out = []
    for name, path in STUDIES.items():
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
        out.append((name, raw.get("study", {}).get("description", ""), list(raw.get("custom", {}))))
    return out


class Job(NamedTuple):
    """One ``[custom]`` result of a bundled study, as the jobs of ``fastcarbon run`` were:
    ``run()`` (``run(output)`` when ``store``) returns its Dataset, ``table(ds)`` its table."""

    name: str
    title: str
    run: Callable[..., xr.Dataset]
    table: Callable[[xr.Dataset], xr.Dataset] | None = None
    #: the name of a further output the job writes into the output folder (e.g. a Zarr store)
    store: str | None = None


@lru_cache(maxsize=1)
def _jobs() -> list[Job]:
    from fastcarbon.studies.schema import load_study

    jobs = []
    for path in STUDIES.values():
        study = load_study(path)
        for hook in study.custom.values():
            if "output" in hook.wants:
                jobs.append(Job(hook.name, hook.title, lambda output, h=hook, s=study: h(study=s, output=output),
                                hook.table, store=f"{hook.name}.zarr"))
            else:
                jobs.append(Job(hook.name, hook.title, lambda h=hook, s=study: h(study=s), hook.table))
    return jobs


def __getattr__(name):
    if name == "JOBS":
        return _jobs()
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
