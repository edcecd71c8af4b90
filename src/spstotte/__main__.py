"""``python -m spstotte`` runs the command line."""

from ._entry import run

run()
