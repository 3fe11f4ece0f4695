"""Writing a validation report as text, JSON, Turtle, JUnit XML, SARIF or GitHub annotations.

Every renderer is a pure function of the report (and of the severity that fails the run, for
the formats that tell failures from remarks), so the same report always gives the same bytes.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from .atomic import output_file
from .errors import Location
from .namespaces import PREFIXES, SH, SKG_SHAPES
from .results import visible
from .validation import ReportFormat, Severity, ValidationReport, ValidationResult

TOOL_NAME: Final = "sanctions-kg"
TOOL_URI: Final = "https://w3id.org/sanctions-kg"
SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
_DISPLAY_PREFIXES: Final = {**PREFIXES, "skg-sh": SKG_SHAPES}
#: Longest namespaces first, so that ``skgid:`` wins over a shorter namespace it extends.
_BY_LENGTH: Final = sorted(_DISPLAY_PREFIXES.items(), key=lambda item: -len(item[1]))
_LOCAL: Final = re.compile(r"^[A-Za-z0-9_\-./]*$")


def render(
    report: ValidationReport, kind: ReportFormat, *, fail_on: Severity = Severity.VIOLATION
) -> str:
    """The report in one format, ending with a newline."""
    renderers: dict[ReportFormat, Callable[[ValidationReport, Severity], str]] = {
        ReportFormat.TEXT: _text,
        ReportFormat.JSON: _json,
        ReportFormat.TURTLE: _turtle,
        ReportFormat.JUNIT: _junit,
        ReportFormat.SARIF: _sarif,
        ReportFormat.GITHUB: _github,
    }
    return renderers[kind](report, fail_on)


def write_report(text: str, path: Path) -> None:
    """Write a report file: in one step (see :func:`sanctions_kg.atomic.output_file`)."""
    with output_file(path, what="the report") as handle:
        handle.write(text.encode("utf-8"))


# --- display helpers ---------------------------------------------------------------------------


def compact(iri: str) -> str:
    """``skg:target`` for a full IRI in a known namespace, else the IRI itself."""
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace) and _LOCAL.match(iri[len(namespace):]):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def display_term(term: str) -> str:
    """An N-Triples term or a SPARQL path with its IRIs compacted."""
    return re.sub(r"<([^<>\s]*)>", lambda match: _compact_bracketed(match.group(1)), term)


def _compact_bracketed(iri: str) -> str:
    short = compact(iri)
    return short if short != iri else f"<{iri}>"


def display_path(path: str | None) -> str:
    if path is None:
        return "—"
    return display_term(path) if path.startswith(("<", "(", "^")) else compact(path)


def display_file(location: Location) -> str:
    """The file of a location, relative to the working folder when it is inside it."""
    file = location.file
    with contextlib.suppress(ValueError, OSError):
        file = file.resolve().relative_to(Path.cwd().resolve())
    return file.as_posix()


def _where(location: Location) -> str:
    return f"{display_file(location)}:{location.line}"


# --- text --------------------------------------------------------------------------------------


def _text(report: ValidationReport, fail_on: Severity) -> str:
    return f"{result_blocks(report)}\n\n{visible(report.counts_line())}\n"


def result_blocks(report: ValidationReport) -> str:
    """The text report without its counts: one block per result, or that the data conforms."""
    blocks = []
    for result in report.results:
        focus = compact(result.focus)
        if result.focus_label:
            focus += f"  ({result.focus_label})"
        lines = [
            f"{result.severity.label}  {report.shape_name(result.shape)}",
            f"  focus    {focus}",
            f"  path     {display_path(result.path)}",
            f"  value    {display_term(result.value) if result.value else '—'}",
            f"  message  {result.message}",
        ]
        if result.source is not None:
            lines.append(f"  source   {_where(result.source)}")
        blocks.append("\n".join(lines))
    if not blocks:
        blocks.append("The data conforms to the shapes.")
    # Read on a terminal: an escape sequence in a label or a message must not reach it raw.
    return visible("\n\n".join(blocks))


# --- JSON --------------------------------------------------------------------------------------


def result_record(result: ValidationResult) -> dict[str, Any]:
    """The JSON object of one result."""
    return {
        "severity": result.severity.value,
        "focus": result.focus,
        "focus_label": result.focus_label,
        "path": result.path,
        "value": result.value,
        "message": result.message,
        "shape": result.shape,
        "constraint": result.constraint,
        "file": display_file(result.source) if result.source else None,
        "line": result.source.line if result.source else None,
    }


def _json(report: ValidationReport, fail_on: Severity) -> str:
    records = [result_record(result) for result in report.results]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


# --- Turtle ------------------------------------------------------------------------------------


def _turtle_string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f'"{escaped}"'


def _turtle_node(node: str) -> str:
    return node if node.startswith("_:") else f"<{node}>"


class _PathParser:
    """Reads the SPARQL property paths the validator writes, to write them as SHACL paths."""

    def __init__(self, text: str) -> None:
        self.tokens: list[str] = re.findall(r"<[^>]*>|[()|/^*+?]", text)
        self.position = 0

    def parse(self) -> str:
        node = self._alternative()
        if self.position != len(self.tokens):
            raise ValueError("unexpected path syntax")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> str:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _alternative(self) -> str:
        parts = [self._sequence()]
        while self._peek() == "|":
            self._take()
            parts.append(self._sequence())
        if len(parts) == 1:
            return parts[0]
        return f"[ sh:alternativePath ( {' '.join(parts)} ) ]"

    def _sequence(self) -> str:
        parts = [self._unary()]
        while self._peek() == "/":
            self._take()
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else f"( {' '.join(parts)} )"

    def _unary(self) -> str:
        if self._peek() == "^":
            self._take()
            return f"[ sh:inversePath {self._unary()} ]"
        token = self._take()
        node = self._group() if token == "(" else token
        modifier = self._peek()
        keys = {"*": "zeroOrMorePath", "+": "oneOrMorePath", "?": "zeroOrOnePath"}
        if modifier in keys:
            self._take()
            return f"[ sh:{keys[modifier]} {node} ]"
        return node

    def _group(self) -> str:
        node = self._alternative()
        if self._take() != ")":
            raise ValueError("unbalanced parentheses in a path")
        return node


def turtle_path(path: str) -> str:
    """A result path as a SHACL path in Turtle."""
    if not path.startswith(("<", "(", "^")):
        return f"<{path}>"
    return _PathParser(path).parse()


def _turtle(report: ValidationReport, fail_on: Severity) -> str:
    lines = [f"@prefix sh: <{SH}> .", "", "[] a sh:ValidationReport ;",
             f"    sh:conforms {'true' if report.conforms else 'false'}"]
    results = []
    for result in report.results:
        fields = [
            "a sh:ValidationResult",
            f"sh:focusNode {_turtle_node(result.focus)}",
            f"sh:resultSeverity sh:{result.severity.label}",
            f"sh:sourceShape {_turtle_node(result.shape)}",
            f"sh:sourceConstraintComponent <{result.constraint}>",
            f"sh:resultMessage {_turtle_string(result.message)}",
        ]
        if result.path is not None:
            fields.append(f"sh:resultPath {turtle_path(result.path)}")
        if result.value is not None:
            fields.append(f"sh:value {result.value}")
        results.append("        [ " + " ;\n          ".join(fields) + " ]")
    if results:
        lines[-1] += " ;"
        lines.append("    sh:result\n" + ",\n".join(results))
    return "\n".join(lines) + " .\n"


# --- JUnit XML ---------------------------------------------------------------------------------


def _details(result: ValidationResult) -> str:
    lines = [
        f"focus: {result.focus}" + (f" ({result.focus_label})" if result.focus_label else ""),
        f"path: {display_path(result.path)}",
        f"value: {display_term(result.value) if result.value else '—'}",
        f"message: {result.message}",
    ]
    if result.source is not None:
        lines.append(f"source: {_where(result.source)}")
    return "\n".join(lines)


def _junit(report: ValidationReport, fail_on: Severity) -> str:
    """JUnit XML: a test case per result, failed when the result is at or above ``fail_on``
    (JUnit reporters read one failure per test case), and a passed test case per shape that
    has no result, so that the count of tests is the same from run to run of one shape set."""
    import xml.etree.ElementTree as ET

    by_shape: dict[str, list[ValidationResult]] = {shape: [] for shape in report.shapes}
    for result in report.results:
        by_shape.setdefault(result.shape, []).append(result)
    tests = sum(len(results) or 1 for results in by_shape.values())
    failed = report.count_at_or_above(fail_on)
    suites = ET.Element("testsuites", name=f"{TOOL_NAME} validate", tests=str(tests),
                        failures=str(failed), errors="0")
    suite = ET.SubElement(suites, "testsuite", name="SHACL shapes", tests=str(tests),
                          failures=str(failed), errors="0", skipped="0")
    named: set[tuple[str, str]] = set()

    def case(classname: str, name: str) -> ET.Element:
        """A test case whose class and name no other case has: reporters merge cases that
        share them."""
        unique, number = name, 1
        while (classname, unique) in named:
            number += 1
            unique = f"{name} ({number})"
        named.add((classname, unique))
        return ET.SubElement(suite, "testcase", classname=_xml(classname), name=_xml(unique))

    for shape in sorted(by_shape):
        if not by_shape[shape]:
            case(report.shape_name(shape), "no results")
        for result in by_shape[shape]:
            # a blank node is named by its label, which validation numbers in the order the
            # nodes appear in the files, so that it is the same from run to run
            words = [compact(result.focus)]
            if result.path:
                words.append(display_path(result.path))
            if result.value:
                words.append(display_term(result.value))
            element = case(report.shape_name(shape), " ".join(words))
            if result.severity >= fail_on:
                failure = ET.SubElement(element, "failure", type=result.severity.label,
                                        message=_xml(f"{compact(result.focus)}: "
                                                     f"{result.message}"))
                failure.text = _xml(_details(result))
            else:
                ET.SubElement(element, "system-out").text = _xml(
                    f"{result.severity.label}\n{_details(result)}")
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


#: Characters XML 1.0 does not allow, even escaped: control characters other than tab and
#: line breaks, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """Text as XML can hold it: a character it cannot is written as its \\uXXXX escape (a
    label with a control character made the report unreadable)."""
    return _NOT_XML.sub(lambda char: f"\\u{ord(char.group()):04x}", text)


# --- SARIF 2.1.0 -------------------------------------------------------------------------------

_SARIF_LEVEL: Final = {Severity.VIOLATION: "error", Severity.WARNING: "warning",
                       Severity.INFO: "note"}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sanctions-kg")
    except PackageNotFoundError:
        return "0"


def _artifact_uri(location: Location) -> str:
    """A relative reference inside the working folder, else a file: URI."""
    shown = display_file(location)
    return Path(shown).as_uri() if Path(shown).is_absolute() else shown


def _sarif(report: ValidationReport, fail_on: Severity) -> str:
    shapes = sorted({result.shape for result in report.results})
    first: dict[str, ValidationResult] = {}
    for result in report.results:
        first.setdefault(result.shape, result)
    rules = [
        {
            "id": shape,
            "name": report.shape_name(shape),
            "shortDescription": {"text": first[shape].message},
            "defaultConfiguration": {"level": _SARIF_LEVEL[first[shape].severity]},
        }
        for shape in shapes
    ]
    results = []
    for result in report.results:
        location: dict[str, Any] = {
            "logicalLocations": [{"fullyQualifiedName": result.focus, "kind": "resource"}],
        }
        if result.source is not None:
            location["physicalLocation"] = {
                "artifactLocation": {"uri": _artifact_uri(result.source)},
                "region": {"startLine": result.source.line},
            }
        results.append({
            "ruleId": result.shape,
            "ruleIndex": shapes.index(result.shape),
            "level": _SARIF_LEVEL[result.severity],
            "message": {"text": f"{compact(result.focus)}: {result.message}"},
            "locations": [location],
            "properties": {
                "focus": result.focus, "focusLabel": result.focus_label,
                "path": result.path, "value": result.value,
                "constraint": result.constraint,
            },
        })
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL_NAME, "informationUri": TOOL_URI,
                                "version": _version(), "rules": rules}},
            "results": results,
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- GitHub workflow commands ------------------------------------------------------------------

_GITHUB_LEVEL: Final = {Severity.VIOLATION: "error", Severity.WARNING: "warning",
                        Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(report: ValidationReport, fail_on: Severity) -> str:
    lines = []
    for result in report.results:
        properties = []
        if result.source is not None:
            properties.append(f"file={_escape_property(display_file(result.source))}")
            properties.append(f"line={result.source.line}")
        properties.append(f"title={_escape_property(report.shape_name(result.shape))}")
        focus = compact(result.focus)
        if result.focus_label:
            focus += f" ({result.focus_label})"
        detail = f"focus {focus}"
        if result.path is not None:
            detail += f", path {display_path(result.path)}"
        if result.value is not None:
            detail += f", value {display_term(result.value)}"
        message = _escape_data(f"{result.message} [{detail}]")
        lines.append(f"::{_GITHUB_LEVEL[result.severity]} {','.join(properties)}::{message}")
    return "".join(line + "\n" for line in lines)
