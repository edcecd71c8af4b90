"""Batch: a caseload decided at once, one record per row, nothing lost (docs/batch.md), and
the same caseload decided under two rule sets (docs/impact.md).

* :mod:`.rows`: JSON Lines and CSV read into numbered rows;
* :mod:`.run`: :func:`evaluate_many`, in this process or in worker processes;
* :mod:`.compact`: the compact record of a verdict;
* :mod:`.output`: records written as JSON Lines, CSV or Parquet, the error file, resuming;
* :mod:`.impact`: :func:`impact`, the outcomes under two rule sets and the causes of each
  difference; :mod:`.impact_report` writes it as text, JSON or HTML with a chart;
* :mod:`.cases`: :func:`generate_cases`, a synthetic caseload from a seed.
"""

from .cases import generate_cases
from .compact import compact
from .rows import Row, read_rows
from .run import evaluate_many

# The function spstotte.impact lives in the module .impact, which keeps its name here: it is
# not imported into the package, where it would hide the module.
__all__ = ["Row", "compact", "evaluate_many", "generate_cases", "read_rows"]
