"""Looking into the store: counts (:func:`stats`) and all it says about one entity
(:func:`describe`).

Facts and claims are recognised through the ontology in the store (a class below ``skg:Fact``;
claims below ``skg:Claim``), and each one's article through its named graph, so nothing here
names a particular class, article or entity.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TextIO

from .errors import LISTED_NAMES, UsageError
from .namespaces import ID, PREFIXES, RDF, RDFS, SKG
from .results import compact, visible, write_rows
from .store import mentions

if TYPE_CHECKING:
    import pyoxigraph as ox


# --- stats ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphStat:
    """Triples in one named graph."""

    graph: str
    triples: int


@dataclass(frozen=True)
class ClassStat:
    """Instances of one ontology class (direct ``rdf:type`` only, no inference)."""

    cls: str
    instances: int


@dataclass(frozen=True)
class ArticleStat:
    """Facts and claims one article asserts."""

    article: str
    graph: str
    facts: int
    claims: int


@dataclass(frozen=True)
class Stats:
    """What the store holds."""

    graphs: tuple[GraphStat, ...]
    classes: tuple[ClassStat, ...]
    articles: tuple[ArticleStat, ...]

    @property
    def triples(self) -> int:
        return sum(graph.triples for graph in self.graphs)

    def to_json(self) -> str:
        document = {
            "triples": self.triples,
            "graphs": [asdict(graph) for graph in self.graphs],
            "classes": [{"class": c.cls, "instances": c.instances} for c in self.classes],
            "articles": [asdict(article) for article in self.articles],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def write_tables(self, out: TextIO, *, terminal: bool) -> None:
        """Three tables: graphs, classes, articles."""
        graphs = [[g.graph, str(g.triples)] for g in self.graphs]
        graphs.append(["total", str(self.triples)])
        write_rows(["graph", "triples"], graphs, out, rich=True, terminal=terminal,
                   title="Triples per graph")
        write_rows(["class", "instances"], [[c.cls, str(c.instances)] for c in self.classes],
                   out, rich=True, terminal=terminal, title="Instances per class")
        write_rows(["article", "facts", "claims"],
                   [[a.article, str(a.facts), str(a.claims)] for a in self.articles],
                   out, rich=True, terminal=terminal, title="Facts and claims per article")


_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
_CLASSES = f"""
SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {{
  ?x a ?class . FILTER(STRSTARTS(STR(?class), "{SKG}"))
}} GROUP BY ?class ORDER BY ?class"""
_ARTICLES = "SELECT ?g ?article WHERE { GRAPH ?g { ?article a schema:NewsArticle } } ORDER BY ?g"
_KIND_PER_GRAPH = """
SELECT ?g (COUNT(DISTINCT ?x) AS ?n) WHERE {
  GRAPH ?g { ?x a ?type }
  FILTER EXISTS { ?type rdfs:subClassOf* skg:%s }
  %s
} GROUP BY ?g"""
_NOT_CLAIM = "FILTER NOT EXISTS { ?x a ?other . ?other rdfs:subClassOf* skg:Claim }"


def stats(store: ox.Store) -> Stats:
    """Triples per graph, instances per ``skg:`` class, facts and claims per article."""
    graphs = tuple(
        GraphStat(str(row[0].value), int(row[1].value)) for row in _select(store, _GRAPHS)
    )
    classes = tuple(
        ClassStat(compact(row[0].value), int(row[1].value)) for row in _select(store, _CLASSES)
    )
    facts = _per_graph(store, _KIND_PER_GRAPH % ("Fact", _NOT_CLAIM))
    claims = _per_graph(store, _KIND_PER_GRAPH % ("Claim", ""))
    articles = tuple(
        ArticleStat(
            compact(row[1].value), row[0].value, facts.get(row[0].value, 0),
            claims.get(row[0].value, 0),
        )
        for row in _select(store, _ARTICLES)
    )
    return Stats(graphs, classes, articles)


def _per_graph(store: ox.Store, query: str) -> dict[str, int]:
    return {row[0].value: int(row[1].value) for row in _select(store, query)}


def _select(store: ox.Store, query: str, entity: str | None = None) -> list[list[Any]]:
    """Rows of a SELECT on the union of the graphs, with the predeclared prefixes; ``?entity``
    in the query stands for the IRI ``entity``."""
    import pyoxigraph as ox

    if entity is not None:
        query = query.replace("?entity", str(ox.NamedNode(entity)))
    solutions = store.query(query, prefixes=dict(PREFIXES), use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    return [[solution[index] for index in range(len(solutions.variables))]
            for solution in solutions]


# --- describe -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One property of the entity: a predicate, a value and the graph that says it."""

    predicate: str
    value: str
    label: str | None
    graph: str


@dataclass(frozen=True)
class Quote:
    """A supporting quote: the exact words and their character offsets in the article."""

    exact: str
    start: int | None
    end: int | None


@dataclass(frozen=True)
class Mention:
    """A fact or claim that links to the entity, with its evidence and article."""

    node: str
    label: str | None
    types: tuple[str, ...]
    predicate: str
    via: str | None
    article: str | None
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class Link:
    """Another node pointing at the entity (a group listing it as member, a post of a state)."""

    node: str
    label: str | None
    predicate: str
    graph: str


@dataclass(frozen=True)
class Description:
    """Everything the store says about one entity, across articles."""

    iri: str
    label: str | None
    types: tuple[str, ...]
    properties: tuple[Statement, ...]
    quotes: tuple[Quote, ...]
    mentions: tuple[Mention, ...]
    links: tuple[Link, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        """A readable report: the entity, its properties, then the facts and claims; control
        characters of the data written as ``\\x1b`` (JSON escapes them itself)."""
        lines = [_titled(compact(self.iri), self.label)]
        lines.append(f"  {self.iri}")
        if self.types:
            lines.append(f"  type: {', '.join(self.types)}")
        for quote in self.quotes:
            lines.append(f"  {_quote(quote)}")
        if self.properties:
            lines += ["", "Properties"]
            width = max(len(p.predicate) for p in self.properties)
            for prop in self.properties:
                value = prop.value + (f"  ({prop.label})" if prop.label else "")
                lines.append(f"  {prop.predicate:<{width}}  {value}  [{_graph_name(prop.graph)}]")
        distinct = len({mention.node for mention in self.mentions})
        links = "" if distinct == len(self.mentions) else f", by {len(self.mentions)} links"
        lines += ["", f"Facts and claims ({distinct}{links})"]
        if not self.mentions:
            lines.append("  none")
        for mention in self.mentions:
            lines.append(f"  {_titled(compact(mention.node), mention.label)}")
            kinds = ", ".join(mention.types) or "untyped"
            role = mention.predicate if mention.via is None else mention.via
            lines.append(f"    {kinds}; links by {role}")
            if mention.article:
                lines.append(f"    article: {mention.article}")
            lines.extend(f"    {_quote(quote)}" for quote in mention.quotes)
        if self.links:
            lines += ["", f"Linked from ({len(self.links)})"]
            for link in self.links:
                lines.append(
                    f"  {_titled(compact(link.node), link.label)} {link.predicate} "
                    f"[{_graph_name(link.graph)}]"
                )
        return visible("\n".join(lines)) + "\n"  # a control character in the data is shown


def _literal(term: object) -> str:
    """A literal in Turtle style with a prefixed datatype; other terms as N-Triples."""
    import pyoxigraph as ox

    if not isinstance(term, ox.Literal):
        return str(term)
    quoted = json.dumps(term.value, ensure_ascii=False)
    if term.language:
        return f"{quoted}@{term.language}"
    if term.datatype.value == PREFIXES["xsd"] + "string":
        return quoted
    return f"{quoted}^^{compact(term.datatype.value)}"


def _titled(name: str, label: str | None) -> str:
    return f"{name} — {label}" if label else name


def _quote(quote: Quote) -> str:
    span = f" [{quote.start}–{quote.end}]" if quote.start is not None else ""
    return f"quote{span}: “{quote.exact}”"


def _graph_name(graph: str) -> str:
    return graph.rsplit("/graph/", 1)[-1]


def describe(store: ox.Store, entity: str) -> Description:
    """Everything the store says about an entity given as an IRI, ``<IRI>``, prefixed name,
    id path (``state/iran``), bare slug (``iran``) or label (case-insensitive)."""
    import pyoxigraph as ox

    iri = resolve_entity(store, entity)
    node = ox.NamedNode(iri)
    names = _Names(store)
    properties = []
    for quad in store.quads_for_pattern(node, None, None, None):
        value = quad.object
        shown = compact(value.value) if isinstance(value, ox.NamedNode) else _literal(value)
        label = names.label(value.value) if isinstance(value, ox.NamedNode) else None
        properties.append(
            Statement(compact(quad.predicate.value), shown, label, _graph_of(quad.graph_name))
        )
    properties.sort(key=lambda s: (s.predicate != "rdf:type", s.predicate, s.value, s.graph))
    mentions = _mentions(store, iri, names)
    facts = {mention.node for mention in mentions}  # compact IRIs
    links = sorted(
        {
            Link(compact(quad.subject.value), names.label(quad.subject.value),
                 compact(quad.predicate.value), _graph_of(quad.graph_name))
            for quad in store.quads_for_pattern(None, None, node, None)
            if isinstance(quad.subject, ox.NamedNode)
            and compact(quad.subject.value) not in facts
            and not _is_content(names.types(quad.subject.value))
        },
        key=lambda link: (link.node, link.predicate, link.graph),
    )
    return Description(
        iri=iri,
        label=names.label(iri),
        types=tuple(compact(t) for t in names.types(iri)),
        properties=tuple(properties),
        quotes=_quotes(store, [iri]).get(iri, ()),
        mentions=tuple(mentions),
        links=tuple(links),
    )


_FACT_TYPES = "SELECT DISTINCT ?type WHERE { ?type rdfs:subClassOf* skg:Fact }"
_DIRECT = "SELECT DISTINCT ?node ?p ?g WHERE { GRAPH ?g { ?node ?p ?entity } }"
_VIA_CONTENT = """
SELECT DISTINCT ?node ?content ?role ?relation ?g WHERE {
  GRAPH ?g { ?node skg:hasContent ?content . ?content ?role ?entity }
  FILTER(?role IN (rdf:subject, rdf:object))
  OPTIONAL { ?content rdf:predicate ?relation }
}"""
_QUOTES = """
SELECT ?node ?exact ?start ?end WHERE {
  ?node prov:wasDerivedFrom ?evidence .
  ?evidence oa:hasSelector ?quote . ?quote oa:exact ?exact .
  OPTIONAL { ?evidence oa:hasSelector ?position . ?position oa:start ?start ; oa:end ?end }
}"""


def _mentions(store: ox.Store, iri: str, names: _Names) -> list[Mention]:
    fact_types = {row[0].value for row in _select(store, _FACT_TYPES)}
    found: list[tuple[str, str, str | None, str, str | None]] = []
    for node, predicate, graph in _select(store, _DIRECT, iri):
        if set(names.types(node.value)) & fact_types:
            found.append((node.value, compact(predicate.value), None, graph.value, None))
    for node, content, role, relation, graph in _select(store, _VIA_CONTENT, iri):
        relation_name = compact(relation.value) if relation is not None else "?"
        position = "subject" if role.value.endswith("subject") else "object"
        via = f"claim content {compact(content.value)} ({position} of {relation_name})"
        found.append((node.value, "skg:hasContent", via, graph.value, content.value))
    articles = _articles(store)
    quotes = _quotes(store, [f[0] for f in found] + [f[4] for f in found if f[4]])
    mentions = [
        Mention(
            node=compact(node),
            label=names.label(node),
            types=tuple(compact(t) for t in names.types(node) if t in fact_types),
            predicate=predicate,
            via=via,
            article=articles.get(graph),
            quotes=(quotes.get(content, ()) if content else ()) or quotes.get(node, ()),
        )
        for node, predicate, via, graph, content in found
    ]
    mentions.sort(key=lambda m: (m.article or "", m.types, m.node, m.predicate, m.via or ""))
    return mentions


def _quotes(store: ox.Store, nodes: Iterable[str]) -> dict[str, tuple[Quote, ...]]:
    wanted = set(nodes)
    if not wanted:
        return {}
    found: dict[str, set[Quote]] = defaultdict(set)
    values = " ".join(f"<{node}>" for node in sorted(wanted))
    query = _QUOTES.replace("WHERE {", f"WHERE {{ VALUES ?node {{ {values} }}", 1)
    for node, exact, start, end in _select(store, query):
        found[node.value].add(
            Quote(exact.value, _int(start), _int(end))
        )
    return {
        node: tuple(sorted(quotes, key=lambda q: (q.start is None, q.start or 0, q.exact)))
        for node, quotes in found.items()
    }


def _int(term: Any) -> int | None:
    if term is None:
        return None
    try:
        return int(getattr(term, "value", ""))
    except ValueError:
        return None


def _articles(store: ox.Store) -> dict[str, str]:
    return {row[0].value: compact(row[1].value) for row in _select(store, _ARTICLES)}


class _Names:
    """The labels and types of nodes, looked up node by node as a description needs them and
    kept: reading every label and type of the store first took over two minutes at 10,000
    articles, for a description that names a few thousand nodes."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._labels: dict[str, str | None] = {}
        self._types: dict[str, tuple[str, ...]] = {}

    def label(self, iri: str) -> str | None:
        """The node's ``rdfs:label`` (the smallest, when it has several)."""
        if iri not in self._labels:
            self._labels[iri] = min(self._objects(iri, RDFS + "label", literals=True),
                                    default=None)
        return self._labels[iri]

    def types(self, iri: str) -> tuple[str, ...]:
        """The node's classes, sorted."""
        if iri not in self._types:
            self._types[iri] = tuple(sorted(self._objects(iri, RDF + "type", literals=False)))
        return self._types[iri]

    def _objects(self, iri: str, predicate: str, *, literals: bool) -> set[str]:
        import pyoxigraph as ox

        quads = self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(predicate), None,
                                             None)
        kind = ox.Literal if literals else ox.NamedNode
        return {quad.object.value for quad in quads if isinstance(quad.object, kind)}


def _is_content(types: Iterable[str]) -> bool:
    return SKG + "ClaimContent" in types


def _graph_of(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    return str(getattr(graph, "value", "")) or "default"


# --- resolving what the user typed ------------------------------------------------------------

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://|^urn:")


#: The forms an ENTITY argument takes, as the messages about a wrong one list them.
_WHAT_TO_GIVE = ("give an IRI, a prefixed name (skg:Sanction), an id path (state/iran), a slug "
                 "(iran) or a label (Islamic Republic of Iran)")


def resolve_entity(store: ox.Store, entity: str) -> str:
    """The IRI an ENTITY argument means; UsageError when nothing or several things match.

    Tried in order: ``<IRI>`` or an absolute IRI; a prefixed name with a predeclared prefix; an
    id path (``state/iran``); then, among the nodes the store knows, the last segment of the
    IRI (a bare slug like ``iran``, case-sensitive like IRIs), ``rdfs:label`` and
    ``skos:altLabel`` (both case-insensitive).
    The first of these three that matches anything decides; more than one match is ambiguous.
    """
    text = entity.strip()
    if not text:
        raise UsageError(f"ENTITY is empty; {_WHAT_TO_GIVE}")
    iri = _as_iri(text)
    if iri is not None and mentions(store, iri):
        return iri
    for tier in _candidates(store, text):
        if len(tier) == 1:
            return next(iter(tier))
        if len(tier) > 1:
            names = _Names(store)
            nodes = sorted(tier)
            first = nodes if len(nodes) <= LISTED_NAMES + 1 else nodes[:LISTED_NAMES]
            listing = "\n".join(
                f"  {compact(node)}  {names.label(node) or ''} "
                f"({', '.join(compact(t) for t in names.types(node)) or 'untyped'})"
                for node in first
            )
            if len(first) < len(nodes):
                listing += f"\n  … and {len(nodes) - len(first):,} more"
            raise UsageError(
                f"'{entity}' is ambiguous: it matches {len(tier)} nodes; "
                f"pass one of these instead:\n{listing}"
            )
    shown = f"<{iri}>" if iri is not None else f"'{entity}'"
    prefix, colon, _ = text.partition(":")
    if (colon and iri is None and " " not in text and prefix not in PREFIXES
            and re.fullmatch(r"[A-Za-z][\w.-]*", prefix)):
        raise UsageError(f"nothing in the store matches '{entity}', and '{prefix}:' is no "
                         f"predeclared prefix; use one of {', '.join(sorted(PREFIXES))}, or a "
                         "full IRI")
    raise UsageError(f"nothing in the store matches {shown}; {_WHAT_TO_GIVE}")


def _as_iri(text: str) -> str | None:
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    if _SCHEME.match(text):
        return text
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES and " " not in text:
        return PREFIXES[prefix] + local
    if not colon and "/" in text and " " not in text:
        return ID + text.strip("/")
    return None


def _candidates(store: ox.Store, text: str) -> list[set[str]]:
    """Matches of ``text`` as a slug, as an ``rdfs:label``, as a ``skos:altLabel``."""
    import pyoxigraph as ox

    wanted = text.casefold()
    slug: set[str] = set()
    label: set[str] = set()
    alt: set[str] = set()
    # The typed nodes whose IRI ends in the slug, filtered by the store (every node is typed:
    # reading them all into Python took 12 s at 10,000 articles; DISTINCT would add 3 s).
    typed = _select(store, f"""
        SELECT ?x WHERE {{ ?x a ?type
          FILTER(isIRI(?x) && (STRENDS(STR(?x), {ox.Literal("/" + text)})
                               || STRENDS(STR(?x), {ox.Literal("#" + text)}))) }}""")
    for (node,) in typed:
        if node.value.startswith((ID, SKG)) and _slug(node.value) == text:
            slug.add(node.value)
    rows = _select(store, """
        SELECT DISTINCT ?x ?name ?kind WHERE {
          { ?x rdfs:label ?name BIND("label" AS ?kind) }
          UNION { ?x skos:altLabel ?name BIND("alt" AS ?kind) }
          FILTER(isIRI(?x))
        }""")
    for node, name, kind in rows:
        if name.value.casefold() == wanted:
            (label if kind.value == "label" else alt).add(node.value)
    return [slug, label, alt]


def _slug(iri: str) -> str:
    return re.split(r"[/#]", iri)[-1]

