"""Mapping records to RDF: deterministic IRIs, no blank nodes, evidence that matches the text."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import DATA, SEED_ID, Built
from sanctions_kg import resources
from sanctions_kg.facts import load_corpus
from sanctions_kg.mapper import map_article, map_ontology, map_reference
from sanctions_kg.namespaces import ID, PREFIXES, SKG, article_graph
from sanctions_kg.schema import kind_slug, load_schema
from sanctions_kg.store import open_read


@pytest.fixture(scope="module")
def store(seed_build: Built) -> ox.Store:
    return open_read(seed_build.store)


def ask(store: ox.Store, query: str) -> bool:
    result = store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True)
    assert isinstance(result, ox.QueryBoolean)
    return bool(result)


def select(store: ox.Store, query: str) -> list[list[str]]:
    result = store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    return [[term.value if term is not None else "" for term in row] for row in result]


def test_kind_slug() -> None:
    assert kind_slug("BilateralMeeting") == "bilateral-meeting"
    assert kind_slug("State") == "state"


def test_mapping_is_pure_and_sorted() -> None:
    schema = load_schema(resources.ontology_path())
    corpus = load_corpus(DATA, schema)
    article = corpus.articles[0]
    first = map_article(article, corpus.entity_index, schema)
    second = map_article(article, corpus.entity_index, schema)
    assert [str(q) for q in first.quads] == [str(q) for q in second.quads]
    assert [str(q) for q in first.quads] == sorted(str(q) for q in first.quads)
    assert first.graph == article_graph(SEED_ID)
    reference = map_reference(corpus.entities, corpus.articles, schema)
    assert len(reference.quads) > 100


def test_no_blank_nodes_anywhere(seed_build: Built) -> None:
    quads = list(ox.parse(path=str(seed_build.out / "sanctions-kg.nq")))
    assert quads
    for quad in quads:
        assert not isinstance(quad.subject, ox.BlankNode), quad
        assert not isinstance(quad.object, ox.BlankNode), quad


def test_ontology_blank_nodes_are_skolemised() -> None:
    graph = map_ontology(resources.ontology_path())
    assert any(".well-known/genid/" in q.subject.value for q in graph.quads)


def test_fact_iris_are_scoped_by_article_and_entities_are_shared(store: ox.Store) -> None:
    rows = select(store, f"""
        SELECT ?imposer WHERE {{
          <{ID}sanction/{SEED_ID}/us-sanctions-on-iran> skg:imposer ?imposer ; skg:target ?t
        }}""")
    assert rows == [[f"{ID}state/united-states"]]


def test_every_evidence_selector_matches_the_article_text(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?ev ?exact (SUBSTR(?text, ?start + 1, ?end - ?start) AS ?span) ?prefix ?before
               ?suffix ?after
        WHERE {
          ?ev a oa:SpecificResource ; oa:hasSource ?article ;
              oa:hasSelector ?q, ?p .
          ?article schema:text ?text .
          ?q a oa:TextQuoteSelector ; oa:exact ?exact .
          ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
          OPTIONAL { ?q oa:prefix ?prefix }
          OPTIONAL { ?q oa:suffix ?suffix }
          BIND(SUBSTR(?text, IF(?start > 32, ?start - 31, 1), IF(?start > 32, 32, ?start))
               AS ?before)
          BIND(SUBSTR(?text, ?end + 1, 32) AS ?after)
        }""")
    assert len(rows) >= 90
    for _ev, exact, span, prefix, before, suffix, after in rows:
        assert span == exact
        assert prefix == before
        assert suffix == after


def test_every_fact_and_claim_has_evidence(store: ox.Store) -> None:
    missing = select(store, f"""
        SELECT ?node WHERE {{
          GRAPH <{article_graph(SEED_ID)}> {{ ?node a ?type }}
          FILTER(STRSTARTS(STR(?type), "{SKG}"))
          FILTER NOT EXISTS {{ ?node prov:wasDerivedFrom ?evidence }}
        }}""")
    assert missing == []


def test_claim_content_is_recorded_but_not_asserted(store: ox.Store) -> None:
    assert ask(store, f"""ASK {{ ?c a skg:ClaimContent ; rdf:subject <{ID}state/united-states> ;
                                rdf:predicate skg:imposesSanctionsOn ;
                                rdf:object <{ID}state/russia> }}""")
    assert not ask(store, "ASK { ?s ?p ?o . ?p a skg:ContentPredicate }")


def test_curated_publication_date_is_outside_the_article_graph(store: ox.Store) -> None:
    assert not ask(store, f"""ASK {{ GRAPH <{article_graph(SEED_ID)}> {{
                                ?a schema:datePublished ?d }} }}""")
    assert ask(store, """ASK { GRAPH <https://w3id.org/sanctions-kg/graph/reference> {
        ?s a skg:CuratedStatement ; rdf:predicate schema:datePublished ;
           rdf:object "2022-09-15"^^xsd:date ; skg:inferred true ; skg:note ?why } }""")


@pytest.mark.parametrize(
    ("fact", "predicate", "value", "datatype"),
    [
        ("sanction/{a}/us-sanctions-on-iran", "startDate", "2018", "gYear"),
        ("bilateral-meeting/{a}/raisi-putin-meeting", "date", "2022-09-15", "date"),
        ("application-approval/{a}/iran-application-approved", "date", "2021-09", "gYearMonth"),
        ("delegation-visit/{a}/russian-delegation-visit", "dateEarliest", "2022-09-19", "date"),
        ("delegation-visit/{a}/russian-delegation-visit", "dateLatest", "2022-09-25", "date"),
    ],
)
def test_dates_keep_their_precision(
    store: ox.Store, fact: str, predicate: str, value: str, datatype: str
) -> None:
    iri = ID + fact.format(a=SEED_ID)
    rows = select(store, f"SELECT ?v (DATATYPE(?v) AS ?t) WHERE {{ <{iri}> skg:{predicate} ?v }}")
    assert rows == [[value, f"http://www.w3.org/2001/XMLSchema#{datatype}"]]


def test_relative_expressions_are_kept_beside_the_value(store: ox.Store) -> None:
    rows = select(store, f"""SELECT ?e WHERE {{
        <{ID}delegation-visit/{SEED_ID}/russian-delegation-visit> skg:dateExpression ?e }}""")
    assert rows == [["next week"]]


def test_states_carry_iso_codes_from_pycountry(store: ox.Store) -> None:
    import pycountry

    rows = select(store, f"SELECT ?a2 ?a3 WHERE {{ <{ID}state/iran> skg:isoAlpha2 ?a2 ; "
                         "skg:isoAlpha3 ?a3 }")
    country = pycountry.countries.get(alpha_2=rows[0][0])
    assert rows == [["IR", "IRN"]] and country.alpha_3 == "IRN"


def test_only_verified_wikidata_links(store: ox.Store) -> None:
    rows = select(store, "SELECT ?s ?o WHERE { ?s owl:sameAs ?o } ORDER BY ?o")
    assert sorted(o.rsplit("/", 1)[1] for _, o in rows) == sorted(
        ["Q794", "Q159", "Q30", "Q485207", "Q7747", "Q5753"]
    )


def sourcemap_line(built: Built, node: str) -> tuple[str, str]:
    """The file the source map names for a node, and the text of the line it names."""
    import json

    data = json.loads((built.out / "sanctions-kg.sourcemap.json").read_text())
    file, line = data["nodes"][node].rsplit(":", 1)
    return file, (Path(data["data"]) / file).read_text().splitlines()[int(line) - 1]


def test_the_curated_publication_date_points_at_its_line(seed_build: Built) -> None:
    """A result about the curated date (a missing note, say) names the line of ``published:``."""
    file, line = sourcemap_line(seed_build, f"{ID}article/{SEED_ID}/curation/date-published")
    assert (file, line.strip()) == (f"facts/{SEED_ID}.yaml", "published:")


def test_sourcemap_points_at_the_facts_file(seed_build: Built) -> None:
    file, line = sourcemap_line(seed_build, f"{ID}sanction/{SEED_ID}/us-sanctions-on-iran")
    assert file == f"facts/{SEED_ID}.yaml"
    assert "us-sanctions-on-iran" in line
