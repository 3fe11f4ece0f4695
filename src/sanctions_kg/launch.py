"""The console script's entry point, kept apart from the command line so that Ctrl-C while that
loads (typer, rich and the commands take a tenth of a second to import) ends with ``interrupted``
and exit code 130, as Ctrl-C does later, instead of a traceback."""

from __future__ import annotations

import os
from contextlib import suppress


def main() -> None:
    """Load the command line and run it."""
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        with suppress(OSError):  # stderr closed: the exit code still tells
            os.write(2, b"interrupted\n")
        raise SystemExit(130) from None
    run()
