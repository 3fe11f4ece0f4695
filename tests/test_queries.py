"""Named-query headers, parameter values, update detection, the text sent to an endpoint
(values written in, or VALUES injection) and execution."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import Built
from sanctions_kg import queries
from sanctions_kg.errors import InputError, QueryError, UsageError
from sanctions_kg.namespaces import ID, PREFIXES, SKG, XSD
from sanctions_kg.queries import ParamKind, Query, Value
from sanctions_kg.results import QueryForm, ResultFormat
from sanctions_kg.store import open_read

HEADER = """\
# title: Sanctions on a state
# question: Which sanctions target a state,
#   and who imposes them?
# param: state iri state/iran — the targeted state
# param: day date 2022-09-15 — the day
# param: word string "two words" — a label
# param: n integer 3 — a limit

# Not part of the header.
SELECT ?s ?state WHERE { ?s skg:target ?state }
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


def test_header_gives_title_question_and_parameters(tmp_path: Path) -> None:
    query = queries.load(write(tmp_path, "targets", HEADER))
    assert query.name == "targets"
    assert query.title == "Sanctions on a state"
    assert query.question == "Which sanctions target a state, and who imposes them?"
    assert [(p.name, p.kind, p.default) for p in query.parameters] == [
        ("state", ParamKind.IRI, "state/iran"),
        ("day", ParamKind.DATE, "2022-09-15"),
        ("word", ParamKind.STRING, "two words"),
        ("n", ParamKind.INTEGER, "3"),
    ]
    assert query.parameters[0].description == "the targeted state"


@pytest.mark.parametrize(
    ("header", "line", "fragment"),
    [
        ("# title: T\n# question: Q\n# param: x iri\n", 3, "malformed '# param: x iri'"),
        ("# title: T\n# question: Q\n# param: x colour red — c\n", 3, "unknown kind 'colour'"),
        ("# title: T\n# question: Q\n# param: d date 2022-13-01 — d\n", 3, "bad default"),
        ("# title: T\n# question: Q\n# param: i iri foo:bar — i\n", 3, "unknown prefix 'foo:'"),
        ("# title: T\n# question: Q\n# note: n\n", 3, "unknown header field 'note:'"),
        ("# question: Q\n", 1, "no '# title:' line"),
        ("# title: T\n# question: Q\n# param: a iri state/x — a\n# param: a iri state/y — b\n",
         4, "parameter 'a' is declared twice"),
        ("# title: T\n# question: Q\n# param: s iri state/x — s\nSELECT ?s ?n WHERE {\n"
         "  { SELECT (COUNT(*) AS ?n) (skgid:y AS ?s) WHERE {} }\n}\n#", 5,
         "the parameter ?s is assigned here (AS ?s)"),
    ],
)
def test_bad_headers_are_reported_with_file_and_line(
    tmp_path: Path, header: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, "bad", header + "ASK {}\n")
    with pytest.raises(InputError) as caught:
        queries.load(path)
    problem = caught.value.problems[0]
    assert problem.location.line == line
    assert str(problem.location.file).endswith("bad.rq")
    assert fragment in problem.message


def test_a_query_without_header_has_no_parameters() -> None:
    query = queries.from_text("SELECT * WHERE { ?s ?p ?o }")
    assert (query.source, query.title, query.parameters) == ("<query>", "", ())


@pytest.mark.parametrize(("text", "variables", "expected"), [
    ("SELECT * WHERE { ?s ?p ?o }", ["o", "p", "s"], "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"),
    ("select distinct * { ?s ?p $o BIND(1 AS ?a) }", ["a", "o", "p", "s"],
     "select distinct ?s ?p ?o ?a { ?s ?p $o BIND(1 AS ?a) }"),
    ("PREFIX x: <http://x/>\nSELECT * WHERE { ?z x:p ?y }", ["y", "z"],
     "PREFIX x: <http://x/>\nSELECT ?z ?y WHERE { ?z x:p ?y }"),
    ("SELECT * WHERE { ?a ?b ?c }", ["a", "b", "c"], None),  # already in order
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", ["n"], None),
    ("ASK { ?s ?p ?o }", [], None),
])
def test_select_star_lists_the_variables_in_the_order_of_the_query(
        text: str, variables: list[str], expected: str | None) -> None:
    assert queries.starred(text, variables) == expected


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (ParamKind.IRI, "state/iran", ID + "state/iran"),
        (ParamKind.IRI, "skg:Trade", SKG + "Trade"),
        (ParamKind.IRI, "skgid:state/iran", ID + "state/iran"),
        (ParamKind.IRI, "<https://example.org/x>", "https://example.org/x"),
        (ParamKind.IRI, "https://example.org/x", "https://example.org/x"),
        (ParamKind.DATE, "2022-09-15", "2022-09-15"),
        (ParamKind.INTEGER, "+042", "42"),
        (ParamKind.STRING, 'say "hi"', 'say "hi"'),
    ],
)
def test_parameter_values_are_normalised(kind: ParamKind, text: str, expected: str) -> None:
    assert queries.parse_value(kind, text).lexical == expected


@pytest.mark.parametrize(
    ("kind", "text", "fragment"),
    [
        (ParamKind.IRI, "iran", "is not an IRI"),
        (ParamKind.IRI, "nope:x", "unknown prefix 'nope:'"),
        (ParamKind.IRI, "<not absolute>", "not an absolute IRI"),
        (ParamKind.IRI, "<https://w3id.org/sanctions-kg/id/state/iran", "needs both, <…>"),
        (ParamKind.IRI, "https://w3id.org/sanctions-kg/id/state/iran>", "needs both, <…>"),
        (ParamKind.DATE, "15/09/2022", "write YYYY-MM-DD"),
        (ParamKind.INTEGER, "1.5", "is not an integer"),
    ],
)
def test_bad_parameter_values_say_what_is_expected(
    kind: ParamKind, text: str, fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        queries.parse_value(kind, text)


def test_values_as_sparql_and_as_terms() -> None:
    date = Value(ParamKind.DATE, "2022-09-15")
    assert date.sparql() == f'"2022-09-15"^^<{XSD}date>'
    assert date.term() == ox.Literal("2022-09-15", datatype=ox.NamedNode(XSD + "date"))
    text = Value(ParamKind.STRING, 'a "b"\n')
    assert text.sparql() == '"a \\"b\\"\\n"'
    assert Value(ParamKind.IRI, ID + "state/iran").term() == ox.NamedNode(ID + "state/iran")


def test_bind_uses_defaults_and_overrides(tmp_path: Path) -> None:
    query = queries.load(write(tmp_path, "targets", HEADER))
    values = queries.bind(query, {"state": "state/russia", "n": "7"})
    assert values["state"] == Value(ParamKind.IRI, ID + "state/russia")
    assert values["day"] == Value(ParamKind.DATE, "2022-09-15")
    assert values["n"] == Value(ParamKind.INTEGER, "7")


@pytest.mark.parametrize(
    ("default", "given", "expected"),
    [("state/iran", "russia", ID + "state/russia"),
     ("state/iran", " russia ", ID + "state/russia"),
     ("state/iran", "united-states", ID + "state/united-states"),
     ("organisation/sco", "brics", ID + "organisation/brics"),
     ("state/iran", "state/russia", ID + "state/russia"),
     ("state/iran", "skg:Trade", SKG + "Trade")],
)
def test_a_bare_slug_takes_the_folder_of_the_default(
        tmp_path: Path, default: str, given: str, expected: str) -> None:
    query = queries.load(write(tmp_path, "one", HEADER.replace("state/iran", default)))
    assert queries.bind(query, {"state": given})["state"] == Value(ParamKind.IRI, expected)


@pytest.mark.parametrize(("default", "given"),
                         [("skg:Trade", "Sanction"), ("state/iran", ".."),
                          ("agreement/some-article/jcpoa", "iran"),
                          ("state/iran", ".hidden"), ("state/iran", "two words")])
def test_a_bare_word_without_an_id_path_default_is_refused(
        tmp_path: Path, default: str, given: str) -> None:
    query = queries.load(write(tmp_path, "one", HEADER.replace("state/iran", default)))
    with pytest.raises(UsageError, match="is not an IRI"):
        queries.bind(query, {"state": given})


def test_unknown_parameter_names_the_file_and_the_known_ones(tmp_path: Path) -> None:
    query = queries.load(write(tmp_path, "targets", HEADER))
    with pytest.raises(UsageError) as caught:
        queries.bind(query, {"sate": "state/iran"})
    assert str(caught.value) == (
        f"{query.source}: no parameter 'sate'; known parameters: "
        "state (iri, default state/iran), day (date, default 2022-09-15), "
        "word (string, default two words), n (integer, default 3)"
    )
    with pytest.raises(UsageError, match="this query has no parameters"):
        queries.bind(queries.from_text("ASK {}"), {"x": "1"})


def test_bad_override_names_the_parameter(tmp_path: Path) -> None:
    query = queries.load(write(tmp_path, "targets", HEADER))
    with pytest.raises(UsageError, match=r"--param day: '2022' is not a date"):
        queries.bind(query, {"day": "2022"})


@pytest.mark.parametrize(
    ("assignments", "fragment"),
    [(["novalue"], "write NAME=VALUE"), (["=x"], "write NAME=VALUE"),
     (["a=1", "a=2"], "given twice")],
)
def test_param_assignments_are_checked(assignments: list[str], fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        queries.parse_assignments(assignments)


def test_param_values_may_contain_equals_signs() -> None:
    assert queries.parse_assignments(["q=a=b"]) == {"q": "a=b"}


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", QueryForm.SELECT),
        ("# INSERT in a comment\nPREFIX x: <urn:x#>\nBASE <urn:b>\nask { ?s ?p ?o }",
         QueryForm.ASK),
        ("CONSTRUCT WHERE { ?s ?p ?o }", QueryForm.CONSTRUCT),
        ("DESCRIBE <urn:x>", QueryForm.DESCRIBE),
        ("SELEC * {}", None),
    ],
)
def test_query_form(text: str, form: QueryForm | None) -> None:
    assert queries.query_form(queries.from_text(text)) is form


@pytest.mark.parametrize(
    ("text", "keyword", "where"),
    [
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "INSERT", "1:1"),
        ("PREFIX x: <urn:x#>\n# note\n  delete WHERE { ?s ?p ?o }", "DELETE", "3:3"),
        ("WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH", "1:1"),
        ("LOAD <http://example.org/data.ttl>", "LOAD", "1:1"),
        ("CLEAR ALL", "CLEAR", "1:1"),
        ("DROP GRAPH <urn:g>", "DROP", "1:1"),
        ("CREATE GRAPH <urn:g>", "CREATE", "1:1"),
        ("ADD <urn:a> TO <urn:b>", "ADD", "1:1"),
        ("MOVE <urn:a> TO <urn:b>", "MOVE", "1:1"),
        ("COPY <urn:a> TO <urn:b>", "COPY", "1:1"),
    ],
)
def test_updates_are_refused_before_running(text: str, keyword: str, where: str) -> None:
    with pytest.raises(QueryError) as caught:
        queries.query_form(queries.from_text(text))
    assert str(caught.value) == (
        f"<query>:{where}: {keyword} is a SPARQL update, and queries are read-only; "
        "change the data in the facts files and run `sanctions-kg build`"
    )


def test_an_update_never_reaches_the_store() -> None:
    store = ox.Store()
    with pytest.raises(QueryError):
        queries.execute(store, queries.from_text("INSERT DATA { <urn:a> <urn:b> <urn:c> }"), {})
    assert len(store) == 0


def sample_store() -> ox.Store:
    store = ox.Store()
    for graph, subject in (("urn:g1", "urn:a"), ("urn:g2", "urn:b")):
        store.add(ox.Quad(ox.NamedNode(subject), ox.NamedNode(SKG + "target"),
                          ox.NamedNode(ID + "state/iran"), ox.NamedNode(graph)))
    return store


def test_default_graph_is_the_union_and_graph_reaches_one() -> None:
    store = sample_store()
    union = queries.execute(store, queries.from_text("SELECT ?s WHERE { ?s skg:target ?t }"), {})
    assert sorted(row["s"].value for row in union) == ["urn:a", "urn:b"]
    one = queries.execute(
        store, queries.from_text("SELECT ?s WHERE { GRAPH <urn:g2> { ?s ?p ?o } }"), {}
    )
    assert [row["s"].value for row in one] == ["urn:b"]


def test_parameters_bind_by_substitution() -> None:
    query = Query("SELECT ?s ?t WHERE { ?s skg:target ?t }", "<query>")
    values = {"s": Value(ParamKind.IRI, "urn:b")}
    rows = list(queries.execute(sample_store(), query, values))
    assert [(row["s"].value, row["t"].value) for row in rows] == [("urn:b", ID + "state/iran")]


IRAN = Value(ParamKind.IRI, ID + "state/iran")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # projected: an expression; elsewhere: the value, in strings, IRIs and comments: nothing
        ('SELECT DISTINCT ?s ?x WHERE { ?x skg:target ?s . FILTER(?s != "?s") } # ?s\n'
         "ORDER BY ?s DESC(?s) ?x",
         f'SELECT DISTINCT (<{ID}state/iran> AS ?s) ?x WHERE {{ ?x skg:target <{ID}state/iran> '
         f'. FILTER(<{ID}state/iran> != "?s") }} # ?s\n'
         f"ORDER BY  DESC(<{ID}state/iran>) ?x"),
        # a key beside others in GROUP BY or ORDER BY: dropped (rdflib cannot group by
        # a constant); inside a call it stays the value
        ("SELECT ?s ?x (COUNT(*) AS ?n) WHERE { ?x skg:target ?s } GROUP BY ?s ?x "
         "ORDER BY ?x ?s",
         f"SELECT (<{ID}state/iran> AS ?s) ?x (COUNT(*) AS ?n) WHERE {{ ?x skg:target "
         f"<{ID}state/iran> }} GROUP BY  ?x ORDER BY ?x "),
        ("SELECT ?s ?x WHERE { ?x skg:target ?s } ORDER BY ?s (STR(?x))",
         f"SELECT (<{ID}state/iran> AS ?s) ?x WHERE {{ ?x skg:target <{ID}state/iran> }} "
         "ORDER BY  (STR(?x))"),
        # a bracketed key first; a clause of parameters only keeps them, bracketed
        ("SELECT ?s ?k (COUNT(*) AS ?n) WHERE { ?x skg:target ?s } GROUP BY (STR(?x) AS ?k) ?s "
         "ORDER BY ?s ?s",
         f"SELECT (<{ID}state/iran> AS ?s) ?k (COUNT(*) AS ?n) WHERE {{ ?x skg:target "
         f"<{ID}state/iran> }} GROUP BY (STR(?x) AS ?k)  "
         f"ORDER BY (<{ID}state/iran>) (<{ID}state/iran>)"),
        # in a subquery too, and GROUP BY takes a bracketed expression; $s is ?s
        ("SELECT ?s ?n WHERE { { SELECT $s (COUNT(*) AS ?n) WHERE { ?x skg:target ?s } "
         "GROUP BY ?s } }",
         f"SELECT (<{ID}state/iran> AS ?s) ?n WHERE {{ {{ SELECT  "
         f"(COUNT(*) AS ?n) WHERE {{ ?x skg:target <{ID}state/iran> }} "
         f"GROUP BY (<{ID}state/iran>) }} }}"),
        # COUNT(*) is not SELECT *
        ("SELECT ?s (COUNT(*) AS ?n) WHERE { ?x skg:target ?s } GROUP BY ?s",
         f"SELECT (<{ID}state/iran> AS ?s) (COUNT(*) AS ?n) WHERE {{ ?x skg:target "
         f"<{ID}state/iran> }} GROUP BY (<{ID}state/iran>)"),
        # a subquery that projects nothing else: not covered
        ("SELECT ?s WHERE { { SELECT ?s WHERE { ?x skg:target ?s } } }", None),
        # not covered: pyoxigraph substitutes instead
        ("SELECT * WHERE { ?x skg:target ?s }", None),
        ("SELECT ?s WHERE { BIND(skgid:x AS ?s) }", None),
        ("SELECT ?s WHERE { VALUES ?s { skgid:x } }", None),
        ("SELECT ?s WHERE { VALUES (?x ?s) { (1 2) } }", None),
        ("ASK { ?x skg:target ?s }", None),
        # not projected: written in all the same, as VALUES binds it on an endpoint
        ("SELECT ?x WHERE { ?x skg:target ?s }",
         "SELECT ?x WHERE { ?x skg:target <https://w3id.org/sanctions-kg/id/state/iran> }"),
    ],
)
def test_parameters_are_written_into_the_text(text: str, expected: str | None) -> None:
    assert queries.substituted_text(Query(text, "<query>"), {"s": IRAN}) == expected


def test_written_and_substituted_parameters_give_the_same_rows() -> None:
    store = sample_store()
    text = "SELECT ?t ?s WHERE { ?s skg:target ?t } ORDER BY ?t ?s"
    values = {"t": Value(ParamKind.IRI, ID + "state/iran")}
    written = queries.execute(store, Query(text, "<query>"), values)
    substituted = store.query(text, prefixes=dict(PREFIXES), use_default_graph_as_union=True,
                              substitutions={ox.Variable("t"): values["t"].term()})
    assert isinstance(written, ox.QuerySolutions)
    assert isinstance(substituted, ox.QuerySolutions)
    rows = [(row["t"].value, row["s"].value) for row in written]
    assert rows == [(row["t"].value, row["s"].value) for row in substituted]
    assert sorted(rows) == [(ID + "state/iran", "urn:a"), (ID + "state/iran", "urn:b")]


def test_a_syntax_error_is_located_in_the_file_not_in_the_written_text() -> None:
    text = "SELECT ?s ?x WHERE {\n  ?x skg:target ?s . ?s ?p ?o ; ] }"
    query = Query(text, "queries/x.rq")
    assert queries.substituted_text(query, {"s": IRAN}) is not None
    with pytest.raises(QueryError) as unbound:
        queries.execute(ox.Store(), query, {})
    with pytest.raises(QueryError) as bound:
        queries.execute(ox.Store(), query, {"s": IRAN})
    assert str(bound.value) == str(unbound.value)
    assert str(bound.value).startswith("queries/x.rq:2:")


def test_a_parameter_missing_from_the_projection_binds_as_on_an_endpoint() -> None:
    query = Query("SELECT ?t WHERE { ?s skg:target ?t }", "q.rq")
    solutions = queries.execute(sample_store(), query, {"s": Value(ParamKind.IRI, "urn:b")})
    assert isinstance(solutions, ox.QuerySolutions)
    assert [variable.value for variable in solutions.variables] == ["t"]


def test_a_parameter_pyoxigraph_must_bind_and_the_projection_leaves_out_is_explained() -> None:
    query = Query("SELECT ?t WHERE { VALUES ?s { <urn:a> } ?s skg:target ?t }", "q.rq")
    with pytest.raises(QueryError, match=r"q.rq: the parameter variable \?s is not in the SELECT"):
        queries.execute(sample_store(), query, {"s": Value(ParamKind.IRI, "urn:b")})


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("SELECT ?x WHERE {\n  ?x foo:bar ?y }", "2:6",
         "undeclared prefix 'foo:' in foo:bar; declare it with PREFIX or use a predeclared one "
         f"({', '.join(sorted(PREFIXES))})"),
        # pyoxigraph counts characters: the same place whatever the characters before it.
        ('SELECT * WHERE { ?s ?p "é" . ]', "1:31",
         "something is missing or misplaced here; fix the query"),
        ('SELECT * WHERE { ?s ?p "a" . ]', "1:31",
         "something is missing or misplaced here; fix the query"),
        ('SELECT ?s WHERE { ?s rdfs:label "Iran–Russia–x" . ?s foo:x ?y }', "1:54",
         "undeclared prefix 'foo:' in foo:x; declare it with PREFIX or use a predeclared one "
         f"({', '.join(sorted(PREFIXES))})"),
        ("SELECT ?s WHERE {\n  ?s rdfs:label '😀😀' ; foo:x ?y }", "2:24",
         "undeclared prefix 'foo:' in foo:x; declare it with PREFIX or use a predeclared one "
         f"({', '.join(sorted(PREFIXES))})"),
        # the parser names something else after `;` and `,`: the prefix is still the cause
        ("SELECT ?s WHERE { ?s a skg:Sanction ; foo:x ?y }", "1:39",
         "undeclared prefix 'foo:' in foo:x; declare it with PREFIX or use a predeclared one "
         f"({', '.join(sorted(PREFIXES))})"),
        ("PREFIX foo: <urn:foo:>\nSELECT ?s WHERE { ?s a foo:S ; bar:x ?y }", "2:32",
         "undeclared prefix 'bar:' in bar:x; declare it with PREFIX or use a predeclared one "
         f"({', '.join(sorted(PREFIXES))})"),
        # a prefix is blamed only when declaring it gets the parser further
        ("SELECT * WHERE { ?s ?p <http://example.org/a b> }", "1:48",
         "IRI parsing failed; fix the query"),
        ('SELECT * WHERE { ?s ?p "foo:bar }', "1:18",
         "in the part starting with '?s'; fix the query"),
        ("PREFIX foo: <http://x/ SELECT * WHERE { ?s ?p ?o }", "1:1",
         "in the part starting with 'PREFIX'; fix the query"),
        ("PREFIX foo.bar: <http://x/> SELECT * WHERE { ?s foo.bar:p ?o ; } LIMT 1", "1:66",
         "in the part starting with 'LIMT'; fix the query"),
        ("SELECT ?s WHERE { ?s ?p 'a' ; foo:x* ?o . SERVICE SILENT <http://x.invalid/s> "
         "{ ?s ?p ?o } }", "1:31",
         "undeclared prefix 'foo:' in foo:x; declare it with PREFIX or use a predeclared one "
         f"({', '.join(sorted(PREFIXES))})"),
        ("SELECT ?s WHERE { ?s skg:party/foo:b ?o }", "1:32",
         "undeclared prefix 'foo:' in foo:b; declare it with PREFIX or use a predeclared one "
         f"({', '.join(sorted(PREFIXES))})"),
        # the parser's own sentence, even one that starts with a keyword
        ("SELECT * WHERE { ?s skg:isoAlpha2 ?c } GROUP BY ?s ?c", "1:54",
         "SELECT * is not authorized with GROUP BY; fix the query"),
        # the parser's notation is left out of what it expected, and digits are a number
        ("SELECT ?s WHERE { ?s a skg:Sanction } LIMIT x", "1:45",
         "expected one of HAVING, OFFSET, OPTIONAL, VALUES, a number; fix the query"),
        ("SELECT ?s WHERE { ?s a skg:Sanction ", "1:37",
         'expected one of ",", ".", ";", "{", "}"; fix the query'),
        ("SELECT ?s WHERE { ?s a _:b . ?s ?p ?y ) }", "1:42",
         "something is missing or misplaced here; fix the query"),
        # pyoxigraph places these at the end of the text or on the next line; the start of
        # the part that fails is where rdflib's parser stops.
        ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = )\n}\n", "3:3",
         "in the part starting with 'FILTER'; fix the query"),
        ("SELECT * WHERE {\n  ?s ?p ?o .\n  OPTIONAL { ?s ?q }\n  ?s ?r ?t .\n}\n", "3:3",
         "in the part starting with 'OPTIONAL'; fix the query"),
        ("SELECT * WHERE { ?s ?p }\n", "1:18", "in the part starting with '?s'; fix the query"),
        ("SELECT * { ?s ?p ?o } GROUP BY", "1:23",
         "in the part starting with 'GROUP'; fix the query"),
        ("SELECT * WHERE {\n\t?s ?p ?o .\n\tFILTER(?o = )\n}\n", "3:2",
         "in the part starting with 'FILTER'; fix the query"),  # tabs are one character
        ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = )\n} # trailing comment", "3:3",
         "in the part starting with 'FILTER'; fix the query"),  # a comment is not a part
        # rdflib does not know LATERAL or SPARQL 1.2's functions, and reads \u escapes before
        # parsing: it is not asked, and pyoxigraph's place stays.
        ("SELECT * WHERE { ?s ?p ?o LATERAL { ?s ?q ?r } FILTER(?o = ) }", "1:63",
         "expected one of "),
        ('SELECT * WHERE {\n  BIND(STRLANGDIR("a", "en", "ltr") AS ?x)\n  FILTER(?x = )\n}',
         "4:2", "expected one of "),
        ('SELECT * WHERE {\n  ?s ?p "\\u00e9\\u00e9" .\n  FILTER(?s = )\n}', "4:2",
         "expected one of "),
        # A misspelt query form was placed at the next word ("expected CONSTRUCT", 1:10).
        ("SELEC ?s WHERE { ?s ?p ?o }", "1:1", "a query starts with SELECT, CONSTRUCT, ASK or "
         "DESCRIBE, not 'SELEC'; did you mean SELECT?"),
        ("PREFIX ex: <http://example.org/>\n  describee ex:a", "2:3", "a query starts with "
         "SELECT, CONSTRUCT, ASK or DESCRIBE, not 'describee'; did you mean DESCRIBE?"),
        ("FETCH ?s { ?s ?p ?o }", "1:1", "a query starts with SELECT, CONSTRUCT, ASK or "
         "DESCRIBE, not 'FETCH'; fix the query"),
    ],
)
def test_syntax_errors_give_source_line_and_column(text: str, where: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        queries.execute(ox.Store(), Query(text, "queries/x.rq"), {})
    shown = str(caught.value)
    if message.endswith("one of "):  # a long list of expected tokens follows
        assert shown.startswith(f"queries/x.rq:{where}: SPARQL syntax error: {message}")
    else:
        joint = " " if message.startswith("in the part") else ": "
        assert shown == f"queries/x.rq:{where}: SPARQL syntax error{joint}{message}"


def test_long_parser_expectations_are_cut_to_one_line() -> None:
    with pytest.raises(QueryError) as caught:
        queries.execute(ox.Store(), queries.from_text("SELECT * WHERE {"), {})
    message = str(caught.value)
    assert message.startswith("<query>:1:17: SPARQL syntax error: expected one of ")
    assert "\n" not in message and len(message) < 260


@pytest.mark.parametrize("text", [
    "SELECT ?x WHERE { ?s ?p ?o } GROUP BY ?s",
    "SELECT (COUNT(?s) AS ?n) ?s WHERE { ?s ?p ?o }",
])
def test_the_parsers_own_sentence_is_shown_rather_than_the_tokens_it_expected(text: str) -> None:
    """pyoxigraph lists the tokens it expected ("$", "(", IF, TZ, character classes…) with its
    sentence for the mistake in the middle of them; the sentence is what the reader needs."""
    with pytest.raises(QueryError) as caught:
        queries.execute(ox.Store(), queries.from_text(text), {})
    assert str(caught.value) == (f"<query>:1:{len(text) + 1}: SPARQL syntax error: The SELECT "
                                 "contains a variable that is unbound; fix the query")


VALUES_STATE = f'VALUES ?state {{ <{ID}state/iran> }}'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT ?state WHERE { ?s skg:target ?state }",
         f"SELECT ?state WHERE {{ {VALUES_STATE}  ?s skg:target ?state }}"),
        ("SELECT ?state (EXISTS { ?x ?y ?z } AS ?e) { ?s ?p ?state }",
         f"SELECT ?state (EXISTS {{ ?x ?y ?z }} AS ?e) {{ {VALUES_STATE}  ?s ?p ?state }}"),
        ("CONSTRUCT { ?s ?p ?state } WHERE { ?s ?p ?state }",
         f"CONSTRUCT {{ ?s ?p ?state }} WHERE {{ {VALUES_STATE}  ?s ?p ?state }}"),
        ("CONSTRUCT WHERE { ?s ?p ?state }",
         f"CONSTRUCT {{ ?s ?p ?state }} WHERE {{ {VALUES_STATE}  ?s ?p ?state }}"),
        ('ASK { ?s ?p "{" . ?s ?p ?state }',
         f'ASK {{ {VALUES_STATE}  ?s ?p "{{" . ?s ?p ?state }}'),
        ("CONSTRUCT { ?where ?p ?state } WHERE { ?where ?p ?state }",
         f"CONSTRUCT {{ ?where ?p ?state }} WHERE {{ {VALUES_STATE}  ?where ?p ?state }}"),
        ("SELECT ?state { { SELECT ?state WHERE { ?s ?p ?state } } }",
         f"SELECT ?state {{ {VALUES_STATE}  {{ SELECT ?state WHERE {{ ?s ?p ?state }} }} }}"),
    ],
)
def test_remote_parameters_become_values_in_the_outermost_group(text: str, expected: str) -> None:
    query = Query(text, "<query>")
    declared = "".join(f"PREFIX {n}: <{PREFIXES[n]}> " for n in sorted(PREFIXES))
    result = queries.remote_text(query, {"state": Value(ParamKind.IRI, ID + "state/iran")})
    assert result == declared + expected
    ox.Store().query(result)  # valid SPARQL


def test_remote_text_keeps_lines_and_the_query_s_own_prefixes() -> None:
    text = "# title: T\n# question: Q\nPREFIX skg: <urn:mine#>\nSELECT ?s\nWHERE { ?s ?p ?o }\n"
    result = queries.remote_text(Query(text, "<query>"), {})
    assert result.count("\n") == text.count("\n")
    assert "PREFIX skg: <urn:mine#>" in result
    assert f"PREFIX skg: <{SKG}>" not in result
    assert result.splitlines()[3].startswith("PREFIX dcterms:")
    assert result.splitlines()[3].endswith("SELECT ?s")


DECLARED = "".join(f"PREFIX {n}: <{PREFIXES[n]}> " for n in sorted(PREFIXES))
WORD = Value(ParamKind.STRING, "w")


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        # written in, as on the embedded store, where substituted_text covers the query
        ("SELECT ?s ?state WHERE { ?s skg:target ?state }", IRAN,
         f"SELECT ?s (<{ID}state/iran> AS ?state) WHERE {{ ?s skg:target <{ID}state/iran> }}"),
        ("SELECT ?state (COUNT(*) AS ?n) WHERE { ?s skg:target ?state } GROUP BY ?state",
         IRAN,
         f"SELECT (<{ID}state/iran> AS ?state) (COUNT(*) AS ?n) WHERE {{ ?s skg:target "
         f"<{ID}state/iran> }} GROUP BY (<{ID}state/iran>)"),
        # VALUES otherwise: SELECT *, a subquery projecting only it, another query form
        ("SELECT * WHERE { ?s skg:target ?state }", IRAN,
         f"SELECT * WHERE {{ {VALUES_STATE}  ?s skg:target ?state }}"),
        ("SELECT ?state { { SELECT ?state WHERE { ?s skg:target ?state } } }", IRAN,
         f"SELECT ?state {{ {VALUES_STATE}  {{ SELECT ?state WHERE {{ ?s skg:target ?state }} "
         "} }"),
        ("ASK { ?s skg:target ?state }", IRAN,
         f"ASK {{ {VALUES_STATE}  ?s skg:target ?state }}"),
        # a literal cannot be a predicate: the written text would not parse, VALUES does
        ("SELECT ?s ?state WHERE { ?s ?state ?o }", WORD,
         'SELECT ?s ?state WHERE { VALUES ?state { "w" }  ?s ?state ?o }'),
    ],
)
def test_endpoint_text_writes_values_in_where_it_can_and_uses_values_otherwise(
    text: str, value: Value, expected: str
) -> None:
    result = queries.endpoint_text(Query(text, "<query>"), {"state": value})
    assert result == DECLARED + expected
    ox.Store().query(result)  # valid SPARQL without predeclared prefixes


def test_endpoint_text_without_parameters_only_declares_the_prefixes() -> None:
    # nothing is parsed: pyoxigraph evaluates an ASK at once, and SERVICE would reach out
    query = Query("# title: T\n# question: Q\nASK { SERVICE <http://127.0.0.1:1/q> {} }\n",
                  "<query>")
    assert queries.endpoint_text(query, {}) == queries.remote_text(query, {})
    assert queries.endpoint_text(query, {}).splitlines()[2] == (
        DECLARED + "ASK { SERVICE <http://127.0.0.1:1/q> {} }")


def test_describe_without_where_cannot_take_parameters() -> None:
    with pytest.raises(QueryError, match="no WHERE group"):
        queries.remote_text(Query("DESCRIBE <urn:x>", "<query>"),
                            {"x": Value(ParamKind.IRI, "urn:y")})


def test_unknown_named_query_lists_the_names(tmp_path: Path) -> None:
    write(tmp_path, "one", HEADER)
    (tmp_path / "notes.txt").write_text("not a query")
    with pytest.raises(UsageError) as caught:
        queries.named("two", tmp_path)
    assert str(caught.value) == (
        "no named query 'two'; the named queries are: one (see `sanctions-kg queries`)"
    )
    assert [q.name for q in queries.catalogue(tmp_path)] == ["one"]


def test_choose_wants_exactly_one_source() -> None:
    with pytest.raises(UsageError, match=r"^give exactly one of QUERY, --file or --name$"):
        queries.choose(None, file=None, name=None)
    with pytest.raises(UsageError, match=r"\(got QUERY and --file\)"):
        queries.choose("ASK {}", file=Path("x.rq"), name=None)


def test_target_checks_its_options(tmp_path: Path) -> None:
    assert queries.target(tmp_path, None) == tmp_path
    endpoint = queries.target(None, "http://127.0.0.1:1/q", timeout=0, auth_env="X")
    assert endpoint == queries.Endpoint("http://127.0.0.1:1/q", None, "X")
    with pytest.raises(UsageError, match="not both"):
        queries.target(tmp_path, "http://127.0.0.1:1/q")
    with pytest.raises(UsageError, match="--auth-env goes with --endpoint"):
        queries.target(tmp_path, None, auth_env="X")


# --- the bundled named queries ----------------------------------------------------------------

CATALOGUE = queries.catalogue()


def test_the_catalogue_is_not_empty() -> None:
    assert CATALOGUE, "no named queries in queries/"


@pytest.mark.parametrize("query", CATALOGUE, ids=[q.name or "" for q in CATALOGUE])
def test_named_query_has_a_header_and_runs_with_its_defaults(
    query: Query, seed_build: Built
) -> None:
    assert query.title and query.question.endswith("?")
    results = queries.execute(open_read(seed_build.store), query, queries.bind(query, {}))
    if isinstance(results, ox.QuerySolutions):
        assert list(results), f"{query.name} gives no rows on the seed graph"


@pytest.mark.parametrize("query", CATALOGUE, ids=[q.name or "" for q in CATALOGUE])
def test_values_injection_gives_the_same_rows_as_substitution(
    query: Query, seed_build: Built
) -> None:
    """What an endpoint gets (VALUES, PREFIX lines) answers like the local substitution."""
    store = open_read(seed_build.store)
    values = queries.bind(query, {})
    local = queries.execute(store, query, values)
    remote = store.query(queries.remote_text(query, values), use_default_graph_as_union=True)
    assert rows(remote) == rows(local)


def rows(results: object) -> object:
    if isinstance(results, ox.QuerySolutions):
        names = [v.value for v in results.variables]
        return sorted(tuple(str(row[n]) for n in names) for row in results)
    if isinstance(results, ox.QueryBoolean):
        return bool(results)
    return sorted(str(t) for t in results)  # type: ignore[attr-defined]


def test_check_syntax_parses_without_running() -> None:
    queries.check_syntax(queries.from_text("SELECT * WHERE { ?s ?p ?o }"))
    queries.check_syntax(queries.from_text("ASK { SERVICE <http://127.0.0.1:1/q> { ?s ?p ?o } }"))
    with pytest.raises(QueryError, match=r"^<query>:1:21: SPARQL syntax error: undeclared"):
        queries.check_syntax(queries.from_text("SELECT * WHERE { ?s nope:p ?o }"))
    with pytest.raises(QueryError, match="CLEAR is a SPARQL update"):
        queries.check_syntax(queries.from_text("CLEAR ALL"))


JSON_ANSWER = (b'{"head":{"vars":["s"]},"results":{"bindings":'
               b'[{"s":{"type":"uri","value":"https://w3id.org/sanctions-kg/id/state/iran"}}]}}')


@pytest.mark.parametrize(
    ("result_format", "accept", "expected"),
    [
        (ResultFormat.JSON, "application/sparql-results+json", JSON_ANSWER),
        # CSV results cannot be read back to be checked: written from the JSON results
        (ResultFormat.CSV, "application/sparql-results+json",
         b"s\r\nhttps://w3id.org/sanctions-kg/id/state/iran\r"),
        (ResultFormat.TABLE, "application/sparql-results+json", None),
    ],
)
def test_endpoint_queries_ask_for_the_format_and_write_the_answer(
    monkeypatch: pytest.MonkeyPatch, result_format: ResultFormat, accept: str,
    expected: bytes | None,
) -> None:
    from sanctions_kg import remote

    sent: dict[str, object] = {}

    def fake(endpoint: str, text: str, **options: object) -> bytes:
        sent.update(options, endpoint=endpoint, text=text)
        return JSON_ANSWER

    monkeypatch.setattr(remote, "sparql_query", fake)
    query = Query("# param: x\nSELECT ?s ?state WHERE { ?s ?p ?state }", "<query>", None, "", "",
                  (queries.Parameter("state", ParamKind.IRI, "state/iran", "s"),))
    out = io.BytesIO()
    target = queries.Endpoint("http://127.0.0.1:1/q", 5.0, "TOKEN")
    queries.run(query, out, target=target, result_format=result_format)
    assert sent["endpoint"] == "http://127.0.0.1:1/q"
    assert (sent["accept"], sent["timeout"], sent["auth_env"]) == (accept, 5.0, "TOKEN")
    assert sent["text"] == queries.endpoint_text(query, queries.bind(query, {}))
    assert f"SELECT ?s (<{ID}state/iran> AS ?state) WHERE" in str(sent["text"])
    assert "VALUES" not in str(sent["text"])
    if expected is None:
        assert "skgid:state/iran" in out.getvalue().decode()
    else:
        assert out.getvalue() == expected + b"\n"  # the shell prompt goes on a line of its own


def test_an_invalid_query_is_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    from sanctions_kg import remote

    def fake(*args: object, **options: object) -> bytes:
        raise AssertionError("sent")

    monkeypatch.setattr(remote, "sparql_query", fake)
    with pytest.raises(QueryError, match="SPARQL syntax error"):
        queries.run(queries.from_text("SELECT * WHERE {"), io.BytesIO(),
                    target=queries.Endpoint("http://127.0.0.1:1/q"))


@pytest.mark.parametrize(("value", "text"), [(1e-9, "0.000000001"), (30.0, "30"), (1.5, "1.5"),
                                             (1_000_000.0, "1000000"), (0.25, "0.25"),
                                             (1e-300, "1e-300")])
def test_seconds_are_written_as_plain_decimals(value: float, text: str) -> None:
    from sanctions_kg.errors import seconds_text

    assert seconds_text(value) == text
