"""``sanctions-kg query`` and ``queries`` through the real console script, on the seed store."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import CLI, REPO, Built, FakeStore, _free_port, run_cli
from sanctions_kg import queries
from sanctions_kg.namespaces import ID, PREFIXES
from sanctions_kg.remote import push
from test_cli_export import OUTPUT_CLOSED, head_one, into_a_closed_pipe

SANCTIONS = "SELECT ?sanction ?target WHERE { ?sanction skg:target ?target } ORDER BY ?sanction"
SEED_SANCTIONS = [
    (ID + "sanction/raisi-putin-samarkand-2022/us-sanctions-on-iran", ID + "state/iran"),
    (ID + "sanction/raisi-putin-samarkand-2022/western-sanctions-on-russia", ID + "state/russia"),
]
SPARQL_RESULTS = "{http://www.w3.org/2005/sparql-results#}"
CARTESIAN = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
)


def query(built: Built, *args: str | Path) -> tuple[int, str, str]:
    result = run_cli("query", *args, "--store", built.store, cwd=REPO)
    return result.code, result.stdout, result.stderr


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file of a folder with a hash of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_default_format_off_a_terminal_is_tsv(seed_build: Built) -> None:
    code, out, err = query(seed_build, SANCTIONS)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "?sanction\t?target"
    assert lines[1:] == [f"<{s}>\t<{t}>" for s, t in SEED_SANCTIONS]


@pytest.mark.parametrize("form", ["tsv", "csv", "json", "table"])
def test_select_star_columns_come_in_the_order_of_the_query(seed_build: Built, form: str) -> None:
    """Not sorted by name, as pyoxigraph gives them; with a parameter bound as well."""
    text = ("SELECT * WHERE { ?subject ?predicate ?object . BIND(1 AS ?a) } "
            "ORDER BY ?subject ?predicate ?object LIMIT 1")
    code, out, err = query(seed_build, text, "--format", form)
    assert (code, err) == (0, "")
    if form == "json":
        assert json.loads(out)["head"]["vars"] == ["subject", "predicate", "object", "a"]
    elif form == "table":
        header = next(line for line in out.splitlines() if "subject" in line)
        assert [header.index(n) for n in ("subject", "predicate", "object", " a ")] == sorted(
            header.index(n) for n in ("subject", "predicate", "object", " a "))
    else:
        assert out.splitlines()[0] == {"tsv": "?subject\t?predicate\t?object\t?a",
                                       "csv": "subject,predicate,object,a"}[form]


def test_select_star_with_a_parameter_keeps_the_order_of_the_query(
        seed_build: Built, tmp_path: Path) -> None:
    path = tmp_path / "star.rq"
    path.write_text("# title: Star\n# question: What is said of a node?\n"
                    "# param: node iri state/iran — a node\n"
                    "SELECT * WHERE { ?node ?predicate ?object } LIMIT 1\n", encoding="utf-8")
    code, out, err = query(seed_build, "--file", path, "--format", "csv")
    assert (code, err, out.splitlines()[0]) == (0, "", "node,predicate,object")


def test_json(seed_build: Built) -> None:
    code, out, _ = query(seed_build, SANCTIONS, "--format", "json")
    assert code == 0
    bindings = json.loads(out)["results"]["bindings"]
    assert [(b["sanction"]["value"], b["target"]["value"]) for b in bindings] == SEED_SANCTIONS


def test_xml(seed_build: Built) -> None:
    code, out, _ = query(seed_build, SANCTIONS, "--format", "xml")
    assert code == 0
    root = ET.fromstring(out)
    rows = [
        tuple("".join(b.itertext()) for b in result)
        for result in root.iter(f"{SPARQL_RESULTS}result")
    ]
    assert rows == SEED_SANCTIONS


@pytest.mark.parametrize(
    ("text", "result_format"),
    [(SANCTIONS, "json"), (SANCTIONS, "xml"), ("ASK {}", "json"), ("ASK {}", "xml"),
     ("CONSTRUCT WHERE { ?s a skg:Sanction }", "jsonld")],
)
def test_the_output_ends_its_last_line(seed_build: Built, text: str, result_format: str) -> None:
    # Without the newline the shell prompt went on after the last character.
    code, out, err = query(seed_build, text, "--format", result_format)
    assert (code, err) == (0, "")
    assert out.endswith(("}\n", "]\n", ">\n")) and not out.endswith("\n\n")


def test_csv(seed_build: Built) -> None:
    code, out, _ = query(seed_build, SANCTIONS, "--format", "csv")
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["sanction", "target"]
    assert [tuple(row) for row in table[1:]] == SEED_SANCTIONS


def test_tsv_parses_back(seed_build: Built) -> None:
    code, out, _ = query(seed_build, SANCTIONS, "--format", "tsv")
    assert code == 0
    parsed = ox.parse_query_results(out, ox.QueryResultsFormat.TSV)
    assert isinstance(parsed, ox.QuerySolutions)
    assert [(r["sanction"].value, r["target"].value) for r in parsed] == SEED_SANCTIONS


def test_table(seed_build: Built) -> None:
    code, out, _ = query(seed_build, SANCTIONS, "--format", "table")
    assert code == 0
    assert "skgid:state/iran" in out and "skgid:state/russia" in out
    assert "2 rows" in out


@pytest.mark.parametrize(
    ("name", "rdf_format"),
    [("turtle", ox.RdfFormat.TURTLE), ("ntriples", ox.RdfFormat.N_TRIPLES),
     ("jsonld", ox.RdfFormat.JSON_LD)],
)
def test_construct_formats_parse_back(
    seed_build: Built, name: str, rdf_format: ox.RdfFormat
) -> None:
    text = "CONSTRUCT { ?s skg:target ?t } WHERE { ?s skg:target ?t }"
    code, out, err = query(seed_build, text, "--format", name)
    assert code == 0, err
    triples = sorted((t.subject.value, t.object.value)
                     for t in (q.triple for q in ox.parse(out.encode(), rdf_format)))
    assert triples == SEED_SANCTIONS


def test_describe_gives_turtle(seed_build: Built) -> None:
    code, out, _ = query(seed_build, f"DESCRIBE <{ID}state/iran>", "--format", "turtle")
    assert code == 0
    subjects = {q.subject.value for q in ox.parse(out.encode(), ox.RdfFormat.TURTLE)}
    assert subjects == {ID + "state/iran"}


@pytest.mark.parametrize("text", [f"DESCRIBE <{ID}state/iran>",
                                  f"CONSTRUCT WHERE {{ <{ID}state/iran> ?p ?o }}"])
def test_a_graph_query_without_a_format_gives_turtle(seed_build: Built, text: str) -> None:
    """Not the table or TSV of SELECT, which would be refused."""
    code, out, err = query(seed_build, text)
    assert (code, err) == (0, "")
    assert out == query(seed_build, text, "--format", "turtle")[1]
    assert {q.subject.value for q in ox.parse(out.encode(), ox.RdfFormat.TURTLE)} == {
        ID + "state/iran"}


def test_ask(seed_build: Built) -> None:
    code, out, _ = query(seed_build, f"ASK {{ ?s skg:target <{ID}state/iran> }}",
                         "--format", "json")
    assert (code, json.loads(out)) == (0, {"head": {}, "boolean": True})


def test_graph_reaches_one_named_graph(seed_build: Built) -> None:
    text = ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/sanctions-kg/graph/reference>"
            " { ?s ?p ?o } }")
    code, out, _ = query(seed_build, text, "--format", "csv")
    union = query(seed_build, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv")
    assert code == 0
    assert 0 < int(out.split()[1]) < int(union[1].split()[1])


def test_every_predeclared_prefix_works(seed_build: Built) -> None:
    projection = " ".join(f"({name}:x AS ?{name})" for name in PREFIXES)
    code, out, err = query(seed_build, f"SELECT {projection} WHERE {{}}", "--format", "json")
    assert code == 0, err
    bindings = json.loads(out)["results"]["bindings"][0]
    assert {name: b["value"] for name, b in bindings.items()} == {
        name: iri + "x" for name, iri in PREFIXES.items()
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("SELECT * WHERE { ?s ?p ?o }", "--format", "turtle"),
         "error: --format turtle is for CONSTRUCT and DESCRIBE results; a SELECT query gives "
         "solutions: use --format table, csv, tsv, json or xml\n"),
        (("ASK {}", "--format", "jsonld"),
         "error: --format jsonld is for CONSTRUCT and DESCRIBE results; an ASK query gives "
         "solutions: use --format table, csv, tsv, json or xml\n"),
        (("CONSTRUCT WHERE { ?s ?p ?o }", "--format", "table"),
         "error: --format table is for SELECT and ASK results; a CONSTRUCT query gives an RDF "
         "graph: use --format turtle, ntriples or jsonld\n"),
        ((), "error: give exactly one of QUERY, --file or --name\n"),
        (("ASK {}", "--name", "sanctions-on-iran"),
         "error: give exactly one of QUERY, --file or --name (got QUERY and --name)\n"),
        (("ASK {}", "--param", "x"), "error: --param x: write NAME=VALUE\n"),
        (("ASK {}", "--param", "x=1"), "error: <query>: no parameter 'x'; this query has no "
         "parameters\n"),
        (("ASK {}", "--timeout", "-1"),
         "error: --timeout -1: give a positive number of seconds up to 1000000, or 0 for no "
         "limit\n"),
        (("ASK {}", "--auth-env", "TOKEN"),
         "error: --auth-env goes with --endpoint; the embedded store needs no login\n"),
        (("ASK {}", "--endpoint", "http://127.0.0.1:9/sparql"),
         "error: give --store or --endpoint, not both\n"),
    ],
)
def test_usage_errors(seed_build: Built, args: tuple[str, ...], message: str) -> None:
    code, out, err = query(seed_build, *args)
    assert (code, out, err) == (2, "", message)


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "PREFIX ex: <urn:ex#>\nDELETE WHERE { ?s ?p ?o }",
        "WITH <https://w3id.org/sanctions-kg/graph/reference> DELETE { ?s ?p ?o } "
        "WHERE { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
    ],
)
def test_updates_are_refused_and_the_store_is_untouched(seed_build: Built, update: str) -> None:
    before = fingerprint(seed_build.store)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    triples_before = query(seed_build, count)[1]
    code, out, err = query(seed_build, update)
    keyword = update.split("\n")[-1].split()[0]
    line = update.count("\n") + 1
    assert (code, out) == (2, "")
    assert err == (
        f"error: <query>:{line}:1: {keyword} is a SPARQL update, and queries are read-only; "
        "change the data in the facts files and run `sanctions-kg build`\n"
    )
    assert fingerprint(seed_build.store) == before
    assert query(seed_build, count)[1] == triples_before


def test_syntax_error_gives_line_and_column(seed_build: Built, tmp_path: Path) -> None:
    path = tmp_path / "broken.rq"
    path.write_text("# a comment\nSELECT ?x WHERE {\n  ?x nope:p ?y }\n", encoding="utf-8")
    code, out, err = query(seed_build, "--file", path)
    assert (code, out) == (2, "")
    assert err == (
        f"error: {path}:3:6: SPARQL syntax error: undeclared prefix 'nope:' in nope:p; "
        f"declare it with PREFIX or use a predeclared one ({', '.join(sorted(PREFIXES))})\n"
    )


def test_syntax_error_on_an_endpoint_gives_the_file_s_line_and_column(
    seed_build: Built, tmp_path: Path
) -> None:
    """Reported before anything is sent (nothing listens at the endpoint), located in the file
    even where the parameter value would be written into the text."""
    path = tmp_path / "broken.rq"
    path.write_text(
        "# title: Sanctions on a state\n# question: Which sanctions target a state?\n"
        "# param: state iri state/iran — the state\n"
        "SELECT ?sanction ?state WHERE {\n  ?sanction skg:target ?state . ?state nope:p ?x }\n",
        encoding="utf-8",
    )
    message = (
        f"error: {path}:5:40: SPARQL syntax error: undeclared prefix 'nope:' in nope:p; "
        f"declare it with PREFIX or use a predeclared one ({', '.join(sorted(PREFIXES))})\n"
    )
    assert query(seed_build, "--file", path)[1:] == ("", message)
    result = run_cli("query", "--file", path, "--endpoint",
                     f"http://127.0.0.1:{_free_port()}/query", cwd=REPO)
    assert (result.code, result.stdout, result.stderr) == (2, "", message)


def test_named_query_on_an_endpoint_answers_as_on_the_store(
    oxigraph_server: str, seed_build: Built
) -> None:
    push(seed_build.store, graph_store=f"{oxigraph_server}/store")
    args = ("query", "--name", "sanctions-on-iran", "--param", "state=state/russia",
            "--format", "json")
    remote = run_cli(*args, "--endpoint", f"{oxigraph_server}/query", cwd=REPO)
    local = run_cli(*args, "--store", seed_build.store, cwd=REPO)
    assert (remote.code, remote.stderr) == (0, "")
    assert json.loads(remote.stdout)["results"]["bindings"]
    assert json.loads(remote.stdout) == json.loads(local.stdout)


def test_an_endpoint_that_fails_while_answering_is_an_error_not_results(
    oxigraph_server: str, tmp_path: Path
) -> None:
    """Oxigraph has sent 200 and the start of the results when a SERVICE call fails; it then
    appends the error as text. That was written as the results, with exit 0."""
    text = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{_free_port()}/q> {{ ?s ?p ?o }} }}"
    for kind, what in (("json", "SPARQL JSON results"), ("tsv", "SPARQL TSV results"),
                       ("xml", "SPARQL XML results"), ("csv", "SPARQL JSON results"),
                       ("table", "SPARQL JSON results")):
        with (tmp_path / f"out.{kind}").open("wb") as handle:
            done = subprocess.run([str(CLI), "query", text, "--endpoint",
                                   f"{oxigraph_server}/query", "--format", kind],
                                  stdout=handle, stderr=subprocess.PIPE, text=True, check=False,
                                  timeout=60)
        assert (done.returncode, (tmp_path / f"out.{kind}").read_bytes()) == (2, b""), kind
        assert done.stderr.startswith(f"error: {oxigraph_server}/query: the answer is not "
                                      f"well-formed {what} ("), done.stderr
        assert done.stderr.endswith("); the server may have failed while answering (see its "
                                    "log), or --endpoint is not its SPARQL query endpoint\n")


@pytest.mark.parametrize(("body", "kind", "media_type", "what"), [
    # pyoxigraph reads an ASK's object and stops: the server's error after it went unseen
    (b'{"head": {}, "boolean": true}\nQuery timed out', "json",
     "application/sparql-results+json", "SPARQL JSON results"),
    # XML cut after a solution: pyoxigraph stops there without missing the end
    (b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
     b'<variable name="n"/></head><results><result><binding name="n"><literal>1</literal>'
     b'</binding></result>', "xml", "application/sparql-results+xml", "SPARQL XML results"),
])
def test_an_answer_with_something_after_or_missing_its_end_is_an_error(
        fake_store: FakeStore, body: bytes, kind: str, media_type: str, what: str) -> None:
    fake_store.graphs[""] = body
    fake_store.content_type = media_type
    done = run_cli("query", "SELECT ?n {}", "--endpoint", fake_store.url, "--format", kind)
    assert (done.code, done.stdout) == (2, "")
    assert done.stderr.startswith(f"error: {fake_store.url}: the answer is not well-formed {what}")


def test_a_named_query_with_no_rows_on_an_endpoint_gets_a_note(fake_store: FakeStore) -> None:
    """A server whose default graph is not the union of its graphs answers every named query
    with no rows, and exit 0: nothing told the user why."""
    fake_store.graphs[""] = b'{"head": {"vars": ["sanction"]}, "results": {"bindings": []}}'
    fake_store.content_type = "application/sparql-results+json"
    named = run_cli("query", "--name", "sanctions-on-iran", "--endpoint", fake_store.url,
                    "--format", "json", cwd=REPO)
    assert named.code == 0
    assert named.stderr == (
        f"note: sanctions-on-iran answered no rows at {fake_store.url}; a server whose default "
        "graph is not the union of its named graphs answers the named queries with none (see "
        '"Loading into triplestores" in the README)\n')
    own = run_cli("query", "SELECT ?sanction {}", "--endpoint", fake_store.url, "--format", "json")
    assert (own.code, own.stderr) == (0, "")


def test_a_graph_an_endpoint_cuts_short_is_an_error(fake_store: FakeStore) -> None:
    fake_store.graphs[""] = b"<http://e/s> <http://e/p> <http://e/o> .\nquery cancelled\n"
    fake_store.content_type = "text/turtle"
    done = run_cli("query", "CONSTRUCT WHERE { ?s ?p ?o }", "--endpoint", fake_store.url)
    assert (done.code, done.stdout) == (2, "")
    assert done.stderr.startswith(f"error: {fake_store.url}: the answer is not well-formed Turtle")


def test_csv_from_an_endpoint_is_written_from_its_json_results(fake_store: FakeStore) -> None:
    fake_store.graphs[""] = (b'{"head": {"vars": ["n", "s"]}, "results": {"bindings": '
                             b'[{"n": {"type": "literal", "value": "a, \\"b\\""}}]}}')
    fake_store.content_type = "application/sparql-results+json"
    done = run_cli("query", "SELECT ?n ?s {}", "--endpoint", fake_store.url, "--format", "csv")
    assert (done.code, done.stderr) == (0, "")
    assert list(csv.reader(io.StringIO(done.stdout))) == [["n", "s"], ['a, "b"', ""]]


@pytest.mark.parametrize(("text", "column"), [
    ("SELECT * WHERE { ?s skg:target skgid:state/iran }", 32),
    ("SELECT * WHERE { skgid:state/iran ?p ?o }", 18),
    ("SELECT * WHERE { ?s skg:imposer/skg:x/skgid:state/iran ?o }", 39),
])
def test_an_id_written_with_its_slash_is_named(seed_build: Built, text: str, column: int) -> None:
    """The parser failed at the closing brace: 'expected OPTIONAL'."""
    code, _, err = query(seed_build, text)
    name = "skgid:state/iran"
    assert (code, err) == (2, (
        f"error: <query>:1:{column}: SPARQL syntax error: a '/' ends a prefixed name, so {name} is "
        f"read as {name.split('/')[0]} and a property path; write skgid:state\\/iran or "
        "<https://w3id.org/sanctions-kg/id/state/iran>\n"))
    escaped = text.replace("skgid:state/iran", "skgid:state\\/iran")
    assert query(seed_build, escaped)[0] == 0


def test_a_path_of_prefixed_names_is_no_slashed_name(seed_build: Built) -> None:
    code, out, err = query(seed_build, "SELECT ?l WHERE { ?s skg:imposer/rdfs:label ?l . }")
    assert (code, err) == (0, "")
    assert '"United States"@en' in out


def test_syntax_error_in_the_argument_names_query(seed_build: Built) -> None:
    code, _, err = query(seed_build, 'SELECT * WHERE { ?s ?p "é" . ]')
    assert (code, err) == (2, "error: <query>:1:31: SPARQL syntax error: something is missing "
                              "or misplaced here; fix the query\n")


def test_missing_store_is_reported_and_not_created(tmp_path: Path) -> None:
    store = tmp_path / "nothing"
    result = run_cli("query", "ASK {}", "--store", store)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == f"error: no store at {store}; run `sanctions-kg build` first\n"
    assert not store.exists()


def test_store_from_environment(seed_build: Built, tmp_path: Path) -> None:
    result = run_cli("query", "ASK { ?s ?p ?o }", "--format", "json", cwd=tmp_path,
                     env={"SANCTIONS_KG_STORE": str(seed_build.store)})
    assert result.code == 0 and json.loads(result.stdout)["boolean"] is True


def test_query_from_a_file_with_parameters(seed_build: Built, tmp_path: Path) -> None:
    path = tmp_path / "targets.rq"
    path.write_text(
        "# title: Sanctions on a state\n# question: Which sanctions target a state?\n"
        "# param: state iri state/iran — the state\n"
        "SELECT ?sanction ?state WHERE { ?sanction skg:target ?state }\n",
        encoding="utf-8",
    )
    code, out, _ = query(seed_build, "--file", path)
    assert code == 0
    assert out.splitlines()[1:] == [f"<{SEED_SANCTIONS[0][0]}>\t<{ID}state/iran>"]
    code, out, _ = query(seed_build, "--file", path, "--param", "state=skgid:state/russia")
    assert out.splitlines()[1:] == [f"<{SEED_SANCTIONS[1][0]}>\t<{ID}state/russia>"]
    code, out, err = query(seed_build, "--file", path, "--param", "country=state/iran")
    assert (code, err) == (2, f"error: {path}: no parameter 'country'; known parameters: "
                              "state (iri, default state/iran)\n")
    code, out, err = query(seed_build, "--file", path, "--param", "state=two words")
    assert code == 2
    assert err.startswith(f"error: {path}: --param state: 'two words' is not an IRI; write an id")


def test_a_bare_slug_is_an_id_in_the_folder_of_the_default(seed_build: Built) -> None:
    code, out, err = query(seed_build, "--name", "sanctions-on-iran", "--param", "state=russia")
    assert (code, err) == (0, "")
    assert out == query(seed_build, "--name", "sanctions-on-iran", "--param",
                        "state=state/russia")[1]
    assert f"<{ID}state/russia>\t\"Russia\"" in out


def test_an_id_in_no_triple_gets_a_note_after_the_answer(seed_build: Built) -> None:
    code, out, err = query(seed_build, "--name", "sanctions-on-iran", "--param", "state=irann")
    assert code == 0 and len(out.splitlines()) == 1  # the header only
    assert err == (f"note: --param state: <{ID}state/irann> is in no triple of the store; check "
                   "the id (`sanctions-kg describe` finds nodes by slug or label)\n")
    # the default is not checked: a named query with no answer on a store says nothing
    assert query(seed_build, "--name", "sanctions-on-iran")[2] == ""
    # a bare slug is read in the default's kind: an entity of another kind with it is named
    code, _, err = query(seed_build, "--name", "sanctions-on-iran", "--param", "state=sco")
    assert (code, err) == (0, f"note: --param state: <{ID}state/sco> is in no triple of the "
                              "store; did you mean international-organisation/sco?\n")


@pytest.mark.parametrize("text", ["", "  \n", "# just a comment\n\n# and another"])
def test_an_empty_query_is_called_empty(tmp_path: Path, text: str) -> None:
    (tmp_path / "q.rq").write_text(text, encoding="utf-8")
    for args in (["--file", "q.rq"], [text]):
        result = run_cli("query", *args, cwd=tmp_path)
        source = "q.rq" if args[0] == "--file" else "<query>"
        assert (result.code, result.stdout) == (2, "")
        assert result.stderr == (f"error: {source}: the query is empty (only spaces and "
                                 "comments); write a SELECT, ASK, CONSTRUCT or DESCRIBE query\n")


def test_a_byte_order_mark_before_the_query_is_not_read_as_sparql(seed_build: Built) -> None:
    path = seed_build.store.parent / "bom.rq"
    path.write_bytes("\ufeffSELECT (1 AS ?one) WHERE {}".encode())
    assert query(seed_build, "--file", path) == (0, "?one\n1\n", "")
    done = subprocess.run(
        [str(CLI), "query", "--file", "-", "--store", str(seed_build.store), "--format", "csv"],
        input="\ufeffSELECT (1 AS ?one) WHERE {}", capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "one\n1\n")


def test_a_folder_as_the_query_file(tmp_path: Path) -> None:
    result = run_cli("query", "--file", ".", cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == "error: .: is a folder, not a query file; pass a .rq file\n"


def test_a_query_file_that_cannot_be_read_gives_the_reason_in_words(tmp_path: Path) -> None:
    (tmp_path / "query.rq").symlink_to("/proc/self/mem")  # the kernel refuses to read it
    result = run_cli("query", "--file", "query.rq", cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == "error: query.rq: cannot read the query file (Input/output error)\n"


@pytest.mark.parametrize(("content", "place"), [
    ("ASK { ?s ?p 'caf\xe9' }".encode("latin-1"), "query.rq:1: byte 0xe9 at offset 16"),
    # the byte order mark's 3 bytes are counted
    (b"\xef\xbb\xbfASK {\n ?s ?p 'caf\xe9' }", "query.rq:2: byte 0xe9 at offset 20"),
], ids=["first-line", "after-a-byte-order-mark"])
def test_a_query_file_not_in_utf8_names_the_line_and_the_byte(
        tmp_path: Path, content: bytes, place: str) -> None:
    (tmp_path / "query.rq").write_bytes(content)
    result = run_cli("query", "--file", "query.rq", cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == f"error: {place} is not UTF-8; save the file as UTF-8\n"


def test_a_query_on_standard_input_not_in_utf8_names_the_line_and_the_byte(
        tmp_path: Path) -> None:
    done = subprocess.run([str(CLI), "query", "--file", "-", "--store", str(tmp_path)],
                          input="ASK {\n ?s ?p 'caf\xe9' }".encode("latin-1"),
                          capture_output=True, check=False)
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr == b"error: <stdin>:2: byte 0xe9 at offset 17 is not UTF-8; save the " \
                          b"file as UTF-8\n"


def test_query_from_stdin(seed_build: Built) -> None:
    done = subprocess.run(
        [str(CLI), "query", "--file", "-", "--store", str(seed_build.store), "--format", "csv"],
        input="SELECT ?n WHERE { BIND(1 + 1 AS ?n) }", capture_output=True, text=True, check=False,
    )
    assert (done.returncode, done.stdout) == (0, "n\n2\n")


def test_named_query_with_a_parameter(seed_build: Built) -> None:
    named = [q for q in queries.catalogue() if any(p.kind.value == "iri" for p in q.parameters)]
    if not named:
        pytest.skip("no named query with an iri parameter yet")
    query_ = named[0]
    parameter = next(p for p in query_.parameters if p.kind.value == "iri")
    default = query(seed_build, "--name", query_.name or "", "--format", "json")
    explicit = query(seed_build, "--name", query_.name or "", "--format", "json",
                     "--param", f"{parameter.name}={parameter.default}")
    assert default[0] == explicit[0] == 0
    assert json.loads(default[1]) == json.loads(explicit[1])


def test_unknown_named_query_lists_the_names(seed_build: Built) -> None:
    code, _, err = query(seed_build, "--name", "no-such-query")
    names = ", ".join(q.name or "" for q in queries.catalogue())
    assert (code, err) == (2, f"error: no named query 'no-such-query'; the named queries are: "
                              f"{names} (see `sanctions-kg queries`)\n")


def test_unknown_parameter_of_a_named_query(seed_build: Built) -> None:
    query_ = next((q for q in queries.catalogue() if q.parameters), None)
    if query_ is None:
        pytest.skip("no named query with parameters yet")
    code, _, err = query(seed_build, "--name", query_.name or "", "--param", "zzz=1")
    known = ", ".join(str(p) for p in query_.parameters)
    assert (code, err) == (2, f"error: queries/{query_.name}.rq: no parameter 'zzz'; "
                              f"known parameters: {known}\n")


def test_queries_lists_the_catalogue_as_tsv() -> None:
    result = run_cli("queries", cwd=REPO)
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "name\ttitle\tquestion\tparameters"
    assert lines[1:] == [f"{q.name}\t{q.title}\t{q.question}\t" + " ".join(
        f"{p.name}={p.default}" for p in q.parameters) for q in queries.catalogue()]
    assert "\tstate=state/iran\n" in result.stdout


def test_timeout_ends_a_long_query(seed_build: Built) -> None:
    started = time.monotonic()
    code, out, err = query(seed_build, CARTESIAN, "--timeout", "1")
    elapsed = time.monotonic() - started
    assert (code, out) == (2, "")
    assert err == "error: query timed out after 1 s; narrow the query or raise --timeout\n"
    assert elapsed < 10


def test_a_query_that_fails_half_way_leaves_no_output(seed_build: Built, tmp_path: Path) -> None:
    """Redirected to a file, the results are written once the query has succeeded: a time
    limit that strikes while rows stream (they did, from the first), or a SERVICE that cannot
    be reached, leaves the file empty, rather than the start of a results file, with exit 2.
    Into a pipe they still stream: `| head` shows the first rows at once."""
    streaming = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

    def into_a_file(*args: str) -> tuple[int, str, str]:
        results = tmp_path / "results"
        with results.open("wb") as handle:
            done = subprocess.run([str(CLI), "query", *args, "--store", str(seed_build.store)],
                                  stdout=handle, stderr=subprocess.PIPE, text=True, timeout=60,
                                  check=False)
        return done.returncode, results.read_text(encoding="utf-8"), done.stderr

    for result_format in ("tsv", "json"):
        code, out, err = into_a_file(streaming, "--timeout", "1", "--format", result_format)
        assert (code, out, err) == (
            2, "", "error: query timed out after 1 s; narrow the query or raise --timeout\n")
    code, out, _ = query(seed_build, streaming, "--timeout", "1", "--format", "tsv")
    assert code == 2 and out.startswith("?a\t?b\t?c")  # a pipe: the rows came as they came
    service = f"http://127.0.0.1:{_free_port()}/sparql"
    code, out, err = into_a_file(f"SELECT * WHERE {{ SERVICE <{service}> {{ ?s ?p ?o }} }}",
                                 "--format", "json")
    assert (code, out) == (2, "")
    assert err == ("error: <query>: a SERVICE call failed (Connection refused (os error 111)); "
                   "check the service's URL, or write SERVICE SILENT to go on without its "
                   "answers\n")
    code, out, err = query(
        seed_build, f"SELECT * WHERE {{ SERVICE SILENT <{service}> {{ ?s ?p ?o }} }}",
        "--format", "csv")
    assert (code, out, err) == (0, "s,p,o\n,,\n", "")  # read as text: CRLF is LF


def test_results_the_temporary_file_cannot_hold_are_an_output_error(
        seed_build: Built, tmp_path: Path) -> None:
    """Held for a file, results past the spool's memory go to a temporary file; that file's
    failure (a full disk: here a file size limit) was an internal error (exit 3), or, with a
    SERVICE in the query, blamed on the service."""
    import resource

    script = ("import sys; from sanctions_kg import atomic; atomic.SPOOL_BYTES = 1000; "
              "sys.argv[0] = 'sanctions-kg'; from sanctions_kg.cli import main; main()")

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    results = tmp_path / "results.tsv"
    with results.open("wb") as handle:
        done = subprocess.run(
            [sys.executable, "-c", script, "query", "SELECT * WHERE { ?s ?p ?o }",
             "--store", str(seed_build.store)],
            stdout=handle, stderr=subprocess.PIPE, text=True, timeout=60, check=False,
            preexec_fn=limited, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert (done.returncode, done.stderr) == (2, (
        "error: cannot hold the results until the query ends (File too large); free space in "
        f"{tmp_path}, or set TMPDIR to a folder with room\n"))
    assert results.read_bytes() == b""


@pytest.mark.parametrize(("timeout", "stop"), [("30", "ctrl-c"), ("0", "ctrl-c"),
                                               ("0", "sigterm")])
def test_ctrl_c_ends_a_query_the_store_is_still_working_on(
        seed_build: Built, timeout: str, stop: str) -> None:
    """pyoxigraph holds the main thread; Ctrl-C still ends the command at once, with 130, and
    SIGTERM with 143."""
    running = subprocess.Popen(
        [str(CLI), "query", CARTESIAN, "--store", str(seed_build.store), "--timeout", timeout],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        time.sleep(1.5)  # well into the query
        assert running.poll() is None
        interrupted = time.monotonic()
        if stop == "ctrl-c":
            os.killpg(running.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's group
        else:
            os.kill(running.pid, signal.SIGTERM)
        out, err = running.communicate(timeout=20)
        assert (running.returncode, out, err) == (
            (130, "", "interrupted\n") if stop == "ctrl-c" else (143, "", "terminated\n"))
        assert time.monotonic() - interrupted < 5
    finally:
        if running.poll() is None:
            os.killpg(running.pid, signal.SIGKILL)
            running.wait()


def test_ctrl_c_while_the_command_line_loads_is_an_interruption(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from sanctions_kg import launch

    class Interrupting:
        """Ctrl-C arriving while ``sanctions_kg.cli`` is imported."""

        def find_spec(self, name: str, *_: object) -> None:
            if name == "sanctions_kg.cli":
                raise KeyboardInterrupt

    monkeypatch.delitem(sys.modules, "sanctions_kg.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Interrupting(), *sys.meta_path])
    with pytest.raises(SystemExit) as ended:
        launch.main()
    assert ended.value.code == 130
    assert capfd.readouterr().err == "interrupted\n"


#: SIGTERM (as `timeout` sends it) while standard output is set up, before the command's own
#: handling of stop signals has started (the set-up imports more modules).
TERMINATED_WHILE_STARTING = """
import sys
from sanctions_kg import cli, interrupts

def stopped():
    raise interrupts.Terminated

cli._checked_stdout = stopped
sys.argv = ["sanctions-kg", "--version"]
from sanctions_kg.launch import main
main()
"""


def test_sigterm_before_the_command_starts_is_a_termination() -> None:
    """It gave a traceback ending in 'Terminated', and exit code 1 (1 in 30 of the signals
    sent at random moments of a build)."""
    done = subprocess.run([sys.executable, "-c", TERMINATED_WHILE_STARTING],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (143, "", "terminated\n")


def test_the_time_limit_holds_when_stderr_is_a_closed_pipe(seed_build: Built) -> None:
    """The message cannot be written; the watchdog still ends the query, with exit code 2."""
    started = time.monotonic()
    done = subprocess.run(
        f"{CLI} query '{CARTESIAN}' --store {seed_build.store} --timeout 1 2>&1 | (sleep 0.2; true)"
        "; exit ${PIPESTATUS[0]}",
        shell=True, executable="/bin/bash", timeout=60)
    assert done.returncode == 2
    assert time.monotonic() - started < 10


def test_watchdog_is_cancelled_when_the_block_ends() -> None:
    program = (
        "import time\nfrom sanctions_kg.queries import watchdog\n"
        "with watchdog(0.3):\n    pass\ntime.sleep(0.8)\nprint('still here')\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "still here\n", "")


def test_query_into_a_reader_that_stops_early_ends_quietly(seed_build: Built) -> None:
    # Every quad as TSV, 800 kB: the query is still writing when the reader goes away.
    first, code, stderr = head_one("query", "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
                                   "--format", "tsv", "--store", seed_build.store)
    assert first == "?g\t?s\t?p\t?o\n"
    assert (code, stderr) == (OUTPUT_CLOSED, "")


@pytest.mark.parametrize("args", [("queries",), ("--help",), ("query", "--help")])
def test_a_reader_gone_before_the_first_line_ends_quietly(args: tuple[str, ...]) -> None:
    assert into_a_closed_pipe("-m", "sanctions_kg", *args) == (OUTPUT_CLOSED, "")


def test_a_query_file_is_named_as_given(tmp_path: Path) -> None:
    """An absolute path inside the working folder is not shortened, nor a folder shown as '.'."""
    missing = tmp_path / "nonexist.rq"
    done = run_cli("query", "--file", missing, cwd=tmp_path)
    assert (done.code, done.stderr) == (2, f"error: {missing}: no such query file\n")
    done = run_cli("query", "--file", tmp_path, cwd=tmp_path)
    assert done.code == 2 and done.stderr.startswith(f"error: {tmp_path}: is a folder")


def test_a_parameter_the_select_leaves_out_binds_as_on_an_endpoint(
        seed_build: Built, tmp_path: Path) -> None:
    path = tmp_path / "code.rq"
    path.write_text("# title: Code\n# question: Which code?\n# param: s iri state/iran — x\n"
                    "SELECT ?o WHERE { ?s skg:isoAlpha2 ?o }\n", encoding="utf-8")
    code, out, err = query(seed_build, "--file", path, "--format", "csv")
    assert (code, out, err) == (0, "o\nIR\n", "")
    code, out, _ = query(seed_build, "--file", path, "--format", "csv", "--param", "s=russia")
    assert (code, out) == (0, "o\nRU\n")
