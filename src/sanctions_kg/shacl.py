"""SHACL shapes compiled to SPARQL: one query per constraint, over the whole dataset.

The compiler reads a shapes graph and turns each constraint of the part of SHACL it knows into
one SPARQL SELECT that returns the violating focus nodes (``?this``) and value nodes
(``?value``) of every focus node at once:

- targets: ``sh:targetClass`` (following ``rdfs:subClassOf*`` in the data), implicit class
  targets, ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, ``sh:SPARQLTarget``;
- paths: predicates, inverse, sequence, alternative, zero-or-more, one-or-more, zero-or-one;
- constraints: ``sh:class``, ``sh:datatype``, ``sh:nodeKind``, ``sh:pattern`` (with
  ``sh:flags``), ``sh:languageIn``, ``sh:in``, ``sh:minLength``, ``sh:maxLength``,
  ``sh:minCount``, ``sh:maxCount``, ``sh:hasValue``, ``sh:lessThan``, and ``sh:or``, ``sh:and``,
  ``sh:xone``, ``sh:not``, ``sh:node`` over shapes made of the value constraints above;
- SHACL-SPARQL constraints (``sh:sparql`` with ``sh:select``): the query runs once, joined with
  the shape's focus nodes, instead of once per focus node with ``$this`` pre-bound. Queries
  whose meaning that would change (aggregates, LIMIT, ``$shapesGraph``, sub-selects that use
  ``$this`` without projecting it) are not compiled.

Each query is written for pyoxigraph's evaluator: focus nodes and (focus, value) pairs are
independent sub-selects, hash-joined; ``sh:class`` and ``sh:minCount`` are anti-joins (MINUS);
counts are grouped once. Looking nodes up one by one (EXISTS) costs an index seek per row.

Anything else raises :class:`Unsupported`, and validation falls back to pySHACL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .errors import InputError, Location, Problem
from .namespaces import OWL, RDF, RDFS, SH, XSD
from .sources import BlankNodeNumbers, rdf_input

if TYPE_CHECKING:
    import pyoxigraph as ox

    Term = ox.NamedNode | ox.BlankNode | ox.Literal


# --- RDF files -------------------------------------------------------------------------------

_FORMATS: Final = {
    ".ttl": "TURTLE", ".nt": "N_TRIPLES", ".trig": "TRIG", ".nq": "N_QUADS",
    ".jsonld": "JSON_LD", ".rdf": "RDF_XML", ".owl": "RDF_XML", ".xml": "RDF_XML",
}
#: The file extensions ``validate`` reads.
RDF_SUFFIXES: Final = tuple(_FORMATS)


def rdf_format(path: Path) -> ox.RdfFormat:
    """The RDF format of a file, by extension; InputError for an unknown one."""
    import pyoxigraph as ox

    name = _FORMATS.get(path.suffix.lower())
    if name is None:
        raise InputError(f"{path}: unknown RDF file extension '{path.suffix}'; use one of "
                         f"{', '.join(RDF_SUFFIXES)}")
    return getattr(ox.RdfFormat, name)  # type: ignore[no-any-return]


def syntax_problem(path: Path, error: SyntaxError, what: str = "RDF") -> Problem:
    """The problem of a pyoxigraph syntax error in ``path`` (``what``: the kind of file the
    message names), at its line and column, on one line (the RDF/XML parser quotes the text it
    met, new lines and all)."""
    reason = re.sub(r"^Parser error (at|between) [^:]*: ", "", str(error.msg or error))
    reason = " ".join(reason.split())
    if "LoadDocumentCallback" in reason:  # pyoxigraph's words for a remote JSON-LD context
        reason = ("its @context is a remote document, which is not fetched (validation reads "
                  "no network); put the context in the file")
    if len(reason) > 160:
        reason = reason[:159].rstrip() + "…"
    message = f"{what} syntax error: {reason.rstrip('.')}; fix the file there"
    if _FORMATS.get(path.suffix.lower()) == "RDF_XML" and not _starts_like_xml(path):
        message += f" (it does not start as XML does: if it is Turtle, name it {path.stem}.ttl)"
    if error.lineno is None:  # the RDF/XML and JSON-LD parsers give no position: none is made up
        return Problem(path, message)
    return Problem(Location(path, error.lineno, error.offset), message)


def _starts_like_xml(path: Path) -> bool:
    """Whether the file's first character (past a byte order mark and spaces) is ``<``."""
    try:
        with rdf_input(path) as handle:
            start = handle.read(4096).lstrip()
    except OSError:
        return True  # nothing to say about it
    return start.startswith(b"<") or not start


# --- the shapes graph --------------------------------------------------------------------------


class Unsupported(Exception):
    """A feature of the shapes that the compiler does not handle."""


@dataclass(eq=False)
class ShapesGraph:
    """The triples of the shapes files indexed by subject, blank nodes relabelled stably."""

    files: tuple[Path, ...]
    triples: list[tuple[Term, ox.NamedNode, Term]]
    index: dict[Term, dict[str, list[Term]]] = field(default_factory=dict)
    #: The compiled checks, or why the shapes cannot be compiled (filled on first use).
    compiled: CompiledShapes | Unsupported | None = None

    def __post_init__(self) -> None:
        for subject, predicate, obj in self.triples:
            self.index.setdefault(subject, {}).setdefault(predicate.value, []).append(obj)

    @property
    def names(self) -> str:
        """The shapes files, comma-separated: where an error in the shapes is."""
        return ", ".join(str(path) for path in self.files)

    def objects(self, subject: Term, predicate: str) -> list[Term]:
        return self.index.get(subject, {}).get(predicate, [])

    def shown(self, shape: Term, show: Callable[[Term], str] | None = None) -> str:
        """A shape as an error names it: its IRI; for a blank node (whose label the author
        never wrote) the path of the property shape and the shape that holds it. ``show``
        writes the IRIs (``show_term`` by default)."""
        import pyoxigraph as ox

        write = show or show_term
        if not isinstance(shape, ox.BlankNode):
            return write(shape)
        paths = self.objects(shape, SH + "path")
        holders = [subject for subject, predicate, obj in self.triples
                   if predicate.value == SH + "property" and obj == shape]
        if not paths and not holders:
            return write(shape)
        words = ["the property shape"]
        if paths and isinstance(paths[0], ox.BlankNode):  # a sequence, inverse … path
            try:
                path = self.sparql_path(paths[0])
            except Unsupported:
                path = write(paths[0])
            else:
                path = re.sub(r"<([^<>]*)>", lambda iri: write(ox.NamedNode(iri[1])), path)
            words.append(f"for {path}")
        elif paths:
            words.append(f"for {write(paths[0])}")
        if holders and not isinstance(holders[0], ox.BlankNode):
            words.append(f"of {write(holders[0])}")
        return " ".join(words)

    def one(self, subject: Term, predicate: str) -> Term | None:
        values = self.objects(subject, predicate)
        return values[0] if values else None

    def sparql_path(self, node: Term, within: frozenset[Term] = frozenset()) -> str:
        """A SHACL path as a SPARQL property path; Unsupported for a malformed one, or one that
        contains itself (``within``: the path nodes it is part of)."""
        iri = _iri_of(node)
        if iri is not None:
            return f"<{iri}>"
        if node in within:
            raise Unsupported(f"the path {show_term(node)}, which contains itself")
        inside = within | {node}
        if self.one(node, RDF + "first") is not None:
            return "(" + "/".join(self.sparql_path(m, inside) for m in self.items(node)) + ")"
        for key, template in (("inversePath", "^{}"), ("zeroOrMorePath", "{}*"),
                              ("oneOrMorePath", "{}+"), ("zeroOrOnePath", "{}?")):
            inner = self.one(node, SH + key)
            if inner is not None:
                part = self.sparql_path(inner, inside)
                return template.format(part if part.startswith(("<", "(")) else f"({part})")
        alternatives = self.one(node, SH + "alternativePath")
        if alternatives is not None:
            members = self.items(alternatives)
            return "(" + "|".join(self.sparql_path(m, inside) for m in members) + ")"
        raise Unsupported(f"the path {show_term(node)}")

    def items(self, head: Term) -> list[Term]:
        """The members of an RDF list."""
        members: list[Term] = []
        node: Term | None = head
        while node is not None and _iri_of(node) != RDF + "nil":
            first = self.one(node, RDF + "first")
            if first is None or len(members) > 10_000:
                raise Unsupported(f"the malformed RDF list {show_term(head)}")
            members.append(first)
            node = self.one(node, RDF + "rest")
        return members


def shape_files(shapes: Path | None) -> tuple[Path, ...]:
    """The shapes files: the bundled ``shapes/*.ttl``, a given file, or a folder's ``*.ttl``."""
    from . import resources

    location = shapes if shapes is not None else resources.shapes_dir()
    if location.is_dir():
        files = tuple(sorted(location.glob("*.ttl")))
        if not files:
            raise InputError(f"{location}: no shapes files (*.ttl) in this folder; check --shapes")
        return files
    if not location.exists():
        raise InputError(f"{location}: no such shapes file or folder; check --shapes")
    return (location,)


def load_shapes(shapes: Path | None) -> ShapesGraph:
    """Read the shapes files (cached while the files are unchanged)."""
    files = shape_files(shapes)
    # Each file as given (what messages name) and where it is (its base IRI and the cache key).
    stamps = tuple((str(path), str(path.resolve()), path.stat().st_mtime_ns) for path in files)
    return _read_shapes(stamps)


@cache
def _read_shapes(stamps: tuple[tuple[str, str, int], ...]) -> ShapesGraph:
    import pyoxigraph as ox

    triples: list[tuple[Term, ox.NamedNode, Term]] = []
    for number, (name, resolved, _) in enumerate(stamps, start=1):
        path = Path(name)
        stable = BlankNodeNumbers(f"s{number}")
        try:
            with rdf_input(Path(resolved)) as handle:
                parsed = list(ox.parse(handle, format=rdf_format(path),
                                       base_iri=Path(resolved).as_uri()))
        except SyntaxError as error:
            raise InputError(syntax_problem(path, error)) from None
        except OSError as error:
            raise InputError(f"{path}: cannot read the shapes ({error.strerror or error})") \
                from None
        for triple in parsed:
            triples.append((stable(triple.subject), triple.predicate, stable(triple.object)))
    return ShapesGraph(tuple(Path(name) for name, _, _ in stamps), triples)


def _iri_of(term: Term | None) -> str | None:
    import pyoxigraph as ox

    return term.value if isinstance(term, ox.NamedNode) else None


def show_term(term: Term) -> str:
    """IRI or ``_:label`` for nodes, N-Triples for literals."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


_TARGETS: Final = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "target")
#: Shape predicates that carry no constraint of their own.
_PASSIVE: Final = {"name", "description", "order", "group", "defaultValue", "severity",
                   "message", "deactivated", "property", "path", "flags", *_TARGETS}
#: Constraint parameters evaluated on each value node on its own.
_VALUE_LEVEL: Final = {"class", "datatype", "nodeKind", "pattern", "languageIn", "in",
                       "minLength", "maxLength", "or", "and", "not", "xone", "node"}
#: Constraint parameters that involve all the values of a focus node.
_FOCUS_LEVEL: Final = {"minCount", "maxCount", "hasValue", "lessThan"}


def constrained_shapes(graph: ShapesGraph) -> tuple[str, ...]:
    """The shapes with targets, and their property shapes, that hold a constraint."""
    found: set[str] = set()
    todo = [s for s in graph.index if any(graph.objects(s, SH + key) for key in _TARGETS)]
    seen: set[Term] = set()
    while todo:
        shape = todo.pop()
        if shape in seen:
            continue
        seen.add(shape)
        keys = graph.index.get(shape, {})
        if any(k.startswith(SH) and k[len(SH):] not in _PASSIVE for k in keys):
            found.add(show_term(shape))
        todo.extend(graph.objects(shape, SH + "property"))
    return tuple(sorted(found))


# --- compiling shapes to SPARQL ----------------------------------------------------------------

_COMPONENT: Final = {
    "class": "Class", "datatype": "Datatype", "nodeKind": "NodeKind", "pattern": "Pattern",
    "languageIn": "LanguageIn", "in": "In", "minLength": "MinLength", "maxLength": "MaxLength",
    "or": "Or", "and": "And", "not": "Not", "xone": "Xone", "node": "Node",
    "minCount": "MinCount", "maxCount": "MaxCount", "hasValue": "HasValue",
    "lessThan": "LessThan", "sparql": "SPARQL",
}
_INTEGER_RANGES: Final[dict[str, tuple[int | None, int | None]]] = {
    "nonNegativeInteger": (0, None), "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1),
    "long": (-(2**63), 2**63 - 1), "int": (-(2**31), 2**31 - 1), "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127), "unsignedLong": (0, 2**64 - 1), "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1), "unsignedByte": (0, 255),
}
#: Datatypes whose lexical forms both pyoxigraph (by casting) and rdflib (pySHACL) check.
_CHECKED_LEXICAL: Final = {"boolean", "integer", "decimal", "float", "double", "date",
                           "dateTime", "time"}
_CLASS_PATH: Final = f"<{RDF}type>/<{RDFS}subClassOf>*"
_VALUE: Final = "?value"


@dataclass(frozen=True)
class CompiledCheck:
    """One constraint as one SPARQL query over the whole dataset.

    The query selects ``?this`` and, where there is one, ``?value`` (and a SHACL-SPARQL
    constraint may select ``?path`` and variables its message uses).
    """

    shape: str
    component: str
    severity: str
    message: str
    path: str | None
    query: str
    #: A SPARQL constraint of a node shape reports the focus node when ?value is unbound.
    value_is_focus: bool = False


@dataclass(frozen=True)
class CompiledShapes:
    """The checks of a shapes graph and the shapes that hold constraints."""

    checks: tuple[CompiledCheck, ...]
    shapes: tuple[str, ...]


@dataclass(frozen=True)
class _Focus:
    """A group graph pattern binding ?this to a shape's focus nodes, and the PREFIXes it needs."""

    pattern: str
    prologue: tuple[str, ...] = ()


def _sparql_term(term: Term) -> str:
    import pyoxigraph as ox

    if isinstance(term, ox.BlankNode):
        raise Unsupported(f"a blank node ({show_term(term)}) as a constraint value")
    return str(term)


def _text(term: Term, what: str) -> str:
    import pyoxigraph as ox

    if not isinstance(term, ox.Literal):
        raise Unsupported(f"{what} that is not a literal")
    return term.value


def _python_regex_compiles(pattern: str, flags: str | None) -> bool:
    """Whether Python's ``re`` reads the pattern with the XPath flags (i, s, m, x, q)."""
    table = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}
    value = 0
    for flag in flags or "":
        if flag == "q":
            pattern = re.escape(pattern)
        elif flag in table:
            value |= table[flag]
        else:
            return False
    try:
        re.compile(pattern, value)
    except re.error:
        return False
    return True


def _integer(term: Term, what: str) -> int:
    try:
        return int(_text(term, what))
    except ValueError:
        raise Unsupported(f"{what} that is not an integer") from None


def _string(text: str) -> str:
    """A SPARQL string literal."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{escaped}"'


def _split_prologue(query: str) -> tuple[tuple[str, ...], str]:
    """(PREFIX and BASE declarations, the rest) of a query."""
    declarations: list[str] = []
    rest = query.strip()
    pattern = re.compile(r"(?is)^(PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*")
    while match := pattern.match(rest):
        declarations.append(match.group(1))
        rest = rest[match.end():]
    return tuple(declarations), rest


def _skeleton(query: str) -> str:
    """The query with strings, IRIs and comments blanked out, for keyword checks."""
    pattern = re.compile(
        r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
        r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*'
    )
    return pattern.sub(lambda match: " " * len(match.group(0)), query)


def _join_focus(query: str, focus: str) -> str | None:
    """A SELECT query joined with a focus pattern, ?this projected; None when that could change
    its meaning: aggregates, LIMIT/OFFSET, $shapesGraph, EXISTS in the projection, or a
    sub-select that uses $this without projecting it (with $this pre-bound, it would see the
    focus node; with $this free, it would not). VALUES and MINUS are refused too, as SHACL
    forbids them in queries with pre-bound variables (pySHACL then reports the error)."""
    skeleton = _skeleton(query)
    if re.search(
        r"(?i)\b(LIMIT|OFFSET|GROUP|HAVING|SERVICE|VALUES|MINUS)\b|\$shapesGraph\b"
        r"|\b(COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\(", skeleton
    ):
        return None
    brace = skeleton.find("{")
    if brace < 0 or re.search(r"(?i)\bEXISTS\b", skeleton[:brace]):
        return None
    for select in list(re.finditer(r"(?i)\bSELECT\b", skeleton))[1:]:
        opening = skeleton.rfind("{", 0, select.start())
        closing = _matching_brace(skeleton, opening)
        projection = skeleton[select.end():skeleton.find("{", select.end())]
        if re.search(r"[?$]this\b", skeleton[opening:closing]) and not re.search(
            r"[?$]this\b|\*", projection
        ):
            return None
    head, body = query[:brace], query[brace + 1:]
    if not re.search(r"[?$]this\b|\*", _skeleton(head)):
        head = re.sub(r"(?i)\bSELECT(\s+(DISTINCT|REDUCED)\b)?",
                      lambda match: match.group(0) + " ?this", head, count=1)
    return f"{head}{{ {focus} {body}"


def _matching_brace(text: str, opening: int) -> int:
    depth = 0
    for position in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[position], 0)
        if depth == 0:
            return position
    return len(text)


class _Compiler:
    """Turns the shapes of a shapes graph into SPARQL queries."""

    def __init__(self, graph: ShapesGraph) -> None:
        self.graph = graph
        self.checks: list[CompiledCheck] = []
        #: The classes whose membership the condition being compiled tests (?skgClassN).
        self._flags: list[str] = []

    def compile(self) -> CompiledShapes:
        g = self.graph
        for shape in sorted(g.index, key=show_term):
            focus = self.focus(shape)
            if focus is not None and not self._deactivated(shape):
                self.shape(shape, focus, nested=False)
        return CompiledShapes(tuple(self.checks), constrained_shapes(g))

    # - targets and paths -

    def focus(self, shape: Term) -> _Focus | None:
        """The focus nodes of a shape with targets (None when it has none)."""
        g = self.graph
        parts: list[str] = []
        prologue: list[str] = []
        for cls in g.objects(shape, SH + "targetClass"):
            parts.append(f"?this {_CLASS_PATH} {_sparql_term(cls)} .")
        types = {_iri_of(t) for t in g.objects(shape, RDF + "type")}
        if types & {RDFS + "Class", OWL + "Class"}:
            parts.append(f"?this {_CLASS_PATH} {_sparql_term(shape)} .")
        nodes = g.objects(shape, SH + "targetNode")
        if nodes:
            parts.append("VALUES ?this { " + " ".join(_sparql_term(n) for n in nodes) + " }")
        for predicate in g.objects(shape, SH + "targetSubjectsOf"):
            parts.append(f"?this {_sparql_term(predicate)} ?skgObject .")
        for predicate in g.objects(shape, SH + "targetObjectsOf"):
            parts.append(f"?skgSubject {_sparql_term(predicate)} ?this .")
        for target in g.objects(shape, SH + "target"):
            declarations, pattern = self._sparql_target(target)
            prologue.extend(declarations)
            parts.append(pattern)
        if not parts:
            return None
        union = " UNION ".join("{ " + part + " }" for part in parts)
        return _Focus("{ SELECT DISTINCT ?this WHERE { " + union + " } }", tuple(prologue))

    def _sparql_target(self, target: Term) -> tuple[tuple[str, ...], str]:
        g = self.graph
        types = {_iri_of(t) for t in g.objects(target, RDF + "type")}
        select = g.one(target, SH + "select")
        if SH + "SPARQLTarget" not in types or select is None:
            raise Unsupported(f"the target {show_term(target)} (only sh:SPARQLTarget is compiled)")
        declarations, body = _split_prologue(self._select_text(target, select))
        if len(re.findall(r"(?i)\bSELECT\b", _skeleton(body))) != 1:
            raise Unsupported(f"a SPARQL target with a subquery ({show_term(target)})")
        return self.prefixes(target) + declarations, "{ " + body + " }"

    def _check_regex(self, shape: Term, pattern: str, flags: str | None) -> None:
        """Whether the engine can run an sh:pattern with its sh:flags (a REGEX it cannot read is
        an error for every value, and every value would be reported as a violation of the data).
        One it cannot read but Python's ``re`` can (back-references, which the XPath syntax of
        SHACL allows) is left to pySHACL: Unsupported. One neither reads is an InputError
        naming the shapes files."""
        import pyoxigraph as ox

        options = _string(flags) if flags is not None else '""'
        query = (f'SELECT (BOUND(?ok) AS ?valid) WHERE {{ BIND(REGEX("", {_string(pattern)}, '
                 f"{options}) AS ?ok) }}")
        solutions = ox.Store().query(query)
        assert isinstance(solutions, ox.QuerySolutions)
        if next(iter(solutions))["valid"] == ox.Literal(True):
            return
        if _python_regex_compiles(pattern, flags):
            raise Unsupported(f"the sh:pattern {_string(pattern)} of "
                              f"{self.graph.shown(shape)}, which the engine's regular "
                              "expressions cannot run")
        files = self.graph.names
        with_flags = f" (flags {options})" if flags else ""
        raise InputError(f"{files}: the sh:pattern {_string(pattern)}{with_flags} of "
                         f"{self.graph.shown(shape)} is not a valid regular expression; fix the "
                         "shapes")

    def _select_text(self, node: Term, select: Term) -> str:
        """The sh:select text of a SPARQL-based constraint or target; InputError naming the
        shapes files when it is not valid SPARQL (neither engine could run it)."""
        import pyoxigraph as ox

        from .queries import one_line

        text = _text(select, "sh:select")
        try:  # parsed only: nothing is evaluated on an empty store
            ox.Store().query("\n".join([*self.prefixes(node), text]))
        except SyntaxError as error:
            files = self.graph.names
            raise InputError(f"{files}: the sh:select of {show_term(node)} is not valid SPARQL "
                             f"({one_line(str(error))}); fix the shapes") from None
        return text

    def prefixes(self, node: Term) -> tuple[str, ...]:
        """PREFIX declarations of the node's sh:prefixes (and of what they owl:import)."""
        g = self.graph
        lines: list[str] = []
        todo = list(g.objects(node, SH + "prefixes"))
        seen: set[Term] = set()
        while todo:
            holder = todo.pop()
            if holder in seen:
                continue
            seen.add(holder)
            for declaration in g.objects(holder, SH + "declare"):
                prefix = g.one(declaration, SH + "prefix")
                namespace = g.one(declaration, SH + "namespace")
                if prefix is None or namespace is None:
                    raise Unsupported(f"an incomplete sh:declare on {show_term(holder)}")
                lines.append(f"PREFIX {prefix.value}: <{namespace.value}>")
            todo.extend(g.objects(holder, OWL + "imports"))
        return tuple(lines)

    def path(self, node: Term) -> str:
        """A SHACL path as a SPARQL property path."""
        return self.graph.sparql_path(node)

    # - shapes -

    def _deactivated(self, node: Term) -> bool:
        flag = self.graph.one(node, SH + "deactivated")
        return flag is not None and flag.value == "true"

    def shape(self, shape: Term, focus: _Focus, *, nested: bool) -> None:
        g = self.graph
        keys = g.index.get(shape, {})
        for key in keys:
            local = key[len(SH):] if key.startswith(SH) else None
            if local is not None and local not in (_PASSIVE | _VALUE_LEVEL | _FOCUS_LEVEL
                                                   | {"sparql"}):
                raise Unsupported(f"sh:{local} (in {self.graph.shown(shape)})")
        path_node = g.one(shape, SH + "path")
        if nested and path_node is None:
            raise Unsupported(f"sh:property {self.graph.shown(shape)} without sh:path")
        path = self.path(path_node) if path_node is not None else None
        display = None if path_node is None else (_iri_of(path_node) or path)
        severity = _iri_of(g.one(shape, SH + "severity")) or SH + "Violation"
        check = _CheckFactory(show_term(shape), severity, self._message(shape), path, display,
                              focus)
        for key in sorted(keys):
            local = key[len(SH):] if key.startswith(SH) else ""
            for parameter in keys[key]:
                if local == "class":
                    self.checks.append(check.class_check(_sparql_term(parameter)))
                elif local in _VALUE_LEVEL:
                    self._flags = []
                    condition = self.condition(local, parameter, shape)
                    self.checks.append(check.value(local, condition, tuple(self._flags)))
                elif local in _FOCUS_LEVEL:
                    if path is None:
                        raise Unsupported(f"sh:{local} on the node shape {self.graph.shown(shape)}")
                    compiled = check.focus_level(local, parameter)
                    if compiled is not None:
                        self.checks.append(compiled)
                elif local == "sparql" and not self._deactivated(parameter):
                    self.checks.append(self._sparql(shape, parameter, check))
        for child in g.objects(shape, SH + "property"):
            if nested:
                raise Unsupported("sh:property inside the property shape "
                                  f"{self.graph.shown(shape)}")
            if not self._deactivated(child):
                self.shape(child, focus, nested=True)

    def _message(self, node: Term) -> str:
        messages = self.graph.objects(node, SH + "message")
        for message in messages:
            language = getattr(message, "language", None)
            if language is None or language == "en" or language.startswith("en-"):
                return message.value
        return messages[0].value if messages else ""

    def _sparql(self, shape: Term, constraint: Term, check: _CheckFactory) -> CompiledCheck:
        g = self.graph
        select = g.one(constraint, SH + "select")
        if select is None:
            raise Unsupported(f"a SPARQL constraint without sh:select ({show_term(constraint)})")
        for key in g.index.get(constraint, {}):
            local = key[len(SH):] if key.startswith(SH) else None
            if local is not None and local not in {"select", "message", "prefixes",
                                                   "deactivated"}:
                raise Unsupported(f"sh:{local} on the SPARQL constraint {show_term(constraint)}")
        declarations, body = _split_prologue(self._select_text(constraint, select))
        if check.path is not None:
            body = re.sub(r"\$PATH\b", lambda _: str(check.path), body)
        if _iri_of(shape) is not None:
            body = re.sub(r"\$currentShape\b", f"<{_iri_of(shape)}>", body)
        query = _join_focus(body, check.focus.pattern)
        if query is None:
            raise Unsupported(f"the SPARQL constraint {show_term(constraint)}, which cannot run "
                              "with $this free (aggregate, LIMIT, VALUES, MINUS, $shapesGraph, "
                              "or a sub-select using $this without projecting it)")
        prologue = dict.fromkeys((*check.focus.prologue, *self.prefixes(constraint),
                                  *declarations))
        return CompiledCheck(
            check.shape, SH + "SPARQLConstraintComponent", check.severity,
            self._message(constraint) or check.message, check.display,
            "\n".join([*prologue, query]), value_is_focus=check.path is None,
        )

    # - value-level conditions -

    def condition(self, key: str, parameter: Term, shape: Term) -> str:
        """A SPARQL expression true when ?value satisfies the constraint (errors: false).

        A class test becomes ``BOUND(?skgClassN)``, bound by an OPTIONAL sub-select of the
        class's instances (see :meth:`_CheckFactory.value`): a hash join, where EXISTS would
        look the value's types up row by row.
        """
        g = self.graph
        var = _VALUE
        if key == "class":
            self._flags.append(_sparql_term(parameter))
            return f"BOUND(?skgClass{len(self._flags)})"
        if key == "datatype":
            return self._datatype(parameter)
        if key == "nodeKind":
            kinds = {
                "IRI": f"isIRI({var})", "BlankNode": f"isBlank({var})",
                "Literal": f"isLiteral({var})",
                "BlankNodeOrIRI": f"(isBlank({var}) || isIRI({var}))",
                "BlankNodeOrLiteral": f"(isBlank({var}) || isLiteral({var}))",
                "IRIOrLiteral": f"(isIRI({var}) || isLiteral({var}))",
            }
            kind = (_iri_of(parameter) or "").removeprefix(SH)
            if kind not in kinds:
                raise Unsupported(f"sh:nodeKind {show_term(parameter)}")
            return kinds[kind]
        if key == "pattern":
            flags = g.one(shape, SH + "flags")
            raw_flags = flags.value if flags is not None else None
            raw_pattern = _text(parameter, "an sh:pattern")
            self._check_regex(shape, raw_pattern, raw_flags)
            options = _string(raw_flags) if raw_flags is not None else '""'
            pattern = _string(raw_pattern)
            return f"(!isBlank({var}) && REGEX(STR({var}), {pattern}, {options}))"
        if key == "languageIn":
            tags = [_text(t, "an sh:languageIn tag").lower() for t in g.items(parameter)]
            if "*" in tags:
                return f'(isLiteral({var}) && LANG({var}) != "")'
            listed = ", ".join(_string(t) for t in tags) or '""'
            return (f'(isLiteral({var}) && LANG({var}) != "" && (LCASE(LANG({var})) IN '
                    f'({listed}) || LCASE(STRBEFORE(LANG({var}), "-")) IN ({listed})))')
        if key == "in":
            members = [f"sameTerm({var}, {_sparql_term(m)})" for m in g.items(parameter)]
            return "(" + (" || ".join(members) or "false") + ")"
        if key in ("minLength", "maxLength"):
            operator = ">=" if key == "minLength" else "<="
            limit = _integer(parameter, f"an sh:{key}")
            return f"(!isBlank({var}) && STRLEN(STR({var})) {operator} {limit})"
        if key in ("or", "and", "xone"):
            members = [self.conforms(m) for m in g.items(parameter)]
            if key == "xone":
                total = " + ".join(f"IF({m}, 1, 0)" for m in members) or "0"
                return f"(({total}) = 1)"
            joiner = " || " if key == "or" else " && "
            return "(" + (joiner.join(members) or ("false" if key == "or" else "true")) + ")"
        if key == "not":
            return f"!{self.conforms(parameter)}"
        if key == "node":
            return self.conforms(parameter)
        raise Unsupported(f"sh:{key}")

    def conforms(self, shape: Term) -> str:
        """True when ?value conforms to a shape made of value-level constraints only."""
        g = self.graph
        if self._deactivated(shape):
            return "true"
        parts: list[str] = []
        for key, values in g.index.get(shape, {}).items():
            local = key[len(SH):] if key.startswith(SH) else None
            if local is None or local in {"name", "description", "message", "severity",
                                          "flags", "deactivated"}:
                continue
            if local not in _VALUE_LEVEL:
                raise Unsupported(f"sh:{local} inside sh:or/and/xone/not/node "
                                  f"({self.graph.shown(shape)})")
            parts.extend(f"COALESCE({self.condition(local, v, shape)}, false)"
                         for v in values)
        return "(" + (" && ".join(parts) or "true") + ")"

    def _datatype(self, parameter: Term) -> str:
        var = _VALUE
        iri = _iri_of(parameter)
        if iri is None:
            raise Unsupported("sh:datatype with a blank node")
        if iri == RDF + "langString":
            return f'(isLiteral({var}) && LANG({var}) != "")'
        same = f"(isLiteral({var}) && DATATYPE({var}) = <{iri}>)"
        local = iri.removeprefix(XSD) if iri.startswith(XSD) else ""
        if local in _CHECKED_LEXICAL:
            return f"({same} && COALESCE(isLiteral(<{iri}>(STR({var}))), false))"
        if local in _INTEGER_RANGES:
            low, high = _INTEGER_RANGES[local]
            number = f"<{XSD}integer>(STR({var}))"
            bounds = [f"{number} >= {low}"] if low is not None else []
            bounds += [f"{number} <= {high}"] if high is not None else []
            stored = f"(isLiteral({var}) && DATATYPE({var}) IN (<{iri}>, <{XSD}integer>))"
            return f"({stored} && COALESCE({' && '.join(bounds)}, false))"
        return same


@dataclass(frozen=True)
class _CheckFactory:
    """Builds the checks of one shape."""

    shape: str
    severity: str
    message: str
    path: str | None
    display: str | None
    focus: _Focus

    def _check(self, key: str, query: str) -> CompiledCheck:
        component = SH + _COMPONENT[key] + "ConstraintComponent"
        full = "\n".join([*dict.fromkeys(self.focus.prologue), query])
        return CompiledCheck(self.shape, component, self.severity, self.message, self.display,
                             full)

    def _values(self) -> str:
        """A pattern binding ?this and ?value to the focus nodes and their value nodes.

        Independent sub-selects make pyoxigraph hash-join focus nodes with value pairs rather
        than look each focus node up in turn. A path that can have length zero (``*``, ``?``)
        would match every node of the dataset on its own, so it is joined row by row.
        """
        focus = self.focus.pattern
        if self.path is None:
            return f"{focus} BIND (?this AS ?value)"
        if _zero_length(self.path):
            return f"{focus} ?this {self.path} ?value ."
        return f"{focus} {{ SELECT ?this ?value WHERE {{ ?this {self.path} ?value }} }}"

    def value(self, key: str, condition: str, classes: tuple[str, ...]) -> CompiledCheck:
        flags = "".join(
            f" OPTIONAL {{ SELECT DISTINCT ?value (true AS ?skgClass{number}) "
            f"WHERE {{ ?value {_CLASS_PATH} {cls} }} }}"
            for number, cls in enumerate(classes, start=1)
        )
        return self._check(key, f"SELECT DISTINCT ?this ?value WHERE {{ {self._values()}"
                                f"{flags} FILTER (!COALESCE({condition}, false)) }}")

    def class_check(self, cls: str) -> CompiledCheck:
        return self._check("class", f"SELECT DISTINCT ?this ?value WHERE {{ {self._values()} "
                                    f"MINUS {{ SELECT DISTINCT ?value WHERE "
                                    f"{{ ?value {_CLASS_PATH} {cls} }} }} }}")

    def focus_level(self, key: str, parameter: Term) -> CompiledCheck | None:
        focus, path = self.focus.pattern, self.path
        assert path is not None
        if key == "hasValue":
            query = (f"SELECT DISTINCT ?this WHERE {{ {focus} MINUS {{ SELECT DISTINCT ?this "
                     f"WHERE {{ ?this {path} {_sparql_term(parameter)} }} }} }}")
        elif key == "lessThan":
            query = (f"SELECT DISTINCT ?this ?value WHERE {{ {self._values()} "
                     f"{{ SELECT ?this ?skgOther WHERE {{ ?this {_sparql_term(parameter)} "
                     f"?skgOther }} }} FILTER (!COALESCE(?value < ?skgOther, false)) }}")
        else:
            count = _integer(parameter, f"an sh:{key}")
            if key == "minCount" and count <= 0:
                return None
            query = self._count_query(key, count)
        return self._check(key, query)

    def _count_query(self, key: str, count: int) -> str:
        focus, path = self.focus.pattern, self.path
        if _zero_length(str(path)):
            values = f"OPTIONAL {{ ?this {path} ?skgValue }}" if key == "minCount" else \
                f"?this {path} ?skgValue ."
            test = "<" if key == "minCount" else ">"
            return (f"SELECT ?this WHERE {{ {focus} {values} }} GROUP BY ?this "
                    f"HAVING (COUNT(DISTINCT ?skgValue) {test} {count})")
        counts = (f"{{ SELECT ?this (COUNT(DISTINCT ?skgValue) AS ?skgCount) "
                  f"WHERE {{ ?this {path} ?skgValue }} GROUP BY ?this }}")
        if key == "maxCount":
            return f"SELECT ?this WHERE {{ {focus} {counts} FILTER (?skgCount > {count}) }}"
        if count == 1:
            return (f"SELECT ?this WHERE {{ {focus} MINUS {{ SELECT DISTINCT ?this WHERE "
                    f"{{ ?this {path} ?skgValue }} }} }}")
        return (f"SELECT ?this WHERE {{ {focus} OPTIONAL {counts} "
                f"FILTER (!BOUND(?skgCount) || ?skgCount < {count}) }}")


def _zero_length(path: str) -> bool:
    """Whether a SPARQL property path can have length zero (``*`` or ``?`` outside IRIs)."""
    return bool(re.search(r"[*?]", re.sub(r"<[^>]*>", "", path)))


def compile_shapes(graph: ShapesGraph) -> CompiledShapes:
    """The checks of a shapes graph; raises Unsupported naming a feature it cannot compile."""
    if graph.compiled is None:
        try:
            graph.compiled = _Compiler(graph).compile()
        except Unsupported as error:
            graph.compiled = error
    if isinstance(graph.compiled, Unsupported):
        raise graph.compiled
    return graph.compiled
