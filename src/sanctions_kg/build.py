"""``build``: facts files → validated RDF files and a fresh embedded store, all or nothing.

Nothing visible changes until everything is ready: the files are written into a staging folder
and the dataset is bulk-loaded into a new store generation; validation runs on that generation;
only then are the output folder and the store switched, each in one atomic step.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import resources
from .atomic import MARKER, check_output_dir, exchange, staging_dir
from .errors import Location, ValidationFailed
from .facts import load_corpus
from .mapper import MappedGraph, map_article, map_ontology, map_reference
from .output import BuildFile, DatasetWriter, GraphCount
from .records import Corpus, Section
from .schema import Schema, load_schema
from .store import StoreWriter, write_sourcemap

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


@dataclass(frozen=True)
class BuildSummary:
    """What a build produced."""

    articles: int
    entities: int
    facts: int
    claims: int
    graphs: tuple[GraphCount, ...]
    seconds: float
    out_dir: Path
    store_dir: Path
    report: ValidationReport | None

    @property
    def triples(self) -> int:
        return sum(count.triples for count in self.graphs)


def _graphs(
    corpus: Corpus, schema: Schema, ontology: Path, progress: Progress | None
) -> Iterator[MappedGraph]:
    yield map_ontology(ontology)
    yield map_reference(corpus.entities, corpus.articles, schema)
    index = corpus.entity_index
    total = len(corpus.articles)
    for number, article in enumerate(sorted(corpus.articles, key=lambda a: a.meta.id), start=1):
        yield map_article(article, index, schema)
        if progress is not None:
            progress("mapping articles", number, total)


def build(options: BuildOptions, *, progress: Progress | None = None) -> BuildSummary:
    """Run a build; raise InputError (2), ValidationFailed (1) or StoreError (2) on failure."""
    started = time.perf_counter()
    ontology = options.ontology or resources.ontology_path()
    schema = load_schema(ontology)
    corpus = load_corpus(options.data_dir, schema, progress=progress)
    check_output_dir(options.out_dir)
    writer = StoreWriter(options.store_dir)
    with writer.locked():
        staging = staging_dir(options.out_dir)
        pending = writer.begin()
        committed = False
        try:
            files = DatasetWriter(staging)
            sources: dict[str, Location] = {}
            for mapped in _graphs(corpus, schema, ontology, progress):
                files.write([mapped])
                sources.update(mapped.sources)
            files.close()
            write_sourcemap(staging / BuildFile.SOURCEMAP.value, corpus.data_dir, sources)
            (staging / MARKER).write_text("sanctions-kg build output\n", encoding="utf-8")
            if progress is not None:
                progress("loading the store", 0, 1)
            database = writer.load(pending, files.nquads_path)
            shutil.copyfile(staging / BuildFile.SOURCEMAP.value, pending.generation.sourcemap)
            report = None
            if options.validate:
                from .validation import Severity, validate_store

                if progress is not None:
                    progress("validating", 0, 1)
                report = validate_store(
                    database, shapes=options.shapes, ontology=ontology, sources=sources
                )
                if report.count_at_or_above(Severity.VIOLATION):
                    raise ValidationFailed(report.summary_line(), report=report)
            del database
            exchange(staging, options.out_dir)
            writer.commit(pending)
            committed = True
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            if not committed:
                writer.abort(pending)
    facts = sum(
        1 for article in corpus.articles for r in article.records if r.section is Section.FACT
    )
    claims = sum(len(article.records) for article in corpus.articles) - facts
    return BuildSummary(
        articles=len(corpus.articles),
        entities=len(corpus.entities),
        facts=facts,
        claims=claims,
        graphs=tuple(files.counts),
        seconds=time.perf_counter() - started,
        out_dir=options.out_dir,
        store_dir=options.store_dir,
        report=report,
    )
