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
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import exclusive_lock
from .errors import InputError, Location, Problem, StoreError

if TYPE_CHECKING:
    import pyoxigraph as ox

DEFAULT_STORE = Path(".sanctions-kg/store")
STORE_ENV = "SANCTIONS_KG_STORE"
CURRENT = "current"
GENERATIONS = "generations"
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
    if not link.is_symlink() and not link.exists():
        raise StoreError(
            f"{store}: not a sanctions-kg store (no '{CURRENT}'); run `sanctions-kg build` "
            "or pass the right --store"
        )
    generation = Generation(Path(os.path.realpath(link)))
    if not generation.database.is_dir():
        raise StoreError(f"{store}: the current dataset is missing; run `sanctions-kg build`")
    return generation


def open_read(store: Path) -> ox.Store:
    """Open the current dataset of a store read-only."""
    import pyoxigraph as ox

    generation = current_generation(store)
    try:
        return ox.Store.read_only(str(generation.database))
    except (OSError, RuntimeError) as error:  # RuntimeError: RocksDB reports corruption
        reason = " ".join(str(error).split())
        raise StoreError(
            f"{store}: cannot open the store ({reason}); run `sanctions-kg build` again"
        ) from None


def read_sourcemap(store: Path) -> dict[str, Location]:
    """Node IRI → facts file and line, as kept by the build that wrote the store."""
    try:
        return load_sourcemap(current_generation(store).sourcemap)
    except FileNotFoundError:
        return {}


def load_sourcemap(path: Path) -> dict[str, Location]:
    """Read a source map file written by :func:`write_sourcemap`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        base = Path(data.get("data", "."))
        nodes: dict[str, Location] = {}
        for iri, where in data.get("nodes", {}).items():
            file, _, line = str(where).rpartition(":")
            nodes[iri] = Location(base / file, int(line))
    except (ValueError, AttributeError, TypeError, UnicodeDecodeError) as error:
        reason = " ".join(str(error).split())
        raise InputError(Problem(
            Location(path, 1),
            f"not a sanctions-kg source map ({reason}); delete it or rebuild with "
            "`sanctions-kg build`",
        )) from None
    return nodes


def write_sourcemap(path: Path, data_dir: Path, nodes: dict[str, Location]) -> None:
    """Write the node → file:line map, paths relative to the data folder, sorted."""
    entries = {}
    for iri in sorted(nodes):
        location = nodes[iri]
        try:
            file = location.file.relative_to(data_dir)
        except ValueError:
            file = location.file
        entries[iri] = f"{file.as_posix()}:{location.line}"
    document = {"data": str(data_dir), "nodes": entries}
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass
class PendingGeneration:
    """A generation being written; committed by :meth:`StoreWriter.commit`."""

    path: Path

    @property
    def generation(self) -> Generation:
        return Generation(self.path)


#: How much N-Quads text one bulk-load call takes (about 230,000 quads).
LOAD_CHUNK_BYTES = 64 * 1024 * 1024


class StoreWriter:
    """Writes a new generation under the store's lock and switches to it."""

    def __init__(self, store: Path) -> None:
        self.store = store

    def check(self) -> None:
        """Refuse a folder that exists but is not a sanctions-kg store."""
        if self.store.exists() and not self.store.is_dir():
            raise StoreError(f"{self.store}: exists and is not a folder; choose another --store")
        if self.store.is_dir():
            names = {p.name for p in self.store.iterdir()}
            if names and not names & {CURRENT, GENERATIONS, ".lock"}:
                raise StoreError(
                    f"{self.store}: folder is not empty and is not a sanctions-kg store; "
                    "choose another --store"
                )

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's writer lock."""
        self.check()
        with exclusive_lock(self.store / ".lock", str(self.store)):
            yield

    def begin(self) -> PendingGeneration:
        """A fresh folder for the next generation (call under the lock)."""
        generations = self.store / GENERATIONS
        generations.mkdir(parents=True, exist_ok=True)
        for stale in generations.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        path = generations / f".tmp-{os.getpid()}"
        path.mkdir()
        return PendingGeneration(path)

    def load(self, pending: PendingGeneration, nquads: Path) -> ox.Store:
        """Bulk-load an N-Quads file into the pending generation, LOAD_CHUNK_BYTES at a time.

        Oxigraph's bulk loader holds up to a million quads per thread before it writes them
        out: building 10,000 articles with one call peaked at 2.3 GB. Loaded in chunks
        (N-Quads lines stand alone, so a chunk ends at a line end), that build peaked at
        825 MB. The store is then compacted once, so that queries read one set of files rather
        than one per chunk (they were up to twice as slow without it).
        """
        import pyoxigraph as ox

        database = ox.Store(str(pending.generation.database))
        chunks = 0
        with nquads.open("rb") as handle:
            rest = b""
            while block := handle.read(LOAD_CHUNK_BYTES):
                block = rest + block
                end = block.rfind(b"\n") + 1
                rest = block[end:]
                if end:
                    database.bulk_load(block[:end], format=ox.RdfFormat.N_QUADS)
                    chunks += 1
            if rest:
                database.bulk_load(rest, format=ox.RdfFormat.N_QUADS)
                chunks += 1
        if chunks > 1:
            database.optimize()
        database.flush()
        return database

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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
