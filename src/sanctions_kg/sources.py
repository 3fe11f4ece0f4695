"""Reading input files safely: size limit, strict UTF-8, and YAML with line numbers.

YAML is composed into nodes with PyYAML's safe loader (no object construction) and turned into
:class:`Node` values that remember their line, so that every later error can name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, Location, Problem

#: Largest facts, reference or article file accepted, in bytes.
MAX_FILE_BYTES = 16 * 1024 * 1024

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Node:
    """A YAML value with the place it came from."""

    location: Location
    value: Scalar | list[Node] | dict[str, Node]
    tag: str = ""
    key_locations: dict[str, Location] = field(default_factory=dict, compare=False)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, list | dict)


def read_text(path: Path, *, display: Path | None = None) -> str:
    """Read a UTF-8 text file, refusing missing, oversized, empty or non-UTF-8 files."""
    shown = display or path
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(Problem(Location(shown, 1), "file not found; check the path")) from None
    except OSError as error:
        raise InputError(
            Problem(Location(shown, 1), f"cannot read the file ({error.strerror})")
        ) from None
    if size > MAX_FILE_BYTES:
        raise InputError(
            Problem(
                Location(shown, 1),
                f"the file has {size} bytes, over the limit of {MAX_FILE_BYTES} bytes; "
                "split it into several files",
            )
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(
            Problem(Location(shown, 1), f"cannot read the file ({error.strerror})")
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            Problem(
                Location(shown, line),
                f"byte 0x{data[error.start]:02x} at offset {error.start} is not UTF-8; "
                "save the file as UTF-8",
            )
        ) from None
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
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else None
        what = error.problem or "invalid YAML"
        raise InputError(
            Problem(Location(shown, line, column), f"YAML syntax error: {what}; fix the syntax")
        ) from None
    except yaml.YAMLError as error:
        raise InputError(
            Problem(Location(shown, 1), f"YAML error: {error}; fix the syntax")
        ) from None
    if root is None:
        raise InputError(Problem(Location(shown, 1), "the file is empty; add content or remove it"))
    problems: list[Problem] = []
    node = _convert(root, shown, problems, depth=0)
    if problems:
        raise InputError(problems)
    return node


_MAX_DEPTH = 64


def _convert(node: object, path: Path, problems: list[Problem], depth: int) -> Node:
    import yaml

    assert isinstance(node, yaml.Node)
    location = Location(path, node.start_mark.line + 1, node.start_mark.column + 1)
    if depth > _MAX_DEPTH:
        problems.append(Problem(location, "the YAML is nested too deeply; flatten it"))
        return Node(location, None)
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, Node] = {}
        keys: dict[str, Location] = {}
        for key_node, value_node in node.value:
            key_location = Location(path, key_node.start_mark.line + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(key_location, "a key must be a plain word"))
                continue
            key = str(key_node.value)
            if key in mapping:
                problems.append(
                    Problem(key_location, f"duplicate key '{key}'; keep only one of them")
                )
                continue
            mapping[key] = _convert(value_node, path, problems, depth + 1)
            keys[key] = key_location
        return Node(location, mapping, node.tag, keys)
    if isinstance(node, yaml.SequenceNode):
        items = [_convert(item, path, problems, depth + 1) for item in node.value]
        return Node(location, items, node.tag)
    assert isinstance(node, yaml.ScalarNode)
    return Node(location, _scalar(node), node.tag)


def _scalar(node: object) -> Scalar:
    import yaml

    assert isinstance(node, yaml.ScalarNode)
    raw = str(node.value)
    tag = node.tag
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
    # Strings, timestamps (kept as written, so dates keep their precision) and anything else.
    return raw
