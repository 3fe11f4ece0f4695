"""``build``: facts files → validated RDF files and a fresh embedded store, all or nothing.

Nothing visible changes until everything is ready: the files are written into a staging folder
and the dataset is bulk-loaded into a new store generation, chunk by chunk while the next articles
are mapped; validation runs on that generation; only then are the output folder and the store
switched, each in one atomic step.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from . import interrupts, resources
from .atomic import MARKER, check_output_dir, creating, exchange, staging_dir, writing
from .errors import InputError, Location, Problem, StoreError, UsageError, ValidationFailed
from .facts import Reference, facts_file_list, load_reference
from .mapper import MappedGraph, map_entities, map_ontology, sorted_quads
from .namespaces import REFERENCE_GRAPH
from .output import BuildFile, DatasetWriter, GraphCount, SerialisedGraph, serialise
from .pipeline import compile_articles
from .schema import Schema, load_schema
from .store import ChunkLoader, PendingGeneration, StoreWriter, write_sourcemap

if TYPE_CHECKING:
    from .validation import ValidationReport

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildOptions:
    """What to build from and where to put it."""

    data_dir: Path
    out_dir: Path
    store_dir: Path
    validate: bool = True
    ontology: Path | None = None
    shapes: Path | None = None

    def __post_init__(self) -> None:
        # The library also takes the folders and files as strings ("data", "build").
        for name in ("data_dir", "out_dir", "store_dir", "ontology", "shapes"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))


@dataclass(frozen=True)
class BuildSummary:
    """What a build produced."""

    articles: int
    entities: int
    facts: int
    claims: int
    graphs: tuple[GraphCount, ...]
    seconds: float
    data_dir: Path
    out_dir: Path
    store_dir: Path
    report: ValidationReport | None

    @property
    def triples(self) -> int:
        return sum(count.triples for count in self.graphs)


def _check_apart(out_dir: Path, store_dir: Path) -> None:
    """Refuse an --out and a --store of which one is (in) the other: the build swaps in a new
    --out folder whole, which would take a store inside it along, or put files into the store."""
    out, store = out_dir.resolve(), store_dir.resolve()
    if out == store or out in store.parents or store in out.parents:
        raise UsageError(
            f"--out {out_dir} and --store {store_dir} overlap; give them separate folders "
            "(neither inside the other)"
        )


def _output_folder(out_dir: Path) -> Path:
    """The folder the build replaces for --out: the folder a symbolic link leads to (the link
    stays, as a link given as --store does), and never the working folder or one holding it
    (the shell would be left in a deleted folder)."""
    folder = out_dir
    if out_dir.is_symlink():
        try:
            folder = out_dir.resolve()
        except RuntimeError:  # Path.resolve: a loop of symbolic links
            raise UsageError(f"{out_dir}: is a symbolic link in a loop of links; choose "
                             "another --out") from None
        if not folder.exists():
            raise UsageError(f"{out_dir}: is a symbolic link to {os.readlink(out_dir)}, "
                             "which does not exist; create that folder or choose another --out")
    here = Path.cwd().resolve()
    if folder.resolve() == here or folder.resolve() in here.parents:
        raise UsageError(f"--out {out_dir}: is the working folder or holds it, and the build "
                         "replaces --out whole; give a folder of its own, such as build")
    return folder


def build(options: BuildOptions, *, progress: Progress | None = None,
          guard: interrupts.Guard | None = None) -> BuildSummary:
    """Run a build; raise InputError (2), ValidationFailed (1) or StoreError (2) on failure.

    Ctrl-C stops it, with the previous output and store kept, until the new build is being put
    in place; from then on it is held (recorded in ``guard`` when given) and the build ends."""
    started = time.perf_counter()
    ontology = options.ontology or resources.ontology_path()
    schema = load_schema(ontology)
    problems: list[Problem] = []
    files = facts_file_list(options.data_dir)
    reference = load_reference(options.data_dir, schema, problems)
    with creating(options.out_dir):
        out_dir = _output_folder(options.out_dir)
    _check_apart(options.out_dir, options.store_dir)
    with creating(options.out_dir):
        check_output_dir(out_dir)
    writer = StoreWriter(options.store_dir)
    with writer.locked():
        staging: Path | None = None
        pending: PendingGeneration | None = None
        committed = False
        loader: ChunkLoader | None = None
        try:
            # Ctrl-C while the staging folder and the pending generation are made is raised
            # once both are named here, so that the block's end removes them: between their
            # making and their naming, it left them behind.
            with interrupts.held():
                with creating(options.out_dir):
                    staging = staging_dir(out_dir)
                pending = writer.begin()
            with writing(options.store_dir, "the store", "--store", StoreError):
                loader = writer.loader(pending)
            files_written = partial(writing, options.out_dir, "the build's files", "--out")
            with files_written():
                dataset = DatasetWriter(staging)
            written = _write_dataset(
                _Sink(dataset, loader, files_written), files, reference, schema, ontology,
                options, problems, progress,
            )
            if problems:
                dataset.discard()
                raise InputError(problems)
            with files_written():
                dataset.close()
                write_sourcemap(staging / BuildFile.SOURCEMAP.value, options.data_dir,
                                written.sources)
                (staging / MARKER).write_text("sanctions-kg build output\n", encoding="utf-8")
            if progress is not None:
                progress("finishing the store", 0, 1)
            with writing(options.store_dir, "the store", "--store", StoreError):
                database = loader.finish()
                shutil.copyfile(staging / BuildFile.SOURCEMAP.value,
                                pending.generation.sourcemap)
            report = None
            if options.validate:
                from .validation import Severity, validate_store

                if progress is not None:
                    progress("validating", 0, 1)
                report = validate_store(
                    database, shapes=options.shapes, ontology=ontology, sources=written.sources
                )
                if report.count_at_or_above(Severity.VIOLATION):
                    raise ValidationFailed(report.summary_line(), report=report)
            del database
            # The point of no return: from here Ctrl-C could only leave the output of the new
            # build beside the store of the old one, so it is held, and the build is finished
            # and reported (with the caller's guard, until the caller's block ends).
            with interrupts.guard(guard) as finishing:
                finishing.hold()
                exchange(staging, out_dir)
                writer.commit(pending)
                committed = True
                shutil.rmtree(staging, ignore_errors=True)  # the previous output
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            if not committed:
                try:
                    if loader is not None:
                        loader.abandon()
                finally:
                    if pending is not None:
                        writer.abort(pending)
    return BuildSummary(
        articles=written.articles,
        entities=len(reference.entities),
        facts=written.facts,
        claims=written.claims,
        graphs=tuple(dataset.counts),
        seconds=time.perf_counter() - started,
        data_dir=options.data_dir,
        out_dir=options.out_dir,
        store_dir=options.store_dir,
        report=report,
    )


@dataclass(frozen=True)
class _Sink:
    """Where each serialised graph goes: the build's files, and the store being loaded."""

    files: DatasetWriter
    store: ChunkLoader
    #: Reports the file system failing the files' writes (not the reading of facts files).
    failing: Callable[[], AbstractContextManager[None]]

    def write(self, graph: SerialisedGraph) -> None:
        with self.failing():
            self.files.write(graph)
        self.store.add(graph.nquads)


@dataclass
class _Written:
    """What the dataset files received."""

    articles: int = 0
    facts: int = 0
    claims: int = 0
    sources: dict[str, Location] = field(default_factory=dict)


def _write_dataset(
    dataset: _Sink,
    files: list[Path],
    reference: Reference,
    schema: Schema,
    ontology: Path,
    options: BuildOptions,
    problems: list[Problem],
    progress: Progress | None,
) -> _Written:
    """Write the ontology, every article and the reference graph, in that order.

    Problems of all facts files are collected; once there is one, nothing more is written, but
    the remaining files are still checked so that one run reports everything.
    """
    import pyoxigraph as ox

    written = _Written()
    dataset.write(serialise(map_ontology(ontology)))
    metadata: list[ox.Quad] = []
    seen: dict[str, Location] = {}
    paths: dict[str, Path] = {}
    results = compile_articles(files, data_dir=options.data_dir, schema=schema,
                               reference=reference)
    for number, result in enumerate(results, start=1):
        if progress is not None:
            progress("mapping articles", number, len(files))
        problems.extend(result.problems)
        if result.article_id is not None and result.location is not None:
            previous = seen.setdefault(result.article_id, result.location)
            if previous is not result.location:
                problems.append(Problem(
                    result.location,
                    f"duplicate article id '{result.article_id}' (also at {previous}); "
                    "give each article its own id",
                ))
        if problems or result.graph is None:
            continue
        dataset.write(result.graph)
        metadata.extend(ox.parse(result.metadata, format=ox.RdfFormat.N_QUADS))
        for iri, (file, line) in result.sources.items():
            path = paths.get(file)
            if path is None:  # one Path per file, not per node: 700,000 nodes at 10,000 articles
                path = paths[file] = options.data_dir / file
            written.sources[iri] = Location(path, line)
        written.articles += 1
        written.facts += result.facts
        written.claims += result.claims
    if problems:
        return written
    entity_graph = map_entities(reference.entities, schema)
    written.sources.update(entity_graph.sources)
    graph = MappedGraph(REFERENCE_GRAPH, sorted_quads([*entity_graph.quads, *metadata]), {})
    dataset.write(serialise(graph))
    return written
