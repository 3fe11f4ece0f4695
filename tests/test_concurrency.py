"""Concurrent use: two builds on one store, and readers while builds switch the store.

Each round starts two builds of the same data version on one output folder and store at the
same moment; rounds alternate between two versions with different triple counts. A build either
succeeds or fails at once with the exact "store in use" message; the store ends equal to a
single build. Meanwhile readers (the library's read-only open, and the ``query`` command) keep
counting quads per graph: every read sees one version whole, never a mix, never an error.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CLI, run_cli, store_of
from test_crash_build import Reference, build_args, graph_counts, prepare_references

ROUNDS = 10
TOTAL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Reference]:
    return prepare_references(tmp_path_factory.mktemp("concurrency-references"))


def in_use(store: Path) -> str:
    return (f"error: {store}: store in use: another sanctions-kg process is writing it; "
            "wait for it to finish and run again\n")


class Readers:
    """Threads that read the store until stopped, recording what each read saw."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.stop = threading.Event()
        self.library: list[dict[str, int] | str] = []
        self.command: list[int | str] = []
        self.threads = [threading.Thread(target=self._library), threading.Thread(target=self._cli)]

    def __enter__(self) -> Readers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _library(self) -> None:
        while not self.stop.wait(0.01):
            try:
                self.library.append(graph_counts(self.store))
            except Exception as error:  # recorded, and the test fails on it
                self.library.append(f"{type(error).__name__}: {error}")

    def _cli(self) -> None:
        while not self.stop.wait(0.3):
            result = run_cli("query", TOTAL, "--format", "tsv", "--store", self.store)
            match = re.fullmatch(r"\?n\n(\d+)\n", result.stdout)
            if result.code == 0 and match:
                self.command.append(int(match.group(1)))
            else:
                self.command.append(f"exit {result.code}: {result.stdout}{result.stderr}")


def test_a_lock_file_removed_by_its_holder_is_not_held(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A build that fails on a store folder it created removes the folder, lock file included,
    while it still holds the lock. A process that opened the lock file just before and gets the
    lock just after would hold a lock no later process sees: it must start again, on a new lock
    file."""
    from sanctions_kg import atomic

    lock = tmp_path / "store" / ".lock"
    flock = atomic.fcntl.flock
    attempts: list[int] = []

    def removed_before_locking(fd: int, operation: int) -> None:
        if not attempts:  # the holder removes the store between this open and this lock
            lock.unlink()
            lock.parent.rmdir()
        attempts.append(fd)
        flock(fd, operation)

    monkeypatch.setattr(atomic.fcntl, "flock", removed_before_locking)
    with atomic.exclusive_lock(lock, "store"):
        (held,) = atomic._held_locks
        assert os.fstat(held).st_ino == os.stat(lock).st_ino
    assert len(attempts) == 2


def test_a_lock_file_that_cannot_be_opened_is_an_error_not_a_loop(tmp_path: Path) -> None:
    """Opening the lock again helps only when its folder was removed meanwhile; a dangling link
    in place of the lock file fails at once, as it did before (exit 3 from the command line)."""
    import signal

    from sanctions_kg import atomic

    store = tmp_path / "store"
    store.mkdir()
    (store / ".lock").symlink_to(tmp_path / "missing" / "lockfile")

    def hung(*_: object) -> None:
        raise AssertionError("exclusive_lock kept trying")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(5)
    try:
        with pytest.raises(FileNotFoundError), atomic.exclusive_lock(store / ".lock", "store"):
            pass
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_store_another_build_committed_meanwhile_is_kept(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer removes a store folder it created only if, under the lock, the folder still holds
    no dataset: another build may have created the store, committed and let go in between."""
    from sanctions_kg import atomic
    from sanctions_kg.store import StoreWriter, open_read

    store = tmp_path / "store"
    flock = atomic.fcntl.flock
    quad = b'<urn:s> <urn:p> "o" <urn:g> .\n'

    def another_build_first(fd: int, operation: int) -> None:
        monkeypatch.setattr(atomic.fcntl, "flock", flock)
        store_of(store, quad)  # creates the store, commits, and lets the lock go
        flock(fd, operation)

    monkeypatch.setattr(atomic.fcntl, "flock", another_build_first)
    with pytest.raises(RuntimeError), StoreWriter(store).locked():
        raise RuntimeError("this build failed")
    assert len(open_read(store)) == 1


def test_two_builds_at_once_and_readers_always_see_one_whole_dataset(
    tmp_path: Path, references: dict[str, Reference],
    record_property: Callable[[str, object], None],
) -> None:
    out, store = tmp_path / "out", tmp_path / "store"
    first = run_cli(*build_args(references["old"].data, out, store))
    assert first.code == 0, first.stderr
    outcomes: Counter[str] = Counter()
    with Readers(store) as readers:
        for number in range(ROUNDS):
            version = references["new" if number % 2 == 0 else "old"]
            args = [str(CLI), *map(str, build_args(version.data, out, store))]
            builds = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True) for _ in range(2)]
            results = [(build.wait(timeout=120), *build.communicate()) for build in builds]
            for code, _, stderr in results:
                assert (code, stderr) in {(0, ""), (2, in_use(store))}, (code, stderr)
                outcomes["succeeded" if code == 0 else "store in use"] += 1
            assert any(code == 0 for code, _, _ in results)
            assert graph_counts(store) == version.graphs
    last = version.data.parent  # the reference build of the last round's version
    final = run_cli("export", "--format", "nquads", "--store", store)
    single = run_cli("export", "--format", "nquads", "--store", last / "store")
    assert final.code == single.code == 0, final.stderr + single.stderr
    assert final.stdout == single.stdout
    assert (out / "sanctions-kg.nq").read_bytes() == (last / "out" / "sanctions-kg.nq").read_bytes()

    whole = [ref.graphs for ref in references.values()]
    totals = {ref.triples for ref in references.values()}
    assert [read for read in readers.library if read not in whole] == []
    assert [read for read in readers.command if read not in totals] == []
    seen = Counter(sum(read.values()) for read in readers.library if isinstance(read, dict))
    runs, reads = sum(outcomes.values()), len(readers.library) + len(readers.command)
    record_property("concurrent_builds", runs)
    record_property("reads_during_builds", reads)
    print(f"concurrent builds: {ROUNDS} rounds, {runs} runs {dict(outcomes)}; "
          f"{len(readers.library)} library reads (totals seen {dict(seen)}) and "
          f"{len(readers.command)} query-command reads, all of one whole dataset")
    assert runs == 2 * ROUNDS and outcomes["store in use"] >= 1
    assert len(seen) == 2 and len(readers.library) >= 2 * ROUNDS
