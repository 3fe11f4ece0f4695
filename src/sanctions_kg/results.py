"""Writing query results and datasets: W3C results formats, RDF formats and readable tables.

SELECT and ASK results go out in the W3C SPARQL 1.1 results formats (CSV, TSV, JSON, XML),
serialised by pyoxigraph straight into the output stream, or as a table for people (rich, cut
after :data:`TABLE_MAX_ROWS` rows with a note). CONSTRUCT and DESCRIBE results go out as
Turtle, N-Triples or JSON-LD. :func:`export` writes the whole store (or one graph) canonically:
graphs in a fixed order, triples sorted, so the same store always gives the same bytes.

pyoxigraph and rich are imported inside the functions that need them, so that importing this
module (the CLI does, for the format Enums) stays cheap.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, TextIO, TypeVar, cast

from .errors import UsageError, did_you_mean, listed
from .namespaces import (
    ARTICLE_GRAPH_PREFIX,
    GRAPH,
    ONTOLOGY_GRAPH,
    PREFIXES,
    REFERENCE_GRAPH,
    SERIALISATION_PREFIXES,
)

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rich.text import Text

_Statement = TypeVar("_Statement", "ox.Quad", "ox.Triple")

#: Rows shown by the table format before the rest is summarised in a note.
TABLE_MAX_ROWS = 100


class ResultFormat(Enum):
    """Output formats of ``sanctions-kg query``."""

    TABLE = "table"
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    XML = "xml"
    TURTLE = "turtle"
    NTRIPLES = "ntriples"
    JSONLD = "jsonld"

    @property
    def is_rdf(self) -> bool:
        """True for the formats of CONSTRUCT and DESCRIBE results."""
        return self in _RDF_MEDIA_TYPES

    @property
    def description(self) -> str:
        """What an answer in this format is, as messages name it."""
        return _DESCRIPTIONS[self]

    @property
    def media_type(self) -> str:
        """The media type to ask a SPARQL endpoint for (JSON for the table, parsed locally)."""
        return _RDF_MEDIA_TYPES.get(self) or _RESULTS_MEDIA_TYPES[self]

    @property
    def answer_types(self) -> frozenset[str]:
        """The media types an endpoint may answer a request for :attr:`media_type` with: the
        registered one and the older or generic names servers still send."""
        return _ANSWER_TYPES.get(self.media_type, frozenset()) | {self.media_type}

    @classmethod
    def default(cls, *, terminal: bool) -> ResultFormat:
        """A table for people on a terminal, TSV for pipes and files."""
        return cls.TABLE if terminal else cls.TSV


class StatsFormat(Enum):
    """Output formats of ``sanctions-kg stats``."""

    TABLE = "table"
    JSON = "json"


class DescribeFormat(Enum):
    """Output formats of ``sanctions-kg describe``."""

    TEXT = "text"
    JSON = "json"


_DESCRIPTIONS = {
    ResultFormat.TABLE: "SPARQL JSON results",
    ResultFormat.CSV: "SPARQL CSV results",
    ResultFormat.TSV: "SPARQL TSV results",
    ResultFormat.JSON: "SPARQL JSON results",
    ResultFormat.XML: "SPARQL XML results",
    ResultFormat.TURTLE: "Turtle",
    ResultFormat.NTRIPLES: "N-Triples",
    ResultFormat.JSONLD: "JSON-LD",
}
_RESULTS_MEDIA_TYPES = {
    ResultFormat.TABLE: "application/sparql-results+json",
    ResultFormat.CSV: "text/csv",
    ResultFormat.TSV: "text/tab-separated-values",
    ResultFormat.JSON: "application/sparql-results+json",
    ResultFormat.XML: "application/sparql-results+xml",
}
_RDF_MEDIA_TYPES = {
    ResultFormat.TURTLE: "text/turtle",
    ResultFormat.NTRIPLES: "application/n-triples",
    ResultFormat.JSONLD: "application/ld+json",
}
_ANSWER_TYPES = {
    "application/sparql-results+json": frozenset({"application/json"}),
    "application/sparql-results+xml": frozenset({"application/xml", "text/xml"}),
    "text/tab-separated-values": frozenset({"text/tsv"}),
    "text/turtle": frozenset({"application/x-turtle"}),
    "application/n-triples": frozenset({"text/plain"}),  # N-Triples' media type before RDF 1.1
    "application/ld+json": frozenset({"application/json"}),
}
SOLUTION_FORMATS = "table, csv, tsv, json or xml"
GRAPH_FORMATS = "turtle, ntriples or jsonld"


class QueryForm(Enum):
    """The four SPARQL query forms; the first two give solutions, the others a graph."""

    SELECT = "SELECT"
    ASK = "ASK"
    CONSTRUCT = "CONSTRUCT"
    DESCRIBE = "DESCRIBE"

    @property
    def gives_graph(self) -> bool:
        return self in (QueryForm.CONSTRUCT, QueryForm.DESCRIBE)


def check_format(form: QueryForm, result_format: ResultFormat) -> None:
    """Refuse a format that cannot carry the results of a query form."""
    if form.gives_graph and not result_format.is_rdf:
        raise UsageError(
            f"--format {result_format.value} is for SELECT and ASK results; a {form.value} "
            f"query gives an RDF graph: use --format {GRAPH_FORMATS}"
        )
    if not form.gives_graph and result_format.is_rdf:
        raise UsageError(
            f"--format {result_format.value} is for CONSTRUCT and DESCRIBE results; "
            f"{'an' if form is QueryForm.ASK else 'a'} {form.value} query gives solutions: use "
            f"--format {SOLUTION_FORMATS}"
        )


def write(
    results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    result_format: ResultFormat,
    out: BinaryIO,
    *,
    terminal: bool = False,
    max_rows: int = TABLE_MAX_ROWS,
) -> None:
    """Serialise query results into a binary stream, as they are produced, ending with a
    newline."""
    import pyoxigraph as ox

    if isinstance(results, ox.QueryTriples):
        check_format(QueryForm.CONSTRUCT, result_format)
        write_triples(results, result_format, out)
        return
    boolean = isinstance(results, ox.QueryBoolean)
    check_format(QueryForm.ASK if boolean else QueryForm.SELECT, result_format)
    if result_format is ResultFormat.TABLE:
        with _text(out) as text:
            if isinstance(results, ox.QueryBoolean):
                text.write("true\n" if bool(results) else "false\n")
            else:
                write_table(results, text, terminal=terminal, max_rows=max_rows)
        return
    with ending_lines(out) as stream:
        results.serialize(stream, results_syntax(result_format))


def write_triples(triples: Iterable[ox.Triple], result_format: ResultFormat, out: BinaryIO) -> None:
    """Serialise triples as Turtle (with the project's prefixes), N-Triples or JSON-LD."""
    import pyoxigraph as ox

    with ending_lines(out) as stream:
        ox.serialize(triples, stream, rdf_syntax(result_format),
                     prefixes=_prefixes(result_format))


def write_table(
    solutions: ox.QuerySolutions, out: TextIO, *, terminal: bool, max_rows: int = TABLE_MAX_ROWS
) -> None:
    """Render solutions as a rich table; past ``max_rows`` rows, count the rest in a note."""
    names = [variable.value for variable in solutions.variables]
    rows: list[list[str]] = []
    more = 0
    for solution in solutions:
        if len(rows) < max_rows:
            rows.append([display(solution[name]) for name in names])
        else:
            more += 1
    shown = len(rows) + more
    write_rows(names, rows, out, rich=True, terminal=terminal, caption=counted(shown, "row"))
    if more:
        out.write(
            f"… {counted(more, 'more row')} not shown (the table stops at {max_rows}); "
            "use --format tsv, csv, json or xml for all rows\n"
        )


def counted(count: int, noun: str) -> str:
    """``1 graph``, ``2 graphs``: a count with its noun (``info`` has no plural)."""
    return f"{count} {noun}" if noun == "info" or count == 1 else f"{count} {noun}s"


def write_rows(
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    out: TextIO,
    *,
    rich: bool,
    terminal: bool = False,
    title: str | None = None,
    caption: str | None = None,
    unbroken: Sequence[str] = (),
) -> None:
    """A table of text cells: drawn with rich, or as TSV (header line first) when not ``rich``.

    The cells of the ``unbroken`` columns (names to copy) are never broken across lines; the
    other columns wrap to make room."""
    if not rich:
        out.write("\t".join(columns) + "\n")
        for row in rows:
            out.write("\t".join(_tsv_cell(cell) for cell in row) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text, not str: rich would read markup ("[bold]", "[/]") in the data as its own.
    table = Table(title=_annotation(title, "table.title"),
                  caption=_annotation(caption, "table.caption"),
                  title_justify="left", caption_justify="left")
    cells = [list(row) for row in rows]
    for index, column in enumerate(columns):
        numeric = bool(cells) and all(row[index].isdigit() for row in cells)
        table.add_column(Text(visible(column)), overflow="fold",
                         justify="right" if numeric else "left", no_wrap=column in unbroken)
    for row in cells:
        table.add_row(*(Text(visible(cell)) for cell in row))
    console = Console(
        file=out, force_terminal=terminal or None, highlight=False, width=None if terminal else 160
    )
    console.print(table)


def _annotation(text: str | None, style: str) -> Text | None:
    """A title or caption on one line, however narrow the table under it."""
    from rich.text import Text

    if text is None:
        return None
    return Text(visible(text), style=style, no_wrap=True, overflow="ignore")


#: Control characters but line feed and tab: an escape sequence in the data must not reach the
#: terminal, where it could move the cursor, change colours or rewrite what is shown.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """``text`` with its control characters (but line feeds and tabs) written as ``\\x1b``, for
    output read on a terminal."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match[0]):02x}", text)


def display(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A short, readable form of a term: prefixed IRIs, plain literal values."""
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def compact(iri: str) -> str:
    """``skgid:state/iran`` for ``https://w3id.org/sanctions-kg/id/state/iran``; for display."""
    best = ""
    for name, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = name
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


def _tsv_cell(cell: str) -> str:
    return cell.replace("\t", " ").replace("\r", " ").replace("\n", " ")


class _LastByte(io.BufferedIOBase):
    """Passes what is written on to ``out``, keeping the last byte (see :func:`ending_lines`)."""

    def __init__(self, out: IO[bytes]) -> None:
        super().__init__()
        self._out = out
        self.last = b""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        written = self._out.write(data)
        if len(data):
            self.last = bytes(data[-1:])
        return written

    def flush(self) -> None:
        self._out.flush()


@contextmanager
def ending_lines(out: IO[bytes]) -> Iterator[BinaryIO]:
    """A stream into ``out`` whose output, unless empty, ends with exactly one newline: after
    the block, one is added if the last byte written was not one. SPARQL JSON and XML results,
    JSON-LD and RDF/XML end without it, and the shell prompt would go on after them."""
    stream = _LastByte(out)
    yield cast(BinaryIO, stream)  # the serialisers only call write and flush
    if stream.last not in (b"", b"\n"):
        out.write(b"\n")


@contextmanager
def _text(out: BinaryIO) -> Iterator[TextIO]:
    """A text view of a binary stream, detached afterwards so that the stream stays open."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    try:
        yield text
    finally:
        text.flush()
        text.detach()


def results_syntax(result_format: ResultFormat) -> ox.QueryResultsFormat:
    """pyoxigraph's format of SPARQL results written as ``result_format``."""
    import pyoxigraph as ox

    return {
        ResultFormat.CSV: ox.QueryResultsFormat.CSV,
        ResultFormat.TSV: ox.QueryResultsFormat.TSV,
        ResultFormat.JSON: ox.QueryResultsFormat.JSON,
        ResultFormat.XML: ox.QueryResultsFormat.XML,
    }[result_format]


def rdf_syntax(result_format: ResultFormat | ExportFormat) -> ox.RdfFormat:
    """pyoxigraph's RDF format of graphs written as ``result_format``."""
    import pyoxigraph as ox

    return {
        ResultFormat.TURTLE: ox.RdfFormat.TURTLE,
        ResultFormat.NTRIPLES: ox.RdfFormat.N_TRIPLES,
        ResultFormat.JSONLD: ox.RdfFormat.JSON_LD,
        ExportFormat.TRIG: ox.RdfFormat.TRIG,
        ExportFormat.NQUADS: ox.RdfFormat.N_QUADS,
        ExportFormat.TURTLE: ox.RdfFormat.TURTLE,
        ExportFormat.NTRIPLES: ox.RdfFormat.N_TRIPLES,
        ExportFormat.JSONLD: ox.RdfFormat.JSON_LD,
        ExportFormat.RDFXML: ox.RdfFormat.RDF_XML,
    }[result_format]


def _prefixes(result_format: ResultFormat | ExportFormat) -> dict[str, str] | None:
    """Prefixes for the formats that abbreviate IRIs with them."""
    if result_format.value in ("turtle", "trig", "rdfxml"):
        return dict(SERIALISATION_PREFIXES)
    return None


# --- Exporting the store -------------------------------------------------------------------


class ExportFormat(Enum):
    """Output formats of ``sanctions-kg export``.

    TriG, N-Quads and JSON-LD keep the named graphs; Turtle, N-Triples and RDF/XML hold one
    graph, so without ``--graph`` they get the union of all graphs, each triple once.
    """

    TRIG = "trig"
    NQUADS = "nquads"
    TURTLE = "turtle"
    NTRIPLES = "ntriples"
    JSONLD = "jsonld"
    RDFXML = "rdfxml"

    @property
    def keeps_graphs(self) -> bool:
        return self in (ExportFormat.TRIG, ExportFormat.NQUADS, ExportFormat.JSONLD)


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    graphs: tuple[str, ...]
    statements: int
    output: Path | None


def graph_iri(text: str) -> str:
    """A graph given as a full IRI, ``<IRI>``, or relative to the graph namespace (``reference``,
    ``article/<id>``)."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    if ":" in text:
        return text
    return GRAPH + text.strip("/")


def export(
    store: ox.Store,
    out: Path | BinaryIO,
    *,
    export_format: ExportFormat = ExportFormat.TRIG,
    graph: str | None = None,
) -> ExportSummary:
    """Write the store (or one named graph) canonically to a file, atomically, or a stream.

    Graphs come in a fixed order (ontology, reference, articles, others, each group sorted),
    statements sorted within each graph, so that the same store always gives the same bytes.
    """
    import pyoxigraph as ox

    graphs = _ordered_graphs(store)
    if graph is not None:
        iri = graph_iri(graph)
        if iri not in graphs:
            known = listed(graphs) or "none"
            raise UsageError(
                f"--graph {graph}: no such graph in the store; its graphs are: {known}"
                # compared by what follows the common start: whole IRIs all look alike
                + did_you_mean(iri.removeprefix(GRAPH), [g.removeprefix(GRAPH) for g in graphs])
            )
        graphs = [iri]
    counted: _Counted[ox.Quad] | _Counted[ox.Triple]
    if export_format.keeps_graphs:
        counted = _Counted(_sorted_quads(store, graphs))
    else:
        counted = _Counted(_union_triples(store, graphs))
    rdf_format = rdf_syntax(export_format)
    prefixes = _prefixes(export_format)
    if isinstance(out, Path):
        from .atomic import output_file

        with output_file(out, what="the dataset") as handle, ending_lines(handle) as stream:
            ox.serialize(counted, stream, rdf_format, prefixes=prefixes)
        return ExportSummary(tuple(graphs), counted.count, out)
    with ending_lines(out) as stream:
        ox.serialize(counted, stream, rdf_format, prefixes=prefixes)
    return ExportSummary(tuple(graphs), counted.count, None)


def _ordered_graphs(store: ox.Store) -> list[str]:
    def rank(iri: str) -> tuple[int, str]:
        if iri == ONTOLOGY_GRAPH:
            return (0, iri)
        if iri == REFERENCE_GRAPH:
            return (1, iri)
        if iri.startswith(ARTICLE_GRAPH_PREFIX):
            return (2, iri)
        return (3, iri)

    names = [node.value for node in store.named_graphs() if hasattr(node, "value")]
    return sorted(names, key=rank)


def _sorted_quads(store: ox.Store, graphs: Sequence[str]) -> Iterator[ox.Quad]:
    """One graph in memory at a time, its quads sorted by their N-Quads form."""
    import pyoxigraph as ox

    for iri in graphs:
        quads = list(store.quads_for_pattern(None, None, None, ox.NamedNode(iri)))
        yield from sorted(quads, key=_statement_key)


def _union_triples(store: ox.Store, graphs: Sequence[str]) -> list[ox.Triple]:
    import pyoxigraph as ox

    triples: set[ox.Triple] = set()
    for iri in graphs:
        quads = store.quads_for_pattern(None, None, None, ox.NamedNode(iri))
        triples.update(quad.triple for quad in quads)
    return sorted(triples, key=_statement_key)


def _statement_key(statement: ox.Quad | ox.Triple) -> tuple[str, str, str]:
    return (str(statement.subject), str(statement.predicate), str(statement.object))


class _Counted(Iterator[_Statement]):
    """Counts the statements that pass through it on their way to the serializer."""

    def __init__(self, statements: Iterable[_Statement]) -> None:
        self._iterator: Iterator[_Statement] = iter(statements)
        self.count = 0

    def __next__(self) -> _Statement:
        statement = next(self._iterator)
        self.count += 1
        return statement


class ReportFormat(Enum):
    """How a report is written."""

    TEXT = "text"
    JSON = "json"
    TURTLE = "turtle"
    JUNIT = "junit"
    SARIF = "sarif"
    GITHUB = "github"
