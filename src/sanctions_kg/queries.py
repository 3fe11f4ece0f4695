"""Named queries (``queries/*.rq``) and read-only SPARQL execution, locally or on an endpoint.

A named query is a SPARQL file whose first lines are a header comment::

    # title: Sanctions on a state
    # question: Which sanctions target Iran: imposer, since when, scope?
    # param: state iri state/iran — the targeted state
    SELECT ?sanction ?imposer ?state WHERE { ... }

``title`` and ``question`` are required; a long value may go on over the next ``#`` lines.
Each ``param`` line declares ``<name> <kind> <default> — <description>``: the parameter binds
the variable ``?<name>``; ``<kind>`` is ``iri``, ``date``, ``string`` or ``integer``; the
default (quoted with ``"…"`` when it has spaces) makes every named query run without
parameters. Values of kind ``iri`` are written as an id path (``state/iran``, under
``https://w3id.org/sanctions-kg/id/``), a prefixed name with a predeclared prefix
(``skg:Trade``) or a full IRI (``<https://…>``); dates as ``YYYY-MM-DD``.

How a parameter is applied:

- on the embedded store, the variable is replaced everywhere in the query (SPARQL SEP-0007).
  The value is written into the text where ``substituted_text`` covers the query, and bound by
  pyoxigraph's ``substitutions=`` otherwise, which needs the SELECT to project the variable;
- on a remote endpoint, written into the text the same way where ``substituted_text`` covers
  the query, and otherwise by injecting ``VALUES ?name { value }`` at the start of the
  outermost WHERE group; either way with ``PREFIX`` lines for the predeclared prefixes the
  query does not declare, on the line of the query keyword, so that line numbers stay as in
  the file. VALUES agrees with substitution when the variable is used in the outermost group,
  as named queries do; tests check both against the embedded store.

Queries are read-only: an update (INSERT, DELETE, LOAD, CLEAR, …) is refused before anything
runs; the query keyword is found by scanning past the prologue, so an update is never handed
to an executor at all.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from . import resources
from .errors import (
    InputError,
    Location,
    Problem,
    QueryError,
    RemoteError,
    UsageError,
    closest,
    seconds_text,
    shown,
    time_limit,
)
from .namespaces import ID, PREFIXES, XSD
from .results import (
    QueryForm,
    ResultFormat,
    check_format,
    ending_lines,
    rdf_syntax,
    results_syntax,
    write,
)
from .sources import decode, printable

if TYPE_CHECKING:
    import pyoxigraph as ox

    Results = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples

QUERY_SUFFIX = ".rq"
ARGUMENT_SOURCE = "<query>"
STDIN_SOURCE = "<stdin>"
DEFAULT_TIMEOUT = 30.0

UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)


class ParamKind(Enum):
    """The kinds of value a named-query parameter takes."""

    IRI = "iri"
    DATE = "date"
    STRING = "string"
    INTEGER = "integer"


@dataclass(frozen=True)
class Value:
    """A parameter value, checked and normalised: a full IRI or a literal's lexical form."""

    kind: ParamKind
    lexical: str

    def sparql(self) -> str:
        """The value in SPARQL syntax, for a VALUES clause."""
        if self.kind is ParamKind.IRI:
            return f"<{self.lexical}>"
        quoted = '"' + _escape(self.lexical) + '"'
        if self.kind is ParamKind.STRING:
            return quoted
        datatype = "date" if self.kind is ParamKind.DATE else "integer"
        return f"{quoted}^^<{XSD}{datatype}>"

    def term(self) -> ox.NamedNode | ox.Literal:
        """The value as a pyoxigraph term, for ``substitutions=``."""
        import pyoxigraph as ox

        if self.kind is ParamKind.IRI:
            return ox.NamedNode(self.lexical)
        if self.kind is ParamKind.STRING:
            return ox.Literal(self.lexical)
        datatype = "date" if self.kind is ParamKind.DATE else "integer"
        return ox.Literal(self.lexical, datatype=ox.NamedNode(XSD + datatype))


@dataclass(frozen=True)
class Parameter:
    """A parameter declared in a query's header."""

    name: str
    kind: ParamKind
    default: str
    description: str

    def __str__(self) -> str:
        return f"{self.name} ({self.kind.value}, default {self.default})"


@dataclass(frozen=True)
class Query:
    """A SPARQL query and where it came from (a file path, ``<query>`` or ``<stdin>``)."""

    text: str
    source: str
    name: str | None = None
    title: str = ""
    question: str = ""
    parameters: tuple[Parameter, ...] = ()

    def parameter(self, name: str) -> Parameter:
        """The declared parameter ``name``; UsageError naming the known ones otherwise."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        known = ", ".join(str(p) for p in self.parameters)
        listing = f"known parameters: {known}" if known else "this query has no parameters"
        raise UsageError(f"{self.source}: no parameter '{name}'; {listing}")


@dataclass(frozen=True)
class Endpoint:
    """A SPARQL 1.1 Protocol endpoint to run queries on instead of the embedded store."""

    url: str
    timeout: float | None = DEFAULT_TIMEOUT
    auth_env: str | None = None


# --- Reading queries ------------------------------------------------------------------------


def _bundled_queries() -> Path:
    """The bundled queries folder as messages name its files: relative to the working folder
    when inside it (a folder or file the user gives is named as given)."""
    return shown(resources.queries_dir())


def catalogue(directory: Path | None = None) -> list[Query]:
    """The named queries, sorted by name (the ``.rq`` files of the queries folder)."""
    folder = directory if directory is not None else _bundled_queries()
    if not folder.is_dir():
        return []
    return [load(path) for path in sorted(folder.glob(f"*{QUERY_SUFFIX}")) if path.is_file()]


def named(name: str, directory: Path | None = None) -> Query:
    """The named query ``name``; UsageError listing the names when there is none."""
    folder = directory if directory is not None else _bundled_queries()
    path = folder / f"{name}{QUERY_SUFFIX}"
    if "/" in name or not path.is_file():
        names = ", ".join(q.name or "" for q in catalogue(folder)) or "none"
        raise UsageError(
            f"no named query '{name}'; the named queries are: {names} "
            "(see `sanctions-kg queries`)"
        )
    return load(path)


def load(path: Path) -> Query:
    """Read a query file with its header; InputError with file and line for a bad header."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{source}: no such query file") from None
    except IsADirectoryError:
        raise InputError(f"{source}: is a folder, not a query file; pass a .rq file") from None
    except OSError as error:
        raise InputError(f"{source}: cannot read the query file ({error.strerror})") from None
    text = decode(data, Path(source)).removeprefix("\ufeff")  # a byte order mark is not SPARQL
    _check_not_empty(text, source)
    title, question, parameters = parse_header(text, Path(source))
    return Query(text, source, path.stem, title, question, parameters)


def from_text(text: str, source: str = ARGUMENT_SOURCE) -> Query:
    """A query given on the command line or read from stdin; a header is optional."""
    text = text.removeprefix("\ufeff")
    _check_not_empty(text, source)
    title, question, parameters = parse_header(text, Path(source))
    return Query(text, source, None, title, question, parameters)


def _check_not_empty(text: str, source: str) -> None:
    """Refuse a text with nothing but spaces and comments (the parser would only say what it
    expected first)."""
    if next(_tokens(text), None) is None:
        raise QueryError(f"{source}: the query is empty (only spaces and comments); write a "
                         "SELECT, ASK, CONSTRUCT or DESCRIBE query")


def choose(text: str | None, *, file: Path | None, name: str | None) -> Query:
    """The query of the command line: exactly one of the text, a file (``-``: stdin) or a
    named query."""
    given = [option for option, value in (("QUERY", text), ("--file", file), ("--name", name))
             if value is not None]
    if len(given) != 1:
        also = f" (got {' and '.join(given)})" if given else ""
        raise UsageError(f"give exactly one of QUERY, --file or --name{also}")
    if name is not None:
        return named(name)
    if file is not None and str(file) == "-":
        import sys

        return from_text(decode(sys.stdin.buffer.read(), Path(STDIN_SOURCE)), STDIN_SOURCE)
    if file is not None:
        return load(file)
    return from_text(text or "")


def target(
    store: Path | None,
    endpoint: str | None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    auth_env: str | None = None,
) -> Path | Endpoint:
    """Where to run: the store folder (option, $SANCTIONS_KG_STORE or the default) or an
    endpoint."""
    from .store import store_path

    if endpoint is not None and store is not None:
        raise UsageError("give --store or --endpoint, not both")
    if endpoint is None and auth_env is not None:
        raise UsageError("--auth-env goes with --endpoint; the embedded store needs no login")
    if endpoint is not None:
        return Endpoint(endpoint, time_limit(timeout), auth_env)
    return store_path(store)


_FIELD = re.compile(r"^#\s*(?P<key>[a-z]+):\s*(?P<value>.*?)\s*$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<kind>\S+)\s+"
    r"(?P<default>\"[^\"]*\"|\S+)\s+—\s+(?P<description>\S.*)$"
)
_HEADER_KEYS = ("title", "question", "param")


def parse_header(text: str, file: Path) -> tuple[str, str, tuple[Parameter, ...]]:
    """Title, question and parameters from the leading ``#`` lines of a query.

    A header is optional for queries that are not named queries; when any of its fields is
    present, title and question are required.
    """
    fields: list[tuple[str, str, int]] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        match = _FIELD.match(line)
        if match and match["key"] in _HEADER_KEYS:
            fields.append((match["key"], match["value"], number))
        elif match:
            problems.append(Problem(
                Location(file, number),
                f"unknown header field '{match['key']}:'; use title:, question: or param:",
            ))
        elif fields and line.strip("# \t"):
            key, value, start = fields[-1]
            fields[-1] = (key, f"{value} {line.strip('# ').strip()}".strip(), start)
    if not fields and not problems:
        return "", "", ()
    title = [value for key, value, _ in fields if key == "title"]
    question = [value for key, value, _ in fields if key == "question"]
    for key, values in (("title", title), ("question", question)):
        if len(values) != 1:
            count = "no" if not values else "more than one"
            problems.append(Problem(
                Location(file, 1), f"the header has {count} '# {key}:' line; give exactly one"
            ))
    parameters: list[Parameter] = []
    for key, value, number in fields:
        if key != "param":
            continue
        try:
            parameter = _parse_param(value)
        except ValueError as error:
            problems.append(Problem(Location(file, number), str(error)))
            continue
        if any(p.name == parameter.name for p in parameters):
            problems.append(Problem(
                Location(file, number), f"parameter '{parameter.name}' is declared twice"
            ))
        parameters.append(parameter)
    problems.extend(_assigned_parameters(text, file, {p.name for p in parameters}))
    if problems:
        raise InputError(problems)
    return title[0], question[0], tuple(parameters)


def _assigned_parameters(text: str, file: Path, names: set[str]) -> list[Problem]:
    """A parameter the query assigns itself (``BIND(… AS ?name)``, ``(… AS ?name)``) could not
    take the value given to it: an endpoint would reject the query (the VALUES clause that
    binds a parameter there may not meet a variable assigned in the same scope), and the
    embedded store would quietly filter by it."""
    problems: list[Problem] = []
    previous: _Token | None = None
    for token in _tokens(text):
        if (token.kind == "variable" and token.text[1:] in names and previous is not None
                and previous.kind == "word" and previous.text.upper() == "AS"):
            problems.append(Problem(
                _text_location(text, file, token.start),
                f"the parameter {token.text} is assigned here (AS {token.text}); a parameter "
                "takes its value from --param or its default: assign another variable, or "
                "drop the '# param:' line",
            ))
        previous = token
    return problems


def _parse_param(text: str) -> Parameter:
    match = _PARAM.match(text)
    if not match:
        raise ValueError(
            f"malformed '# param: {text}'; write '# param: <name> <kind> <default> — "
            "<description>' (kind: iri, date, string or integer)"
        )
    try:
        kind = ParamKind(match["kind"])
    except ValueError:
        raise ValueError(
            f"parameter '{match['name']}': unknown kind '{match['kind']}'; "
            "use iri, date, string or integer"
        ) from None
    default = match["default"]
    if default.startswith('"') and default.endswith('"') and len(default) >= 2:
        default = default[1:-1]
    try:
        parse_value(kind, default)
    except ValueError as error:
        raise ValueError(f"parameter '{match['name']}': bad default: {error}") from None
    return Parameter(match["name"], kind, default, match["description"])


# --- Parameter values -----------------------------------------------------------------------

_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]*$")
_ID_PATH = re.compile(r"^[A-Za-z0-9._~%\-]+(/[A-Za-z0-9._~%\-]+)+$")


def parse_value(kind: ParamKind, text: str) -> Value:
    """Check and normalise a parameter value; ValueError saying what is expected."""
    if kind is ParamKind.IRI:
        return Value(kind, expand_iri(text))
    if kind is ParamKind.DATE:
        try:
            return Value(kind, dt.date.fromisoformat(text.strip()).isoformat())
        except ValueError as error:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):  # 2022-02-30: no such day
                raise ValueError(f"'{text}' is no day of the calendar ({error}); give a date "
                                 "that exists") from None
            raise ValueError(f"'{text}' is not a date; write YYYY-MM-DD") from None
    if kind is ParamKind.INTEGER:
        if not re.fullmatch(r"[+-]?[0-9]+", text.strip()):
            raise ValueError(f"'{text}' is not an integer")
        return Value(kind, str(int(text)))
    return Value(kind, text)


def expand_iri(text: str) -> str:
    """A full IRI from ``<IRI>``, ``prefix:local`` (predeclared prefix) or an id path."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1]
        if _ABSOLUTE_IRI.match(iri):
            return iri
        raise ValueError(f"'{text}' is not an absolute IRI")
    if text.startswith("<") != text.endswith(">"):
        raise ValueError(f"'{text}': an IRI in angle brackets needs both, <…>")
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    if colon and (local.startswith("//") or prefix in ("urn", "mailto")) and _ABSOLUTE_IRI.match(
        text
    ):
        return text
    if not colon and _ID_PATH.match(text):
        return ID + text
    if colon:
        known = ", ".join(sorted(PREFIXES))
        raise ValueError(f"'{text}': unknown prefix '{prefix}:'; the prefixes are {known}")
    raise ValueError(
        f"'{text}' is not an IRI; write an id path (state/iran), a prefixed name (skg:Trade) "
        "or a full IRI (<https://…>)"
    )


def bind(query: Query, overrides: Mapping[str, str]) -> dict[str, Value]:
    """The value of every declared parameter: its default unless overridden."""
    for name in overrides:
        query.parameter(name)
    values: dict[str, Value] = {}
    for parameter in query.parameters:
        text = overrides.get(parameter.name, parameter.default)
        if parameter.name in overrides and parameter.kind is ParamKind.IRI:
            text = _in_default_folder(text, parameter.default)
        try:
            values[parameter.name] = parse_value(parameter.kind, text)
        except ValueError as error:
            raise UsageError(f"{query.source}: --param {parameter.name}: {error}") from None
    return values


_SLUG = re.compile(r"^[A-Za-z0-9_~%\-][A-Za-z0-9._~%\-]*$")


def _in_default_folder(text: str, default: str) -> str:
    """A bare slug given to an ``iri`` parameter whose default is an id path of one folder means
    the id of that slug in the default's folder: ``iran`` for a default ``state/russia`` is
    ``state/iran``. Not under a deeper default (``agreement/<article>/<fact>``): there a slug
    names a fact of one article, rarely what was meant."""
    slug = text.strip()
    if _SLUG.match(slug) and _ID_PATH.match(default) and default.count("/") == 1:
        return default.rsplit("/", 1)[0] + "/" + slug
    return text


def unknown_nodes(store: ox.Store, values: Mapping[str, Value], given: Iterable[str]) -> list[str]:
    """A note for each ``iri`` parameter given on the command line that names nothing in the
    store (a misspelt id gives an empty answer, not an error)."""
    from .store import mentions

    return [
        f"--param {name}: <{values[name].lexical}> is in no triple of the store; "
        + _same_slug(store, values[name].lexical)
        for name in given
        if name in values and values[name].kind is ParamKind.IRI
        and not mentions(store, values[name].lexical)
    ]


def _same_slug(store: ox.Store, iri: str) -> str:
    """What to do about an id in no triple: the reference entities of another kind with its
    slug (``state/european-union`` for ``international-organisation/european-union``, as a bare
    slug is read in the default's kind), else check the id."""
    import pyoxigraph as ox

    from .namespaces import RDF, REFERENCE_GRAPH

    advice = "check the id (`sanctions-kg describe` finds nodes by slug or label)"
    if not iri.startswith(ID) or "/" not in iri[len(ID):]:
        return advice
    slug = iri.rsplit("/", 1)[1]
    found = sorted({quad.subject.value[len(ID):]
                    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), None,
                                                        ox.NamedNode(REFERENCE_GRAPH))
                    if isinstance(quad.subject, ox.NamedNode)
                    and quad.subject.value.startswith(ID)
                    and quad.subject.value.endswith("/" + slug)})
    if not found:
        return advice
    return f"did you mean {' or '.join(found[:3])}?"


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings (from ``--param``) as a mapping."""
    result: dict[str, str] = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        name = name.strip()
        if not equals or not name:
            raise UsageError(f"--param {assignment}: write NAME=VALUE")
        if name in result:
            raise UsageError(f"--param {name} given twice; give each parameter once")
        result[name] = value
    return result


# --- Scanning SPARQL: the query form and the outermost WHERE group ----------------------------

_TOKENS = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<brace>[{}])
  | (?P<paren>[()])
  | (?P<variable>[?$]\w+)
  | (?P<word>[A-Za-z_](?:[\w\-.]*[\w\-])?:[^\s{}()<>"',;\[\]]*|[A-Za-z_][A-Za-z0-9_\-]*
            |:[^\s{}()<>"',;\[\]]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int


def _tokens(text: str) -> Iterator[_Token]:
    """The significant tokens of a SPARQL text (no spaces, no comments)."""
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield _Token(kind, match.group(), match.start())


@dataclass(frozen=True)
class _Shape:
    """What the scanner found: the query keyword and the prefixes the prologue declares."""

    keyword: _Token | None
    declared: frozenset[str]
    tokens: tuple[_Token, ...]
    index: int


def _shape(text: str) -> _Shape:
    tokens = tuple(_tokens(text))
    declared: set[str] = set()
    index = 0
    while index < len(tokens):
        word = tokens[index].text.upper() if tokens[index].kind == "word" else ""
        if word == "BASE":
            index += 2
        elif word == "PREFIX" and index + 1 < len(tokens):
            declared.add(tokens[index + 1].text.rstrip(":"))
            index += 3
        elif word == "VERSION":
            index += 2
        else:
            break
    keyword = tokens[index] if index < len(tokens) and tokens[index].kind == "word" else None
    return _Shape(keyword, frozenset(declared), tokens, index)


def query_form(query: Query) -> QueryForm | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE; QueryError for an update; None when unclear (the
    parser then reports the syntax error)."""
    keyword = _shape(query.text).keyword
    if keyword is None:
        return None
    word = keyword.text.upper()
    if word in UPDATE_KEYWORDS:
        where = _location(query, keyword.start)
        raise QueryError(
            f"{where}: {word} is a SPARQL update, and queries are read-only; "
            "change the data in the facts files and run `sanctions-kg build`"
        )
    try:
        return QueryForm(word)
    except ValueError:
        return None


def _location(query: Query, offset: int) -> Location:
    return _text_location(query.text, Path(query.source), offset)


def _text_location(text: str, file: Path, offset: int) -> Location:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Location(file, line, column)


def endpoint_text(query: Query, values: Mapping[str, Value]) -> str:
    """The query text sent to an endpoint: parameter values written into the text as on the
    embedded store where ``substituted_text`` covers the query (and its text parses), as
    VALUES (``remote_text``) otherwise; the predeclared prefixes declared either way.

    Written in, the values are constants that the server's planner can start from, as the
    embedded store's does; with a VALUES clause Oxigraph plans without them (on a
    10,000-article store, ``sanctions-on-iran`` took 20.8 s with VALUES on ``oxigraph``, 1.3 s
    embedded with the value written in). Values are written without new lines, so the
    endpoint's error positions keep their lines.
    """
    if values:
        text = substituted_text(query, values)
        if text is not None and _parses(text):
            return _listed_star(_declare_prefixes(text), query.text)
    return _listed_star(remote_text(query, values), query.text)


def _listed_star(text: str, written: str) -> str:
    """A ``SELECT *`` with its variables listed in the order of the query as ``written``
    (``starred``), so that an endpoint (Oxigraph's sorts them by name) gives the columns the
    store gives."""
    import pyoxigraph as ox

    if _star(_shape(text)) is None:
        return text  # and an ASK is not run: pyoxigraph evaluates it at once (SERVICE too)
    try:  # on an empty store, with the solutions never read, nothing is evaluated
        results = ox.Store().query(text)
    except SyntaxError:
        return text  # the endpoint reports it, or reads what pyoxigraph does not
    if not isinstance(results, ox.QuerySolutions):
        return text
    variables = [variable.value for variable in results.variables]
    return starred(text, variables, order=written) or text


def _parses(text: str) -> bool:
    """Whether pyoxigraph parses a SELECT (not run: its solutions are never read)."""
    import pyoxigraph as ox

    try:
        ox.Store().query(text, prefixes=dict(PREFIXES))
    except SyntaxError:
        return False
    return True


def remote_text(query: Query, values: Mapping[str, Value]) -> str:
    """The query text for an endpoint with parameters as VALUES and the predeclared prefixes
    declared: what ``endpoint_text`` sends for a query that ``substituted_text`` does not
    cover.

    Both are inserted without new lines, so the endpoint's error positions keep their lines.
    """
    text = _inject_values(query, _shape(query.text), values) if values else query.text
    return _declare_prefixes(text)


def _declare_prefixes(text: str) -> str:
    """``PREFIX`` declarations for the predeclared prefixes a text does not declare, on the
    line of its query keyword."""
    shape = _shape(text)
    missing = [name for name in sorted(PREFIXES) if name not in shape.declared]
    if shape.keyword is None or not missing:
        return text
    declarations = "".join(f"PREFIX {name}: <{PREFIXES[name]}> " for name in missing)
    at = shape.keyword.start
    return text[:at] + declarations + text[at:]


def _inject_values(query: Query, shape: _Shape, values: Mapping[str, Value]) -> str:
    clause = " " + " ".join(f"VALUES ?{name} {{ {value.sparql()} }}" for name, value in
                            sorted(values.items())) + " "
    tokens = shape.tokens
    form = shape.keyword.text.upper() if shape.keyword else ""
    text = query.text
    index = shape.index + 1
    parens = 0
    template_skipped = form != "CONSTRUCT"
    after_where = False
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "paren":
            parens += 1 if token.text == "(" else -1
        elif token.kind == "word" and token.text.upper() == "WHERE" and parens == 0:
            after_where = True
        elif token.text == "{" and parens == 0:
            close = _matching(tokens, index)
            if not template_skipped and not after_where:
                template_skipped = True
                index = close + 1
                continue
            if form == "CONSTRUCT" and not _has_template(tokens, shape.index):
                # CONSTRUCT WHERE { triples } takes no VALUES: write the template out.
                body = text[token.start : tokens[close].start + 1]
                where = next(t for t in tokens[shape.index : index] if t.text.upper() == "WHERE")
                return (text[: where.start] + body + " WHERE {" + clause
                        + text[token.start + 1 :])
            at = token.start + 1
            return text[:at] + clause + text[at:]
        index += 1
    raise QueryError(
        f"{query.source}: the query has no WHERE group to bind its parameters in; "
        "add a WHERE clause"
    )


def _has_template(tokens: Sequence[_Token], keyword: int) -> bool:
    for token in tokens[keyword + 1 :]:
        if token.text == "{":
            return True
        if token.kind == "word" and token.text.upper() == "WHERE":
            return False
    return False


def _matching(tokens: Sequence[_Token], opening: int) -> int:
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index].text == "{":
            depth += 1
        elif tokens[index].text == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


# --- Running --------------------------------------------------------------------------------

_SYNTAX = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)


_MODIFIERS = frozenset({"GROUP", "ORDER"})
_MODIFIERS_END = frozenset({"HAVING", "LIMIT", "OFFSET", "VALUES"})


def substituted_text(query: Query, values: Mapping[str, Value]) -> str | None:
    """The query text with each parameter variable written as its value, or None when the
    query is not one this rewriting covers (then pyoxigraph's ``substitutions=`` binds it).

    Why rewrite the text when pyoxigraph can substitute: Oxigraph plans a query before it
    binds substitutions, so a bound variable still counts as unknown and a pattern that names
    it is not picked first, nor evaluated early inside UNION branches and subqueries. With the
    value in the text, the planner sees a constant and starts from it: on a 10,000-article
    store this is the difference between scanning every sanction and reading the few that
    target the state asked about.

    Covered: SELECT queries whose outermost projection names its variables (not ``*``), where
    no parameter variable is assigned (``AS ?name``) or listed in a VALUES clause. In the
    outermost projection the variable becomes ``(value AS ?name)``; a subquery no longer
    projects it (the subquery and the query around it would join on one constant, which
    always matches, and SPARQL forbids assigning a variable a subquery projects); in GROUP BY
    or ORDER BY it is dropped (a constant key changes neither the groups nor the order; some
    engines, rdflib's among them, cannot evaluate one), unless the clause has no other
    condition (a clause cannot be empty): then it becomes a bracketed expression; anywhere else
    it becomes the value itself.
    """
    if not values:
        return query.text
    shape = _shape(query.text)
    if shape.keyword is None or shape.keyword.text.upper() != "SELECT":
        return None
    tokens = shape.tokens
    names = set(values)
    projected = _projection(tokens, shape.index)
    if projected is None or _listed_in_values(tokens, names):
        return None
    # A parameter the projection leaves out is written as its value all the same, as VALUES
    # binds it on an endpoint: the rows are the same, without that column.
    pieces: list[str] = []
    last = 0
    parens = 0
    nested = False
    in_modifier = False
    in_projection = False
    previous: _Token | None = None
    for position, token in enumerate(tokens):
        word = token.text.upper() if token.kind == "word" else ""
        if token.kind == "paren":
            parens += 1 if token.text == "(" else -1
        elif word == "SELECT":
            in_projection, in_modifier = True, False
            nested = position != shape.index
            inner = _projection(tokens, position)
            if nested and (inner is None or inner <= names):
                return None  # nothing would be left to project
        elif word in ("WHERE", "FROM") or token.kind == "brace":
            in_projection = in_modifier = False
        elif word in _MODIFIERS and position + 1 < len(tokens) \
                and tokens[position + 1].text.upper() == "BY":
            in_modifier = True
        elif word in _MODIFIERS_END:
            in_modifier = False
        if token.kind == "variable" and token.text[1:] in names:
            if previous is not None and previous.kind == "word" and previous.text.upper() == "AS":
                return None
            value = values[token.text[1:]].sparql()
            if in_projection and parens == 0 and nested:
                replacement = ""  # a constant on both sides of a join: nothing to join on
            elif in_projection and parens == 0:
                replacement = f"({value} AS {token.text})"
            elif in_modifier and parens == 0 and _other_conditions(tokens, position, names):
                replacement = ""  # grouping or ordering by a constant changes nothing
            elif in_modifier and parens == 0:
                replacement = f"({value})"
            else:
                replacement = value
            pieces.append(query.text[last:token.start])
            pieces.append(replacement)
            last = token.start + len(token.text)
        previous = token
    pieces.append(query.text[last:])
    return "".join(pieces)


def _other_conditions(tokens: Sequence[_Token], at: int, names: set[str]) -> bool:
    """Whether the GROUP BY or ORDER BY clause holding the parameter variable at token ``at``
    has a condition that stays when the parameters ``names`` are dropped from it: a variable
    that is not a parameter, a bracketed expression or a call (``ASC(…)``, ``STR(…)``)."""
    start = at
    while not (tokens[start - 1].kind == "word" and tokens[start - 1].text.upper() == "BY"):
        start -= 1
    parens = 0
    for token in tokens[start:]:
        word = token.text.upper() if token.kind == "word" else ""
        if token.kind == "brace" or word in _MODIFIERS or word in _MODIFIERS_END:
            break
        if token.kind == "paren":
            if token.text == "(" and parens == 0:
                return True  # a bracketed expression (a call's name returned already)
            parens += 1 if token.text == "(" else -1
        elif parens == 0 and (token.kind == "word"
                              or (token.kind == "variable" and token.text[1:] not in names)):
            return True
    return False


def _projection(tokens: Sequence[_Token], select: int) -> set[str] | None:
    """The variables named in the projection of the SELECT at token ``select``; None for
    ``SELECT *``."""
    names: set[str] = set()
    parens = 0
    for token in tokens[select + 1 :]:
        if token.kind == "brace" or (token.kind == "word"
                                     and token.text.upper() in ("WHERE", "FROM")):
            break
        if token.kind == "paren":
            parens += 1 if token.text == "(" else -1
        elif token.text == "*" and parens == 0:  # not COUNT(*)
            return None
        elif token.kind == "variable":
            names.add(token.text[1:])
    return names


def starred(text: str, variables: Sequence[str], *, order: str | None = None) -> str | None:
    """For a ``SELECT *``, the text with the star written as ``variables`` in the order they
    first appear in the query (in ``order`` when given: the text as written, before parameters
    were added to it); None for any other query, or when that is the order already.

    Why: pyoxigraph returns the columns of ``SELECT *`` sorted by name (``?o ?p ?s`` for
    ``?s ?p ?o``), where a reader, and Jena or rdflib, expects the order of the query.
    """
    shape = _shape(text)
    star = _star(shape)
    if star is None:
        return None
    tokens = shape.tokens
    first: dict[str, int] = {}
    for position, token in enumerate(tokens if order is None else _tokens(order)):
        if token.kind == "variable":
            first.setdefault(token.text[1:], position)
    ordered = sorted(variables, key=lambda name: (first.get(name, len(first)), name))
    if ordered == list(variables):
        return None
    listed = " ".join(f"?{name}" for name in ordered)
    return text[: star.start] + listed + text[star.start + 1 :]


def names_dataset(text: str) -> bool:
    """Whether a query names its dataset (``FROM`` or ``FROM NAMED``, outside any group)."""
    depth = 0
    for token in _tokens(text):
        if token.kind == "brace":
            depth += 1 if token.text == "{" else -1
        elif depth == 0 and token.kind == "word" and token.text.upper() == "FROM":
            return True
    return False


def _star(shape: _Shape) -> _Token | None:
    """The star of a ``SELECT *`` (not of ``COUNT(*)``); None for any other query."""
    if shape.keyword is None or shape.keyword.text.upper() != "SELECT":
        return None
    parens = 0
    for token in shape.tokens[shape.index + 1 :]:
        if token.kind == "brace" or (token.kind == "word"
                                     and token.text.upper() in ("WHERE", "FROM")):
            break
        if token.kind == "paren":
            parens += 1 if token.text == "(" else -1
        elif token.text == "*" and parens == 0:
            return token
    return None


def _listed_in_values(tokens: Sequence[_Token], names: set[str]) -> bool:
    """Whether a VALUES clause lists one of the variables ``names``."""
    for index, token in enumerate(tokens):
        if token.kind == "word" and token.text.upper() == "VALUES":
            for following in tokens[index + 1 :]:
                if following.kind == "brace":
                    break
                if following.kind == "variable" and following.text[1:] in names:
                    return True
    return False


def execute(store: ox.Store, query: Query, values: Mapping[str, Value]) -> Results:
    """Run a query on the embedded store: the union of the named graphs as default graph
    (the dataset the query names when it has FROM or FROM NAMED), the predeclared prefixes,
    parameters written into the text where ``substituted_text`` covers the query and by
    pyoxigraph's substitution otherwise (by a VALUES clause, as on an endpoint, in a
    ``SELECT *`` that does not project them). Updates are refused first."""
    import pyoxigraph as ox

    query_form(query)
    text = substituted_text(query, values)
    Bound = dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]
    substitutions: Bound = {ox.Variable(name): value.term() for name, value in values.items()}
    # pyoxigraph's union flag overrides a FROM clause: the query's own dataset comes first.
    union = not names_dataset(query.text)

    def run(text: str, substitutions: Bound) -> Results:
        results = store.query(text, prefixes=dict(PREFIXES), use_default_graph_as_union=union,
                              substitutions=substitutions)
        if isinstance(results, ox.QuerySolutions):
            named = starred(text, [variable.value for variable in results.variables],
                            order=query.text)
            if named is not None:  # nothing was evaluated yet: the solutions are lazy
                return store.query(named, prefixes=dict(PREFIXES),
                                   use_default_graph_as_union=union, substitutions=substitutions)
        return results

    try:
        if text is not None:
            try:
                return run(text, {})
            except SyntaxError:
                pass  # parsed again below, so that the error's line and column are the file's
        return run(query.text, substitutions)
    except SyntaxError as error:
        raise syntax_error(query, str(error)) from None
    except RuntimeError as error:
        message = str(error)
        if "SELECT projection" not in message:
            raise
        shape = _shape(query.text)
        if _star(shape) is not None:
            # SELECT * does not project a variable used only in a FILTER or BIND, and
            # pyoxigraph substitutes projected variables only: bind it as an endpoint does.
            return run(_inject_values(query, shape, values), {})
        variable = re.search(r"\?\w+", message)
        name = variable.group() if variable else "?" + ", ?".join(sorted(values))
        raise QueryError(
            f"{query.source}: the parameter variable {name} is not in the SELECT clause; "
            f"project it (SELECT {name} … or SELECT *) so that the parameter can bind it"
        ) from None


def run_named(
    name: str, store: ox.Store | Path | str | None = None, **params: object
) -> ox.QuerySolutions:
    """Run a named SELECT query as ``sanctions-kg query --name`` does: on a store (an open
    pyoxigraph store, or a store folder opened read-only; the CLI's store by default), each
    parameter written as ``--param`` takes it (``state="russia"``), the others at their
    defaults. UsageError for an unknown name or parameter, or a query that is no SELECT."""
    import pyoxigraph as ox

    from .store import open_read

    query = named(name)
    if query_form(query) is not QueryForm.SELECT:
        raise UsageError(f"{query.source}: run_named runs SELECT queries; run this one with "
                         "sanctions_kg.queries.execute")
    database = store if isinstance(store, ox.Store) else open_read(store)
    results = execute(database, query, bind(query, {key: str(value)
                                                    for key, value in params.items()}))
    assert isinstance(results, ox.QuerySolutions)  # a SELECT gives solutions
    return results


def check_syntax(query: Query) -> None:
    """Parse a query without running it (QueryError with line and column when it is invalid),
    so that a query meant for an endpoint gets the same messages as a local one."""
    import pyoxigraph as ox

    form = query_form(query)
    if form is QueryForm.ASK and _federated(query.text):
        return  # pyoxigraph evaluates ASK at once, and SERVICE would reach the network
    try:
        # Parsing happens in query(); on an empty store, with the solutions never read,
        # nothing is evaluated.
        ox.Store().query(query.text, prefixes=dict(PREFIXES))
    except SyntaxError as error:
        raise syntax_error(query, str(error)) from None


def syntax_error(query: Query, message: str) -> QueryError:
    """A QueryError giving the query source, line and column of a pyoxigraph syntax error."""
    match = _SYNTAX.match(message)
    if not match:
        return QueryError(f"{query.source}: SPARQL syntax error: {one_line(message)}; "
                          "fix the query")
    # pyoxigraph counts the column in characters (code points), not bytes.
    line, column, detail = int(match[1]), max(int(match[2]), 1), match[3]
    lines = query.text.split("\n")
    offset = sum(len(text) + 1 for text in lines[: line - 1]) + column - 1
    undeclared = _undeclared_prefix(query, offset, (line, column), detail)
    if undeclared is not None:
        known = ", ".join(sorted(PREFIXES))
        begins, name = undeclared
        return QueryError(
            f"{_location(query, begins)}: SPARQL syntax error: undeclared prefix "
            f"'{name.partition(':')[0]}:' in {name}; declare it with PREFIX or use a predeclared "
            f"one ({known})"
        )
    unknown_form = _unknown_form(query, offset)
    if unknown_form is not None:
        return unknown_form
    slashed = _slash_in_name(query, offset)
    if slashed is not None:
        return slashed
    at_end = not any(t.start + len(t.text) > offset for t in _tokens(query.text))
    if at_end or (column == 1 and line > 1):
        # pyoxigraph often places an error inside a clause at the end of the query or at the
        # start of the next line (FILTER(?x = ) gives the line after the closing brace);
        # rdflib's parser, asked only then, names the start of the part that fails.
        start = _failing_part(query.text)
        part = _PART.match(query.text, start) if start is not None and start < offset else None
        if part is not None:
            where = _location(query, part.start())
            return QueryError(f"{where}: SPARQL syntax error in the part starting with "
                              f"'{part.group()}'; fix the query")
    where = Location(Path(query.source), line, column)
    return QueryError(f"{where}: SPARQL syntax error: {one_line(_stated(detail))}; fix the query")


def _unknown_form(query: Query, offset: int) -> QueryError | None:
    """The error for a query whose first word (past PREFIX and BASE) is no query form, where the
    parser fails after it: the parser places it further on ("SELEC ?s WHERE …" gave column 10,
    "expected CONSTRUCT")."""
    keyword = _shape(query.text).keyword
    if keyword is None or keyword.kind != "word" or keyword.start >= offset or ":" in keyword.text:
        return None  # a prefixed name is no misspelt keyword: the prologue is what is broken
    word = keyword.text.upper()
    forms = [form.value for form in QueryForm]
    if word in forms or word in UPDATE_KEYWORDS:
        return None
    where = _location(query, keyword.start)
    close = closest(word, forms)
    advice = f"did you mean {close}?" if close else "fix the query"
    return QueryError(f"{where}: SPARQL syntax error: a query starts with SELECT, CONSTRUCT, "
                      f"ASK or DESCRIBE, not '{printable(keyword.text)}'; {advice}")


#: A step of a property path written without a prefix: no path, so a '/' that ends a name.
_BARE_STEP = re.compile(r"\^?[\w\-.]+")


def _slash_in_name(query: Query, offset: int) -> QueryError | None:
    """The error for a prefixed name with a '/' in it (``skgid:state/iran``, as parameters and
    describe write ids), up to where the parser fails: SPARQL ends the name at the '/' and reads
    a property path, whose next step (``iran``) is no name, so the parser fails further on
    ("expected OPTIONAL" at the closing brace). A path of prefixed names (``skg:imposer/
    rdfs:label``) is one token of the scanner too: the name is the step before a bare one."""
    for token in _tokens(query.text):
        if token.start > offset:
            break
        if token.kind != "word" or ":" not in token.text:
            continue
        steps = token.text.split("/")
        for index in range(len(steps) - 1):
            after = steps[index + 1]
            if ":" not in steps[index] or not _BARE_STEP.fullmatch(after) or after == "a":
                continue
            bare = index + 1
            while bare + 1 < len(steps) and _BARE_STEP.fullmatch(steps[bare + 1]):
                bare += 1
            name = "/".join(steps[index:bare + 1])
            start = token.start + sum(len(step) + 1 for step in steps[:index])
            prefix, _, local = name.lstrip("^").partition(":")
            escaped = f"{prefix}:{local.replace('/', chr(92) + '/')}"
            full = f" or <{PREFIXES[prefix]}{local}>" if prefix in PREFIXES else ""
            return QueryError(
                f"{_location(query, start)}: SPARQL syntax error: a '/' ends a prefixed name, so "
                f"{printable(name)} is read as {printable(steps[index])} and a property path; "
                f"write {printable(escaped)}{printable(full)}"
            )
    return None


#: A sentence among the tokens an "expected one of …" message lists: the parser's own words
#: for what is wrong ("The SELECT contains a variable that is unbound").
_SENTENCE = re.compile(
    r"(?:^expected(?: one of)? |, )([A-Z][^,\"'\[\]\n]*? [a-z][^,\"'\[\]\n]*)(?=, |$)")


def _stated(detail: str) -> str:
    """The parser's sentence from a list of expected tokens, where it has one: the list itself
    ("$", "(", IF, TZ, character classes…) says nothing a reader can act on. Without one, the
    list in a reader's words (``_readable``)."""
    if not detail.startswith("expected"):
        return detail
    sentences = [match.group(1).strip() for match in _SENTENCE.finditer(detail)]
    return "; ".join(sentences) if sentences else _readable(detail)


#: Items of the parser's "expected" lists that are its own notation, not SPARQL a reader would
#: write there: the character class of a blank node label's first letter, SPARQL 1.2
#: annotation and reifier syntax, and the parser's word for a token it does not name.
_NOTATION = frozenset({"[_]", '"{|"', '"|}"', '"~"', "<unreported>"})
_DIGITS = "['0'..='9']"


def _readable(detail: str) -> str:
    """An "expected …" list with the parser's notation left out and a digit class called a
    number ("expected one of HAVING, OFFSET, ['0'..='9']" gives "expected one of HAVING,
    OFFSET, a number"); "something is missing or misplaced here" when nothing is left."""
    listed = detail.removeprefix("expected").removeprefix(" one of").strip()
    if "\n" in listed or not listed:
        return detail
    items: list[str] = []
    for item in listed.split(", "):
        item = "a number" if item == _DIGITS else item
        if item not in _NOTATION and item not in items:
            items.append(item)
    if not items:
        return "something is missing or misplaced here"
    return f"expected {items[0]}" if len(items) == 1 else f"expected one of {', '.join(items)}"


_PART = re.compile(r"[?$]?[^\s(){}\[\];,.]+")
#: SPARQL that rdflib's parser does not know (SPARQL 1.2, Oxigraph's extensions): where a query
#: has it, rdflib would stop there, not at the mistake. rdflib also expands \u escapes before
#: parsing, which moves its offsets.
_BEYOND_RDFLIB = re.compile(
    r"\b(?:LATERAL|VERSION|STRLANGDIR|LANGDIR|hasLANG|hasLANGDIR|isTRIPLE|ADJUST)\b"
    r"|\b(?:TRIPLE|SUBJECT|PREDICATE|OBJECT)\s*\(|<<|\{\||~|@[A-Za-z0-9-]+--|\\[uU]",
    re.IGNORECASE,
)
#: Longer queries are not given to rdflib, whose parser takes seconds on them.
_RDFLIB_MAX_CHARS = 20_000


def _failing_part(text: str) -> int | None:
    """Where rdflib's SPARQL parser stops on ``text`` (a character offset), or None when it
    parses it, names no place, or cannot be asked."""
    if len(text) > _RDFLIB_MAX_CHARS or _BEYOND_RDFLIB.search(text):
        return None
    text = text.replace("\t", " ")  # pyparsing would expand tabs, moving its offsets
    from pyparsing import ParseException
    from rdflib import Namespace
    from rdflib.plugins.sparql import prepareQuery

    try:
        prepareQuery(text, initNs={name: Namespace(iri) for name, iri in PREFIXES.items()})
    except ParseException as error:
        return int(error.loc)
    except Exception:  # any other failure of a second opinion: no opinion
        return None
    return None


#: A prefixed name in a word token, which may be a property path (``skg:party/foo:b``).
_PREFIXED = re.compile(r"(?:(?<=^)|(?<=[/|^!(]))((?:[A-Za-z_](?:[\w\-.]*[\w\-])?)?:[^/|^)]*)")


def _undeclared_prefix(
    query: Query, offset: int, place: tuple[int, int], detail: str
) -> tuple[int, str] | None:
    """Where the first prefixed name up to ``offset`` whose prefix is neither declared in the
    query nor predeclared starts, and the name, when it is what the parser failed on: the
    parser often names something else ("expected OPTIONAL" after `; foo:p`), so the query is
    parsed again with the prefix declared, and the prefix counts as the cause when that parse
    gets further. ``_:`` starts a blank node label, not a prefixed name."""
    import pyoxigraph as ox

    shape = _shape(query.text)
    known = shape.declared | set(PREFIXES) | {"_"}
    found: tuple[int, str] | None = None
    for token in shape.tokens:
        if token.start > offset or found is not None:
            break
        if token.kind != "word" or ":" not in token.text:
            continue
        for match in _PREFIXED.finditer(token.text):
            if match.group(1).partition(":")[0] not in known:
                # a local name ends before a path operator or the triple's final dot
                found = token.start + match.start(1), match.group(1).rstrip(".*+?")
                break
    if found is None:
        return None
    if "Prefix not found" in detail:
        return found
    keyword = shape.keyword.text.upper() if shape.keyword is not None else ""
    if keyword == "ASK" and _federated(query.text):
        return None  # parsing an ASK evaluates it, and SERVICE would reach the network
    prefix = found[1].partition(":")[0]
    try:
        ox.Store().query(f"PREFIX {prefix}: <urn:sanctions-kg:undeclared:>\n{query.text}",
                         prefixes=dict(PREFIXES))
    except SyntaxError as error:
        again = _SYNTAX.match(str(error))
        if again is None or (int(again[1]) - 1, int(again[2])) <= place:
            return None
    except (RuntimeError, ValueError, OSError):
        pass  # parsed: what evaluating it on an empty store says is no syntax error
    return found


def one_line(detail: str, limit: int = 160) -> str:
    """A parser message on one line, cut to ``limit`` characters."""
    detail = " ".join(detail.split())
    return detail if len(detail) <= limit else detail[: limit - 1].rstrip(", ") + "…"


def run(
    query: Query,
    out: BinaryIO,
    *,
    target: Path | Endpoint,
    params: Mapping[str, str] | None = None,
    result_format: ResultFormat | None = None,
    terminal: bool = False,
) -> list[str]:
    """Run a query on a store folder or an endpoint and write its results to ``out``; the
    notes to show the user after them (see :func:`unknown_nodes`).

    Checks before anything runs: no update, parameters known and well-formed, the format
    fits the query form. Without a format, CONSTRUCT and DESCRIBE give Turtle, the others a
    table on a terminal and TSV otherwise.
    """
    form = query_form(query)
    if result_format is not None:
        chosen = result_format
    elif form is not None and form.gives_graph:
        chosen = ResultFormat.TURTLE
    else:
        chosen = ResultFormat.default(terminal=terminal)
    if form is not None:
        check_format(form, chosen)
    values = bind(query, params or {})
    if isinstance(target, Endpoint):
        rows = _run_remote(query, values, chosen, target, out, terminal=terminal)
        if rows == 0 and query.name is not None:
            # the named queries read the union of the graphs as the default graph
            return [f"{query.name} answered no rows at {target.url}; a server whose default "
                    "graph is not the union of its named graphs answers the named queries with "
                    "none (see \"Loading into triplestores\" in the README)"]
        return []
    from .store import open_read

    store = open_read(target)
    try:
        write(execute(store, query, values), chosen, out, terminal=terminal)
    except (OSError, RuntimeError) as error:  # what pyoxigraph raises for a failed SERVICE
        from .atomic import WriteError

        if isinstance(error, BrokenPipeError | WriteError) or not _federated(query.text):
            raise  # the output's failure, not the service's
        raise QueryError(
            f"{query.source}: a SERVICE call failed ({one_line(str(error))}); check the "
            "service's URL, or write SERVICE SILENT to go on without its answers"
        ) from None
    return unknown_nodes(store, values, params or {})


def _federated(text: str) -> bool:
    """Whether a query calls another endpoint (``SERVICE``)."""
    return any(t.kind == "word" and t.text.upper() == "SERVICE" for t in _tokens(text))


def _run_remote(
    query: Query,
    values: Mapping[str, Value],
    result_format: ResultFormat,
    endpoint: Endpoint,
    out: BinaryIO,
    *,
    terminal: bool,
) -> int | None:
    """Send the query with the format's media type, read the whole answer and check that it
    is well-formed, then pass it through as the server sent it (ending its last line). A server
    that fails while it answers (a SERVICE call, its own time limit) has already sent its status
    and the start of the results, and appends its error as text: the check keeps that from being
    written as results with exit 0. The table and CSV are written from SPARQL JSON results, as
    CSV results cannot be read back to be checked."""
    from .remote import sparql_query

    check_syntax(query)
    asked = ResultFormat.JSON if result_format in (ResultFormat.TABLE, ResultFormat.CSV) \
        else result_format
    body = sparql_query(
        endpoint.url,
        endpoint_text(query, values),
        accept=asked.media_type,
        timeout=endpoint.timeout,
        auth_env=endpoint.auth_env,
        expect=asked.answer_types,
    )
    rows = _check_answer(body, asked, endpoint)
    if asked is result_format:
        with ending_lines(out) as stream:
            stream.write(body)
        return rows
    import pyoxigraph as ox

    write(ox.parse_query_results(body, ox.QueryResultsFormat.JSON), result_format, out,
          terminal=terminal)
    return rows


def _check_answer(body: bytes, answer: ResultFormat, endpoint: Endpoint) -> int | None:
    """How many solutions ``body`` holds (None for a graph or a boolean); RemoteError unless it
    reads whole as ``answer`` (results or RDF). JSON and XML are
    read whole first: pyoxigraph stops after an ASK's object, and after the last solution of
    XML, without looking at what follows (a server's error) or noticing the end is missing."""
    import json
    import xml.etree.ElementTree as ET

    import pyoxigraph as ox

    try:
        if answer in (ResultFormat.JSON, ResultFormat.JSONLD):
            json.loads(body)
        elif answer is ResultFormat.XML:
            ET.fromstring(body)
        if answer.is_rdf:
            for _ in ox.parse(body, format=rdf_syntax(answer), base_iri=endpoint.url):
                pass
            return None
        parsed = ox.parse_query_results(body, results_syntax(answer))
        if not isinstance(parsed, ox.QuerySolutions):
            return None
        return sum(1 for _ in parsed)  # solutions are parsed as they are read
    except (SyntaxError, ValueError, ET.ParseError) as error:
        raise RemoteError(
            f"{endpoint.url}: the answer is not well-formed {answer.description} "
            f"({one_line(str(error))}); the server may have failed while answering (see its "
            "log), or --endpoint is not its SPARQL query endpoint"
        ) from None


# --- Timeout ------------------------------------------------------------------------------


@contextmanager
def watchdog(seconds: float | None, target: Path | Endpoint | None = None) -> Iterator[None]:
    """End the process with exit code 2 when the block takes longer than ``seconds``, and with
    exit code 130 on Ctrl-C.

    pyoxigraph cannot interrupt a running query, and while it runs Python does not see Ctrl-C
    either, so this is the only way to keep a promise of a time limit and of Ctrl-C; it is
    meant for the command line. ``None`` or 0: no limit. The message blames the server when
    ``target`` is an endpoint (it may be down, not the query slow).
    """
    limit = time_limit(seconds)
    timer = None
    if limit is not None:
        if isinstance(target, Endpoint):
            message = (f"error: {target.url} did not answer within {seconds_text(limit)} s; check "
                       "that the server is running, or allow more time with --timeout\n")
        else:
            message = (f"error: query timed out after {seconds_text(limit)} s; narrow the query or "
                       "raise --timeout\n")
        timer = threading.Timer(limit, _expire, args=(message, 2))
        timer.daemon = True
        timer.start()
    try:
        with _interruptible():
            yield
    finally:
        if timer is not None:
            timer.cancel()


@contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C (and SIGTERM) end the process even while pyoxigraph holds the main thread.

    Python's own handler raises KeyboardInterrupt only once the main thread is back in Python.
    The signal also wakes a thread here (``signal.set_wakeup_fd``); if the block is still
    running a moment later, the thread says so and ends the process with exit code 130. A
    query writes nothing but standard output, so there is nothing to clean up.
    """
    import signal
    import socket

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                woken = reader.recv(64)
            except OSError:
                return
            if not woken:
                return
            if signal.SIGTERM in woken and not done.wait(_GRACE_SECONDS):
                _expire("terminated\n", 143)
            if signal.SIGINT in woken and not done.wait(_GRACE_SECONDS):
                _expire("interrupted\n", 130)

    thread = threading.Thread(target=watch, name="sanctions-kg-interrupt", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        writer.close()  # the watching thread's recv returns b"": it ends
        thread.join(1)
        reader.close()


#: How long the main thread has to see Ctrl-C itself before the watching thread ends the process.
_GRACE_SECONDS = 0.3


def _expire(message: str, code: int) -> None:
    with suppress(OSError):  # stderr may be a closed pipe: the exit code still tells
        os.write(2, message.encode())
    os._exit(code)


# --- Helpers --------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r").replace("\t", "\\t"))
