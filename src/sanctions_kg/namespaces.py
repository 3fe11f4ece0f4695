"""IRIs of the project's namespaces and of the vocabularies it uses."""

from __future__ import annotations

from typing import Final

BASE: Final = "https://w3id.org/sanctions-kg/"
SKG: Final = BASE + "ontology#"
SKG_SHAPES: Final = BASE + "shapes#"
ID: Final = BASE + "id/"
GRAPH: Final = BASE + "graph/"
ONTOLOGY_IRI: Final = BASE + "ontology"

ONTOLOGY_GRAPH: Final = GRAPH + "ontology"
REFERENCE_GRAPH: Final = GRAPH + "reference"
ARTICLE_GRAPH_PREFIX: Final = GRAPH + "article/"

RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
OWL: Final = "http://www.w3.org/2002/07/owl#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
SKOS: Final = "http://www.w3.org/2004/02/skos/core#"
DCTERMS: Final = "http://purl.org/dc/terms/"
PROV: Final = "http://www.w3.org/ns/prov#"
OA: Final = "http://www.w3.org/ns/oa#"
SCHEMA: Final = "http://schema.org/"
ORG: Final = "http://www.w3.org/ns/org#"
TIME: Final = "http://www.w3.org/2006/time#"
SH: Final = "http://www.w3.org/ns/shacl#"
WIKIDATA: Final = "http://www.wikidata.org/entity/"

#: Prefixes predeclared for queries.
PREFIXES: Final[dict[str, str]] = {
    "skg": SKG,
    "skgid": ID,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "oa": OA,
    "schema": SCHEMA,
    "org": ORG,
    "time": TIME,
    "sh": SH,
    "wd": WIKIDATA,
}


def article_graph(article_id: str) -> str:
    """The IRI of the named graph holding one article's facts and claims."""
    return ARTICLE_GRAPH_PREFIX + article_id


def article_iri(article_id: str) -> str:
    """The IRI of the article node itself."""
    return f"{ID}article/{article_id}"


#: Prefixes used when serialising: instance IRIs stay whole, since their slashes would have to
#: be escaped in prefixed names.
SERIALISATION_PREFIXES: Final[dict[str, str]] = {
    name: iri for name, iri in PREFIXES.items() if name != "skgid"
}
