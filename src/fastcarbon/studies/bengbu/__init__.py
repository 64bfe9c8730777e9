"""The Bengbu study (000): fuel accounting recomputed against the printed Table 4, and the
EGM(1,1) forecast against Table 6 and a linear baseline (module ``reproduction``);
``study.toml`` here, next to the paper's tables (``bengbu_table*.csv``), makes it a bundled study:
``fastcarbon run`` computes them as its ``[custom]`` results ``bengbu_accounting`` and
``bengbu_forecast``; :func:`bengbu_decomposition` (module ``decomposition``) splits the 2011–2020
change into total-energy, fuel-mix and factor effects (LMDI-I)."""

from fastcarbon.studies.bengbu.decomposition import bengbu_decomposition
from fastcarbon.studies.bengbu.reproduction import bengbu_accounting, bengbu_forecast

__all__ = ["bengbu_accounting", "bengbu_forecast", "bengbu_decomposition"]
