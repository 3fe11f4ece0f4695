"""``python -m sanctions_kg`` runs the command line."""

from .cli import main

main()
