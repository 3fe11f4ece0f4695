"""The embedded pyoxigraph store on disk, replaced whole by each build.

Layout of a store folder::

    STORE/.lock                 writers hold an exclusive lock on it
    STORE/current -> generations/000007
    STORE/generations/000007/oxigraph/      the pyoxigraph database
    STORE/generations/000007/sourcemap.json node → facts file and line

A build bulk-loads a new generation beside the current one and switches the ``current`` link
with an atomic rename, so readers see the old dataset or the new one, never a mix. The previous
generation is kept so that a reader that opened it just before the switch can finish.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import interrupts
from .atomic import creating, exclusive_lock
from .errors import InputError, Location, Problem, StoreError
from .sources import as_path

if TYPE_CHECKING:
    import pyoxigraph as ox

DEFAULT_STORE = Path(".sanctions-kg/store")
STORE_ENV = "SANCTIONS_KG_STORE"
CURRENT = "current"
GENERATIONS = "generations"
LOCK = ".lock"
DATABASE = "oxigraph"
SOURCEMAP = "sourcemap.json"
KEEP_GENERATIONS = 2


def store_path(option: Path | None) -> Path:
    """The store folder: the option, else $SANCTIONS_KG_STORE, else ./.sanctions-kg/store."""
    if option is not None:
        return option
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else DEFAULT_STORE


@dataclass(frozen=True)
class Generation:
    """One complete dataset in a store folder."""

    path: Path

    @property
    def database(self) -> Path:
        return self.path / DATABASE

    @property
    def sourcemap(self) -> Path:
        return self.path / SOURCEMAP


def current_generation(store: Path) -> Generation:
    """The generation readers should open; StoreError when there is none."""
    link = store / CURRENT
    if not store.exists():
        raise StoreError(f"no store at {store}; run `sanctions-kg build` first")
    if not store.is_dir():
        raise StoreError(f"{store}: is a file, not a store folder; pass the store's folder "
                         "with --store")
    if not link.is_symlink() and not link.exists():
        raise StoreError(
            f"{store}: not a sanctions-kg store (no '{CURRENT}'); run `sanctions-kg build` "
            "or pass the right --store"
        )
    generation = Generation(Path(os.path.realpath(link)))
    if not generation.database.is_dir():
        raise StoreError(f"{store}: the current dataset is missing; run `sanctions-kg build`")
    return generation


#: The store folders this process opened to read, the last one last: RocksDB reports a damaged
#: block as a RuntimeError from whichever call reads it, long after the store was opened.
_OPENED: list[Path] = []


def damaged(error: BaseException) -> StoreError | None:
    """A StoreError naming the store for RocksDB's report of a damaged block (a checksum that
    does not match) met while reading a store this process opened; None for other errors."""
    if not isinstance(error, RuntimeError) or not _OPENED:
        return None
    reason = " ".join(str(error).split())
    if not reason.startswith("Corruption"):
        return None
    return StoreError(f"{_OPENED[-1]}: cannot read the store ({reason}); run `sanctions-kg "
                      "build` again")


def open_read(store: Path | str | None = None) -> ox.Store:
    """Open the current dataset of a store read-only (by default the store the CLI uses:
    ``$SANCTIONS_KG_STORE`` or ``./.sanctions-kg/store``)."""
    import pyoxigraph as ox

    folder = store_path(None if store is None else as_path(store))
    generation = current_generation(folder)
    _OPENED.append(folder)
    try:
        return ox.Store.read_only(str(generation.database))
    except (OSError, RuntimeError) as error:  # RuntimeError: RocksDB reports corruption
        reason = " ".join(str(error).split())
        raise StoreError(
            f"{folder}: cannot open the store ({reason}); run `sanctions-kg build` again"
        ) from None


def mentions(store: ox.Store, iri: str) -> bool:
    """Whether the IRI is the subject or the object of a quad in the store."""
    import pyoxigraph as ox

    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    return any(True for _ in store.quads_for_pattern(node, None, None, None)) or any(
        True for _ in store.quads_for_pattern(None, None, node, None)
    )


def read_sourcemap(store: Path) -> dict[str, Location]:
    """Node IRI → facts file and line, as kept by the build that wrote the store."""
    try:
        return load_sourcemap(current_generation(store).sourcemap)
    except FileNotFoundError:
        return {}


def load_sourcemap(path: Path) -> dict[str, Location]:
    """Read a source map file written by :func:`write_sourcemap`."""
    line_of_error = 1
    try:
        text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            line_of_error = error.lineno
            raise ValueError(f"JSON syntax error: {error.msg}") from None
        if not isinstance(data, dict) or not isinstance(data.get("nodes", {}), dict):
            raise ValueError("an object with 'data' and 'nodes' was expected")
        base = Path(data.get("data", "."))
        nodes: dict[str, Location] = {}
        for iri, where in data.get("nodes", {}).items():
            file, _, line = str(where).rpartition(":")
            nodes[iri] = Location(base / file, int(line))
    except (ValueError, TypeError, UnicodeDecodeError) as error:
        reason = " ".join(str(error).split())
        raise InputError(Problem(
            Location(path, line_of_error),
            f"not a sanctions-kg source map ({reason}); delete it or rebuild with "
            "`sanctions-kg build`",
        )) from None
    return nodes


def write_sourcemap(path: Path, data_dir: Path, nodes: dict[str, Location]) -> None:
    """Write the node → file:line map, paths relative to the data folder, sorted.

    The layout is ``json.dumps(..., indent=1)``'s, but written with the C encoder (``indent``
    switches to the pure-Python one, and a build of 10,000 articles has 700,000 nodes); each
    file's relative name is worked out once, not once per node.
    """
    names: dict[Path, str] = {}
    entries = {}
    for iri in sorted(nodes):
        location = nodes[iri]
        name = names.get(location.file)
        if name is None:
            name = names[location.file] = relative_name(location.file, data_dir)
        entries[iri] = f"{name}:{location.line}"
    body = json.dumps(entries, ensure_ascii=False, separators=(",\n  ", ": "))
    nodes_text = "{\n  " + body[1:-1] + "\n }" if entries else "{}"
    document = (
        "{\n \"data\": " + json.dumps(str(data_dir), ensure_ascii=False)
        + ",\n \"nodes\": " + nodes_text + "\n}\n"
    )
    path.write_text(document, encoding="utf-8")


def relative_name(file: Path, data_dir: Path) -> str:
    """A source file's name as a source map keeps it: relative to the data folder if inside."""
    try:
        return file.relative_to(data_dir).as_posix()
    except ValueError:
        return file.as_posix()


@dataclass
class PendingGeneration:
    """A generation being written; committed by :meth:`StoreWriter.commit`."""

    path: Path

    @property
    def generation(self) -> Generation:
        return Generation(self.path)


#: How much N-Quads text one bulk-load call takes (about 230,000 quads).
LOAD_CHUNK_BYTES = 64 * 1024 * 1024


class ChunkLoader:
    """Bulk-loads N-Quads text into a store on a background thread, in chunks, while the caller
    goes on producing more.

    Oxigraph's bulk loader holds up to a million quads per thread before it writes them out:
    building 10,000 articles with one call peaked at 2.3 GB. Loaded in chunks of
    LOAD_CHUNK_BYTES while the articles are mapped, that build peaked at 1.4 GB. The loader
    releases the GIL, so loading one chunk overlaps mapping the next articles (a build of 10,000
    articles spent 90 s loading after 70 s of mapping when the two ran one after the other, and
    119 s in all once they overlapped). At most one chunk waits while another loads, which
    bounds the memory held.

    :meth:`add` takes whole N-Quads lines. :meth:`finish` loads the rest, then compacts the
    store once, so that queries read one set of files rather than one per chunk (they were up
    to five times slower without it).
    """

    def __init__(self, database: ox.Store) -> None:
        self.database = database
        self.chunks = 0
        self._parts: list[bytes] = []
        self._size = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._abandoned = False  # set by abandon: the chunks still queued are not loaded
        # Started with the first chunk, not here: the build forks its worker processes first,
        # and a process should not fork while another of its threads may hold a lock.
        self._thread = threading.Thread(target=self._run, name="store-loader", daemon=True)

    def _run(self) -> None:
        import pyoxigraph as ox

        while (chunk := self._queue.get()) is not None:
            # After a failure, or once abandoned, keep draining so that a put never blocks.
            if self._error is None and not self._abandoned:
                try:
                    self.database.bulk_load(chunk, format=ox.RdfFormat.N_QUADS)
                except BaseException as error:  # re-raised in the caller's thread by finish
                    self._error = error

    def add(self, nquads: bytes) -> None:
        """Queue N-Quads text made of whole lines; a full chunk goes to the loading thread."""
        self._parts.append(nquads)
        self._size += len(nquads)
        if self._size >= LOAD_CHUNK_BYTES:
            self._submit()

    def _submit(self) -> None:
        if self._parts:
            chunk = b"".join(self._parts)
            self._parts, self._size = [], 0
            self.chunks += 1
            with interrupts.held():  # see _stop
                if self._thread.ident is None:  # not started yet
                    self._thread.start()
                self._queue.put(chunk)  # waits while the loader is busy with the one before

    def _stop(self) -> None:
        """Wait for the loader to load what it was given, and end its thread.

        Ctrl-C is held while the main thread waits for the loader (here and in :meth:`_submit`)
        and raised once the wait is over. Raised inside the wait, it broke things: inside the
        queue's wait it could leave the queue's lock released ('cannot release un-acquired
        lock' on its next use), and inside ``Thread.join`` Python 3.11 marks the thread as
        stopped while it still runs; either way the loader was not stopped, and went on
        writing into the generation being thrown away (``generations/.tmp-*`` was left).
        """
        with interrupts.held():
            if self._thread.is_alive():
                self._queue.put(None)
                self._thread.join()

    def finish(self) -> ox.Store:
        """Load what is left, wait for the loading thread, compact and flush the store."""
        self._submit()
        self._stop()
        if self._error is not None:
            raise self._error
        if self.chunks > 1:
            self.database.optimize()
        self.database.flush()
        return self.database

    def abandon(self) -> None:
        """Stop loading (the build failed); the caller throws the generation away. The chunk
        being loaded is finished (a load cannot be interrupted), the ones queued are not."""
        self._abandoned = True
        self._parts, self._size = [], 0
        self._stop()


class StoreWriter:
    """Writes a new generation under the store's lock and switches to it."""

    def __init__(self, store: Path) -> None:
        self.store = store

    def check(self) -> None:
        """Refuse a folder that exists but is not a sanctions-kg store."""
        if self.store.is_symlink() and not self.store.exists():
            raise StoreError(
                f"{self.store}: is a symbolic link to {os.readlink(self.store)}, which does not "
                "exist; create that folder or choose another --store"
            )
        if self.store.exists() and not self.store.is_dir():
            raise StoreError(f"{self.store}: exists and is not a folder; choose another --store")
        if self.store.is_dir():
            names = {p.name for p in self.store.iterdir()}
            if names and not names & {CURRENT, GENERATIONS, LOCK}:
                raise StoreError(
                    f"{self.store}: folder is not empty and is not a sanctions-kg store; "
                    "choose another --store"
                )

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's writer lock.

        A store folder that did not exist before is removed again at the end of the block,
        still under the lock, if it holds no generation by then: a failed first build leaves
        no trace of it. A folder that existed before is never removed.
        """
        with ExitStack() as held:
            with creating(self.store, StoreError):
                self.check()
                created = _missing_folders(self.store)
                held.enter_context(exclusive_lock(self.store / LOCK, str(self.store)))
            try:
                yield
            finally:
                if created:
                    self._remove_if_empty(created)

    def _remove_if_empty(self, created: list[Path]) -> None:
        """Remove the folders this writer created, innermost first, if the store holds nothing
        but the lock and an empty generations folder: another build may have made the store and
        committed to it after this writer found it missing. The lock file goes while still
        held: a process that opened it meanwhile finds it gone once it gets the lock, and starts
        again on a new one (see ``exclusive_lock``)."""
        generations = self.store / GENERATIONS
        with suppress(OSError):  # rmdir refuses a folder another process put something in
            if {path.name for path in self.store.iterdir()} - {LOCK, GENERATIONS}:
                return
            if generations.is_dir():
                generations.rmdir()
            (self.store / LOCK).unlink()
            for folder in created:
                folder.rmdir()

    def begin(self) -> PendingGeneration:
        """A fresh folder for the next generation (call under the lock)."""
        generations = self.store / GENERATIONS
        with creating(self.store, StoreError):
            generations.mkdir(parents=True, exist_ok=True)
            for stale in generations.glob(".tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)
            path = generations / f".tmp-{os.getpid()}"
            path.mkdir()
        return PendingGeneration(path)

    def loader(self, pending: PendingGeneration) -> ChunkLoader:
        """A loader into the pending generation's (new, empty) database."""
        import pyoxigraph as ox

        return ChunkLoader(ox.Store(str(pending.generation.database)))

    def commit(self, pending: PendingGeneration) -> Generation:
        """Make the pending generation current, atomically; prune old generations."""
        generations = self.store / GENERATIONS
        numbers = [int(p.name) for p in generations.iterdir() if p.name.isdigit()]
        final = generations / f"{max(numbers, default=0) + 1:06d}"
        os.rename(pending.path, final)
        _fsync_dir(generations)
        link = self.store / (CURRENT + ".new")
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(Path(GENERATIONS) / final.name, link)
        os.replace(link, self.store / CURRENT)
        _fsync_dir(self.store)
        keep = sorted((p for p in generations.iterdir() if p.name.isdigit()), reverse=True)
        for old in keep[KEEP_GENERATIONS:]:
            shutil.rmtree(old, ignore_errors=True)
        return Generation(final)

    def abort(self, pending: PendingGeneration) -> None:
        """Throw away a pending generation."""
        shutil.rmtree(pending.path, ignore_errors=True)


def _missing_folders(path: Path) -> list[Path]:
    """``path`` and those of its parents that do not exist, innermost first (a ``..`` step
    names a folder that exists once the one before it is made, so it is not counted)."""
    missing = []
    while not (path.exists() or path.is_symlink()) and path != path.parent:
        if path.name != "..":
            missing.append(path)
        path = path.parent
    return missing


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
