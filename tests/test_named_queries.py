"""Named queries (``queries/*.rq``) on the seed graph: their headers, and their answers compared
with ``tests/expected/<name>.csv``, which are written by hand from the article (never generated
from the queries)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from conftest import REPO, SEED_TEXT, Built
from sanctions_kg import queries
from sanctions_kg.namespaces import ID, PREFIXES
from sanctions_kg.store import open_read

QUERIES = REPO / "queries"
EXPECTED = REPO / "tests" / "expected"
CATALOGUE = queries.catalogue(QUERIES)

#: The competency questions of issue 4, one named query each.
COMPETENCY_QUERIES = {
    "sanctions-on-iran",
    "sanctions-on-russia",
    "states-under-us-sanctions",
    "non-recognition-of-sanctions",
    "iran-agreements",
    "jcpoa-withdrawal",
    "iran-sco-accession",
    "sco-founders-and-members",
    "iranian-materiel-to-russia",
    "raisi-claims",
    "office-holders",
    "samarkand-summit-2022",
    "deals-between-sanctioned-states",
    "sanctions-relief-evasion-claims",
    "announced-future-events",
    "evidence-for-entity",
    "cooperation-between-sanctioned-states",
    "iran-expansion-areas",
    "tools-against-us-sanctions",
    "support-for-invasion",
    "in-force-on-date",
}

#: Non-default parameter values, each of which must change the answer.
OTHER_VALUES = [
    ("sanctions-on-iran", {"state": "state/russia"}),
    ("states-under-us-sanctions", {"imposer": "state-group/the-west"}),
    ("in-force-on-date", {"date": "2010-01-01"}),
    ("evidence-for-entity", {"entity": "state/iran"}),
    ("raisi-claims", {"speaker": "person/vladimir-putin"}),
    ("iran-sco-accession", {"member": "state/india"}),
    ("samarkand-summit-2022", {"year": "2021"}),
    ("iran-expansion-areas", {"partner": "international-organisation/sco"}),
]

Row = tuple[str, ...]


def plain(term: ox.NamedNode | ox.Literal | ox.BlankNode | ox.Triple | None) -> str:
    """A result term as the expected CSV files hold it: an IRI or a lexical form; '' unbound."""
    if term is None:
        return ""
    assert not isinstance(term, ox.Triple), "named queries return no quoted triples"
    return term.value


def answer(results: object) -> tuple[list[str], list[Row]]:
    assert isinstance(results, ox.QuerySolutions), "named queries are SELECT queries"
    header = [variable.value for variable in results.variables]
    return header, [tuple(plain(s[v]) for v in results.variables) for s in results]


def run(store: ox.Store, query: queries.Query, **params: str) -> tuple[list[str], list[Row]]:
    """Run a named query the way `sanctions-kg query --name` does: defaults unless given."""
    return answer(queries.execute(store, query, queries.bind(query, params)))


def expected(name: str) -> tuple[list[str], list[Row]]:
    with (EXPECTED / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [tuple(row) for row in reader]


def by_name(name: str) -> queries.Query:
    return queries.named(name, QUERIES)


@pytest.fixture(scope="session")
def seed_store(seed_build: Built) -> Iterator[ox.Store]:
    """The seed dataset, opened read-only once for all named-query tests."""
    yield open_read(seed_build.store)


def test_every_competency_question_has_a_named_query() -> None:
    names = {query.name for query in CATALOGUE}
    assert names >= COMPETENCY_QUERIES, sorted(COMPETENCY_QUERIES - names)


def test_every_named_query_has_expected_results_and_none_is_orphaned() -> None:
    stored = {path.stem for path in EXPECTED.glob("*.csv")}
    assert {query.name for query in CATALOGUE} == stored


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_header(query: queries.Query) -> None:
    assert query.name is not None
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", query.name), "file name is not kebab-case"
    assert query.text.startswith("# title: "), "the header must open the file"
    assert query.title, "no '# title:'"
    assert query.question.endswith("?"), "the question should be a question"
    projection = re.search(r"^SELECT\b(.*?)^WHERE\b", query.text, re.MULTILINE | re.DOTALL)
    assert projection is not None, "a SELECT … WHERE query"
    for parameter in query.parameters:
        # pyoxigraph binds a parameter by substitution only when the SELECT projects it
        assert re.search(rf"\?{parameter.name}\b", projection[1]), f"project ?{parameter.name}"
    assert "\nORDER BY " in query.text, "results must be ordered"


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_answer_matches_expected(seed_store: ox.Store, query: queries.Query) -> None:
    assert query.name is not None
    header, rows = run(seed_store, query)
    want_header, want_rows = expected(query.name)
    assert rows, "every named query answers with at least one row"
    assert header == want_header
    assert sorted(rows) == sorted(want_rows)


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_answer_is_the_same_with_parameters_bound_as_on_an_endpoint(
    seed_store: ox.Store, query: queries.Query
) -> None:
    """Substitution (embedded store) and an injected VALUES clause (endpoint) agree."""
    values = queries.bind(query, {})
    remote = seed_store.query(queries.remote_text(query, values), use_default_graph_as_union=True)
    header, rows = run(seed_store, query)
    remote_header, remote_rows = answer(remote)
    assert (remote_header, sorted(remote_rows)) == (header, sorted(rows))


@pytest.mark.parametrize(("name", "params"), OTHER_VALUES, ids=[n for n, _ in OTHER_VALUES])
def test_a_parameter_changes_the_answer(
    seed_store: ox.Store, name: str, params: dict[str, str]
) -> None:
    query = by_name(name)
    assert run(seed_store, query, **params)[1] != run(seed_store, query)[1]


@pytest.mark.parametrize(("name", "params"), OTHER_VALUES, ids=[n for n, _ in OTHER_VALUES])
def test_other_values_bind_alike_on_an_endpoint(
    seed_store: ox.Store, name: str, params: dict[str, str]
) -> None:
    query = by_name(name)
    values = queries.bind(query, params)
    remote = seed_store.query(queries.remote_text(query, values), use_default_graph_as_union=True)
    assert sorted(answer(remote)[1]) == sorted(run(seed_store, query, **params)[1])


def test_sanctions_on_iran_with_russia_answers_the_russia_question(seed_store: ox.Store) -> None:
    header, rows = run(seed_store, by_name("sanctions-on-iran"), state="state/russia")
    want_header, want_rows = expected("sanctions-on-russia")
    assert (header, sorted(rows)) == (want_header, sorted(want_rows))


def test_parameters_accept_ids_prefixed_names_and_iris(seed_store: ox.Store) -> None:
    query = by_name("sanctions-on-iran")
    by_id = run(seed_store, query, state="state/iran")
    assert run(seed_store, query, state="skgid:state/iran") == by_id
    assert run(seed_store, query, state=f"<{ID}state/iran>") == by_id


def in_force(store: ox.Store, day: str) -> set[tuple[str, str]]:
    header, rows = run(store, by_name("in-force-on-date"), date=day)
    category, record = header.index("category"), header.index("record")
    return {(row[category], row[record]) for row in rows}


def test_in_force_before_the_sco_expanded(seed_store: ox.Store) -> None:
    """On 1 January 2010 only the founders' memberships (2001) are known to hold."""
    assert in_force(seed_store, "2010-01-01") == {
        ("membership", "China in Shanghai Cooperation Organisation (founding member)"),
        ("membership", "Russia in Shanghai Cooperation Organisation (founding member)"),
        ("membership",
         "four former Soviet republics in Shanghai Cooperation Organisation (founding member)"),
    }


def test_in_force_between_the_jcpoa_and_the_us_withdrawal(seed_store: ox.Store) -> None:
    """In mid-2016 the 2015 agreement holds (the US left in 2018); the 2018 sanctions do not."""
    found = in_force(seed_store, "2016-06-01")
    assert ("agreement", "2015 nuclear agreement") in found
    assert ("sanction", "US sanctions on Iran (since 2018)") not in found


def test_in_force_after_the_withdrawal(seed_store: ox.Store) -> None:
    """In 2019 Trump (in office in 2018, 'former' at publication) holds office; the JCPOA,
    left by the US in 2018, does not hold; the sanctions since 2018 do."""
    found = in_force(seed_store, "2019-01-01")
    assert ("office", "Donald Trump as President of the United States") in found
    assert ("agreement", "2015 nuclear agreement") not in found
    assert ("sanction", "US sanctions on Iran (since 2018)") in found


@pytest.mark.parametrize(("start", "last_day", "day_before"), [
    ("2021-06", "2021-06-30", "2021-06-29"),  # a month of 30 days
    ("2024-02", "2024-02-29", "2024-02-28"),  # February of a leap year
    ("2023-02", "2023-02-28", "2023-02-27"),
    ("2100-02", "2100-02-28", "2100-02-27"),  # a century is no leap year, unless by 400
    ("2000-02", "2000-02-29", "2000-02-28"),
    ("2021-12", "2021-12-31", "2021-12-30"),
])
def test_a_month_counts_in_force_from_its_last_day(
        start: str, last_day: str, day_before: str) -> None:
    """A sanction known to start in a month is known to be in force on the month's last day;
    the month was counted at day 31, which a 30-day month or February never reaches."""
    from sanctions_kg.namespaces import SKG

    store = ox.Store()
    graph = ox.NamedNode(ID.replace("/id/", "/graph/") + "article/fixture")
    article, sanction = ox.NamedNode(ID + "article/fixture"), ox.NamedNode(ID + "sanction/x/s")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.extend([
        ox.Quad(article, rdf_type, ox.NamedNode("http://schema.org/NewsArticle"), graph),
        ox.Quad(article, ox.NamedNode("http://schema.org/datePublished"),
                ox.Literal("2999-01-01", datatype=ox.NamedNode(XSD_DATE)), graph),
        ox.Quad(sanction, rdf_type, ox.NamedNode(SKG + "Sanction"), graph),
        ox.Quad(sanction, label, ox.Literal("the sanction", language="en"), graph),
        ox.Quad(sanction, ox.NamedNode(SKG + "startDate"),
                ox.Literal(start, datatype=ox.NamedNode(XSD_G_YEAR_MONTH)), graph),
    ])
    assert in_force(store, last_day) == {("sanction", "the sanction")}
    assert in_force(store, day_before) == set()


XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
XSD_G_YEAR_MONTH = "http://www.w3.org/2001/XMLSchema#gYearMonth"


def test_expected_quotes_are_verbatim_from_the_article() -> None:
    """Every expected quote occurs in the article, and every position points at its quote."""
    article = SEED_TEXT.read_text(encoding="utf-8")
    for path in sorted(EXPECTED.glob("*.csv")):
        header, rows = expected(path.stem)
        if "quote" not in header:
            continue
        quote = header.index("quote")
        for row in rows:
            assert row[quote] in article, f"{path.name}: {row[quote]!r}"
            if "start" in header:
                start, end = int(row[header.index("start")]), int(row[header.index("end")])
                assert article[start:end] == row[quote], f"{path.name}: {row[quote]!r}"


def test_expected_files_are_well_formed() -> None:
    """Same number of fields in every row; no trailing spaces that a hand edit let in."""
    for path in sorted(EXPECTED.glob("*.csv")):
        header, rows = expected(path.stem)
        assert len(set(header)) == len(header), f"{path.name}: repeated column"
        for row in rows:
            assert len(row) == len(header), f"{path.name}: {row}"
            assert all(value == value.strip() for value in row), f"{path.name}: {row}"


def test_the_demo_queries_exist() -> None:
    """The Makefile's demo runs these two by name."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for name in re.findall(r"--name (\S+)", makefile):
        assert (QUERIES / f"{name}.rq").is_file(), name


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_parameters_are_written_into_the_text_and_it_parses(query: queries.Query) -> None:
    """The fast path (values as constants, which Oxigraph plans from) covers every named query;
    a rewriting that did not parse would fall back to substitution without a word."""
    values = queries.bind(query, {})
    text = queries.substituted_text(query, values)
    assert text is not None
    for value in values.values():
        assert value.sparql() in text
    ox.Store().query(text, prefixes=dict(PREFIXES))  # raises SyntaxError if it does not parse


def test_a_member_that_is_not_a_state_gets_one_row_without_a_state() -> None:
    """It used to pair such a member with every label in the store."""
    from sanctions_kg.namespaces import SKG

    def iri(path: str) -> ox.NamedNode:
        return ox.NamedNode(ID + path)

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    membership, member = iri("membership/a/m"), iri("international-organisation/x")
    graph = ox.NamedNode("urn:g")
    store = ox.Store()
    for s, p, o in [
        (membership, rdf_type, ox.NamedNode(SKG + "Membership")),
        (membership, ox.NamedNode(SKG + "organisation"), iri("international-organisation/sco")),
        (membership, ox.NamedNode(SKG + "member"), member),
        (membership, ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom"), iri("evidence/a/1")),
        (iri("evidence/a/1"), ox.NamedNode("http://www.w3.org/ns/oa#hasSource"), iri("article/a")),
        (member, label, ox.Literal("Some organisation")),
        (iri("state/iran"), label, ox.Literal("Iran")),
        (iri("state/china"), label, ox.Literal("China")),
    ]:
        store.add(ox.Quad(s, p, o, graph))
    header, rows = run(store, by_name("sco-founders-and-members"))
    member_column, state_column = header.index("member"), header.index("state")
    assert [(row[member_column], row[state_column]) for row in rows] == [("Some organisation", "")]


@pytest.mark.parametrize(("name", "state"), [("sanctions-on-russia", "state/russia"),
                                             ("sanctions-on-iran", "state/iran")])
def test_a_sanction_without_an_imposer_keeps_its_row(
        seed_store: ox.Store, name: str, state: str) -> None:
    """The shapes allow a sanction whose imposer the article does not name; the queries by
    target list it with an empty imposer rather than drop it."""
    from sanctions_kg.namespaces import SKG

    imposer = ox.NamedNode(SKG + "imposer")
    store = ox.Store()
    store.extend(quad for quad in seed_store if quad.predicate != imposer)
    header, before = run(seed_store, by_name(name), state=state)
    _, after = run(store, by_name(name), state=state)
    column = header.index("imposer")
    sanctions = [row for row in before if row[header.index("basis")] == "article"]
    assert sanctions, "the seed has a sanction on the state"
    assert [row for row in after if row[header.index("basis")] == "article"] == [
        (*row[:column], "", *row[column + 1:]) for row in sanctions]
