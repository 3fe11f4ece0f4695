"""Facts files → serialised article graphs, one file at a time, on all cores.

Each facts file is loaded, checked, mapped and serialised independently, so a large corpus is
never held in memory as a whole and the work spreads over worker processes. Results come back
in file order, so the output does not depend on the number of workers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from . import interrupts
from .atomic import become_worker
from .errors import InputError, Location, Problem, WorkerLost
from .facts import Reference, load_article_file
from .mapper import map_article, map_article_metadata
from .output import SerialisedGraph, serialise
from .records import Section
from .schema import Schema
from .store import relative_name

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.process import BaseProcess

#: Below this many facts files, the work stays in this process (a pool costs more than it saves).
PARALLEL_THRESHOLD = 64


@dataclass(frozen=True)
class ArticleResult:
    """What one facts file gives: its graph and metadata, or the problems found in it."""

    path: Path
    article_id: str | None
    location: Location | None  # where the article's id is written
    graph: SerialisedGraph | None
    #: The curated metadata quads of the article, as N-Quads, for the reference graph.
    metadata: bytes
    sources: dict[str, tuple[str, int]]
    facts: int
    claims: int
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class _Context:
    data_dir: Path
    schema: Schema
    reference: Reference


_context: _Context | None = None


def _initialise(context: _Context) -> None:
    global _context
    _context = context


#: The signals held while the workers are forked (see compile_articles).
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})

#: How long a worker that SIGTERM reached in the middle of sending a result goes on sending.
#: The pool reads results until it finds a worker dead; after that nobody reads, and a worker
#: still sending then ends anyway.
SEND_GRACE_SECONDS = 2.0

#: When SIGTERM first reached this worker (None: it has not).
_ending_since: float | None = None


def _initialise_worker(context: _Context) -> None:
    # Ctrl-C reaches the whole process group; the parent alone answers it, by stopping the
    # workers. SIGTERM ends a worker (see _end_worker): the pool ends the others with it when
    # one of them dies, and a worker that caught it as the parent does (KeyboardInterrupt,
    # reported as the task's result) or ignored it was waited for for ever. Both signals were
    # blocked since the fork, so neither arrived before these lines; SIGTERM is answered
    # before SIGINT is ignored, so a worker that ignores SIGINT already answers SIGTERM.
    signal.signal(signal.SIGTERM, _end_worker)
    signal.signal(signal.SIGALRM, _end_worker)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    become_worker()
    _initialise(context)


def _end_worker(signum: int, frame: FrameType | None) -> None:
    """SIGTERM in a worker: end it at once, unless it is sending a result to the parent.

    The pool's workers share one pipe for their results: a worker ended half-way through a
    result leaves the parent's reader waiting for the rest while any other worker holds the pipe
    open (the build hung on ``timeout``, which sends SIGTERM to the whole process group). Such
    a worker finishes sending first, looking again every few milliseconds (SIGALRM comes here
    too), for at most :data:`SEND_GRACE_SECONDS`."""
    global _ending_since
    now = time.monotonic()
    if _ending_since is None:
        if signum != signal.SIGTERM:
            return
        _ending_since = now
    if _sending(frame) and now - _ending_since < SEND_GRACE_SECONDS:
        signal.setitimer(signal.ITIMER_REAL, 0.005)
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)  # ends by the signal, as the pool expects


def _sending(frame: FrameType | None) -> bool:
    """Whether ``frame`` is inside a put on a multiprocessing queue (the pool's results)."""
    from multiprocessing.queues import SimpleQueue

    put = SimpleQueue.put.__code__
    while frame is not None:
        if frame.f_code is put:
            return True
        frame = frame.f_back
    return False


def _compile(path: Path) -> ArticleResult:
    import pyoxigraph as ox

    assert _context is not None
    context = _context
    try:
        article = load_article_file(path, context.data_dir, context.schema, context.reference)
    except InputError as error:
        return ArticleResult(path, None, None, None, b"", {}, 0, 0, tuple(error.problems))
    mapped = map_article(article, context.reference.index, context.schema)
    metadata = map_article_metadata(article)
    facts = sum(1 for record in article.records if record.section is Section.FACT)
    names: dict[Path, str] = {}  # an article's nodes come from two or three files
    sources = {}
    for iri, location in (*mapped.sources.items(), *metadata.sources.items()):
        name = names.get(location.file)
        if name is None:
            name = names[location.file] = relative_name(location.file, context.data_dir)
        sources[iri] = (name, location.line)
    return ArticleResult(
        path=path,
        article_id=article.meta.id,
        location=article.id_location,
        graph=serialise(mapped),
        metadata=ox.serialize(metadata.quads, format=ox.RdfFormat.N_QUADS) or b"",
        sources=sources,
        facts=facts,
        claims=len(article.records) - facts,
        problems=(),
    )


def compile_articles(
    files: list[Path],
    *,
    data_dir: Path,
    schema: Schema,
    reference: Reference,
    workers: int | None = None,
) -> Iterator[ArticleResult]:
    """Load, map and serialise each facts file, yielding results in the order of ``files``."""
    context = _Context(data_dir, schema, reference)
    _ = reference.index  # built once, before the workers are forked, and inherited by them
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count <= 1 or len(files) < PARALLEL_THRESHOLD:
        _initialise(context)
        yield from map(_compile, files)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # fork: the workers inherit the loaded schema and entities instead of unpickling them.
    earlier = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_initialise_worker,
        initargs=(context,),
    )
    # Futures of our own, not pool.map's: its results are cancelled when they are left, and the
    # pool fails with InvalidStateError (a traceback on the console) when it then finds a
    # worker dead and marks every pending result as failed. A few chunks per worker are handed
    # out ahead, not all of them: finished results would pile up while the build writes.
    chunks = iter(range(0, len(files), CHUNK_FILES))
    pending: deque[Future[list[ArticleResult]]] = deque()

    def hand_out() -> None:
        start = next(chunks, None)
        if start is not None:
            pending.append(pool.submit(_compile_chunk, files[start:start + CHUNK_FILES]))

    started: list[BaseProcess] = []  # the pool's workers
    try:
        # The workers are forked when the work is first handed out. Ctrl-C in the middle of
        # that would leave a worker the pool has not recorded, or one that has not yet ignored
        # the signal: the guard holds it until the pool is started, and the workers start with
        # it blocked (a forked process keeps the mask of the thread that forked it).
        with interrupts.held():
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
            try:
                for _ in range(AHEAD_PER_WORKER * count):
                    hand_out()
                started = [child for child in multiprocessing.active_children()
                           if child not in earlier]
                _close_result_writer(pool)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        while pending:  # each result is let go once yielded: a corpus is never held whole
            done = pending.popleft()
            hand_out()
            yield from _result(done, started)
    except BrokenProcessPool:
        _stop(pool, started)
        raise WorkerLost(
            "a build worker process ended abruptly (killed by a signal: when memory runs out, "
            "the system kills the largest process); free memory and run the build again"
        ) from None
    except BaseException:  # Ctrl-C, an error, or the consumer stopped early (GeneratorExit)
        _stop(pool, started)
        raise
    pool.shutdown()


#: Facts files handed to a worker at a time (fewer, larger messages between the processes).
CHUNK_FILES = 8
#: Chunks handed out ahead per worker: enough that none waits while the build writes.
AHEAD_PER_WORKER = 4


def _compile_chunk(paths: Sequence[Path]) -> list[ArticleResult]:
    return [_compile(path) for path in paths]


#: How often the wait for a result looks whether a worker has died.
WATCH_SECONDS = 0.5
#: How long a worker may lie dead before the pool is helped to see it (see :func:`_result`).
UNNOTICED_SECONDS = 2.0


def _result(future: Future[list[ArticleResult]],
            started: list[BaseProcess]) -> list[ArticleResult]:
    """The result of ``future``; BrokenProcessPool when a worker has died, even in the middle of
    sending a result (SIGKILL, as the out-of-memory killer sends).

    The pool then reads the rest of that result for ever: the other workers still hold the
    pipe open. When a worker has been dead for :data:`UNNOTICED_SECONDS` without the pool
    reporting it, the others are ended too; the pipe then ends (see
    :func:`_close_result_writer`) and the pool reports itself broken."""
    from concurrent.futures import TimeoutError as Timeout

    dead_since: float | None = None
    while True:
        try:
            return future.result(timeout=WATCH_SECONDS)
        except Timeout:
            if future.done():  # the task's own TimeoutError (an OSError: ETIMEDOUT)
                raise
            if not any(worker.exitcode is not None for worker in started):
                continue
            now = time.monotonic()
            if dead_since is None:
                dead_since = now
            elif now - dead_since >= UNNOTICED_SECONDS:
                _end(started)


def _close_result_writer(pool: ProcessPoolExecutor) -> None:
    """Close this process's copy of the writing end of the pool's result pipe.

    Only the workers write results (the pool wakes its reader through another pipe), but the
    pool keeps the writing end open here too: a result cut short by a worker's death (SIGKILL,
    or SIGTERM past :data:`SEND_GRACE_SECONDS` while this process was too busy to read) was then
    waited for for ever. Closed, the pipe ends once every worker is gone, and the pool reports
    itself broken instead. The attributes are the standard library's own (3.11 to 3.13), read
    with getattr so that another layout only leaves the pipe as it was."""
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()


def _stop(pool: ProcessPoolExecutor, workers: list[BaseProcess]) -> None:
    """Stop the pool now: end its workers (SIGTERM; one that is sending a result finishes
    sending, see :func:`_end_worker`), and wait until the pool has seen them end. The pool then
    marks the results not yet computed as failed; they are not cancelled, as
    ``cancel_futures`` would: a cancelled result makes that marking fail in the standard library
    (InvalidStateError, a traceback on the console)."""
    _end(workers)
    pool.shutdown(wait=True)


def _end(workers: list[BaseProcess]) -> None:
    """Send SIGTERM to the workers, and SIGCONT: a stopped worker (SIGSTOP) acts on no signal
    until it is continued, and the pool would wait for it for ever."""
    for worker in workers:
        worker.terminate()
        if worker.exitcode is None and worker.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGCONT)
