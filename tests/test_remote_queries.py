"""Queries on a real SPARQL endpoint (``oxigraph serve`` holding the seed): the text that is
sent, and answers equal to the embedded store's."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
import pytest

from conftest import Built, running_oxigraph
from sanctions_kg import queries
from sanctions_kg.errors import QueryError
from sanctions_kg.namespaces import ID
from sanctions_kg.remote import push
from sanctions_kg.results import ResultFormat
from sanctions_kg.store import open_read
from test_named_queries import CATALOGUE, OTHER_VALUES, Row, answer, run

if TYPE_CHECKING:
    import rdflib

#: A query that ``substituted_text`` does not cover (``SELECT *``), so it is sent with VALUES.
SELECT_ALL = """\
# title: Sanctions on a state
# question: Which sanctions target a state?
# param: state iri state/iran — the targeted state
SELECT * WHERE { ?sanction skg:target ?state }
"""


@pytest.fixture(scope="module")
def endpoint(seed_build: Built, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[queries.Endpoint]:
    """One Oxigraph server holding the seed for every test of this module, as its SPARQL
    query endpoint (the ``oxigraph_server`` fixture starts an empty server per test)."""
    location = tmp_path_factory.mktemp("endpoint") / "oxigraph"
    with (pytest.MonkeyPatch.context() as monkeypatch,
          running_oxigraph(location, monkeypatch) as base):
        push(seed_build.store, graph_store=f"{base}/store")
        yield queries.Endpoint(f"{base}/query")


@pytest.fixture(scope="module")
def store(seed_build: Built) -> ox.Store:
    return open_read(seed_build.store)


def remote(endpoint: queries.Endpoint, query: queries.Query, **params: str
           ) -> tuple[list[str], list[Row]]:
    """Run a query the way `sanctions-kg query --endpoint` does; the answer read back from
    the server's SPARQL JSON results."""
    out = io.BytesIO()
    queries.run(query, out, target=endpoint, params=params, result_format=ResultFormat.JSON)
    return answer(ox.parse_query_results(out.getvalue(), ox.QueryResultsFormat.JSON))


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_named_queries_are_sent_with_their_values_written_in(query: queries.Query) -> None:
    """What the endpoint gets is the embedded store's text (constants the server's planner
    starts from), with the predeclared prefixes declared and the file's lines kept."""
    values = queries.bind(query, {})
    text = queries.endpoint_text(query, values)
    substituted = queries.substituted_text(query, values)
    assert substituted is not None
    assert text == queries.remote_text(dataclasses.replace(query, text=substituted), {})
    assert text.count("\n") == query.text.count("\n")
    for name, value in values.items():
        assert f"VALUES ?{name} " not in text
        assert value.sparql() in text


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_named_queries_answer_on_the_endpoint_as_on_the_embedded_store(
    endpoint: queries.Endpoint, store: ox.Store, query: queries.Query
) -> None:
    header, rows = remote(endpoint, query)
    assert rows, "every named query answers with at least one row"
    assert (header, rows) == run(store, query)


@pytest.mark.parametrize(("name", "params"), OTHER_VALUES, ids=[n for n, _ in OTHER_VALUES])
def test_other_values_answer_on_the_endpoint_as_on_the_embedded_store(
    endpoint: queries.Endpoint, store: ox.Store, name: str, params: dict[str, str]
) -> None:
    query = queries.named(name)
    assert remote(endpoint, query, **params) == run(store, query, **params)


def test_a_query_the_rewriting_does_not_cover_is_sent_with_values(
    endpoint: queries.Endpoint, store: ox.Store
) -> None:
    query = queries.from_text(SELECT_ALL)
    values = queries.bind(query, {})
    assert queries.substituted_text(query, values) is None
    assert f"VALUES ?state {{ <{ID}state/iran> }}" in queries.endpoint_text(query, values)
    header, rows = remote(endpoint, query)
    assert (header, sorted(rows)) == (["sanction", "state"], [
        (ID + "sanction/raisi-putin-samarkand-2022/us-sanctions-on-iran", ID + "state/iran")])
    assert (header, rows) == run(store, query)
    russia = {"state": "state/russia"}
    assert remote(endpoint, query, **russia) == run(store, query, **russia)


def test_select_star_gives_the_columns_in_the_order_of_the_query_as_the_store_does(
    endpoint: queries.Endpoint, store: ox.Store
) -> None:
    """Oxigraph's server sorts the columns of SELECT * by name; the text sent lists them."""
    query = queries.from_text(SELECT_ALL.replace("?sanction skg:target ?state",
                                                 "?state ^skg:target ?sanction"))
    header, rows = remote(endpoint, query)
    assert header == ["state", "sanction"] and len(rows) == 1
    assert (header, rows) == run(store, query)
    plain = queries.from_text("SELECT * WHERE { ?z ?y ?x } ORDER BY ?z ?y ?x LIMIT 2")
    assert remote(endpoint, plain) == run(store, plain)
    assert remote(endpoint, plain)[0] == ["z", "y", "x"]


def test_a_select_star_parameter_used_only_in_a_filter_binds_on_the_store_as_on_the_endpoint(
    endpoint: queries.Endpoint, store: ox.Store
) -> None:
    """``SELECT *`` does not project a variable that only a FILTER uses; pyoxigraph refused to
    substitute it (exit 2, 'not in the SELECT clause'). The store binds it with VALUES, as the
    endpoint gets it, and both give the same rows, columns in the query's order."""
    text = """\
# title: Named by a label
# question: Which nodes have a label?
# param: label string "Iran" — the label
SELECT * WHERE { ?node rdfs:label ?name FILTER(STR(?name) = ?label) }
"""
    query = queries.from_text(text)
    header, rows = run(store, query)
    assert header == ["node", "name", "label"]
    assert [row[0] for row in rows] == [ID + "state/iran"]
    assert remote(endpoint, query) == (header, rows)
    russia = run(store, query, label="Russia")
    assert [row[0] for row in russia[1]] == [ID + "state/russia"]
    assert remote(endpoint, query, label="Russia") == russia
    nested = queries.from_text(text.replace("FILTER(STR(?name) = ?label)",
                                            "{ FILTER(STR(?name) = ?label) }"))
    assert run(store, nested)[1] == [] == remote(endpoint, nested)[1]


def test_a_syntax_error_is_located_in_the_file_as_on_the_embedded_store(
    endpoint: queries.Endpoint, seed_build: Built, tmp_path: Path
) -> None:
    """Located in the file, not in the text with the value written in (longer than ?state)."""
    path = tmp_path / "broken.rq"
    path.write_text(SELECT_ALL.replace("SELECT * WHERE { ?sanction skg:target ?state }",
                                       "SELECT ?sanction ?state WHERE {\n"
                                       "  ?sanction skg:target ?state . ?state nope:p ?x }"),
                    encoding="utf-8")
    query = queries.load(path)
    assert queries.substituted_text(query, queries.bind(query, {})) is not None
    with pytest.raises(QueryError) as on_endpoint:
        queries.run(query, io.BytesIO(), target=endpoint)
    with pytest.raises(QueryError) as on_store:
        queries.run(query, io.BytesIO(), target=seed_build.store)
    assert str(on_endpoint.value) == str(on_store.value)
    assert str(on_endpoint.value).startswith(
        f"{query.source}:5:40: SPARQL syntax error: undeclared prefix 'nope:' in nope:p; ")


@pytest.fixture(scope="module")
def rdflib_dataset(seed_build: Built) -> rdflib.Dataset:
    import rdflib

    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(seed_build.out / "sanctions-kg.trig", format="trig")
    return dataset


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_the_text_sent_answers_on_another_engine_as_on_the_embedded_store(
    rdflib_dataset: rdflib.Dataset, store: ox.Store, query: queries.Query
) -> None:
    """The text an endpoint gets is plain SPARQL 1.1, not Oxigraph's dialect: rdflib, a second
    engine, gives the embedded store's rows for every named query (it cannot group by a
    constant, which the text therefore never does when the clause has other keys).

    Every answer on the seed has rows: where a query has no solution, rdflib 7 answers this
    text with one row of unbound variables (its bug; Oxigraph answers none), which is why the
    benchmark gives rdflib the VALUES text instead."""
    result = rdflib_dataset.query(queries.endpoint_text(query, queries.bind(query, {})))
    header = [str(variable) for variable in result.vars or []]
    rows = [tuple("" if term is None else str(term) for term in row)  # type: ignore[union-attr]
            for row in result]
    expected_header, expected_rows = run(store, query)
    assert expected_rows
    assert header == expected_header
    assert sorted(rows) == sorted(expected_rows)


def test_a_query_that_names_its_dataset_gets_that_dataset_on_the_store(store: ox.Store) -> None:
    """The default graph is the union of all graphs, unless the query has FROM or FROM NAMED:
    then it is the dataset the query names, as SPARQL defines it (pyoxigraph's union flag
    overrode FROM, so FROM <any graph> counted the whole store)."""
    reference = "<https://w3id.org/sanctions-kg/graph/reference>"

    def count(text: str) -> int:
        results = queries.execute(store, queries.from_text(text), {})
        assert isinstance(results, ox.QuerySolutions)
        return int(next(iter(results))["n"].value)  # type: ignore[union-attr]

    everything = count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    in_reference = count(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {reference} {{ ?s ?p ?o }} }}")
    assert 0 < in_reference < everything
    assert count(f"SELECT (COUNT(*) AS ?n) FROM {reference} WHERE {{ ?s ?p ?o }}") == in_reference
    assert count("SELECT (COUNT(*) AS ?n) FROM <urn:none> WHERE { ?s ?p ?o }") == 0
    named = f"SELECT (COUNT(*) AS ?n) FROM NAMED {reference} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(named) == in_reference
    assert count(named.replace("GRAPH ?g { ?s ?p ?o }", "?s ?p ?o")) == 0  # no FROM: empty
    not_a_dataset = ('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o '
                     'OPTIONAL { SELECT ?s WHERE { ?s skg:from "FROM <urn:none>" } LIMIT 1 } }')
    assert count(not_a_dataset) == everything
