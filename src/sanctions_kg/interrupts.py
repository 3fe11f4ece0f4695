"""Ctrl-C and SIGTERM around work that must not stop half-way.

Python turns SIGINT into KeyboardInterrupt at whatever line the main thread is on. Two places
of a build cannot take that: starting the worker processes (a worker forked but not yet
recorded by the pool is never told to stop, and the process then waits for it at exit for
ever), and putting the new build in place (the output folder exchanged but the store not yet
switched). Blocking the signal in the main thread is not enough: the kernel then hands it to
another thread (the store loader's), and Python still raises it in the main thread. A
:class:`Guard` is a Python signal handler instead: it raises as Python does until
:meth:`Guard.hold` is called, and from then on records the signal for the code after the block
to act on.

SIGTERM (what ``timeout``, ``docker stop``, ``kill`` and a cancelled CI job send) ends a
process at once by default, leaving a build's staging folders behind. The command line
(:func:`answer_sigterm`) has it raise :class:`Terminated`, a KeyboardInterrupt, so that it
stops work and cleans up exactly as Ctrl-C does, and guards hold it as they hold Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: Whether SIGTERM came (typer reports any KeyboardInterrupt as exit code 130 only).
terminated = False
#: Whether SIGTERM is answered (:func:`answer_sigterm`), and so guarded as Ctrl-C is.
_answered = False


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt (see :func:`answer_sigterm`)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    global terminated
    terminated = True
    raise Terminated


def answer_sigterm() -> None:
    """Have SIGTERM raise :class:`Terminated` in the main thread, from now on (the console
    script calls it first; a program using the library keeps its own way)."""
    global _answered
    signal.signal(signal.SIGTERM, _terminate)
    _answered = True


class Guard:
    """What Ctrl-C (and SIGTERM, where it is answered) does inside a :func:`guard` block:
    raise until :meth:`hold`, then only record the signal in :attr:`received`."""

    def __init__(self) -> None:
        self.holding = False
        self.received = 0  # the signal held (SIGTERM over SIGINT), 0 for none

    def hold(self) -> None:
        """From now until the block ends, record a stop signal instead of raising it."""
        self.holding = True

    @property
    def by_sigterm(self) -> bool:
        """Whether the held signal is SIGTERM."""
        return self.received == signal.SIGTERM

    def interruption(self) -> KeyboardInterrupt:
        """The exception the held signal stands for."""
        return Terminated() if self.by_sigterm else KeyboardInterrupt()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        global terminated
        if self.holding:
            if signum == signal.SIGTERM or not self.received:
                self.received = signum
            terminated = terminated or signum == signal.SIGTERM
        elif signum == signal.SIGTERM:
            _terminate(signum, frame)
        else:
            signal.default_int_handler(signum, frame)


@contextmanager
def guard(existing: Guard | None = None) -> Iterator[Guard]:
    """A block with its own :class:`Guard`, or inside ``existing`` (the caller's block:
    holding it then lasts until the caller's block ends). Outside the main thread, where Python
    never runs signal handlers, the guard records nothing and the block runs as it is. SIGTERM
    is guarded only where it is answered (:func:`answer_sigterm`)."""
    if existing is not None:
        yield existing
        return
    if threading.current_thread() is not threading.main_thread():
        yield Guard()
        return
    enclosing = getattr(signal.getsignal(signal.SIGINT), "__self__", None)
    if isinstance(enclosing, Guard) and enclosing.holding:
        yield enclosing  # held already: it stays held until the enclosing block ends
        return
    current = Guard()
    signals = [signal.SIGINT]
    if _answered:  # (a guard around this one may hold it: its handler is not _terminate)
        signals.append(signal.SIGTERM)
    previous = {number: signal.signal(number, current._handle) for number in signals}
    try:
        yield current
    finally:
        for number, handler in previous.items():
            # None: the handler was not set from Python; put back Python's own (SIGINT) or the
            # system's (SIGTERM).
            default = signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL
            signal.signal(number, handler if handler is not None else default)


@contextmanager
def held() -> Iterator[None]:
    """A block that Ctrl-C (or SIGTERM) does not break into: one that comes during it is
    raised once the block has ended (not at all if the block raises)."""
    with guard() as holding:
        enclosed = holding.holding  # inside a held block: that block acts on the signal
        holding.hold()
        yield
    if holding.received and not enclosed:
        raise holding.interruption()
