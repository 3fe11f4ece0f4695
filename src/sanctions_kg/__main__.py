"""``python -m sanctions_kg`` runs the command line."""

from .launch import main

main()
