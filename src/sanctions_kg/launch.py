"""The console script's entry point, kept apart from the command line so that Ctrl-C (or
SIGTERM) while that loads (typer, rich and the commands take a tenth of a second to import), or
before the command's own handling has started, ends with ``interrupted`` and exit code 130
(``terminated``, 143), as it does later, instead of a traceback."""

from __future__ import annotations

import os
from contextlib import suppress

from . import interrupts


def main() -> None:
    """Load the command line and run it."""
    interrupts.answer_sigterm()
    try:
        from .cli import main as run

        # The command's own handling starts inside; a signal before it (while standard output
        # is set up, which imports more) or after it is answered here the same way.
        run()
    except KeyboardInterrupt as stop:
        said, code = ((b"terminated\n", 143) if isinstance(stop, interrupts.Terminated)
                      else (b"interrupted\n", 130))
        with suppress(OSError):  # stderr closed: the exit code still tells
            os.write(2, said)
        raise SystemExit(code) from None
