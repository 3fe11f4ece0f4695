"""Ctrl-C around work that must not stop half-way.

Python turns SIGINT into KeyboardInterrupt at whatever line the main thread is on. Two places
of a build cannot take that: starting the worker processes (a worker forked but not yet
recorded by the pool is never told to stop, and the process then waits for it at exit for
ever), and putting the new build in place (the output folder exchanged but the store not yet
switched). Blocking the signal in the main thread is not enough: the kernel then hands it to
another thread (the store loader's), and Python still raises it in the main thread. A
:class:`Guard` is a Python signal handler instead: it raises as Python does until
:meth:`Guard.hold` is called, and from then on records the signal for the code after the block
to act on.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Guard:
    """What Ctrl-C does inside a :func:`guard` block: raise KeyboardInterrupt until
    :meth:`hold`, then only set :attr:`received`."""

    def __init__(self) -> None:
        self.holding = False
        self.received = False

    def hold(self) -> None:
        """From now until the block ends, record Ctrl-C instead of raising it."""
        self.holding = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.holding:
            self.received = True
        else:
            signal.default_int_handler(signum, frame)


@contextmanager
def guard(existing: Guard | None = None) -> Iterator[Guard]:
    """A block with its own Ctrl-C :class:`Guard`, or inside ``existing`` (the caller's block:
    holding it then lasts until the caller's block ends). Outside the main thread, where Python
    never runs signal handlers, the guard records nothing and the block runs as it is."""
    if existing is not None:
        yield existing
        return
    current = Guard()
    if threading.current_thread() is not threading.main_thread():
        yield current
        return
    previous = signal.signal(signal.SIGINT, current._handle)
    try:
        yield current
    finally:
        # None: the handler was not set from Python; Python's own is the one to put back.
        signal.signal(signal.SIGINT,
                      previous if previous is not None else signal.default_int_handler)


@contextmanager
def held() -> Iterator[None]:
    """A block that Ctrl-C does not break into: one that comes during it is raised as
    KeyboardInterrupt once the block has ended (not at all if the block raises)."""
    with guard() as holding:
        holding.hold()
        yield
    if holding.received:
        raise KeyboardInterrupt
