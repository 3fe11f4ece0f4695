"""Typed records → RDF quads: a pure function of its input, with deterministic IRIs.

Every node gets an IRI (no blank nodes); quads come out sorted within each graph, so the same
records always give the same bytes. Facts and claims are scoped by their article; entities are
shared. Each asserted node points at evidence nodes (``oa:SpecificResource``) whose selectors
give the exact words and their code-point offsets in the article text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .dates import DateSpec
from .errors import Location
from .namespaces import (
    DCTERMS,
    ID,
    OA,
    ONTOLOGY_GRAPH,
    OWL,
    PROV,
    RDF,
    RDFS,
    REFERENCE_GRAPH,
    SCHEMA,
    SKG,
    SKOS,
    XSD,
    article_graph,
    article_iri,
)
from .records import Article, Content, Field, Flag, Number, Quote, Record, Ref, Section, Text
from .schema import LANG_STRING, Schema, kind_slug
from .sources import rdf_input

if TYPE_CHECKING:
    import pyoxigraph as ox

GENID = "https://w3id.org/sanctions-kg/.well-known/genid/"


@dataclass(frozen=True)
class MappedGraph:
    """The sorted quads of one named graph and where each subject came from."""

    graph: str
    quads: list[ox.Quad]
    sources: dict[str, Location]


def entity_iri(record: Record) -> str:
    """The IRI of a shared entity."""
    return f"{ID}{kind_slug(record.type)}/{record.id}"


def fact_iri(article_id: str, record: Record) -> str:
    """The IRI of a fact or claim of an article."""
    return f"{ID}{kind_slug(record.type)}/{article_id}/{record.id}"


def sorted_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Quads without duplicates, sorted by their N-Quads form: the canonical order."""
    unique = {str(quad): quad for quad in quads}
    return [unique[key] for key in sorted(unique)]


def map_ontology(path: Path) -> MappedGraph:
    """The ontology file as a graph, blank nodes replaced by stable skolem IRIs."""
    import pyoxigraph as ox

    graph = ox.NamedNode(ONTOLOGY_GRAPH)
    labels: dict[str, ox.NamedNode] = {}

    def skolem(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.Literal:
        if isinstance(term, ox.BlankNode):
            if term.value not in labels:
                labels[term.value] = ox.NamedNode(f"{GENID}ontology-{len(labels) + 1}")
            return labels[term.value]
        return term

    quads = []
    with rdf_input(path) as handle:
        triples = list(ox.parse(handle, format=ox.RdfFormat.TURTLE))
    for triple in triples:
        subject = skolem(triple.subject)
        assert isinstance(subject, ox.NamedNode)
        quads.append(ox.Quad(subject, triple.predicate, skolem(triple.object), graph))
    return MappedGraph(ONTOLOGY_GRAPH, sorted_quads(quads), {})


class _Emitter:
    """Collects the quads of one graph."""

    def __init__(self, graph: str, schema: Schema | None, language: str) -> None:
        import pyoxigraph as ox

        self.ox = ox
        self.graph = ox.NamedNode(graph)
        self.schema = schema
        self.language = language
        self.quads: list[ox.Quad] = []
        self.sources: dict[str, Location] = {}
        # IRIs repeat a lot (predicates, datatypes, subjects): build each term once.
        self._nodes: dict[str, ox.NamedNode] = {}

    def iri(self, value: str) -> ox.NamedNode:
        node = self._nodes.get(value)
        if node is None:
            node = self._nodes[value] = self.ox.NamedNode(value)
        return node

    def add(self, subject: str, predicate: str, obj: ox.NamedNode | ox.Literal) -> None:
        self.quads.append(self.ox.Quad(self.iri(subject), self.iri(predicate), obj, self.graph))

    def link(self, subject: str, predicate: str, obj: str) -> None:
        self.add(subject, predicate, self.iri(obj))

    def text(self, subject: str, predicate: str, value: str) -> None:
        self.add(subject, predicate, self.ox.Literal(value, language=self.language))

    def typed(self, subject: str, predicate: str, value: str, datatype: str) -> None:
        self.add(subject, predicate, self.ox.Literal(value, datatype=self.iri(datatype)))

    def string(self, subject: str, predicate: str, value: str) -> None:
        self.add(subject, predicate, self.ox.Literal(value))

    def date(self, subject: str, name: str, spec: DateSpec) -> None:
        bounds = (("", spec.value), ("Earliest", spec.earliest), ("Latest", spec.latest))
        for suffix, bound in bounds:
            if bound is not None:
                self.typed(subject, SKG + name + suffix, bound.lexical, bound.precision.datatype)
        if spec.expression is not None:
            self.string(subject, SKG + name + "Expression", spec.expression)

    def fields(self, subject: str, fields: Iterable[Field], resolve: _Resolver) -> None:
        for field_ in fields:
            predicate = SKG + field_.name
            assert self.schema is not None
            range_ = self.schema.datatype_ranges.get(field_.name, "")
            for value in field_.values:
                if isinstance(value, Ref):
                    self.link(subject, predicate, resolve(value))
                elif isinstance(value, DateSpec):
                    self.date(subject, field_.name, value)
                elif isinstance(value, Text):
                    if range_ == LANG_STRING:
                        self.text(subject, predicate, value.value)
                    else:
                        self.string(subject, predicate, value.value)
                elif isinstance(value, Number):
                    self.typed(subject, predicate, str(value.value), range_ or XSD + "integer")
                elif isinstance(value, Flag):
                    self.typed(subject, predicate, str(value.value).lower(), XSD + "boolean")

    def names(self, subject: str, record: Record) -> None:
        if record.label is not None:
            self.text(subject, RDFS + "label", record.label)
        for alt in record.alt_labels:
            self.text(subject, SKOS + "altLabel", alt)
        if record.note is not None:
            self.string(subject, SKG + "note", record.note)

    def result(self, graph: str) -> MappedGraph:
        return MappedGraph(graph, sorted_quads(self.quads), self.sources)


class _Resolver:
    """Turns ids into IRIs: facts of the article first, then entities, then concepts."""

    def __init__(self, article_id: str | None, facts: dict[str, Record],
                 entities: dict[str, Record]) -> None:
        self.article_id = article_id
        self.facts = facts
        self.entities = entities

    def __call__(self, ref: Ref) -> str:
        fact = self.facts.get(ref.id)
        if fact is not None and self.article_id is not None:
            return fact_iri(self.article_id, fact)
        entity = self.entities.get(ref.id)
        if entity is not None:
            return entity_iri(entity)
        return SKG + ref.id


def map_entities(entities: Iterable[Record], schema: Schema) -> MappedGraph:
    """The shared entities of the reference graph."""
    emit = _Emitter(REFERENCE_GRAPH, schema, "en")
    index = {record.id: record for record in entities}
    resolve = _Resolver(None, {}, index)
    for record in index.values():
        subject = entity_iri(record)
        emit.sources[subject] = record.location
        emit.link(subject, RDF + "type", SKG + record.type)
        emit.names(subject, record)
        emit.fields(subject, record.fields, resolve)
        for iri in record.same_as:
            emit.link(subject, OWL + "sameAs", iri)
        if record.source is not None:
            emit.string(subject, DCTERMS + "source", record.source)
        if record.country is not None:
            emit.string(subject, SKG + "isoAlpha2", record.country.alpha2)
            emit.string(subject, SKG + "isoAlpha3", record.country.alpha3)
    return emit.result(REFERENCE_GRAPH)


def map_article_metadata(article: Article) -> MappedGraph:
    """An article's curated metadata, which belongs to the reference graph."""
    emit = _Emitter(REFERENCE_GRAPH, None, "en")
    _article_metadata(emit, article)
    return emit.result(REFERENCE_GRAPH)


def map_reference(
    entities: Iterable[Record], articles: Iterable[Article], schema: Schema
) -> MappedGraph:
    """The reference graph: shared entities and the curated metadata of each article."""
    graphs = [map_entities(entities, schema), *map(map_article_metadata, articles)]
    return merge_graphs(REFERENCE_GRAPH, graphs)


def merge_graphs(graph: str, parts: Iterable[MappedGraph]) -> MappedGraph:
    """Several mapped parts of one graph as one sorted graph."""
    quads: list[ox.Quad] = []
    sources: dict[str, Location] = {}
    for part in parts:
        quads.extend(part.quads)
        sources.update(part.sources)
    return MappedGraph(graph, sorted_quads(quads), sources)


def _article_metadata(emit: _Emitter, article: Article) -> None:
    """Curated metadata of an article: not stated by its text, so kept out of its graph."""
    meta = article.meta
    subject = article_iri(meta.id)
    emit.sources[subject] = article.location
    assert meta.published.value is not None
    published = meta.published.value
    emit.typed(subject, SCHEMA + "datePublished", published.lexical, published.precision.datatype)
    statement = f"{subject}/curation/date-published"
    emit.sources[statement] = meta.published_location or article.location
    emit.link(statement, RDF + "type", SKG + "CuratedStatement")
    emit.link(statement, RDF + "subject", subject)
    emit.link(statement, RDF + "predicate", SCHEMA + "datePublished")
    emit.typed(statement, RDF + "object", published.lexical, published.precision.datatype)
    emit.typed(statement, SKG + "inferred", str(meta.published_inferred).lower(), XSD + "boolean")
    if meta.published_note is not None:
        emit.string(statement, SKG + "note", meta.published_note)
    for predicate, value in (
        ("headline", meta.title),
        ("publisher", meta.publisher),
        ("author", meta.author),
        ("license", meta.license),
    ):
        if value is not None:
            emit.string(subject, SCHEMA + predicate, value)
    if meta.url is not None:
        emit.link(subject, SCHEMA + "url", meta.url)


def map_article(article: Article, entities: dict[str, Record], schema: Schema) -> MappedGraph:
    """One article's graph: the article node, its facts and claims, and their evidence."""
    meta = article.meta
    graph = article_graph(meta.id)
    emit = _Emitter(graph, schema, meta.language)
    source = article_iri(meta.id)
    emit.link(source, RDF + "type", SCHEMA + "NewsArticle")
    emit.string(source, SCHEMA + "text", meta.text)
    emit.string(source, SCHEMA + "inLanguage", meta.language)
    facts = {record.id: record for record in article.records}
    resolve = _Resolver(meta.id, facts, entities)
    quoted = [(quote.start, quote.end, fact_iri(meta.id, record))
              for record in article.records if record.section is Section.CLAIM
              for quote in record.quotes]
    for record in article.records:
        subject = fact_iri(meta.id, record)
        emit.sources[subject] = record.location
        emit.link(subject, RDF + "type", SKG + record.type)
        emit.names(subject, record)
        emit.fields(subject, record.fields, resolve)
        evidence = _evidence(emit, meta.id, record, source)
        for iri in evidence:
            emit.link(subject, PROV + "wasDerivedFrom", iri)
        for quote in record.quotes:
            emit.text(subject, SKG + "quote", quote.exact)
        for number, content in enumerate(record.contents, start=1):
            _content(emit, f"{subject}/content/{number}", subject, content, evidence, resolve)
        if record.section is Section.FACT:
            for claim in _claims_holding(record, quoted):
                emit.link(subject, SKG + "restsOnClaim", claim)
    return emit.result(graph)


def _claims_holding(record: Record, quoted: list[tuple[int, int, str]]) -> list[str]:
    """The claims whose quotes hold every evidence span of a fact: the article gives the fact
    only in their speakers' words. None if one span lies outside every quote."""
    holding: set[str] = set()
    for quote in record.evidence:
        inside = {claim for start, end, claim in quoted
                  if start <= quote.start and quote.end <= end}
        if not inside:
            return []
        holding |= inside
    return sorted(holding)


def _evidence(emit: _Emitter, article_id: str, record: Record, source: str) -> list[str]:
    spans: dict[tuple[int, int], Quote] = {}
    for quote in (*record.quotes, *record.evidence):
        spans.setdefault((quote.start, quote.end), quote)
    iris = []
    for number, quote in enumerate(spans.values(), start=1):
        node = f"{ID}evidence/{article_id}/{record.id}/{number}"
        iris.append(node)
        emit.sources[node] = quote.location
        emit.link(node, RDF + "type", OA + "SpecificResource")
        emit.link(node, OA + "hasSource", source)
        quote_selector, position = node + "/quote", node + "/position"
        emit.link(node, OA + "hasSelector", quote_selector)
        emit.link(node, OA + "hasSelector", position)
        emit.link(quote_selector, RDF + "type", OA + "TextQuoteSelector")
        emit.string(quote_selector, OA + "exact", quote.exact)
        if quote.prefix:
            emit.string(quote_selector, OA + "prefix", quote.prefix)
        if quote.suffix:
            emit.string(quote_selector, OA + "suffix", quote.suffix)
        emit.link(position, RDF + "type", OA + "TextPositionSelector")
        emit.typed(position, OA + "start", str(quote.start), XSD + "nonNegativeInteger")
        emit.typed(position, OA + "end", str(quote.end), XSD + "nonNegativeInteger")
    return iris


def _content(
    emit: _Emitter,
    node: str,
    claim: str,
    content: Content,
    evidence: list[str],
    resolve: _Resolver,
) -> None:
    emit.sources[node] = content.location
    emit.link(claim, SKG + "hasContent", node)
    emit.link(node, RDF + "type", SKG + "ClaimContent")
    emit.link(node, RDF + "subject", resolve(content.subject))
    emit.link(node, RDF + "predicate", SKG + content.predicate)
    emit.link(node, RDF + "object", resolve(content.object))
    emit.fields(node, content.fields, resolve)
    for iri in evidence:
        emit.link(node, PROV + "wasDerivedFrom", iri)
