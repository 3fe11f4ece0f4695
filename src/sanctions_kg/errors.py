"""The errors sanctions-kg reports, one class per situation, each with its exit code.

Exit codes: 0 success, 1 validation failed, 2 usage or input error, 3 internal error.
Every message names where the problem is (a file and line, a query line and column, or a folder,
which has no line) and says what to do. The CLI prints ``str(error)`` on one line and exits with
``error.exit_code``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A place in a source file: 1-based line (and column, when known)."""

    file: Path
    line: int
    column: int | None = None

    def __str__(self) -> str:
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name closest to a misspelt ``word``, or None when none is close (difflib's
    ratio of at least 0.8: a far-fetched suggestion misleads)."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.8)
    return close[0] if close else None


#: How many names a message lists before it counts the rest.
LISTED_NAMES = 10


def listed(names: Sequence[str], *, separator: str = ", ", limit: int = LISTED_NAMES) -> str:
    """Names for a message: all of them, or the first ``limit`` and how many more (a store of
    2,000 articles made one message list every graph, 122 KB on one line)."""
    if len(names) <= limit + 1:
        return separator.join(names)
    return f"{separator.join(names[:limit])}{separator}… and {len(names) - limit:,} more"


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to ``word``, or ``''``."""
    close = closest(word, known)
    return f" (did you mean '{close}'?)" if close else ""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, or with a whole file or folder (located by its path
    alone: a folder has no line)."""

    location: Location | Path
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class SanctionsKGError(Exception):
    """Base of every error sanctions-kg reports on purpose."""

    exit_code: int = 2


class InputError(SanctionsKGError):
    """Bad input: a file that is missing, unreadable, malformed, or inconsistent."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = (
            [] if isinstance(problems, str) else _in_reading_order(problems)
        )
        super().__init__(problems if isinstance(problems, str)
                         else "\n".join(_report_lines(self.problems)))


def shown(path: Path) -> Path:
    """A path as users see it: relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


#: How many places one message is listed at before the others are counted on one line.
LISTED_PLACES = 3


def _report_lines(problems: list[Problem]) -> list[str]:
    """The lines that report the problems: one per problem, except that a message met at more
    than ``LISTED_PLACES + 1`` places (a renamed id that the whole corpus references) is listed
    at its first places, and its next line counts the rest and names the last of them. The
    error's ``problems`` keep every place."""
    counts: dict[str, int] = {}
    last: dict[str, Problem] = {}
    for problem in problems:
        counts[problem.message] = counts.get(problem.message, 0) + 1
        last[problem.message] = problem
    lines: list[str] = []
    seen: dict[str, int] = {}
    for problem in problems:
        count = counts[problem.message]
        shown_before = seen[problem.message] = seen.get(problem.message, 0) + 1
        if count <= LISTED_PLACES + 1 or shown_before <= LISTED_PLACES:
            lines.append(str(problem))
        elif shown_before == LISTED_PLACES + 1:
            more = count - shown_before
            lines.append(f"{problem} (and {more:,} more place{'s' if more > 1 else ''} with "
                         f"the same problem, the last at {last[problem.message].location})")
    return lines


def _in_reading_order(problems: list[Problem]) -> list[Problem]:
    """The problems file by file (in the order the files were first named), each file's from its
    first line to its last; problems at one place keep their order."""
    files: dict[Path, int] = {}

    def key(problem: Problem) -> tuple[int, int, int]:
        location = problem.location
        path = location.file if isinstance(location, Location) else location
        order = files.setdefault(path, len(files))
        if isinstance(location, Location):
            return order, location.line, location.column or 0
        return order, 0, 0

    return sorted(problems, key=key)


class UsageError(SanctionsKGError):
    """A command was called with options that do not fit together or values out of range."""


#: The longest --timeout, in seconds (over eleven days): a socket or a thread's wait cannot
#: count up to 1e12 s ("OverflowError: timestamp out of range"); 0 means no limit.
MAX_TIMEOUT = 1_000_000


def seconds_text(value: float) -> str:
    """Seconds as a message writes them: plain decimals (``0.000000001``, ``30``), never the
    exponent that ``:g`` gives small values (``1e-09``)."""
    from decimal import Decimal

    exact = Decimal(repr(value)).normalize()
    if exact and exact.adjusted() < -9:  # 1e-300 would be 300 digits long
        return repr(value)
    return format(exact, "f")


def time_limit(timeout: float | None) -> float | None:
    """The limit a ``--timeout`` sets, in seconds: None (no limit) for None or 0; UsageError
    unless it is a positive number. ``query`` and ``push`` check their option here, so that
    both say the same."""
    if not timeout:
        return None
    if not 0 < timeout <= MAX_TIMEOUT:  # negative, NaN, or past what the clocks can count
        raise UsageError(
            f"--timeout {timeout:.15g}: give a positive number of seconds up to {MAX_TIMEOUT}, "
            "or 0 for no limit"
        )
    return timeout


class WorkerLost(SanctionsKGError):
    """A build worker process ended abruptly: killed by a signal, most often by the system
    when memory runs out. Not the input's fault, and not a bug either: exit code 3, with a
    message that says what happened rather than 'internal error'."""

    exit_code = 3


class StoreError(SanctionsKGError):
    """The embedded store is missing, not a sanctions-kg store, or cannot be opened."""


class StoreInUseError(StoreError):
    """Another process is writing the store."""


class OutputError(SanctionsKGError):
    """An output folder or file cannot be written safely."""


class QueryError(SanctionsKGError):
    """A SPARQL query is invalid, not allowed (an update), or took too long."""


class RemoteError(SanctionsKGError):
    """A SPARQL endpoint or Graph Store answered with an error or could not be reached."""


class ValidationFailed(SanctionsKGError):
    """The data has SHACL results at or above the chosen severity."""

    exit_code = 1

    def __init__(self, message: str, *, report: object = None) -> None:
        super().__init__(message)
        #: The validation report (a ``sanctions_kg.validation.ValidationReport``).
        self.report = report
