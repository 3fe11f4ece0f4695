"""Serialising results (each format parsed back), the table, and canonical export."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest

from sanctions_kg import results
from sanctions_kg.atomic import output_file
from sanctions_kg.errors import OutputError, UsageError
from sanctions_kg.namespaces import GRAPH, ID, SKG
from sanctions_kg.results import ExportFormat, QueryForm, ResultFormat

SPARQL_RESULTS = "{http://www.w3.org/2005/sparql-results#}"
SANCTION = ox.NamedNode(ID + "sanction/a/s")
TARGET = ox.NamedNode(SKG + "target")
IRAN = ox.NamedNode(ID + "state/iran")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
REFERENCE = ox.NamedNode(GRAPH + "reference")
ARTICLE = ox.NamedNode(GRAPH + "article/a")
ONTOLOGY = ox.NamedNode(GRAPH + "ontology")


def sample_store() -> ox.Store:
    store = ox.Store()
    store.add(ox.Quad(SANCTION, TARGET, IRAN, ARTICLE))
    store.add(ox.Quad(SANCTION, LABEL, ox.Literal("US, \"crippling\"\tsanctions", language="en"),
                      ARTICLE))
    store.add(ox.Quad(IRAN, LABEL, ox.Literal("Iran", language="en"), REFERENCE))
    store.add(ox.Quad(IRAN, LABEL, ox.Literal("Iran", language="en"), ARTICLE))
    store.add(ox.Quad(ox.NamedNode(SKG + "State"), LABEL, ox.Literal("State", language="en"),
                      ONTOLOGY))
    return store


SELECT = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


def run(query: str, result_format: ResultFormat, **options: object) -> bytes:
    out = io.BytesIO()
    solutions = sample_store().query(query, use_default_graph_as_union=True)
    results.write(solutions, result_format, out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def labels_of_select() -> list[tuple[str, str]]:
    solutions = sample_store().query(SELECT, use_default_graph_as_union=True)
    return sorted((row["s"].value, row["label"].value) for row in solutions)


def test_json_results_parse_back() -> None:
    document = json.loads(run(SELECT, ResultFormat.JSON))
    assert document["head"]["vars"] == ["s", "label"]
    got = sorted((b["s"]["value"], b["label"]["value"]) for b in document["results"]["bindings"])
    assert got == labels_of_select()
    assert {b["label"]["xml:lang"] for b in document["results"]["bindings"]} == {"en"}


def test_xml_results_parse_back() -> None:
    root = ET.fromstring(run(SELECT, ResultFormat.XML))
    names = [v.get("name") for v in root.iter(f"{SPARQL_RESULTS}variable")]
    assert names == ["s", "label"]
    got = []
    for result in root.iter(f"{SPARQL_RESULTS}result"):
        cells = {b.get("name"): "".join(b.itertext()) for b in result}
        got.append((cells["s"], cells["label"]))
    assert sorted(got) == labels_of_select()


def test_csv_results_parse_back() -> None:
    text = run(SELECT, ResultFormat.CSV).decode()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["s", "label"]
    assert sorted((s, label) for s, label in table[1:]) == labels_of_select()


def test_tsv_results_parse_back() -> None:
    parsed = ox.parse_query_results(run(SELECT, ResultFormat.TSV), ox.QueryResultsFormat.TSV)
    assert isinstance(parsed, ox.QuerySolutions)
    assert sorted((row["s"].value, row["label"].value) for row in parsed) == labels_of_select()


@pytest.mark.parametrize(
    ("result_format", "expected"),
    [(ResultFormat.JSON, b'{"head":{},"boolean":true}\n'), (ResultFormat.TSV, b"true\n"),
     (ResultFormat.CSV, b"true\n"), (ResultFormat.TABLE, b"true\n")],
)
def test_ask_results(result_format: ResultFormat, expected: bytes) -> None:
    assert run("ASK { ?s ?p ?o }", result_format) == expected


@pytest.mark.parametrize("result_format", list(ResultFormat), ids=[f.value for f in ResultFormat])
def test_every_format_ends_with_exactly_one_newline(result_format: ResultFormat) -> None:
    queries = [CONSTRUCT] if result_format.is_rdf else [SELECT, "ASK { ?s ?p ?o }"]
    for query in queries:
        data = run(query, result_format)
        assert data.endswith(b"\n") and not data.endswith(b"\n\n"), (query, data[-20:])


def test_ask_as_xml_parses_back() -> None:
    root = ET.fromstring(run("ASK { ?s ?p <urn:nothing> }", ResultFormat.XML))
    assert root.find(f"{SPARQL_RESULTS}boolean").text == "false"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("result_format", "rdf_format"),
    [(ResultFormat.TURTLE, ox.RdfFormat.TURTLE), (ResultFormat.NTRIPLES, ox.RdfFormat.N_TRIPLES),
     (ResultFormat.JSONLD, ox.RdfFormat.JSON_LD)],
)
def test_graph_results_parse_back(result_format: ResultFormat, rdf_format: ox.RdfFormat) -> None:
    data = run(CONSTRUCT, result_format)
    triples = {quad.triple for quad in ox.parse(data, rdf_format)}
    expected = {quad.triple for quad in sample_store()}
    assert triples == expected


def test_turtle_uses_the_project_prefixes() -> None:
    assert b"@prefix skg: <https://w3id.org/sanctions-kg/ontology#> ." in run(
        CONSTRUCT, ResultFormat.TURTLE
    )


@pytest.mark.parametrize(
    ("form", "result_format", "message"),
    [
        (QueryForm.SELECT, ResultFormat.TURTLE,
         "--format turtle is for CONSTRUCT and DESCRIBE results; a SELECT query gives "
         "solutions: use --format table, csv, tsv, json or xml"),
        (QueryForm.CONSTRUCT, ResultFormat.TABLE,
         "--format table is for SELECT and ASK results; a CONSTRUCT query gives an RDF graph: "
         "use --format turtle, ntriples or jsonld"),
        (QueryForm.DESCRIBE, ResultFormat.CSV,
         "--format csv is for SELECT and ASK results; a DESCRIBE query gives an RDF graph: "
         "use --format turtle, ntriples or jsonld"),
    ],
)
def test_formats_that_do_not_fit_the_query_form(
    form: QueryForm, result_format: ResultFormat, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        results.check_format(form, result_format)
    assert str(caught.value) == message


def test_writing_refuses_a_mismatch_too() -> None:
    with pytest.raises(UsageError, match="--format json is for SELECT and ASK"):
        run(CONSTRUCT, ResultFormat.JSON)


def test_table_shows_compact_terms() -> None:
    text = run(SELECT, ResultFormat.TABLE).decode()
    assert "skgid:state/iran" in text and "Iran" in text
    assert "4 rows" in text


def test_table_stops_after_max_rows_with_a_note() -> None:
    text = run(SELECT, ResultFormat.TABLE, max_rows=1).decode()
    assert text.endswith(
        "… 3 more rows not shown (the table stops at 1); use --format tsv, csv, json or xml "
        "for all rows\n"
    )
    assert text.count("skgid:") + text.count("skg:") == 1


# Data that looks like rich markup or holds control characters: a label, a column name.
MARKUP = 'SELECT ("[/]" AS ?closing) ("[bold]x[/bold]" AS ?bold) WHERE {}'
ESCAPE = 'SELECT ("a\\u001B[31mred\\u0007" AS ?coloured) WHERE {}'


@pytest.mark.parametrize("terminal", [False, True], ids=["file", "terminal"])
def test_table_shows_markup_in_the_data_as_it_is(terminal: bool) -> None:
    # Before, "[/]" was an internal error (rich's MarkupError) and "[bold]x[/bold]" came out
    # as a bold "x".
    text = run(MARKUP, ResultFormat.TABLE, terminal=terminal).decode()
    [row] = [line for line in text.splitlines() if "[/]" in line]
    assert row == "│ [/]     │ [bold]x[/bold] │"


def test_table_shows_control_characters_escaped() -> None:
    text = run(ESCAPE, ResultFormat.TABLE, terminal=False).decode()
    assert "a\\x1b[31mred\\x07" in text
    assert "\x1b" not in text and "\x07" not in text


@pytest.mark.parametrize(
    ("result_format", "expected"),
    [(ResultFormat.TSV, b'?coloured\n"a\x1b[31mred\x07"\n'),
     (ResultFormat.CSV, b"coloured\r\na\x1b[31mred\x07\r\n")],
)
def test_machine_formats_keep_control_characters(
    result_format: ResultFormat, expected: bytes
) -> None:
    assert run(ESCAPE, result_format) == expected


def test_rows_show_markup_and_control_characters_in_names_and_titles_as_they_are() -> None:
    out = io.StringIO()
    results.write_rows(["[i]name"], [["[/]"], ["\x1b]0;title\x07"]], out, rich=True,
                       title="[red]Title", caption="[/]")
    text = out.getvalue()
    for shown in ("[i]name", "[/]", "\\x1b]0;title\\x07", "[red]Title"):
        assert shown in text
    assert "\x1b" not in text


def test_an_empty_table_has_its_count_on_one_line() -> None:
    # Before: "0" and "rows" on two lines, the caption wrapped to the width of the table.
    text = run("SELECT ?v WHERE { FILTER(false) }", ResultFormat.TABLE).decode()
    assert text.splitlines()[-1] == "0 rows"


def test_rows_as_tsv_keep_one_line_per_row() -> None:
    out = io.StringIO()
    results.write_rows(["a", "b"], [["x\ty", "line\nbreak"]], out, rich=False)
    assert out.getvalue() == "a\tb\nx y\tline break\n"


def test_an_unbroken_column_keeps_each_name_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """On an 80-column terminal the catalogue's long names stay whole, ready to copy."""
    monkeypatch.setenv("COLUMNS", "80")
    name = "cooperation-between-sanctioned-states"
    rows = [[name, "Cooperation between sanctioned states", "Which agreements, deals and "
             "memberships tie states under sanctions together, and since when? " * 2]]
    drawn = {}
    for unbroken in ((), ["name"]):
        out = io.StringIO()
        results.write_rows(["name", "title", "question"], rows, out, rich=True, terminal=True,
                           unbroken=unbroken)
        drawn[bool(unbroken)] = out.getvalue()
    assert name not in drawn[False], "without it, rich breaks the name"
    assert name in drawn[True]
    from rich.text import Text

    assert max(Text.from_ansi(line).cell_len for line in drawn[True].splitlines()) == 80


@pytest.mark.parametrize(
    ("iri", "shown"),
    [(ID + "state/iran", "skgid:state/iran"), (SKG + "Sanction", "skg:Sanction"),
     ("urn:other", "urn:other")],
)
def test_compact(iri: str, shown: str) -> None:
    assert results.compact(iri) == shown


def test_media_types() -> None:
    assert ResultFormat.TABLE.media_type == "application/sparql-results+json"
    assert ResultFormat.TSV.media_type == "text/tab-separated-values"
    assert ResultFormat.NTRIPLES.media_type == "application/n-triples"
    assert ResultFormat.default(terminal=False) is ResultFormat.TSV
    assert ResultFormat.default(terminal=True) is ResultFormat.TABLE


# --- export ------------------------------------------------------------------------------------


def export_bytes(export_format: ExportFormat, graph: str | None = None) -> bytes:
    out = io.BytesIO()
    results.export(sample_store(), out, export_format=export_format, graph=graph)
    return out.getvalue()


def test_nquads_export_is_sorted_by_graph_then_statement() -> None:
    lines = export_bytes(ExportFormat.NQUADS).decode().splitlines()
    graphs = [line.rsplit(" ", 2)[-2] for line in lines]
    assert graphs == [f"<{GRAPH}ontology>", f"<{GRAPH}reference>", f"<{GRAPH}article/a>",
                      f"<{GRAPH}article/a>", f"<{GRAPH}article/a>"]
    article = lines[2:]
    assert article == sorted(article)


@pytest.mark.parametrize("export_format", list(ExportFormat))
def test_export_is_the_same_bytes_every_time(export_format: ExportFormat) -> None:
    assert export_bytes(export_format) == export_bytes(export_format)


@pytest.mark.parametrize(
    ("export_format", "rdf_format"),
    [(ExportFormat.TRIG, ox.RdfFormat.TRIG), (ExportFormat.NQUADS, ox.RdfFormat.N_QUADS),
     (ExportFormat.JSONLD, ox.RdfFormat.JSON_LD)],
)
def test_dataset_formats_keep_the_graphs(
    export_format: ExportFormat, rdf_format: ox.RdfFormat
) -> None:
    quads = set(ox.parse(export_bytes(export_format), rdf_format))
    assert quads == set(sample_store())


@pytest.mark.parametrize(
    ("export_format", "rdf_format"),
    [(ExportFormat.TURTLE, ox.RdfFormat.TURTLE), (ExportFormat.NTRIPLES, ox.RdfFormat.N_TRIPLES),
     (ExportFormat.RDFXML, ox.RdfFormat.RDF_XML)],
)
def test_graph_formats_hold_the_union_each_triple_once(
    export_format: ExportFormat, rdf_format: ox.RdfFormat
) -> None:
    triples = [quad.triple for quad in ox.parse(export_bytes(export_format), rdf_format)]
    assert len(triples) == len(set(triples)) == 4
    assert set(triples) == {quad.triple for quad in sample_store()}


@pytest.mark.parametrize("graph", ["reference", f"{GRAPH}reference", f"<{GRAPH}reference>"])
def test_export_of_one_graph(graph: str) -> None:
    quads = list(ox.parse(export_bytes(ExportFormat.NQUADS, graph), ox.RdfFormat.N_QUADS))
    assert quads == [ox.Quad(IRAN, LABEL, ox.Literal("Iran", language="en"), REFERENCE)]


def test_export_of_an_unknown_graph_lists_the_graphs() -> None:
    with pytest.raises(UsageError) as caught:
        export_bytes(ExportFormat.TRIG, "article/b")
    assert str(caught.value) == (
        f"--graph article/b: no such graph in the store; its graphs are: {GRAPH}ontology, "
        f"{GRAPH}reference, {GRAPH}article/a (did you mean 'article/a'?)"
    )


def test_an_unknown_graph_among_many_lists_ten_and_counts_the_rest() -> None:
    store = sample_store()
    for number in range(20):
        graph = ox.NamedNode(f"{GRAPH}article/n{number:02}")
        store.add(ox.Quad(IRAN, LABEL, ox.Literal("Iran"), graph))
    with pytest.raises(UsageError) as caught:
        results.export(store, io.BytesIO(), export_format=ExportFormat.TRIG, graph="nothing")
    message = str(caught.value)
    assert message.endswith(f"{GRAPH}article/n06, … and 13 more")
    assert message.count(GRAPH) == 10


def test_export_to_a_file_replaces_it_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "out.nq"
    target.write_text("old")
    summary = results.export(sample_store(), target, export_format=ExportFormat.NQUADS)
    assert summary.statements == 5 and summary.output == target
    assert target.read_bytes() == export_bytes(ExportFormat.NQUADS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.nq"]


def test_a_failed_export_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.nq"
    target.write_text("old")
    with pytest.raises(UsageError):
        results.export(sample_store(), target, graph="nothing")
    with pytest.raises(RuntimeError), output_file(target, what="the dataset") as handle:
        handle.write(b"partial")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.nq"]


def test_export_into_a_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist; create it first"):
        results.export(sample_store(), tmp_path / "no" / "out.nq")
