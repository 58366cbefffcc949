"""``python -m iru`` runs the command line."""

from iru.cli import main

main()
