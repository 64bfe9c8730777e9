"""Deprecated (issue 12): the output writers moved to :mod:`fastcarbon.output`, the bundled jobs
of ``fastcarbon run`` to :mod:`fastcarbon.studies.bundled` and the Bengbu reproductions to
:mod:`fastcarbon.studies.bengbu`.  The old names warn for one release."""

from fastcarbon._deprecate import moved

__getattr__ = moved(__name__, {
    **dict.fromkeys(["result_files", "prepare_output", "write_atomic", "write_result"], "fastcarbon.output"),
    **dict.fromkeys(["Job", "JOBS", "chongqing_monte_carlo_table", "national_sweep"], "fastcarbon.studies.bundled"),
    **dict.fromkeys(["bengbu_accounting", "bengbu_forecast"], "fastcarbon.studies.bengbu"),
})
