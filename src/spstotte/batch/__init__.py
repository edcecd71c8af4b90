"""Batch: a caseload decided at once, one record per row, nothing lost (docs/batch.md).

* :mod:`.rows`: JSON Lines and CSV read into numbered rows;
* :mod:`.run`: :func:`evaluate_many`, in this process or in worker processes;
* :mod:`.compact`: the compact record of a verdict;
* :mod:`.output`: records written as JSON Lines, CSV or Parquet, the error file, resuming.
"""

from .compact import compact
from .rows import Row, read_rows
from .run import evaluate_many

__all__ = ["Row", "compact", "evaluate_many", "read_rows"]
