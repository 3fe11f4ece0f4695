"""SHACL validation of the store or of RDF files, giving a typed report.

The shapes files are the single source of truth. The fast engine (:mod:`sanctions_kg.shacl`)
compiles each of their constraints into one SPARQL query over the whole dataset, run by
pyoxigraph over the union of the named graphs. When a shapes graph uses a feature the compiler
does not know, the run falls back to pySHACL, the reference engine, and the report says so in
:attr:`ValidationReport.notes`. A differential test keeps the two engines' results equal.

The class hierarchy comes from the data (a built dataset holds the ontology graph; files are
validated together with the ontology), so instances of subclasses are targeted. No types are
inferred from ``rdfs:domain`` or ``rdfs:range``: with such inference ``sh:class`` could never fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .errors import InputError, Location
from .namespaces import ONTOLOGY_GRAPH, RDFS, SH, XSD
from .results import ReportFormat as ReportFormat
from .results import counted
from .severity import Severity as Severity
from .shacl import (
    CompiledCheck,
    CompiledShapes,
    ShapesGraph,
    Unsupported,
    compile_shapes,
    constrained_shapes,
    load_shapes,
    rdf_format,
    show_term,
    syntax_problem,
)
from .sources import BlankNodeNumbers, as_path, rdf_input

if TYPE_CHECKING:
    import pyoxigraph as ox

    from .shacl import Term


class Engine(Enum):
    """Which validator produces a report."""

    COMPILED = "compiled"
    PYSHACL = "pyshacl"


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL validation result.

    ``focus`` and ``shape`` are IRIs (``_:label`` for blank nodes); ``path`` is the predicate IRI,
    or a SPARQL property path for other paths; ``value`` is the value node in N-Triples syntax;
    ``constraint`` is the constraint component IRI; ``source`` is the facts file and line.
    """

    severity: Severity
    focus: str
    focus_label: str | None
    path: str | None
    value: str | None
    message: str
    shape: str
    constraint: str
    source: Location | None = None

    @property
    def sort_key(self) -> tuple[int, str, str, str, str, str]:
        return (-self.severity.rank, self.shape, self.focus, self.path or "",
                self.value or "", self.message)


@dataclass(frozen=True)
class ValidationReport:
    """The results of one validation run, most severe first."""

    results: tuple[ValidationResult, ...]
    #: Every shape that has constraints: the test cases of a JUnit report.
    shapes: tuple[str, ...] = ()
    engine: Engine = Engine.COMPILED
    #: Remarks for the user, such as a fallback to pySHACL.
    notes: tuple[str, ...] = ()
    #: What the reports call the shapes that are blank nodes, whose labels mean nothing to a
    #: reader: the property shape's path and the shape that holds it.
    shape_names: dict[str, str] = field(default_factory=dict, compare=False)

    def shape_name(self, shape: str) -> str:
        """A shape as the reports name it: its compact IRI, or a blank node's description."""
        from .reports import compact

        return self.shape_names.get(shape) or compact(shape)

    @property
    def conforms(self) -> bool:
        """True when there is no result at all (the SHACL definition)."""
        return not self.results

    @property
    def counts(self) -> dict[Severity, int]:
        """How many results of each severity, most severe first."""
        counts = {severity: 0 for severity in sorted(Severity, reverse=True)}
        for result in self.results:
            counts[result.severity] += 1
        return counts

    def count_at_or_above(self, severity: Severity) -> int:
        """How many results are at least as severe as ``severity``."""
        return sum(1 for result in self.results if result.severity >= severity)

    def counts_line(self) -> str:
        """``2 violations, 1 warning, 0 info``."""
        return ", ".join(counted(n, severity.value) for severity, n in self.counts.items())

    def summary_line(self, fail_on: Severity = Severity.VIOLATION) -> str:
        """``validation failed: 2 violations, 1 warning, 0 info`` (or ``passed``)."""
        verdict = "failed" if self.count_at_or_above(fail_on) else "passed"
        return f"validation {verdict}: {self.counts_line()}"

    def at_or_above(self, severity: Severity) -> ValidationReport:
        """The same report with only the results at least as severe as ``severity``."""
        from dataclasses import replace

        return replace(self, results=tuple(r for r in self.results if r.severity >= severity))

    def __str__(self) -> str:
        from .reports import render

        return render(self, ReportFormat.TEXT).rstrip("\n")


# --- entry points ------------------------------------------------------------------------------


def validate_store(
    database: ox.Store,
    *,
    shapes: Path | None,
    ontology: Path,
    sources: dict[str, Location],
    engine: Engine | None = None,
) -> ValidationReport:
    """Validate the union of a store's graphs against the shapes (the bundled ones if None).

    ``sources`` maps node IRIs to the facts file and line they came from; a result carries the
    location of its focus node, or of the node whose IRI the focus node's extends (an evidence
    selector → its evidence). The store of a build holds the ontology graph; a store without it
    is validated as a copy with the ontology added. ``engine=None`` uses the compiled engine when
    it supports the shapes, else pySHACL.
    """
    if not database.contains_named_graph(_named(ONTOLOGY_GRAPH)):
        import pyoxigraph as ox

        copy = ox.Store()
        copy.extend(database.quads_for_pattern(None, None, None, None))
        _load_into(copy, ontology, "o", ONTOLOGY_GRAPH)
        database = copy
    return _validate(database, load_shapes(shapes), sources, engine)


def validate_files(
    paths: Sequence[Path | str] | Path | str,
    *,
    shapes: Path | str | None = None,
    ontology: Path | str | None = None,
    engine: Engine | None = None,
) -> ValidationReport:
    """Validate RDF files (format chosen by extension) together with the ontology (the
    bundled shapes and ontology by default).

    Raises InputError naming the file (and the line and column) for a missing or unreadable
    file, an unknown extension or an RDF syntax error. A ``sanctions-kg.sourcemap.json`` beside
    a file gives the facts file and line of its nodes.
    """
    import pyoxigraph as ox

    from .output import BuildFile
    from .store import load_sourcemap

    # one path, or several: a string is one path, not a sequence of one-letter names
    files = ([as_path(paths)] if isinstance(paths, str | Path)
             else [as_path(path) for path in paths])
    shapes_file, ontology_file = _shapes_and_ontology(shapes, ontology)
    database = ox.Store()
    for number, path in enumerate(files, start=1):
        _load_into(database, path, f"f{number}")
    sources: dict[str, Location] = {}
    for sourcemap in sorted({path.parent / BuildFile.SOURCEMAP.value for path in files}):
        if sourcemap.is_file():
            sources.update(load_sourcemap(sourcemap))
    if not database.contains_named_graph(_named(ONTOLOGY_GRAPH)):
        _load_into(database, ontology_file, "o", ONTOLOGY_GRAPH)
    return _validate(database, load_shapes(shapes_file), sources, engine)


def validate_store_dir(
    store: Path | str | None = None,
    *,
    shapes: Path | str | None = None,
    ontology: Path | str | None = None,
    engine: Engine | None = None,
) -> ValidationReport:
    """Validate the current dataset of a store folder (by default the store the CLI uses),
    with the source map its build kept, against the shapes and ontology (the bundled ones by
    default)."""
    from .store import open_read, read_sourcemap, store_path

    folder = store_path(None if store is None else as_path(store))
    shapes_file, ontology_file = _shapes_and_ontology(shapes, ontology)
    return validate_store(open_read(folder), shapes=shapes_file, ontology=ontology_file,
                          sources=read_sourcemap(folder), engine=engine)


def _shapes_and_ontology(
    shapes: Path | str | None, ontology: Path | str | None
) -> tuple[Path | None, Path]:
    """The shapes (None: the bundled ones) and the ontology (the bundled one by default)."""
    from .resources import ontology_path

    return (None if shapes is None else as_path(shapes),
            ontology_path() if ontology is None else as_path(ontology))


# --- reading RDF -------------------------------------------------------------------------------


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; pass the RDF files in it")


def _load_into(database: ox.Store, path: Path, prefix: str, graph: str | None = None) -> None:
    """Load one RDF file, its blank nodes numbered in order under ``prefix`` (see
    :class:`BlankNodeNumbers`), into ``graph`` or the graphs the file names."""
    import pyoxigraph as ox

    _check_readable(path)  # first: a folder or a missing file is that, whatever its name
    kind = rdf_format(path)
    stable = BlankNodeNumbers(prefix)
    into = None if graph is None else ox.NamedNode(graph)

    renamed = (ox.BlankNode, ox.Triple)

    def numbered(quad: ox.Quad) -> ox.Quad:
        subject, value, where = quad.subject, quad.object, quad.graph_name
        if into is None and type(subject) not in renamed and type(value) not in renamed \
                and type(where) is not ox.BlankNode:
            return quad  # most quads: nothing to rename
        return ox.Quad(stable(subject), quad.predicate, stable(value),
                       stable(where) if into is None else into)

    try:
        with rdf_input(path) as handle:
            database.bulk_extend(numbered(quad) for quad in ox.parse(
                handle, format=kind, base_iri=path.resolve().as_uri()))
    except SyntaxError as error:
        raise InputError(syntax_problem(path, error)) from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: cannot read the file ({error}); check its permissions") \
            from None


def _named(iri: str) -> ox.NamedNode:
    import pyoxigraph as ox

    return ox.NamedNode(iri)


# --- running -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawResult:
    """A result before labels and sources are attached: what the differential test compares."""

    severity: Severity
    focus: str
    path: str | None
    value: str | None
    shape: str
    constraint: str
    message: str = field(default="", compare=False)


def _validate(
    database: ox.Store, graph: ShapesGraph, sources: dict[str, Location], engine: Engine | None
) -> ValidationReport:
    notes: list[str] = []
    compiled: CompiledShapes | None = None
    if engine is not Engine.PYSHACL:
        try:
            compiled = compile_shapes(graph)
        except Unsupported as error:
            if engine is Engine.COMPILED:
                raise
            notes.append(f"the shapes use {error}, which the fast validator does not compile; "
                         "validated with pySHACL instead")
    if compiled is not None:
        raws: Iterable[RawResult] = run_compiled(database, compiled)
        used = Engine.COMPILED
    else:
        raws = run_pyshacl(database, graph)
        used = Engine.PYSHACL
    results = _finish(database, raws, sources)
    shapes = constrained_shapes(graph)
    return ValidationReport(results, shapes, used, tuple(notes),
                            _blank_shape_names(graph, {*shapes, *(r.shape for r in results)}))


def _blank_shape_names(graph: ShapesGraph, shapes: Iterable[str]) -> dict[str, str]:
    """Descriptions of the blank-node shapes among ``shapes`` that the shapes graph can give."""
    import pyoxigraph as ox

    from .reports import compact

    def show(term: Term) -> str:
        return compact(term.value) if isinstance(term, ox.NamedNode) else show_term(term)

    names = {}
    for shape in shapes:
        if shape.startswith("_:"):
            shown = graph.shown(ox.BlankNode(shape[2:]), show)
            if shown != shape:
                names[shape] = shown
    return names


#: Checks run side by side: pyoxigraph releases the GIL while it evaluates a query.
MAX_WORKERS: Final = 4


def run_compiled(database: ox.Store, compiled: CompiledShapes) -> list[RawResult]:
    """Run each compiled check once over the union of the store's graphs, a few at a time."""
    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(compiled.checks)))
    with ThreadPoolExecutor(workers, thread_name_prefix="sanctions-kg-validate") as pool:
        batches = pool.map(lambda check: list(_run_check(database, check)), compiled.checks)
        return [raw for batch in batches for raw in batch]


def _run_check(database: ox.Store, check: CompiledCheck) -> Iterator[RawResult]:
    import pyoxigraph as ox

    solutions = database.query(check.query, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [variable.value for variable in solutions.variables]
    for solution in solutions:
        focus = solution["this"]
        if focus is None:
            continue
        value = solution["value"] if "value" in names else None
        if value is None and check.value_is_focus:
            value = focus
        path = check.path
        if "path" in names and solution["path"] is not None:
            path = show_term(solution["path"])
        message = check.message
        if "{" in message:
            message = _fill(message, {name: solution[name] for name in names})
        yield RawResult(Severity.from_iri(check.severity), show_term(focus), path,
                        None if value is None else str(value), check.shape,
                        check.component, message or _default_message(check.component))


def _fill(message: str, bindings: dict[str, Any]) -> str:
    """Replace ``{?var}`` and ``{$var}`` with the bound values (IRIs compacted)."""
    import pyoxigraph as ox

    from .reports import compact

    def replace(match: re.Match[str]) -> str:
        term = bindings.get(match.group(1))
        if term is None:
            return match.group(0)
        return compact(term.value) if isinstance(term, ox.NamedNode) else str(term.value)

    return re.sub(r"\{[?$](\w+)\}", replace, message)


def _default_message(component: str) -> str:
    name = component.removeprefix(SH).removesuffix("ConstraintComponent")
    return f"the {name} constraint is not satisfied"


def _finish(
    database: ox.Store, raws: Iterable[RawResult], sources: dict[str, Location]
) -> tuple[ValidationResult, ...]:
    import pyoxigraph as ox

    unique = {(raw, raw.message): raw for raw in raws}.values()
    label = ox.NamedNode(RDFS + "label")
    labels: dict[str, str | None] = {}
    for focus in {raw.focus for raw in unique}:
        found: list[ox.Literal] = []
        if not focus.startswith("_:"):
            quads = database.quads_for_pattern(ox.NamedNode(focus), label, None, None)
            found = [q.object for q in quads if isinstance(q.object, ox.Literal)]
        found.sort(key=lambda literal: (literal.language not in ("en", None), literal.value))
        labels[focus] = found[0].value if found else None
    results = {
        ValidationResult(raw.severity, raw.focus, labels[raw.focus], raw.path, raw.value,
                         raw.message, raw.shape, raw.constraint, _source(raw.focus, sources))
        for raw in unique
    }
    return tuple(sorted(results, key=lambda result: result.sort_key))


def _source(focus: str, sources: dict[str, Location]) -> Location | None:
    """Where the focus node came from, or the node whose IRI it extends (evidence → fact)."""
    iri = focus
    while iri.count("/") > 3:
        if iri in sources:
            return sources[iri]
        iri = iri.rsplit("/", 1)[0]
    return None


# --- the pySHACL engine ------------------------------------------------------------------------


def _to_rdflib(term: Term) -> Any:
    import pyoxigraph as ox
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def rdflib_node_text(term: Any) -> str:
    """The text :func:`~sanctions_kg.shacl.show_term` gives for the equivalent pyoxigraph node."""
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return str(term)
    return rdflib_value_text(term)


def rdflib_value_text(term: Any) -> str:
    """The N-Triples form of an rdflib term, as pyoxigraph writes it."""
    import pyoxigraph as ox
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    if term.language:
        return str(ox.Literal(str(term), language=term.language))
    datatype = term.datatype or rdflib.URIRef(XSD + "string")
    return str(ox.Literal(str(term), datatype=ox.NamedNode(str(datatype))))


def rdflib_shapes(graph: ShapesGraph) -> Any:
    """The shapes as an rdflib graph, with the same blank node labels."""
    import rdflib

    shapes = rdflib.Graph()
    for subject, predicate, obj in graph.triples:
        shapes.add((_to_rdflib(subject), rdflib.URIRef(predicate.value), _to_rdflib(obj)))
    return shapes


def rdflib_dataset(database: ox.Store) -> Any:
    """The store's quads as an rdflib Dataset whose default graph is the union."""
    import pyoxigraph as ox
    import rdflib

    class SameLabels:
        """An rdflib blank node context that keeps the store's labels, so that results of
        either engine name the same blank nodes (rdflib looks labels up with ``get``)."""

        def get(self, label: str, default: object = None) -> str:
            return label

        def __setitem__(self, label: str, node: object) -> None:
            pass

    dataset = rdflib.Dataset(default_union=True)
    data = database.dump(format=ox.RdfFormat.N_QUADS)
    assert data is not None
    dataset.parse(data=data, format="nquads", bnode_context=SameLabels())
    return dataset


def rdflib_path_text(graph: Any, node: Any) -> str:
    """A SHACL path of an rdflib graph in the compiled engine's display form."""
    import rdflib
    from rdflib.collection import Collection

    sh = rdflib.Namespace(SH)

    def text(node: Any) -> str:
        if isinstance(node, rdflib.URIRef):
            return f"<{node}>"
        if (node, rdflib.RDF.first, None) in graph:
            return "(" + "/".join(text(m) for m in Collection(graph, node)) + ")"
        for key, template in (("inversePath", "^{}"), ("zeroOrMorePath", "{}*"),
                              ("oneOrMorePath", "{}+"), ("zeroOrOnePath", "{}?")):
            inner = graph.value(node, sh[key])
            if inner is not None:
                part = text(inner)
                return template.format(part if part.startswith(("<", "(")) else f"({part})")
        alternatives = graph.value(node, sh.alternativePath)
        return "(" + "|".join(text(m) for m in Collection(graph, alternatives)) + ")"

    return str(node) if isinstance(node, rdflib.URIRef) else text(node)


def pyshacl_raw_results(report: Any) -> list[RawResult]:
    """The results of a pySHACL report graph."""
    import rdflib

    sh = rdflib.Namespace(SH)
    raws = []
    # Only the report's own results: nested sh:detail results are typed sh:ValidationResult too.
    for result in report.objects(None, sh.result):
        path = report.value(result, sh.resultPath)
        value = report.value(result, sh.value)
        messages = sorted(str(m) for m in report.objects(result, sh.resultMessage))
        raws.append(RawResult(
            Severity.from_iri(str(report.value(result, sh.resultSeverity))),
            rdflib_node_text(report.value(result, sh.focusNode)),
            None if path is None else rdflib_path_text(report, path),
            None if value is None else rdflib_value_text(value),
            rdflib_node_text(report.value(result, sh.sourceShape)),
            str(report.value(result, sh.sourceConstraintComponent)),
            messages[0] if messages else "",
        ))
    return raws


def run_pyshacl(database: ox.Store, graph: ShapesGraph) -> list[RawResult]:
    """Validate with pySHACL (the reference engine): no inference, SHACL-AF enabled."""
    import logging

    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    files = graph.names
    # pySHACL prints what it raises on its own logger too; the error below says it once.
    log = logging.getLogger("pyshacl-validate")
    was_disabled, log.disabled = log.disabled, True
    try:
        _, report, text = pyshacl.validate(
            rdflib_dataset(database), shacl_graph=rdflib_shapes(graph), inference="none",
            advanced=True,
        )
    except ReportableRuntimeError as error:  # a shape's parameter pySHACL cannot load
        reason = (str(error.message).strip().splitlines() or [""])[0].removesuffix(".")
        raise InputError(f"{files}: the shapes cannot be used: {reason}; fix the shapes") from None
    finally:
        log.disabled = was_disabled
    if not hasattr(report, "subjects"):  # a ValidationFailure: the shapes cannot be used
        reason = str(text).removeprefix("Validation Failure - ").rstrip(".")
        raise InputError(f"{files}: the shapes cannot be used: {reason}; fix the shapes")
    return pyshacl_raw_results(report)
