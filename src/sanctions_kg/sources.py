"""Reading input files safely: size limit, strict UTF-8, and YAML with line numbers.

YAML is composed into nodes with PyYAML's safe loader (no object construction) and turned into
:class:`Node` values that remember their line, so that every later error can name it.
"""

from __future__ import annotations

import re
import stat
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar, cast

from .errors import InputError, Location, Problem

if TYPE_CHECKING:
    import os

    import pyoxigraph as ox
    from yaml import Mark, MarkedYAMLError

def as_path(value: str | os.PathLike[str]) -> Path:
    """A path given to the library as a string or a path-like object, as a ``Path``."""
    return value if isinstance(value, Path) else Path(value)

#: The UTF-8 byte order mark some editors put at the start of a file.
BYTE_ORDER_MARK = b"\xef\xbb\xbf"


@contextmanager
def rdf_input(path: Path) -> Iterator[BinaryIO]:
    """An RDF file opened for a parser, past a UTF-8 byte order mark: pyoxigraph's parsers
    take the mark for the first term (``\ufeff is not a valid subject or graph name``), as
    the facts and article files are read without it. Line and column numbers stay those an
    editor shows."""
    with path.open("rb") as handle:
        if handle.read(len(BYTE_ORDER_MARK)) != BYTE_ORDER_MARK:
            handle.seek(0)
        yield handle


#: A term of a quad, graph names included; renaming gives a term of the same type.
_Term = TypeVar(
    "_Term", bound="ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph")


class BlankNodeNumbers:
    """Blank nodes of one parsed file renamed ``<prefix>n1``, ``<prefix>n2``… in the order they
    first appear. pyoxigraph's parsers give ``[]`` and ``( … )`` random labels, and ``Store.load``
    gives every blank node one, so reports naming them would change from run to run of the same
    input; a prefix per file keeps the nodes of two files apart, as an RDF merge does."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._labels: dict[str, ox.BlankNode] = {}

    def __call__(self, term: _Term) -> _Term:
        import pyoxigraph as ox

        if isinstance(term, ox.Triple):  # a triple term: its blank nodes are the file's too
            return cast("_Term", ox.Triple(self(term.subject), term.predicate, self(term.object)))
        if not isinstance(term, ox.BlankNode):
            return term
        label = self._labels.get(term.value)
        if label is None:
            label = self._labels[term.value] = ox.BlankNode(
                f"{self._prefix}n{len(self._labels) + 1}")
        return cast("_Term", label)


#: Largest facts, reference or article file accepted, in bytes.
MAX_FILE_BYTES = 16 * 1024 * 1024

Scalar = str | int | float | bool | None


class Node:
    """A YAML value with the place it came from.

    A plain class with slots, not a dataclass: a facts file has tens of thousands of nodes, and
    their locations are only turned into :class:`Location` values when a message needs one.
    """

    __slots__ = ("column", "key_lines", "line", "path", "raw", "tag", "value")

    def __init__(
        self,
        path: Path,
        line: int,
        column: int,
        value: Scalar | list[Node] | dict[str, Node],
        tag: str = "",
        key_lines: dict[str, tuple[int, int]] | None = None,
        raw: str | None = None,
    ) -> None:
        #: A scalar read as something else than text (a number): the text as written.
        self.raw = raw
        self.path = path
        self.line = line
        self.column = column
        self.value = value
        self.tag = tag
        self.key_lines = key_lines or {}

    @property
    def location(self) -> Location:
        return Location(self.path, self.line, self.column)

    @property
    def key_locations(self) -> dict[str, Location]:
        return {key: Location(self.path, line, column)
                for key, (line, column) in self.key_lines.items()}

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, list | dict)


_UNSEEN = {"Cc", "Cf", "Zl", "Zp"}


def printable(text: str) -> str:
    """``text`` with control, format and line-separator characters escaped (``\\n``,
    ``\\u202e``), so that a message quoting a value stays one line and shows what is there."""
    if text.isprintable():
        return text
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in _UNSEEN else char
        for char in text
    )


def decode(data: bytes, shown: Path) -> str:
    """A file's bytes as UTF-8 text; InputError naming the line and byte offset that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            Problem(
                Location(shown, line),
                f"byte 0x{data[error.start]:02x} at offset {error.start} is not UTF-8; "
                "save the file as UTF-8",
            )
        ) from None


def read_text(path: Path, *, display: Path | None = None) -> str:
    """Read a UTF-8 text file, refusing missing, oversized, empty or non-UTF-8 files."""
    shown = display or path
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(Problem(Location(shown, 1), "file not found; check the path")) from None
    except OSError as error:
        raise InputError(
            Problem(Location(shown, 1), f"cannot read the file ({error.strerror})")
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(Problem(shown, "is a folder, not a file; put a file there, or move "
                                        "the folder out of the data folder"))
    if not stat.S_ISREG(info.st_mode):  # reading a FIFO would wait for a writer for ever
        raise InputError(Problem(Location(shown, 1),
                                 "cannot read the file (not a regular file: a FIFO, socket or "
                                 "device)"))
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(
            Problem(
                Location(shown, 1),
                f"the file has {info.st_size} bytes, over the limit of {MAX_FILE_BYTES} bytes; "
                "split it into several files",
            )
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(
            Problem(Location(shown, 1), f"cannot read the file ({error.strerror})")
        ) from None
    # A byte order mark says how the file is encoded; it is not part of the text (an article's
    # evidence offsets and schema:text would otherwise start with it).
    text = decode(data, shown).removeprefix("\ufeff")
    if not text.strip():
        raise InputError(Problem(Location(shown, 1), "the file is empty; add content or remove it"))
    return text


def load_yaml(path: Path, *, display: Path | None = None) -> Node:
    """Read a YAML file into located nodes; errors name the file and line."""
    import yaml

    shown = display or path
    text = read_text(path, display=display)
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader_class)
    except yaml.reader.ReaderError as error:
        raise InputError(_reader_problem(text, shown, error.character, error.reason)) from None
    except RecursionError:
        # The pure-Python parser (used when libyaml is missing) recurses once per level.
        raise InputError(
            Problem(Location(shown, 1), "the YAML is nested too deeply; flatten it")
        ) from None
    except yaml.MarkedYAMLError as error:
        raise InputError(_yaml_syntax_problem(text, shown, error)) from None
    except yaml.YAMLError as error:
        what = " ".join(str(error).split())  # one line: the CLI prints one line per problem
        raise InputError(
            Problem(Location(shown, 1), f"YAML error: {what}; fix the syntax")
        ) from None
    if root is None:
        raise InputError(Problem(Location(shown, 1), "the file is empty; add content or remove it"))
    problems: list[Problem] = []
    node = _convert(root, shown, problems, depth=0, done={})
    if problems:
        raise InputError(problems)
    return node


def _yaml_syntax_problem(text: str, shown: Path, error: MarkedYAMLError) -> Problem:
    """A YAML syntax error placed where the mistake is, as far as the parser's marks tell.

    PyYAML names where it gave up (``problem_mark``) and often, as ``context_mark``, where the
    token it was reading began: the key missing its ':', the quote never closed, the '[' or
    '{' never closed. That start is where the mistake is; the place it gave up, often lines
    further on, is given in the message. A quoted value that runs over lines up to where the
    parser gave up is an unclosed quote that a later quote ended: it is named as such."""
    import yaml

    problem, context = error.problem or "invalid YAML", error.context or ""
    end, start = error.problem_mark, error.context_mark

    lines = text.splitlines() or [""]

    def at(mark: Mark) -> Location:
        if mark.line >= len(lines):  # the end of a file without a final line break
            return Location(shown, len(lines), len(lines[-1]) + 1)
        return Location(shown, mark.line + 1, mark.column + 1)

    def syntax(location: Location, what: str, advice: str = "fix the syntax") -> Problem:
        return Problem(location, f"YAML syntax error: {what}; {advice}")

    if end is None:
        return syntax(at(start) if start else Location(shown, 1), problem)
    gave_up = ("the end of the file" if end.index >= len(text.rstrip()) else
               f"line {end.line + 1}, column {end.column + 1}")
    if start is not None and (start.line, start.column) < (end.line, end.column):
        if context == "while scanning a quoted scalar" and "end of stream" in problem:
            return syntax(at(start), "the quoted value that starts here is never closed",
                          "add its closing quote")
        if context == "while scanning a simple key":
            return syntax(at(start), f"{problem} after the key that starts here (looked up to "
                                     f"{gave_up})")
        if context.startswith("while parsing a flow"):
            if _flow_closed(text, start):
                # ["iran" russia]: the bracket is closed, a comma is missing
                return syntax(at(end), f"{problem} (is a ',' missing before this?)")
            opening = "'['" if context.endswith("sequence") else "'{'"
            return syntax(at(start), f"the {opening} here is never closed ({problem} by "
                                     f"{gave_up})")
    # A value that runs over lines to where the parser gave up: a quote left open that a later
    # quote ended, or a key without its ':' that the next lines continue as plain text
    # ("- id iran" then "type: State" reads as the text "id iran type"). Multi-line values are
    # valid YAML, so only one that ends on the line where the parser failed is the cause.
    last: yaml.ScalarToken | None = None
    is_value = False  # the text follows a key's ':': it is a value, not a key
    previous: yaml.Token | None = None
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for token in yaml.scan(text, Loader=loader_class):
            if (token.start_mark.line, token.start_mark.column) >= (end.line, end.column):
                break
            if isinstance(token, yaml.ScalarToken):
                last, is_value = token, isinstance(previous, yaml.ValueToken)
            previous = token
    except yaml.YAMLError:
        pass  # the scanner stops at its own error, past the tokens that matter here
    if last is not None and last.start_mark.line < last.end_mark.line == end.line:
        if last.style in ('"', "'"):
            return syntax(at(last.start_mark),
                          f"the quoted value that starts here runs on to line {end.line + 1}, "
                          f"where the parser fails ({problem})",
                          "add its closing quote if it is missing")
        failing = lines[end.line] if end.line < len(lines) else ""
        before = failing[:end.column].strip()
        key_start = Location(shown, end.line + 1, len(failing) - len(failing.lstrip()) + 1)
        if "mapping values are not allowed" in problem and not re.fullmatch(r"[\w-]+", before):
            # "their character: strategic" continues a wrapped value: no key is meant there
            return syntax(at(last.start_mark),
                          f"the plain value that starts here holds ': ' on line {end.line + 1} "
                          f"({problem})", "put the value in quotes")
        if "mapping values are not allowed" in problem and is_value:
            return syntax(key_start, f"a key here is indented further than the one above it, "
                                     f"whose value runs on to this line as plain text "
                                     f"({problem})", "indent it as the keys before it")
        if "mapping values are not allowed" in problem:
            first = lines[last.start_mark.line][last.start_mark.column:].strip()
            return syntax(at(last.start_mark),
                          f"'{printable(first)}' has no ':' after its key, so the lines below "
                          f"run on as its text up to line {end.line + 1} ({problem})",
                          "add the ':' after the key")
    return syntax(at(end), problem)


def _flow_closed(text: str, start: Mark) -> bool:
    """Whether the '[' or '{' at ``start`` has its closing bracket, as the scanner reads the
    text (the scanner reads on where the parser fails)."""
    import yaml

    depth = 0
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for token in yaml.scan(text, Loader=loader_class):
            if (token.start_mark.line, token.start_mark.column) < (start.line, start.column):
                continue
            if isinstance(token, yaml.FlowSequenceStartToken | yaml.FlowMappingStartToken):
                depth += 1
            elif isinstance(token, yaml.FlowSequenceEndToken | yaml.FlowMappingEndToken):
                depth -= 1
                if depth == 0:
                    return True
    except yaml.YAMLError:
        return False
    return False


_MAX_DEPTH = 64
_YAML_TAG = "tag:yaml.org,2002:"
#: The tags plain YAML values resolve to; any other (``!!python/object``, ``!custom``) is refused.
_PLAIN_TAGS = {_YAML_TAG + name for name in
               ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}


def _convert(
    node: object, path: Path, problems: list[Problem], depth: int, done: dict[int, Node]
) -> Node:
    """Convert a composed node; each YAML node once, so that an alias reuses the converted
    node it names and aliases of aliases (a "billion laughs") cannot multiply the values."""
    import yaml

    mapping_node, sequence_node, scalar_node = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode

    def convert(node: yaml.Node, depth: int) -> Node:
        known = done.get(id(node))
        if known is not None:
            return known
        mark = node.start_mark
        line, column = mark.line + 1, mark.column + 1
        tag = node.tag
        if depth > _MAX_DEPTH:
            problems.append(
                Problem(Location(path, line, column), "the YAML is nested too deeply; flatten it")
            )
            return Node(path, line, column, None)
        if tag not in _PLAIN_TAGS:
            shown = tag.replace(_YAML_TAG, "!!", 1) if tag.startswith(_YAML_TAG) else tag
            problems.append(Problem(
                Location(path, line, column),
                f"unsupported YAML tag '{printable(shown)}'; remove it "
                "(facts and reference files hold plain values only)",
            ))
            converted = Node(path, line, column, None)
        elif type(node) is scalar_node:
            value = _scalar(node.value, tag)
            raw = None if isinstance(value, str) else node.value
            converted = Node(path, line, column, value, tag, raw=raw)
        elif type(node) is mapping_node:
            mapping: dict[str, Node] = {}
            keys: dict[str, tuple[int, int]] = {}
            for key_node, value_node in node.value:
                key_at = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if type(key_node) is not scalar_node:
                    problems.append(Problem(Location(path, *key_at), "a key must be a plain word"))
                    continue
                key = str(key_node.value)
                if key in mapping:
                    problems.append(Problem(
                        Location(path, *key_at),
                        f"duplicate key '{printable(key)}'; keep only one of them",
                    ))
                    continue
                mapping[key] = convert(value_node, depth + 1)
                keys[key] = key_at
            converted = Node(path, line, column, mapping, tag, keys)
        else:
            assert isinstance(node, sequence_node)
            items = [convert(item, depth + 1) for item in node.value]
            converted = Node(path, line, column, items, tag)
        done[id(node)] = converted
        return converted

    assert isinstance(node, yaml.Node)
    return convert(node, depth)


def _reader_problem(text: str, path: Path, character: int, reason: str) -> Problem:
    """Locate a character the YAML reader refuses: its first occurrence is where it stopped."""
    index = text.find(chr(character))
    if index < 0:
        return Problem(Location(path, 1), f"YAML error: {reason}; fix the file")
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return Problem(
        Location(path, line, column),
        f"character U+{character:04X} is not allowed in YAML ({reason}); remove it",
    )


def _scalar(raw: str, tag: str) -> Scalar:
    if tag == "tag:yaml.org,2002:str":
        return raw
    if tag == "tag:yaml.org,2002:int":
        try:
            return int(raw.replace("_", ""), 0)
        except ValueError:
            return raw
    if tag == "tag:yaml.org,2002:float":
        try:
            return float(raw)
        except ValueError:
            return raw
    if tag == "tag:yaml.org,2002:bool":
        return raw.lower() in {"true", "yes", "on", "y"}
    if tag == "tag:yaml.org,2002:null":
        return None
    # Timestamps stay as written, so that dates keep their precision.
    return raw
