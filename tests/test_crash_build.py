"""Crashes mid-write: ``build`` killed with SIGKILL at any moment leaves one whole build behind.

Two data versions ("old" and "new" in turn, with different content) are built to reference
folders first. Then ``build`` is killed again and again: after a seeded random delay over the
whole length of a build, the moment a phase shows on disk (the staging folder, the pending store
generation, the bulk load, the output switch, the store switch), and from inside the process at
exact points of the switch. After every kill the output folder holds the files of one reference
build byte for byte, the store's current generation holds one reference dataset whole (quads per
graph), and a rerun succeeds, gives the new content and leaves no staging folder behind; at the
end ``validate`` passes on the store. (The killed builds run with ``--no-validate`` to keep the
rounds short: validation only lengthens the time before the switch.)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import CLI, DATA, SEED_FACTS, SEED_ID, SEED_TEXT, run_cli
from sanctions_kg.store import GENERATIONS, KEEP_GENERATIONS, open_read
from test_facts import MINI

#: (copies of the seed facts file, copies of the small MINI file): about a second per build.
VERSIONS = {"old": (8, 142), "new": (6, 124)}
TIMED_KILLS = 10
SEED = 20240915
GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def make_corpus(root: Path, seed_copies: int, mini_copies: int) -> Path:
    """A data folder of many articles: copies of the seed and MINI facts files under new ids."""
    data = root / "data"
    shutil.copytree(DATA / "reference", data / "reference")
    (data / "articles").mkdir(parents=True)
    (data / "facts").mkdir()
    seed = SEED_FACTS.read_text(encoding="utf-8")
    for number in range(seed_copies + mini_copies):
        article = f"copy-{number:03d}"
        text, old = (seed, SEED_ID) if number < seed_copies else (MINI, "mini")
        text = text.replace(f"id: {old}\n", f"id: {article}\n", 1)
        text = text.replace(f"text: articles/{old}.txt", f"text: articles/{article}.txt", 1)
        shutil.copyfile(SEED_TEXT, data / "articles" / f"{article}.txt")
        (data / "facts" / f"{article}.yaml").write_text(text, encoding="utf-8")
    return data


def build_args(data: Path, out: Path, store: Path) -> list[str | Path]:
    return ["build", "--no-validate", "--data", data, "--out", out, "--store", store]


def file_hashes(folder: Path) -> dict[str, str]:
    """Name → SHA-256 of every file of a folder (an output folder has no subfolders)."""
    if not folder.is_dir():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def graph_counts(store: Path) -> dict[str, int]:
    """Quads per named graph in the store's current generation."""
    import pyoxigraph as ox

    database = open_read(store)
    rows = database.query(GRAPH_COUNTS)
    assert isinstance(rows, ox.QuerySolutions)
    counts = {row["g"].value: int(row["n"].value) for row in rows}
    assert sum(counts.values()) == len(database), "quads outside the named graphs"
    return counts


def generation_sourcemap(store: Path) -> str:
    return hashlib.sha256((store / "current" / "sourcemap.json").read_bytes()).hexdigest()


@dataclass(frozen=True)
class Reference:
    """A data version and what a complete build of it gives."""

    name: str
    data: Path
    files: dict[str, str]
    graphs: dict[str, int]

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def reference_build(root: Path, name: str) -> Reference:
    data = make_corpus(root / name, *VERSIONS[name])
    out, store = root / name / "out", root / name / "store"
    result = run_cli(*build_args(data, out, store))
    assert result.code == 0, result.stderr
    return Reference(name, data, file_hashes(out), graph_counts(store))


def prepare_references(root: Path) -> dict[str, Reference]:
    """Both data versions, built once each (in parallel) into reference folders."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        built = list(pool.map(lambda name: reference_build(root, name), sorted(VERSIONS)))
    references = {ref.name: ref for ref in built}
    assert references["old"].files != references["new"].files
    assert references["old"].graphs != references["new"].graphs
    return references


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Reference]:
    return prepare_references(tmp_path_factory.mktemp("crash-references"))


class Site:
    """An output folder and a store, taken through kills and reruns; it knows what it holds."""

    def __init__(self, root: Path, references: dict[str, Reference]) -> None:
        self.out, self.store = root / "out", root / "store"
        self.references = references
        self.holds = "old"
        self.states: Counter[tuple[str, str]] = Counter()
        self.seconds = 0.0  # how long the last complete build took
        self.rerun("old")

    @property
    def next_version(self) -> Reference:
        return self.references["new" if self.holds == "old" else "old"]

    def state(self) -> tuple[str, str]:
        """Which reference the output folder and the store each hold; fails on anything else."""
        files = file_hashes(self.out)
        out = [ref.name for ref in self.references.values() if ref.files == files]
        assert out, f"{self.out} holds no complete build: {sorted(files)}"
        graphs = graph_counts(self.store)
        store = [ref.name for ref in self.references.values() if ref.graphs == graphs]
        assert store, f"{self.store} holds no complete dataset: {graphs}"
        sourcemap = self.references[store[0]].files["sanctions-kg.sourcemap.json"]
        assert generation_sourcemap(self.store) == sourcemap
        return out[0], store[0]

    def after_kill(self, target: Reference, expected: tuple[str, str] | None = None) -> None:
        """Check what a kill left, then rerun the build it interrupted."""
        state = self.state()
        assert set(state) <= {self.holds, target.name}
        if expected is not None:
            names = {"old": self.holds, "new": target.name}
            assert state == (names[expected[0]], names[expected[1]])
        self.states[("old" if state[0] == self.holds else "new",
                     "old" if state[1] == self.holds else "new")] += 1
        self.rerun(target.name)

    def rerun(self, name: str) -> None:
        ref = self.references[name]
        started = time.perf_counter()
        result = run_cli(*build_args(ref.data, self.out, self.store))
        self.seconds = time.perf_counter() - started
        assert result.code == 0, result.stderr
        assert self.state() == (name, name)
        assert not list(self.out.parent.glob(f".{self.out.name}.tmp-*")), "staging folder left"
        generations = self.store / GENERATIONS
        assert not list(generations.glob(".tmp-*")), "pending generation left"
        assert len([p for p in generations.iterdir() if p.name.isdigit()]) <= KEEP_GENERATIONS
        self.holds = name

    def start(self, target: Reference) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(CLI), *map(str, build_args(target.data, self.out, self.store))],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )


def kill(process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the process; True when it was still running."""
    running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return running and process.returncode == -signal.SIGKILL


def timed_kills(site: Site, count: int) -> int:
    """Kill builds after seeded random delays spread over the whole length of a build (as
    long as the rerun before took, so that the spread follows the machine's load)."""
    rnd = random.Random(SEED)
    landed = 0
    for _ in range(count):
        target = site.next_version
        delay = rnd.uniform(0.0, 1.05 * site.seconds)
        process = site.start(target)
        time.sleep(delay)
        landed += kill(process)
        site.after_kill(target)
    return landed


def watched_phases(site: Site, pid: int) -> dict[str, Callable[[], bool]]:
    """Conditions on disk that show a build has reached a phase."""
    staging = site.out.parent / f".{site.out.name}.tmp-{pid}"
    pending = site.store / GENERATIONS / f".tmp-{pid}"
    out_inode = site.out.stat().st_ino
    current = os.readlink(site.store / "current")
    return {
        "staging folder created": staging.exists,
        "pending generation created": pending.exists,
        "output files complete": (staging / ".sanctions-kg-build").exists,
        "bulk load started": (pending / "oxigraph").exists,
        "output folder switched": lambda: site.out.stat().st_ino != out_inode,
        "store switched": lambda: os.readlink(site.store / "current") != current,
    }


def watched_kills(site: Site) -> int:
    """Kill builds the moment a phase shows on disk."""
    landed = 0
    for phase in list(watched_phases(site, 0)):
        target = site.next_version
        process = site.start(target)
        seen = watched_phases(site, process.pid)[phase]
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if seen():
                    break
            except FileNotFoundError:
                pass  # a path is being swapped this very moment
            time.sleep(0.001)
        landed += kill(process)
        site.after_kill(target)
    return landed


# Runs the real entry point with one function wrapped to SIGKILL the process right after its
# n-th call: exact points of the switch that a timer or a watcher would rarely hit.
INJECT = """
import importlib, os, signal, sys
build, output, store = (importlib.import_module(f"sanctions_kg.{name}")
                        for name in ("builder", "output", "store"))
from sanctions_kg.cli import main

owner, name, number = {"writing files": (output.DatasetWriter, "write", 3),
                       "store loaded": (store.ChunkLoader, "finish", 1),
                       "output switched": (build, "exchange", 1),
                       "generation renamed": (store, "_fsync_dir", 1),
                       "current link made": (os, "symlink", 1),
                       "store switched": (store, "_fsync_dir", 2)}[sys.argv.pop(1)]
real, calls = getattr(owner, name), []

def wrapper(*args, **kwargs):
    result = real(*args, **kwargs)
    calls.append(1)
    if len(calls) == number:
        os.kill(os.getpid(), signal.SIGKILL)
    return result

setattr(owner, name, wrapper)
sys.argv[0] = "sanctions-kg"
main()
"""
# What each injected kill must leave: (output folder, store) as "old" or "new".
INJECTED = {
    "writing files": ("old", "old"),
    "store loaded": ("old", "old"),
    "output switched": ("new", "old"),
    "generation renamed": ("new", "old"),
    "current link made": ("new", "old"),
    "store switched": ("new", "new"),
}


def injected_kills(site: Site) -> int:
    landed = 0
    for phase, expected in INJECTED.items():
        target = site.next_version
        args = build_args(target.data, site.out, site.store)
        done = subprocess.run([sys.executable, "-c", INJECT, phase, *map(str, args)],
                              capture_output=True, check=False, timeout=60)
        assert done.returncode == -signal.SIGKILL, done.stderr.decode()
        landed += 1
        site.after_kill(target, expected)
    return landed


def assert_valid(store: Path) -> None:
    """``sanctions-kg validate`` passes on a store that went through kills and reruns."""
    result = run_cli("validate", "--store", store)
    assert result.code == 0, result.stdout + result.stderr


def test_build_killed_at_any_moment_leaves_one_whole_build_and_reruns(
    tmp_path: Path, references: dict[str, Reference],
    record_property: Callable[[str, object], None],
) -> None:
    def timed() -> tuple[int, int, Counter[tuple[str, str]]]:
        site = Site(tmp_path / "timed", references)
        landed = timed_kills(site, TIMED_KILLS)
        assert_valid(site.store)
        return TIMED_KILLS, landed, site.states

    def phased() -> tuple[int, int, Counter[tuple[str, str]]]:
        site = Site(tmp_path / "phased", references)
        landed = watched_kills(site) + injected_kills(site)
        assert_valid(site.store)
        return len(watched_phases(site, 0)) + len(INJECTED), landed, site.states

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [future.result() for future in [pool.submit(timed), pool.submit(phased)]]
    tried = sum(result[0] for result in results)
    landed = sum(result[1] for result in results)
    states = sum((result[2] for result in results), Counter())
    record_property("kill_points_tried", tried)
    record_property("kills_landed", landed)
    print(f"build killed: {tried} kill points tried, {landed} landed while it ran; "
          f"(output, store) after the kill: {dict(states)}; nothing lost, every rerun complete, "
          "validate passes")
    assert tried >= 20 and sum(states.values()) == tried
    assert landed >= tried - 6
    assert states[("old", "old")] and states[("new", "new")] and states[("new", "old")]


FALLBACK = """
import importlib, os, signal, sys
atomic, build = (importlib.import_module(f"sanctions_kg.{name}") for name in ("atomic", "builder"))
from sanctions_kg.cli import main

atomic._renameat2 = lambda: None  # as on a system without renameat2(RENAME_EXCHANGE)
real_exchange, real_rename, switching = build.exchange, os.rename, []

def exchange(new, target):
    switching.append(1)
    real_exchange(new, target)

def rename(source, destination):
    real_rename(source, destination)
    if switching:  # the old output is aside, the new one not yet in place
        os.kill(os.getpid(), signal.SIGKILL)

build.exchange, os.rename = exchange, rename
sys.argv[0] = "sanctions-kg"
main()
"""


def test_an_interrupted_fallback_switch_is_recovered_by_the_next_run(
    tmp_path: Path, references: dict[str, Reference]
) -> None:
    site = Site(tmp_path, references)
    target = site.next_version
    args = build_args(target.data, site.out, site.store)
    done = subprocess.run([sys.executable, "-c", FALLBACK, *map(str, args)],
                          capture_output=True, check=False, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    assert not site.out.exists()
    aside = site.out.with_name(site.out.name + ".previous")
    assert file_hashes(aside) == references[site.holds].files
    site.rerun(target.name)
    assert not aside.exists()


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_ctrl_c_at_any_moment_of_a_parallel_build_ends_it_cleanly(
        tmp_path: Path, stop: str) -> None:
    """Ctrl-C (SIGINT to the whole process group, workers included), or SIGTERM to the build
    (what `timeout`, `docker stop` and a cancelled CI job send; it ended the build at once and
    left its staging folders behind), while a 150-file build runs on worker processes: exit 130
    or 143 with one line, never a hang, a traceback or a build finished anyway, the previous
    output and store generation as they were, and no staging folder left."""
    number, code, said_err = ((signal.SIGINT, 130, "interrupted\n") if stop == "ctrl-c"
                              else (signal.SIGTERM, 143, "terminated\n"))
    data = make_corpus(tmp_path, *VERSIONS["old"])
    out, store = tmp_path / "out", tmp_path / "store"
    args = ["build", "--data", data, "--out", out, "--store", store]  # validation included
    takes = []
    for _ in range(2):  # the quicker of two, so that the signals fall inside later builds too
        started = time.monotonic()
        assert run_cli(*args).code == 0
        takes.append(time.monotonic() - started)
    whole = min(takes)
    before = (file_hashes(out), (store / "current").readlink())
    outcomes: Counter[str] = Counter()
    for step in range(8):
        running = subprocess.Popen([str(CLI), *map(str, args)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True,
                                   env={**os.environ, "PYTHONFAULTHANDLER": "1"})
        try:
            time.sleep(0.05 + whole * step / 11)
            if stop == "ctrl-c":
                os.killpg(running.pid, number)
            else:
                os.kill(running.pid, number)
            said, err = running.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # a hang: every process's threads, for the report
            os.killpg(running.pid, signal.SIGABRT)
            _, err = running.communicate(timeout=30)
            pytest.fail(f"the build hung after Ctrl-C at step {step}:\n{err[-6000:]}")
        finally:
            if running.poll() is None:
                os.killpg(running.pid, signal.SIGKILL)
                running.wait()
        if said.startswith("Built "):  # done before the signal came (a signal during the
            outcomes["done"] += 1       # exit that follows kills it: -2)
            assert running.returncode in (0, code, -number)
            before = (file_hashes(out), (store / "current").readlink())
            continue
        if (running.returncode, err) == (-number, ""):  # before Python ran its first line
            outcomes["not started"] += 1
        else:
            assert (running.returncode, err) == (code, said_err)
            outcomes["interrupted"] += 1
        assert (file_hashes(out), (store / "current").readlink()) == before
        assert not list(tmp_path.glob(".out.tmp-*"))
        assert not list((store / GENERATIONS).glob(".tmp-*"))
    assert outcomes["interrupted"] >= 4, outcomes  # under load some builds end before


def test_ctrl_c_while_the_new_build_is_put_in_place_is_held_and_the_build_finished(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Past the point of no return a Ctrl-C would leave the new output beside the old store;
    it is held, the build is reported as usual, a note says the Ctrl-C came too late."""
    from sanctions_kg import cli
    from sanctions_kg.store import StoreWriter

    data = make_corpus(tmp_path, 1, 1)
    out, store = tmp_path / "out", tmp_path / "store"
    assert run_cli(*build_args(data, out, store)).code == 0
    commit = StoreWriter.commit

    def interrupted_commit(self: StoreWriter, pending: object) -> object:
        os.kill(os.getpid(), signal.SIGINT)  # Python runs the handler at the next line
        return commit(self, pending)  # type: ignore[arg-type]

    monkeypatch.setattr(StoreWriter, "commit", interrupted_commit)
    monkeypatch.setattr(sys, "argv", ["sanctions-kg", *map(str, build_args(data, out, store))])
    with pytest.raises(SystemExit) as done:
        cli.main()
    said = capsys.readouterr()
    assert (done.value.code, said.err) == (0, "note: Ctrl-C came while the new build was being "
                                              "put in place; the build is complete\n")
    assert said.out.startswith("Built 2 articles")
    assert (store / "current").readlink() == Path(GENERATIONS) / "000002"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_while_the_workers_start_stops_every_worker(tmp_path: Path) -> None:
    """A Ctrl-C that the kernel hands to another thread than the main one (which blocks it
    while the workers are forked) is held until the pool has started, then stops it: no worker
    is left for the process to wait for at exit."""
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    from sanctions_kg import resources
    from sanctions_kg.facts import facts_file_list, load_reference
    from sanctions_kg.pipeline import compile_articles
    from sanctions_kg.schema import load_schema

    data = make_corpus(tmp_path, 0, 70)
    schema = load_schema(resources.ontology_path())
    reference = load_reference(data, schema, [])
    spawn = ProcessPoolExecutor._spawn_process  # type: ignore[attr-defined]
    spawned: list[int] = []

    def spawn_then_interrupt(pool: ProcessPoolExecutor) -> None:
        spawn(pool)
        spawned.append(1)
        if len(spawned) == 1:  # between the first fork and the second
            other = threading.Thread(target=interrupt_here)
            other.start()
            other.join()

    def interrupt_here() -> None:  # as in a thread started before the main one blocked it
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ProcessPoolExecutor, "_spawn_process", spawn_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            for _ in compile_articles(facts_file_list(data), data_dir=data, schema=schema,
                                      reference=reference, workers=2):
                pass
    assert len(spawned) == 2  # both workers started before the Ctrl-C was acted on
    assert multiprocessing.active_children() == []


class SlowDatabase:
    """Stands in for the store being loaded: each bulk load waits until released."""

    def __init__(self) -> None:
        import threading

        self.loading = threading.Event()
        self.release = threading.Event()
        self.loaded: list[bytes] = []

    def bulk_load(self, chunk: bytes, **_: object) -> None:
        self.loading.set()
        assert self.release.wait(30)
        self.loaded.append(chunk)

    def optimize(self) -> None:
        pass

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("wait", ["queue", "join"])
def test_ctrl_c_while_the_build_waits_for_the_store_loader_is_held_until_the_wait_ends(
        monkeypatch: pytest.MonkeyPatch, wait: str, stop: signal.Signals) -> None:
    """Ctrl-C while the main thread waits for the loader thread, to queue a chunk (the queue
    full) or for the last chunks to load (``Thread.join``). Raised inside the queue's wait it
    could leave the queue's lock released; inside the join Python marked the loader stopped
    while it still ran, so it was not waited for and went on writing into the generation
    being thrown away (``bulk-….sst`` files were left in ``generations/.tmp-*``). The signal
    is held until the wait ends, then raised; the loader then stops as asked. SIGTERM, as the
    command line answers it, inside the guard the command line puts around a build (whose
    handler the held wait found in place of SIGTERM's, and so did not hold it)."""

    from sanctions_kg import interrupts

    previous = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(interrupts, "_answered", False)
    monkeypatch.setattr(interrupts, "terminated", False)
    interrupts.answer_sigterm()
    try:
        with interrupts.guard():  # the command line's, around the build
            _wait_for_the_loader(monkeypatch, wait, stop)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _wait_for_the_loader(monkeypatch: pytest.MonkeyPatch, wait: str,
                         stop: signal.Signals) -> None:
    import threading

    from sanctions_kg import interrupts
    from sanctions_kg import store as store_module

    monkeypatch.setattr(store_module, "LOAD_CHUNK_BYTES", 1)  # every add is a chunk
    database = SlowDatabase()
    loader = store_module.ChunkLoader(database)  # type: ignore[arg-type]
    loader.add(b"A\n")
    assert database.loading.wait(30)  # the loader thread is busy with A
    if wait == "queue":
        loader.add(b"B\n")  # waits in the queue, which is now full
    main = threading.get_ident()
    signalled: list[float] = []

    def interrupt_then_release() -> None:
        time.sleep(0.3)  # the main thread waits for the loader by now
        signalled.append(time.monotonic())
        signal.pthread_kill(main, stop)
        time.sleep(0.3)
        database.release.set()

    other = threading.Thread(target=interrupt_then_release)
    other.start()
    with pytest.raises(KeyboardInterrupt) as raised_as:
        if wait == "queue":
            loader.add(b"C\n")
        else:
            loader.finish()
    assert isinstance(raised_as.value, interrupts.Terminated) == (stop == signal.SIGTERM)
    raised = time.monotonic()
    other.join()
    assert raised - signalled[0] >= 0.25  # held while the main thread waited
    if wait == "queue":
        assert loader.chunks == 3  # C was queued before the Ctrl-C was acted on
    else:  # the loader had finished before the Ctrl-C was acted on
        assert database.loaded == [b"A\n"]
    loader.abandon()
    assert not loader._thread.is_alive()
    assert database.loaded[0] == b"A\n"  # and then the queued ones, until abandoned
    assert database.loaded == [b"A\n", b"B\n", b"C\n"][:len(database.loaded)]


def test_an_abandoned_loader_finishes_its_chunk_and_skips_the_queued_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopping a build waited until every queued chunk was loaded, only to throw them away:
    with 64 MB chunks, several seconds each, past the grace `docker stop` gives."""
    import threading

    from sanctions_kg import store as store_module

    monkeypatch.setattr(store_module, "LOAD_CHUNK_BYTES", 1)
    database = SlowDatabase()
    loader = store_module.ChunkLoader(database)  # type: ignore[arg-type]
    loader.add(b"A\n")
    assert database.loading.wait(30)
    loader.add(b"B\n")  # queued behind A
    threading.Timer(0.3, database.release.set).start()
    started = time.monotonic()
    loader.abandon()
    assert time.monotonic() - started >= 0.25  # A was finished: a load cannot be cut short
    assert not loader._thread.is_alive()
    assert database.loaded == [b"A\n"]


def started_worker(running: subprocess.Popen[str]) -> int:
    """The pid of a worker of the build ``running`` that has started (its initializer has run:
    it ignores SIGINT); the test fails when none is seen while the build runs."""
    children = Path(f"/proc/{running.pid}/task/{running.pid}/children")
    interrupt = 1 << (signal.SIGINT - 1)
    deadline = time.monotonic() + 60
    while running.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            for worker in children.read_text().split():
                status = Path(f"/proc/{worker}/status").read_text()
                ignored = status.partition("SigIgn:\t")[2].partition("\n")[0]
                if int(ignored, 16) & interrupt:
                    return int(worker)
        time.sleep(0.005)
    pytest.fail("no started worker was seen while the build ran")


@pytest.mark.parametrize("how", ["worker-sigterm", "worker-stopped-then-build-sigterm"])
def test_a_worker_ended_or_stopped_does_not_hang_the_build(tmp_path: Path, how: str) -> None:
    """When a worker dies (the out-of-memory killer), the pool ends the others with SIGTERM and
    waits for them. They had inherited the command line's SIGTERM handler, caught it as a
    KeyboardInterrupt in their task and lived on: the build waited for ever. A worker sent
    SIGTERM now ends, and the build reports it, nothing left behind. A stopped worker (SIGSTOP)
    acted on no signal, and a build sent SIGTERM then waited for it for ever: the build now
    sends SIGCONT with the SIGTERM with which it ends its workers."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the build maps its files without worker processes")
    data = make_corpus(tmp_path, 60, 540)  # the seed copies keep the workers busy for a while
    out, store = tmp_path / "out", tmp_path / "store"
    running = subprocess.Popen([str(CLI), "build", "--no-validate", "--data", str(data),
                                "--out", str(out), "--store", str(store)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        worker = started_worker(running)
        if how == "worker-sigterm":
            os.kill(worker, signal.SIGTERM)
            expected = (3, "error: a build worker process ended abruptly (killed by a signal: "
                        "when memory runs out, the system kills the largest process); free "
                        "memory and run the build again\n")
        else:
            os.kill(worker, signal.SIGSTOP)
            time.sleep(0.2)
            os.kill(running.pid, signal.SIGTERM)
            expected = (143, "terminated\n")
        try:
            _, stderr = running.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the build waited for ever")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(running.pid, signal.SIGCONT)
            os.killpg(running.pid, signal.SIGKILL)
        running.wait()
    assert (running.returncode, stderr) == expected
    assert not out.exists() and not list(tmp_path.glob(".out.tmp-*"))
    assert not store.exists()


def _send_in_a_worker(queue: Any, size: int) -> None:
    from sanctions_kg import pipeline

    signal.signal(signal.SIGTERM, pipeline._end_worker)
    signal.signal(signal.SIGALRM, pipeline._end_worker)
    queue.put(b"x" * size)
    time.sleep(30)  # ended by SIGTERM before this ends


@pytest.mark.parametrize("reader", ["reads", "never-reads"])
def test_a_worker_sent_sigterm_while_sending_a_result_sends_it_whole_first(
        reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's workers share one pipe for their results and the parent holds its writing end:
    a worker ended half-way through a result left the parent reading the rest for ever (the
    build hung, 3 in 30 times, under `timeout`, which sends SIGTERM to the whole group). A
    worker now finishes its result, then ends by SIGTERM; if nobody reads it (the pool has
    found another worker dead), it ends after the grace anyway."""
    import multiprocessing
    import threading

    from sanctions_kg import pipeline

    monkeypatch.setattr(pipeline, "SEND_GRACE_SECONDS", 1.5)  # inherited by the fork
    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()
    size = 8 << 20  # far over what the pipe holds: the worker waits for the reader
    worker = context.Process(target=_send_in_a_worker, args=(queue, size))
    worker.start()
    queue._writer.close()  # as the build does: a result cut short then ends in EOF, no hang
    try:
        assert queue._reader.poll(10)  # the worker has begun writing its result
        time.sleep(0.2)  # and waits for the reader: the pipe holds a fraction of it
        assert worker.is_alive()
        os.kill(worker.pid or 0, signal.SIGTERM)
        sent = time.monotonic()
        if reader == "never-reads":
            worker.join(10)
            assert worker.exitcode == -signal.SIGTERM
            assert 1.3 <= time.monotonic() - sent < 5  # after the grace, not at once
            return
        time.sleep(0.3)
        assert worker.is_alive()  # still sending
        received: list[bytes | Exception] = []

        def read() -> None:
            try:
                received.append(queue.get())
            except EOFError as error:  # the worker ended in the middle of its result
                received.append(error)

        reading = threading.Thread(target=read, daemon=True)
        reading.start()
        reading.join(10)
        assert received and isinstance(received[0], bytes), "the result was cut short"
        assert len(received[0]) == size
        worker.join(10)
        assert worker.exitcode == -signal.SIGTERM  # and then it ended, by the signal
    finally:
        if worker.is_alive():
            worker.kill()
            worker.join()


def test_a_worker_sent_sigterm_while_not_sending_ends_at_once() -> None:
    import multiprocessing

    from sanctions_kg import pipeline

    context = multiprocessing.get_context("fork")
    ready = context.Event()

    def idle() -> None:
        signal.signal(signal.SIGTERM, pipeline._end_worker)
        signal.signal(signal.SIGALRM, pipeline._end_worker)
        ready.set()
        time.sleep(30)

    worker = context.Process(target=idle)
    worker.start()
    assert ready.wait(10)  # the handler is in place: the signal below is answered by it
    os.kill(worker.pid or 0, signal.SIGTERM)
    sent = time.monotonic()
    worker.join(10)
    assert worker.exitcode == -signal.SIGTERM
    assert time.monotonic() - sent < 1


def test_a_held_block_inside_a_held_block_leaves_the_signal_to_the_outer_one() -> None:
    """A wait for the loader inside the end of a build (held there) must not raise the Ctrl-C
    the end of the build holds until it has been reported."""
    from sanctions_kg import interrupts

    with interrupts.guard() as outer:
        outer.hold()
        with interrupts.held():
            signal.raise_signal(signal.SIGINT)
        assert outer.received == signal.SIGINT  # recorded, not raised by the inner block
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


#: A build whose worker ends abruptly in the middle of a task (as the out-of-memory killer
#: ends one), deterministically: no lock of the pool's queues is held then.
WORKER_DIES = """
import os, sys
from sanctions_kg import pipeline

real = pipeline._compile

def dying(path):
    if path.name == "copy-040.yaml":
        os._exit(137)
    return real(path)

pipeline._compile = dying
sys.argv[0] = "sanctions-kg"
from sanctions_kg.cli import main
main()
"""


def test_a_worker_that_dies_is_reported_as_such_not_as_a_bug(tmp_path: Path) -> None:
    """It was 'internal error (a bug in sanctions-kg): BrokenProcessPool …'."""
    data = make_corpus(tmp_path, 0, 80)
    out, store = tmp_path / "out", tmp_path / "store"
    done = subprocess.run([sys.executable, "-c", WORKER_DIES, "build", "--no-validate",
                           "--data", str(data), "--out", str(out), "--store", str(store)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stderr) == (3, (
        "error: a build worker process ended abruptly (killed by a signal: when memory runs "
        "out, the system kills the largest process); free memory and run the build again\n"))
    assert not out.exists() and not list(tmp_path.glob(".out.tmp-*"))
    assert not store.exists()


def run_unless_hung(command: list[str], hung: str) -> tuple[int, str, str]:
    """Run ``command`` in a process group of its own: its exit code, stdout and stderr; the test
    fails with ``hung`` when it has not ended within a minute (the group is killed)."""
    running = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        out, err = running.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(running.pid, signal.SIGKILL)
        running.communicate()
        pytest.fail(hung)
    return running.returncode, out, err


#: A program that maps a corpus through the library and, after the first results, holds the
#: interpreter (one long C call) while SIGTERM reaches the whole process group: the pool cannot
#: read the results the workers are sending, and their grace runs out in the middle of one.
BUSY_WHEN_TERMINATED = """
import ctypes, os, signal, subprocess, sys
from pathlib import Path
from sanctions_kg import interrupts, pipeline, resources
from sanctions_kg.facts import facts_file_list, load_reference
from sanctions_kg.schema import load_schema

# SIGTERM waits in this process (and in the pool's threads, which inherit the mask) until the
# interpreter is let go; the workers unblock it when they start.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
interrupts.answer_sigterm()
pipeline.SEND_GRACE_SECONDS = 0.3
data = Path(sys.argv[1])
schema = load_schema(resources.ontology_path())
results = pipeline.compile_articles(facts_file_list(data), data_dir=data, schema=schema,
                                    reference=load_reference(data, schema, []), workers=2)
try:
    for number, _ in enumerate(results):
        if number == 8:
            subprocess.Popen(["sh", "-c", f"sleep 0.3; kill -TERM -{os.getpgid(0)}"])
            ctypes.PyDLL(None).usleep(2_000_000)  # a C call that keeps the interpreter
            if signal.SIGTERM not in signal.sigpending():
                sys.exit(99)  # the signal came after the two seconds
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
except KeyboardInterrupt:
    results.close()
    sys.exit(143)
"""


def test_sigterm_while_the_build_is_too_busy_to_read_results_does_not_hang(
        tmp_path: Path) -> None:
    """The workers' grace ran out while the pool could not read (a busy or starved process): a
    result cut short was then waited for for ever, since this process held the writing end of
    the result pipe too. It no longer does: the pipe ends with the last worker."""
    data = make_corpus(tmp_path, 80, 0)  # seed copies: results of megabytes, over the pipe's size
    code, out, err = run_unless_hung([sys.executable, "-c", BUSY_WHEN_TERMINATED, str(data)],
                                     "the build waited for ever for a result cut short")
    if code == 99:
        pytest.skip("the machine was too slow: SIGTERM came after the interpreter was let go")
    assert (code, out, err) == (143, "", "")


def test_a_few_chunks_per_worker_are_handed_out_ahead_not_the_whole_corpus(
        tmp_path: Path) -> None:
    """Every chunk was handed out at once: with the build slower than the workers (writing,
    loading the store), finished results piled up in memory, the corpus whole at worst."""
    from concurrent.futures import ProcessPoolExecutor

    from sanctions_kg import pipeline, resources
    from sanctions_kg.facts import facts_file_list, load_reference
    from sanctions_kg.schema import load_schema

    data = make_corpus(tmp_path, 0, 200)
    schema = load_schema(resources.ontology_path())
    reference = load_reference(data, schema, [])
    submit = ProcessPoolExecutor.submit
    handed: list[int] = []

    def counted(pool: ProcessPoolExecutor, *args: Any, **kwargs: Any) -> Any:
        handed.append(len(args[1]))
        return submit(pool, *args, **kwargs)

    ahead: list[int] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ProcessPoolExecutor, "submit", counted)
        results = pipeline.compile_articles(facts_file_list(data), data_dir=data, schema=schema,
                                            reference=reference, workers=2)
        for taken, _ in enumerate(results, start=1):
            ahead.append(sum(handed) - taken)
            time.sleep(0.002)  # slower than the workers
    assert sum(handed) == 200 and len(ahead) == 200
    assert max(ahead) <= (pipeline.AHEAD_PER_WORKER * 2 + 1) * pipeline.CHUNK_FILES


#: A build whose worker is killed (SIGKILL, as the out-of-memory killer kills) half-way through
#: sending a result, deterministically: it writes half of it, then kills itself.
WORKER_KILLED_WHILE_SENDING = """
import os, signal, sys
from multiprocessing import connection
from sanctions_kg import pipeline

real, send = pipeline._compile, connection.Connection._send

def half_then_killed(self, buffer, *rest):
    if len(buffer) > 16384:  # the result itself, after its length
        os.write(self._handle, bytes(buffer[:len(buffer) // 2]))
        os.kill(os.getpid(), signal.SIGKILL)
    return send(self, buffer, *rest)

def compiled(path):
    if path.name == "copy-040.yaml":
        connection.Connection._send = half_then_killed
    return real(path)

pipeline._compile = compiled
sys.argv[0] = "sanctions-kg"
from sanctions_kg.cli import main
main()
"""


def test_a_worker_killed_while_sending_a_result_ends_the_build_as_a_lost_worker(
        tmp_path: Path) -> None:
    """The pool read the rest of the result for ever (the other worker held the pipe open):
    the build hung until it was killed. A worker found dead is now given two seconds to be
    noticed; then the others are ended, the pipe ends and the pool reports itself broken."""
    data = make_corpus(tmp_path, 80, 0)
    out, store = tmp_path / "out", tmp_path / "store"
    code, _, err = run_unless_hung(
        [sys.executable, "-c", WORKER_KILLED_WHILE_SENDING, "build", "--no-validate", "--data",
         str(data), "--out", str(out), "--store", str(store)],
        "the build waited for ever for the rest of the result")
    assert (code, err) == (3, (
        "error: a build worker process ended abruptly (killed by a signal: when memory runs "
        "out, the system kills the largest process); free memory and run the build again\n"))
    assert not out.exists() and not list(tmp_path.glob(".out.tmp-*"))
    assert not store.exists()


#: A build whose task raises TimeoutError (an OSError: ETIMEDOUT from a network file system),
#: through the library: the error is the task's, not a wait that ran out.
TASK_TIMES_OUT = """
import errno, sys
from pathlib import Path
from sanctions_kg import pipeline, resources
from sanctions_kg.facts import facts_file_list, load_reference
from sanctions_kg.schema import load_schema

real = pipeline._compile

def timing_out(path):
    if path.name == "copy-040.yaml":
        raise TimeoutError(errno.ETIMEDOUT, "Connection timed out", str(path))
    return real(path)

pipeline._compile = timing_out
data = Path(sys.argv[1])
schema = load_schema(resources.ontology_path())
try:
    for _ in pipeline.compile_articles(facts_file_list(data), data_dir=data, schema=schema,
                                       reference=load_reference(data, schema, []), workers=2):
        pass
except TimeoutError as error:
    print(error.filename)
    sys.exit(7)
"""


def test_a_timeout_error_raised_by_a_task_comes_through(tmp_path: Path) -> None:
    """The wait for a result, which looks every half second for a dead worker, took the task's
    own TimeoutError for its wait running out and asked again, for ever, at full speed."""
    data = make_corpus(tmp_path, 0, 80)
    code, out, _ = run_unless_hung([sys.executable, "-c", TASK_TIMES_OUT, str(data)],
                                   "the build asked again and again for the failed result")
    assert (code, out) == (7, f"{data / 'facts' / 'copy-040.yaml'}\n")


#: A build that Ctrl-C reaches just as its staging folder has been made (deterministically:
#: the signal is raised right after the folder is).
INTERRUPTED_AT_STAGING = """
import importlib, signal, sys

build = importlib.import_module("sanctions_kg.builder")
real = build.staging_dir

def made_then_interrupted(target):
    folder = real(target)
    signal.raise_signal(signal.SIGINT)
    return folder

build.staging_dir = made_then_interrupted
sys.argv[0] = "sanctions-kg"
from sanctions_kg.cli import main
main()
"""


def test_ctrl_c_just_after_the_staging_folder_is_made_leaves_nothing(tmp_path: Path) -> None:
    """Between the folder's making and the block that removes it, Ctrl-C left it behind (1 in
    160 signals of the test above)."""
    data = make_corpus(tmp_path, 0, 3)
    out, store = tmp_path / "out", tmp_path / "store"
    done = subprocess.run([sys.executable, "-c", INTERRUPTED_AT_STAGING, "build", "--data",
                           str(data), "--out", str(out), "--store", str(store)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stderr) == (130, "interrupted\n")
    assert not list(tmp_path.glob(".out.tmp-*"))
    assert not out.exists() and not store.exists()
