"""The README's error catalogue is complete and true: every listed message is produced for real.

The catalogue (the tables under ``## Errors``) lists each error the CLI can print, with its exit
code. ``PRODUCERS`` maps each listed message to a case that makes the CLI print it: mostly a run
of the installed console script; the facts and reference file errors all come from one ``build``
over a data folder holding one broken file per message. Where the CLI cannot be made to fail
on demand (a file vanishing between listing and reading, a broken bundled ontology, Ctrl-C before
the command starts) the case calls the library and prints the error as ``main`` does.

A listed message without a case, or a case without a listed message, fails
``test_the_catalogue_and_the_cases_are_in_step``; each row then has its own test that checks the
printed line against the message (words in angle brackets match the values filled in) and the
exit code.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    CLI,
    REPO,
    SEED_TEXT,
    SHAPE_FIXTURES,
    Built,
    FakeStore,
    _free_port,
    _no_proxy_for_localhost,
    run_cli,
    store_of,
)
from sanctions_kg.errors import SanctionsKGError
from test_facts import MINI, make_data

# --- the catalogue -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One error of the catalogue."""

    message: str
    cause: str
    fix: str
    exit_code: int


def catalogue(readme: Path = REPO / "README.md") -> list[Row]:
    """The rows of the tables between ``## Errors`` and ``## Performance`` whose first cell is
    a code span (the message)."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("\n## Errors\n", 1)[1].split("\n## Performance\n", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 4, f"a catalogue row needs 4 cells (message, cause, fix, exit): {line}"
        span = re.fullmatch(r"(`+)(.*?)\1", cells[0])
        assert span, f"the message is not one code span: {cells[0]}"
        message = span[2]
        if len(span[1]) > 1 and message.startswith(" ") and message.endswith(" "):
            message = message[1:-1]
        rows.append(Row(message, cells[1], cells[2], int(cells[3])))
    return rows


ROWS = catalogue()

_PLACEHOLDER = re.compile(r"<([a-z][a-z0-9 _-]*)>")
_PLACEHOLDER_PATTERNS = {
    **dict.fromkeys(("line", "column", "n", "bytes", "offset", "code"), r"\d+"),
    **dict.fromkeys(("file", "folder", "path", "data", "out", "store", "ontology"), r"[^:\n]+"),
    "location": r"[^:\n]+:\d+(?::\d+)?",
}


SUGGESTION = re.compile(r" \(did you mean '[^']+'\?\)$")


def pattern(message: str) -> re.Pattern[str]:
    """The message as a regular expression: ``<line>`` matches digits, ``<file>`` a path,
    ``<location>`` a path with a line and maybe a column, any other ``<word>`` any text."""
    parts, position = [], 0
    for match in _PLACEHOLDER.finditer(message):
        parts.append(re.escape(message[position : match.start()]))
        parts.append(_PLACEHOLDER_PATTERNS.get(match[1], r".+?"))
        position = match.end()
    parts.append(re.escape(message[position:]))
    return re.compile("".join(parts))


def test_placeholders_match_the_values_filled_in() -> None:
    located = pattern("error: <file>:<line>:<column>: unknown id '<id>'; fix it")
    assert located.fullmatch("error: /d/facts/a.yaml:9:13: unknown id 'x y'; fix it")
    assert not located.fullmatch("error: /d/facts/a.yaml:9: unknown id 'x'; fix it")
    assert pattern("graph <<graph>> has <n> triples").fullmatch("graph <urn:g> has 12 triples")
    assert pattern("(<https://…>) [ARGS]...").fullmatch("(<https://…>) [ARGS]...")


# --- running a case ------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a case printed on stderr, and the exit code."""

    code: int
    stderr: str


def as_printed(error: SanctionsKGError) -> Outcome:
    """An error raised by the library, printed as ``sanctions_kg.cli.main`` prints it."""
    return Outcome(error.exit_code, "".join(f"error: {line}\n" for line in str(error).splitlines()))


@dataclass(frozen=True)
class Context:
    """What a case may use: fixtures on demand and a fresh folder."""

    request: pytest.FixtureRequest
    tmp: Path

    def fixture(self, name: str) -> Any:
        return self.request.getfixturevalue(name)

    @property
    def seed(self) -> Path:
        """The store of the seed build (read-only)."""
        built: Built = self.fixture("seed_build")
        return built.store

    @property
    def fake(self) -> FakeStore:
        fake: FakeStore = self.fixture("fake_store")
        return fake

    def cli(self, *args: str | Path, env: dict[str, str] | None = None) -> Outcome:
        result = run_cli(*args, env=env, cwd=self.tmp)
        return Outcome(result.code, result.stderr)

    def push(self, url: str, *args: str | Path, env: dict[str, str] | None = None) -> Outcome:
        return self.cli("push", "--store", self.seed, "--graph-store", url, *args, env=env)

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path


Producer = Callable[[Context], Outcome]
PRODUCERS: dict[str, Producer] = {}


def produces(message: str) -> Callable[[Producer], Producer]:
    """Register the decorated function as the case of a catalogue message."""

    def register(producer: Producer) -> Producer:
        assert message not in PRODUCERS, f"two cases for {message!r}"
        PRODUCERS[message] = producer
        return producer

    return register


# --- input files: one build over one broken file per message -------------------------------


def edit(old: str, new: str, text: str = MINI) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


CLAIM = ('  - id: raisi-claim\n    speaker: ebrahim-raisi\n    date: {expression: Thursday}\n'
         '    quote: "Tehran will never recognize the sanctions against Russia"\n')
EVIDENCE = '"slapped crippling sanctions on the country"'


def with_field(line: str) -> str:
    """MINI with one more line in its first fact."""
    return edit("    target: iran\n", f"    target: iran\n    {line}\n")

LOC = "<file>:<line>:<column>"


def sparse_file(path: Path, size: int) -> None:
    """A file of ``size`` bytes that takes no room on disk (the size limit reads no byte)."""
    with path.open("wb") as handle:
        handle.truncate(size)


def with_words(words: str, date: str) -> Callable[[Path], None]:
    """A facts file whose article is the seed's text with ``words`` added, and whose first fact
    has the date ``date``: words of a date that the seed text does not hold."""
    def write(path: Path) -> None:
        text = path.parent.parent / "articles" / f"{path.stem}.txt"
        text.write_text(SEED_TEXT.read_text(encoding="utf-8") + f"\n{words}\n",
                        encoding="utf-8")
        path.write_text(edit("  text: articles/mini.txt\n", f"  text: articles/{path.stem}.txt\n",
                             edit("{expression: since 2018}", date)), encoding="utf-8")
    return write


def twins(path: Path, other: str) -> None:
    """Two facts files, ``other`` and ``path``, for one article id."""
    for target in (path.parent / other, path):
        target.write_text(edit("  id: mini\n", "  id: dup-article\n"), encoding="utf-8")


@dataclass(frozen=True)
class InputCase:
    """A broken file of the batch data folder: ``<folder>/<name>.yaml``."""

    name: str
    content: str | bytes | Callable[[Path], None]
    folder: str = "facts"


INPUT_CASES: dict[str, InputCase] = {
    "error: <file>: is a folder, not a file; put a file there, or move the folder out of the "
    "data folder":
        InputCase("a-folder", lambda path: path.mkdir()),
    "error: <file>:1: cannot read the file (<reason>)":
        InputCase("unreadable", lambda path: path.symlink_to("/proc/self/mem")),  # EIO
    "error: <file>:1: the file has <bytes> bytes, over the limit of 16777216 bytes; split it "
    "into several files":
        InputCase("too-big", lambda path: sparse_file(path, 17 << 20)),
    "error: <file>:<line>: byte 0x<hex> at offset <offset> is not UTF-8; save the file as UTF-8":
        InputCase("not-utf8", b"article:\n  id: x\n  text: \xff\n"),
    "error: <file>:1: the file is empty; add content or remove it":
        InputCase("comment-only", "# nothing but a comment\n"),
    f"error: {LOC}: character U+<code point> is not allowed in YAML (<reason>); remove it":
        InputCase("control-character", edit("    target: iran\n", "    target: iran\x07\n")),
    "error: <location>: the YAML is nested too deeply; flatten it":
        InputCase("deep", MINI + "deep: " + "[" * 70 + "]" * 70 + "\n"),
    f"error: {LOC}: YAML syntax error: <problem>; fix the syntax":
        InputCase("yaml-syntax", edit("    target: iran\n", "    target: [iran\n")),
    f"error: {LOC}: YAML syntax error: '<text>' has no ':' after its key, so the lines below run "
    "on as its text up to line <line> (<problem>); add the ':' after the key":
        InputCase("yaml-key-without-colon", edit("  - id: us-sanctions-on-iran\n",
                                                 "  - id us-sanctions-on-iran\n")),
    f"error: {LOC}: YAML syntax error: the plain value that starts here holds ': ' on line "
    "<line> (<problem>); put the value in quotes":
        InputCase("yaml-colon-in-value", edit('    quote: "Tehran will never recognize the '
                                              'sanctions against Russia"\n',
                                              "    quote: Tehran will never\n"
                                              "      recognize the sanctions: all\n")),
    f"error: {LOC}: YAML syntax error: a key here is indented further than the one above it, "
    "whose value runs on to this line as plain text (<problem>); indent it as the keys before "
    "it":
        InputCase("yaml-key-indented", edit("    type: Sanction\n", "     type: Sanction\n")),
    f"error: {LOC}: YAML syntax error: the quoted value that starts here is never closed; add "
    "its closing quote":
        InputCase("yaml-quote-never-closed", MINI + 'notes: "unfinished\n'),
    f"error: {LOC}: YAML syntax error: the quoted value that starts here runs on to line <line>, "
    "where the parser fails (<problem>); add its closing quote if it is missing":
        InputCase("yaml-quote-closed-later", edit('    speaker: ebrahim-raisi\n',
                                                  '    speaker: "ebrahim-raisi\n')),
    f"error: {LOC}: unsupported YAML tag '<tag>'; remove it (facts and reference files hold "
    "plain values only)":
        InputCase("tag", edit("    target: iran\n", "    target: !custom iran\n")),
    f"error: {LOC}: a key must be a plain word":
        InputCase("key", MINI + "? [a, b]\n: 1\n"),
    f"error: {LOC}: duplicate key '<key>'; keep only one of them":
        InputCase("duplicate-key", with_field("target: x")),
    f"error: {LOC}: <what> must be a mapping of keys to values":
        InputCase("not-a-mapping", edit(CLAIM, "  - just words\n")),
    f"error: {LOC}: unknown field '<key>' in <what>; check the spelling (fields are ontology "
    "property names)":
        InputCase("unknown-field", with_field("targett: x")),
    f"error: {LOC}: unknown field '<key>' in <what>; check the spelling (it takes <keys>)":
        InputCase("unknown-fixed-field", edit("  published: 2022-09-15\n",
                                              "  published: 2022-09-15\n  titel: Mini\n")),
    f"error: {LOC}: '<key>' is not a field of <type> (the ontology gives it to <classes>); "
    "remove it, or give the record a type that has it":
        InputCase("field-of-another-class", with_field("party: [iran, russia]")),
    f"error: {LOC}: 'quote' is for claims (a speaker's words), not for facts (<type>); put "
    "the words that support it under evidence:":
        InputCase("quote-on-a-fact", with_field('quote: "slapped crippling sanctions"')),
    f"error: {LOC}: 'quote' is for claims (a speaker's words), not for reference entities "
    "(<type>); remove it (give where the entity comes from as source:)":
        InputCase("ref-quote", "entities:\n  - id: ref-q\n    type: State\n    label: Q\n"
                  '    quote: "hello"\n', "reference"),
    f"error: {LOC}: '<key>' is stated only as a claim's content, never as a field: write "
    "{subject: …, predicate: <key>, object: …} under content:":
        InputCase("content-predicate-field", with_field("doesNotRecognise: russia")),
    f"error: {LOC}: missing required field '<key>'; add it":
        InputCase("missing-field", edit("    type: Sanction\n", "")),
    f"error: {LOC}: '<key>' must be a non-empty text":
        InputCase("empty-text", with_field("note: ''")),
    f"error: {LOC}: '<key>' must be text, not <value>, which YAML reads as a <kind>; put it in "
    "quotes":
        InputCase("number-for-text", edit("  published: 2022-09-15\n",
                                          "  published: 2022-09-15\n  title: 2022\n")),
    f"error: {LOC}: '<key>' must be a text or a list of texts":
        InputCase("not-texts", with_field("altLabel: [12]")),
    f"error: {LOC}: '<key>' must be an id (a string) or a list of ids":
        InputCase("not-an-id", edit("    target: iran\n", "    target: 12\n")),
    f"error: {LOC}: '<key>' must be a whole number, not <value>":
        InputCase("not-a-number", with_field("delegationSize: -3")),
    f"error: {LOC}: '<key>' must be true or false, not <value>":
        InputCase("not-a-flag", with_field("inferred: maybe")),
    f"error: {LOC}: '<key>' must be true or false":
        InputCase("not-a-bool", edit("  published: 2022-09-15\n",
                                     "  published: {value: 2022-09-15, inferred: maybe}\n")),
    f"error: {LOC}: id '<id>' must be kebab-case (lower-case letters, digits and hyphens); "
    "write '<kebab-id>'":
        InputCase("bad-id", edit("  - id: raisi-claim\n", "  - id: Raisi_Claim\n")),
    f"error: {LOC}: unknown type '<type>'; use a class of the ontology":
        InputCase("unknown-type", edit("    type: Sanction\n", "    type: Sanctionn\n")),
    f"error: {LOC}: duplicate id '<id>' (also at <location>); ids must be unique":
        InputCase("duplicate-id", edit("  - id: raisi-claim\n", "  - id: us-sanctions-on-iran\n")),
    f"error: {LOC}: unknown id '<id>'; define it in this file, in data/reference, or as a "
    "concept of the ontology":
        InputCase("unknown-id", edit("    target: iran\n", "    target: atlantis\n")),
    f"error: {LOC}: ambiguous id '<id>': it names the <kind> at <location> and the reference "
    "entity at <location>; rename the <kind> and the references meant for it":
        InputCase("ambiguous-id", edit("  - id: raisi-claim\n", "  - id: iran\n")),
    f"error: {LOC}: unknown predicate '<predicate>'; use an object property of the ontology":
        InputCase("unknown-predicate", edit(
            "    speaker: ebrahim-raisi\n", "    speaker: ebrahim-raisi\n"
            "    content: {subject: iran, predicate: likes, object: russia}\n")),
    f"error: {LOC}: '<key>' is written as a bound of its date: use {{earliest: …, latest: …, "
    "expression: …} on the date itself":
        InputCase("date-companion", with_field("startDateEarliest: 2017")),
    f"error: {LOC}: malformed date: '<value>' is not a date of the form YYYY, YYYY-MM or "
    "YYYY-MM-DD":
        InputCase("date-form", edit("{expression: since 2018}", "2018-1")),
    f"error: {LOC}: malformed date: '<value>' is not a date of the form YYYY, YYYY-MM or "
    "YYYY-MM-DD; to give the article's words, write {expression: \"<value>\"}":
        InputCase("date-value-words", with_field("endDate: 4 July 2022")),
    f"error: {LOC}: malformed date: '<value>' is not a valid date (<reason>)":
        InputCase("date-invalid", edit("{expression: since 2018}", "2018-13-01")),
    f"error: {LOC}: malformed date: give YYYY, YYYY-MM or YYYY-MM-DD":
        InputCase("date-null", edit("{expression: since 2018}", "null")),
    f"error: {LOC}: malformed date: '<key>' takes one date (YYYY, YYYY-MM or YYYY-MM-DD), not "
    "<shape>":
        InputCase("date-part-list", edit("{expression: since 2018}", "{value: [2018, 2019]}")),
    f"error: {LOC}: malformed date: a date needs value:, earliest:, latest: or expression:":
        InputCase("date-empty", edit("{expression: since 2018}", "{}")),
    f"error: {LOC}: malformed date: give either a value or earliest/latest bounds, not both":
        InputCase("date-both", edit("{expression: since 2018}", "{value: 2018, earliest: 2017}")),
    f"error: {LOC}: malformed date: earliest <date> is after latest <date>":
        InputCase("date-order", edit("{expression: since 2018}", "{earliest: 2019, latest: 2018}")),
    f"error: {LOC}: malformed date: the date expression '<expression>' names no day of the "
    "calendar (<month> has no day <day>); correct it, or give value:, earliest: or latest:":
        InputCase("date-no-such-day", with_words("It ends on 31 June 2022.",
                                                 "{expression: \"31 June 2022\"}")),
    f"error: {LOC}: malformed date: the date expression '<expression>' gives <weekday>, but "
    "<date> is a <other weekday>; correct it, or give value:, earliest: or latest:":
        InputCase("date-wrong-weekday", with_words("It began Friday, 15 September 2022.",
                                                   "{expression: \"Friday, 15 September "
                                                   "2022\"}")),
    f"error: {LOC}: malformed date: cannot resolve the date expression '<expression>'; give "
    "value:, earliest: or latest:":
        InputCase("date-expression", edit("{expression: since 2018}", "{expression: some time}")),
    f"error: {LOC}: date expression '<expression>' is not in the article text; copy the "
    "article's words for the date (… between words that are apart)":
        InputCase("date-words", edit("{expression: since 2018}", "{expression: since 2017}")),
    f"error: {LOC}: '<key>' takes one date, not a list; give a range as {{earliest: …, latest: "
    "…}":
        InputCase("date-list", edit("{expression: since 2018}", "[2018, 2019]")),
    f"error: {LOC}: 'expression' must be the article's words as text; quote them: \"<words>\"":
        InputCase("date-words-number", edit("{expression: since 2018}", "{expression: 2018}")),
    f"error: {LOC}: date <date> disagrees with its expression '<expression>', which reads as "
    "<date>; fix the one that is wrong, or leave out the date for the expression's":
        InputCase("date-disagrees", edit("{expression: since 2018}",
                                         "{value: 2019, expression: since 2018}")),
    f"error: {LOC}: malformed date: the date falls outside the years 1 to 9999":
        InputCase("date-overflow", edit("{expression: Thursday}", "{expression: next week}",
                                        edit("2022-09-15", "9999-12-31"))),
    f"error: {LOC}: malformed date: an expression needs the article's publication date":
        InputCase("ref-date-expression", "entities:\n  - id: ref-d\n    type: Person\n"
                  "    label: D\n    date: {expression: Thursday}\n", "reference"),
    f"error: {LOC}: missing 'evidence:' (or 'quote:'); every fact and claim needs the words of "
    "the article that support it":
        InputCase("no-evidence", edit(CLAIM, CLAIM.rsplit("    quote:", 1)[0])),
    f"error: {LOC}: an item of '<key>' must be the quoted words (a string) or {{exact:, prefix:, "
    "suffix:}":
        InputCase("quote-item", edit(EVIDENCE, "42")),
    f"error: {LOC}: the quote is empty; copy the supporting words from the article":
        InputCase("quote-empty", edit(EVIDENCE, '" "')),
    f"error: {LOC}: quote '<quote>' is in the article text <n> time(s), but never with <what> "
    "around it; copy the characters right before and after it verbatim, spaces included":
        InputCase("quote-prefix", edit(EVIDENCE, '{exact: "slapped crippling", prefix: "and"}')),
    f"error: {LOC}: quote '<quote>' is not in the article text; copy it verbatim (check "
    "quotes, dashes and spaces)":
        InputCase("quote-missing", edit("slapped crippling", "slapped very crippling")),
    f"error: {LOC}: quote '<quote>' occurs <n> times in the article; add prefix: or suffix: to "
    "single one out":
        InputCase("quote-ambiguous", edit(EVIDENCE, '"SCO"')),
    f"error: {LOC}: missing 'article:' section; add the article's id and text":
        InputCase("no-article", "facts: []\n"),
    f"error: {LOC}: '<section>' must be a list":
        InputCase("section-not-list", edit(CLAIM, "  just words\n")),
    f"error: {LOC}: article id '<id>' must be kebab-case (lower-case letters, digits and "
    "hyphens); write '<kebab-id>'":
        InputCase("article-id", edit("  id: mini\n", "  id: Mini_Case\n")),
    f"error: {LOC}: '<value>' is not a value of '<key>'; use one of <values>":
        InputCase("concept-scheme", with_field("scope: [Energy]")),
    f"error: {LOC}: a <type> is a fact, not a claim; move it under facts:, or record what "
    "someone says as a Claim with speaker, date and quote":
        InputCase("fact-among-claims", edit(CLAIM, CLAIM + "  - id: also-a-sanction\n"
                                            "    type: Sanction\n    imposer: united-states\n"
                                            "    target: russia\n    evidence: [\"Samarkand\"]\n")),
    f"error: {LOC}: a <type> is what someone says; move it under claims:":
        InputCase("claim-among-facts", edit("    type: Sanction\n", "    type: Claim\n")),
    f"error: {LOC}: 'language' must be a language tag such as en or pt-BR (an ISO 639 language "
    "code, then subtags of 2 to 8 letters or digits), not '<value>'":
        InputCase("language-tag", edit("  published: 2022-09-15\n",
                                       "  published: 2022-09-15\n  language: en_US\n")),
    f"error: {LOC}: 'url' must be an absolute address such as https://example.org/page, not "
    "'<value>' (<reason>)":
        InputCase("url-relative", edit("  published: 2022-09-15\n",
                                       "  published: 2022-09-15\n  url: example.org/page\n")),
    f"error: {LOC}: duplicate article id '<id>' (also at <location>); give each article its own "
    "id":
        InputCase("dup-article-b", lambda path: twins(path, "dup-article-a.yaml")),
    f"error: {LOC}: missing 'published:' date; give the publication date (mark it inferred: "
    "true when the article does not state it)":
        InputCase("no-published", edit("  published: 2022-09-15\n", "")),
    f"error: {LOC}: missing 'value:' in 'published'":
        InputCase("published-no-value",
                  edit("  published: 2022-09-15\n", "  published: {inferred: true}\n")),
    f"error: {LOC}: the publication date must be a day (YYYY-MM-DD)":
        InputCase("published-month", edit("2022-09-15", "2022-09")),
    f"error: {LOC}: text path '<path>' must be relative to the data folder and stay inside it "
    "(no absolute paths, no '..')":
        InputCase("text-escapes", edit("articles/mini.txt", "../mini.txt")),
    f"error: {LOC}: text path '<path>' is a folder, not a file; give the article's text file":
        InputCase("text-folder", edit("articles/mini.txt", "articles")),
    f"error: {LOC}: text path '<path>' leads outside the data folder":
        InputCase("text-link", edit("articles/mini.txt", "articles/link.txt")),
    f"error: {LOC}: text path '<path>' is not a usable file name (<reason>); give the "
    "article's text file":
        InputCase("text-unusable", edit("articles/mini.txt", "x" * 300)),
    f"error: {LOC}: article text '<path>' not found; add the article's text file or fix the "
    "path":
        InputCase("text-missing", edit("articles/mini.txt", "articles/missing.txt")),
    f"error: {LOC}: missing 'entities:' list; add it":
        InputCase("ref-no-entities", "{}\n", "reference"),
    f"error: {LOC}: 'entities' must be a list":
        InputCase("ref-entities-not-list", "entities: x\n", "reference"),
    f"error: {LOC}: sameAs '<iri>' is not a Wikidata entity IRI "
    "(http://www.wikidata.org/entity/Q…)":
        InputCase("ref-same-as", "entities:\n  - id: ref-a\n    type: State\n    label: A\n"
                  "    sameAs: http://example.org/a\n", "reference"),
    f"error: {LOC}: pycountry must be the ISO 3166-1 country name":
        InputCase("ref-pycountry-type", "entities:\n  - id: ref-b\n    type: State\n"
                  "    label: B\n    pycountry: 12\n", "reference"),
    f"error: {LOC}: '<name>' is not an ISO 3166-1 country name known to pycountry; use the "
    "exact name (for example 'Iran, Islamic Republic of')":
        InputCase("ref-pycountry-name", "entities:\n  - id: ref-c\n    type: State\n"
                  "    label: C\n    pycountry: Atlantis\n", "reference"),
    f"error: {LOC}: unknown id '<id>'; define it among the reference entities or as a concept "
    "of the ontology (a reference entity cannot name an article's fact)":
        InputCase("ref-unknown-id", "entities:\n  - id: ref-city\n    type: City\n"
                  "    label: Nowhere\n    locatedIn: nowhereland\n    source: test\n",
                  "reference"),
    f"error: {LOC}: '<field>' is set from pycountry:, not written by hand (<what the code is>); "
    "remove it and give pycountry: <name>":
        InputCase("ref-iso-code", "entities:\n  - id: ref-iso\n    type: State\n"
                  "    label: Belarus\n    isoAlpha2: BR\n", "reference"),
    f"error: {LOC}: pycountry: \"<name>\" is <alpha-2>, but the state is named '<label>', the "
    "ISO 3166-1 name of <other alpha-2>; give the right country":
        InputCase("ref-wrong-country", "entities:\n  - id: ref-wrong-country\n    type: State\n"
                  "    label: Belarus\n    pycountry: Brazil\n", "reference"),
    "error: <file>:<line>:<column>: '<id>' has the country of '<other id>' (pycountry: "
    "\"<name>\", also at <location>); give each state its own country, or one id to one state":
        InputCase("ref-shared-country", "entities:\n  - id: ref-shared\n    type: State\n"
                  "    label: Persia\n    pycountry: \"Iran, Islamic Republic of\"\n",
                  "reference"),
}


@pytest.fixture(scope="module")
def input_batch(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """One ``build`` over a data folder with every broken file of ``INPUT_CASES``."""
    root = tmp_path_factory.mktemp("input-batch")
    data = make_data(root, MINI)
    (root / "outside.txt").write_text("a text outside the data folder\n", encoding="utf-8")
    (data / "articles" / "link.txt").symlink_to(root / "outside.txt")
    for case in INPUT_CASES.values():
        path = data / case.folder / f"{case.name}.yaml"
        if callable(case.content):
            case.content(path)
        elif isinstance(case.content, bytes):
            path.write_bytes(case.content)
        else:  # each facts file names its own article
            path.write_text(case.content.replace("  id: mini\n", f"  id: {case.name}\n", 1),
                            encoding="utf-8")
    result = run_cli("build", "--no-validate", "--data", data, "--out", root / "out",
                     "--store", root / "store")
    return Outcome(result.code, result.stderr)


def batched(case: InputCase, context: Context) -> Outcome:
    """The lines the batch build printed about the case's file."""
    batch: Outcome = context.fixture("input_batch")
    mine = [line for line in batch.stderr.splitlines()
            if f"/{case.folder}/{case.name}.yaml:" in line]
    return Outcome(batch.code, "".join(f"{line}\n" for line in mine))


for _message, _case in INPUT_CASES.items():
    produces(_message)(partial(batched, _case))


@produces("error: <data>: holds facts files, but --data is the folder that holds articles/, "
          "facts/ and reference/ (did you mean <folder>?)")
def _data_is_the_facts_folder(c: Context) -> Outcome:
    return c.cli("build", "--no-validate", "--data", REPO / "data" / "facts", "--out",
                 c.tmp / "out", "--store", c.tmp / "store")


@produces("error: <data>: data folder not found; pass --data with a folder holding articles/, "
          "facts/ and reference/")
def _no_data_folder(c: Context) -> Outcome:
    return c.cli("build", "--data", c.tmp / "nowhere", "--out", "out", "--store", "store")


@produces("error: <data>/facts: no facts files (*.yaml, *.yml) found; add one per article")
def _no_facts_files(c: Context) -> Outcome:
    data = make_data(c.tmp, MINI)
    (data / "facts" / "mini.yaml").unlink()
    return c.cli("build", "--data", data, "--out", "out", "--store", "store")


@produces("error: <file>:1: file not found; check the path")
def _file_vanished(c: Context) -> Outcome:
    from sanctions_kg.sources import load_yaml

    with pytest.raises(SanctionsKGError) as caught:  # as if deleted after the folder was listed
        load_yaml(c.tmp / "facts" / "gone.yaml")
    return as_printed(caught.value)


def _build_with_ontology(c: Context, ontology: Path) -> Outcome:
    from sanctions_kg.builder import BuildOptions, build

    options = BuildOptions(make_data(c.tmp, MINI), c.tmp / "out", c.tmp / "store",
                           ontology=ontology)
    with pytest.raises(SanctionsKGError) as caught:
        build(options)
    return as_printed(caught.value)


@produces("error: <ontology>:<line>:<column>: ontology syntax error: <reason>; fix the file "
          "there")
def _ontology_syntax(c: Context) -> Outcome:
    return _build_with_ontology(c, c.write("broken.ttl", "@prefix skg: <urn:skg#> .\nskg:a skg:b"))


@produces("error: <ontology>:1: cannot read the ontology: <reason>")
def _ontology_missing(c: Context) -> Outcome:
    return _build_with_ontology(c, c.tmp / "missing.ttl")


# --- build output and the store -------------------------------------------------------------


def _build(c: Context, out: str | Path = "out", store: str | Path = "store") -> Outcome:
    return c.cli("build", "--no-validate", "--data", make_data(c.tmp, MINI), "--out", out,
                 "--store", store)


@produces("error: <out>: exists and is not a folder; choose another --out")
def _out_is_a_file(c: Context) -> Outcome:
    return _build(c, out=c.write("out", "a file"))


@produces("error: <out>: folder is not empty and was not written by sanctions-kg build; choose "
          "an empty or new --out folder")
def _out_is_foreign(c: Context) -> Outcome:
    c.write("out/notes.txt", "mine")
    return _build(c)


@produces("error: <out>: holds <names> besides the files of the last build, and the build "
          "replaces the whole folder; move them out, or choose another --out")
def _out_holds_more_than_a_build(c: Context) -> Outcome:
    data = make_data(c.tmp, MINI)
    assert c.cli("build", "--no-validate", "--data", data, "--out", "out",
                 "--store", "store").code == 0
    c.write("out/report.xml", "<testsuites/>")
    return c.cli("build", "--no-validate", "--data", data, "--out", "out", "--store", "store")


@produces("error: <folder>: cannot write <what> (<reason>); free space, or choose another "
          "<option>")
def _disk_full(c: Context) -> Outcome:
    import resource
    import signal

    def limited() -> None:  # writes past 100 kB fail (EFBIG), as on a full disk (ENOSPC)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    done = subprocess.run([str(CLI), "build", "--no-validate", "--out", str(c.tmp / "out"),
                           "--store", str(c.tmp / "store")], preexec_fn=limited,
                          capture_output=True, text=True, timeout=120, check=False)
    return Outcome(done.returncode, done.stderr)


@produces("error: <store>: exists and is not a folder; choose another --store")
def _store_is_a_file(c: Context) -> Outcome:
    return _build(c, store=c.write("store", "a file"))


@produces("error: --out <out> and --store <store> overlap; give them separate folders (neither "
          "inside the other)")
def _out_holds_the_store(c: Context) -> Outcome:
    return _build(c, out="nest", store="nest/store")


@produces("error: <out>: is a symbolic link to <target>, which does not exist; create that "
          "folder or choose another --out")
def _out_is_a_dangling_link(c: Context) -> Outcome:
    return _build(c, out=_dangling_link(c))


def _dangling_link(c: Context) -> Path:
    link = c.tmp / "link"
    link.symlink_to(c.tmp / "gone")
    return link


@produces("error: --out <out>: is the working folder or holds it, and the build replaces --out "
          "whole; give a folder of its own, such as build")
def _out_is_the_working_folder(c: Context) -> Outcome:
    return _build(c, out=".")


@produces("error: <store>: is a symbolic link to <target>, which does not exist; create that "
          "folder or choose another --store")
def _store_is_a_dangling_link(c: Context) -> Outcome:
    return _build(c, store=_dangling_link(c))


@produces("error: <store>: folder is not empty and is not a sanctions-kg store; choose another "
          "--store")
def _store_is_foreign(c: Context) -> Outcome:
    c.write("store/data.bin", b"x")
    return _build(c)


@produces("error: <store>: store in use: another sanctions-kg process is writing it; wait for "
          "it to finish and run again")
def _store_in_use(c: Context) -> Outcome:
    lock = c.write("store/.lock", b"")
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a build writing the store holds it
        return _build(c)
    finally:
        os.close(fd)


@produces("error: no store at <store>; run `sanctions-kg build` first")
def _no_store(c: Context) -> Outcome:
    return c.cli("stats", "--store", c.tmp / "none")


@produces("error: <store>: not a sanctions-kg store (no 'current'); run `sanctions-kg build` or "
          "pass the right --store")
def _not_a_store(c: Context) -> Outcome:
    (c.tmp / "store").mkdir()
    return c.cli("stats", "--store", "store")


@produces("error: <store>: is a file, not a store folder; pass the store's folder with --store")
def _store_is_a_file_when_read(c: Context) -> Outcome:
    return c.cli("stats", "--store", c.write("store.txt", "a file"))


@produces("error: <path>: <file> is a file, not a folder; choose another path or move the file")
def _path_through_a_file(c: Context) -> Outcome:
    c.write("a-file", "x")
    built = _build(c, out="a-file/out")
    reported = c.cli("validate", "--store", c.seed, "--output", "a-file/report.txt")
    assert reported.stderr == built.stderr.replace("a-file/out", "a-file/report.txt")
    return built


def _generation(c: Context) -> Path:
    generation = c.tmp / "store" / "generations" / "000001"
    generation.mkdir(parents=True)
    (c.tmp / "store" / "current").symlink_to("generations/000001")
    return generation


@produces("error: <store>: the current dataset is missing; run `sanctions-kg build`")
def _dataset_missing(c: Context) -> Outcome:
    _generation(c)
    return c.cli("stats", "--store", "store")


@produces("error: <store>: cannot <open or read> the store (<reason>); run `sanctions-kg build` "
          "again")
def _store_unopenable(c: Context) -> Outcome:
    (_generation(c) / "oxigraph").mkdir()  # a database folder without its files
    return c.cli("stats", "--store", "store")


# --- validation ------------------------------------------------------------------------------

CONTEXT = SHAPE_FIXTURES / "context.trig"
VIOLATION = SHAPE_FIXTURES / "SanctionShape-invalid-01.ttl"


@produces("error: validation failed: <counts>")
def _validation_failed(c: Context) -> Outcome:
    return c.cli("validate", CONTEXT, VIOLATION)


@produces("error: give RDF files or --store, not both")
def _files_and_store(c: Context) -> Outcome:
    return c.cli("validate", CONTEXT, "--store", "store")


@produces("error: <path>: no such file; check the path")
def _no_rdf_file(c: Context) -> Outcome:
    return c.cli("validate", "missing.ttl")


@produces("error: <path>: is a folder; pass the RDF files in it")
def _rdf_folder(c: Context) -> Outcome:
    (c.tmp / "build").mkdir()
    return c.cli("validate", "build")


@produces("error: <path>: unknown RDF file extension '<extension>'; use one of .ttl, .nt, .trig, "
          ".nq, .jsonld, .rdf, .owl, .xml")
def _unknown_extension(c: Context) -> Outcome:
    return c.cli("validate", c.write("data.txt", "text"))


@produces("error: <location>: RDF syntax error: <reason>; fix the file there")
def _rdf_syntax(c: Context) -> Outcome:
    return c.cli("validate", c.write("bad.ttl", '@prefix ex: <http://example.org/> .\nex:a ex:b "'))


@produces("error: <path>: cannot read the file (<reason>); check its permissions")
def _rdf_unreadable(c: Context) -> Outcome:
    (c.tmp / "memory.ttl").symlink_to("/proc/self/mem")  # a file the kernel refuses to read
    return c.cli("validate", "memory.ttl")


@produces("error: <file>:<line>: not a sanctions-kg source map (<reason>); delete it or rebuild "
          "with `sanctions-kg build`")
def _bad_sourcemap(c: Context) -> Outcome:
    c.write("sanctions-kg.sourcemap.json", "{\n  not json")
    data = c.write("data.ttl", "<http://example.org/a> a <http://example.org/B> .")
    return c.cli("validate", data)


@produces("error: <path>: no such shapes file or folder; check --shapes")
def _no_shapes(c: Context) -> Outcome:
    return c.cli("validate", CONTEXT, "--shapes", "missing.ttl")


@produces("error: <folder>: no shapes files (*.ttl) in this folder; check --shapes")
def _empty_shapes_folder(c: Context) -> Outcome:
    (c.tmp / "shapes").mkdir()
    return c.cli("validate", CONTEXT, "--shapes", "shapes")


@produces("error: <file>: cannot read the shapes (<reason>)")
def _shapes_unreadable(c: Context) -> Outcome:
    (c.tmp / "shapes" / "folder.ttl").mkdir(parents=True)
    return c.cli("validate", CONTEXT, "--shapes", "shapes")


@produces("error: <files>: the sh:select of <node> is not valid SPARQL (<reason>); "
          "fix the shapes")
def _shapes_bad_sparql(c: Context) -> Outcome:
    return _validate_with_a_state_shape(
        c, 'sh:sparql [ sh:select "SELECT $this WHERE { $this ?p ?o . FILTER(" ]')


@produces("error: <files>: the shapes cannot be used: <reason>; fix the shapes")
def _shapes_pyshacl_cannot_load(c: Context) -> Outcome:
    return _validate_with_a_state_shape(c, 'sh:property [ sh:path skg:name ; sh:minCount "two" ]')


@produces("error: <files>: the sh:pattern <pattern> of <shape> is not a valid regular "
          "expression; fix the shapes")
def _shapes_bad_pattern(c: Context) -> Outcome:
    return _validate_with_a_state_shape(c, 'sh:property [ sh:path skg:name ; sh:pattern "([a-z" ]')


def _validate_with_a_state_shape(c: Context, constraint: str) -> Outcome:
    """``validate`` with one shape of skg:State holding ``constraint``."""
    shapes = c.write("shapes.ttl", f"""\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skg: <https://w3id.org/sanctions-kg/ontology#> .
<urn:shape> a sh:NodeShape ; sh:targetClass skg:State ;
    {constraint} .
""")
    return c.cli("validate", CONTEXT, "--shapes", shapes)


@produces("error: <file>: the folder <folder> does not exist; create it first")
def _output_folder_missing(c: Context) -> Outcome:
    return c.cli("validate", CONTEXT, "--output", "nowhere/report.txt")


@produces("error: <file>: cannot write the report (<reason>)")
def _report_unwritable(c: Context) -> Outcome:
    (c.tmp / "full").symlink_to("/dev/full")  # written into, never replaced
    return c.cli("validate", CONTEXT, "--output", "full")


@produces("error: <path>: --output is one of the files being validated; choose another path")
def _report_over_its_input(c: Context) -> Outcome:
    data = c.write("data.ttl", "<urn:a> <urn:b> <urn:c> .\n")
    return c.cli("validate", data, "--output", data)


# --- queries ---------------------------------------------------------------------------------

HEADER_PROBLEMS = """\
# title: Broken header
# param: lonely
# param: b nope x — an unknown kind
# param: c date 2022-13-01 — a bad default
# param: e iri state/iran — the first e
# param: e iri state/iran — the second e
# titel: a misspelt field
ASK {}
"""


@pytest.fixture(scope="module")
def header_problems(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """One query file whose header has every header problem (they are reported together)."""
    root = tmp_path_factory.mktemp("header")
    (root / "broken.rq").write_text(HEADER_PROBLEMS, encoding="utf-8")
    result = run_cli("query", "--file", "broken.rq", cwd=root)
    return Outcome(result.code, result.stderr)


for _message in (
    "error: <file>:<line>: unknown header field '<field>:'; use title:, question: or param:",
    "error: <file>:1: the header has <count> '# <field>:' line; give exactly one",
    "error: <file>:<line>: malformed '# param: <text>'; write '# param: <name> <kind> <default> "
    "— <description>' (kind: iri, date, string or integer)",
    "error: <file>:<line>: parameter '<name>': unknown kind '<kind>'; use iri, date, string or "
    "integer",
    "error: <file>:<line>: parameter '<name>': bad default: <reason>",
    "error: <file>:<line>: parameter '<name>' is declared twice",
):
    produces(_message)(lambda c: c.fixture("header_problems"))

ASSIGNED = """\
# title: A parameter assigned
# question: What does a query that assigns its own parameter get?
# param: state iri state/iran — a state
SELECT ?state ?x WHERE {
  ?x skg:target ?y .
  BIND(?y AS ?state)
}
"""


@produces("error: <file>:<line>:<column>: the parameter ?<name> is assigned here (AS ?<name>); "
          "a parameter takes its value from --param or its default: assign another variable, "
          "or drop the '# param:' line")
def _assigned_parameter(c: Context) -> Outcome:
    return c.cli("query", "--file", c.write("assigned.rq", ASSIGNED))


@produces("error: standard output is closed; redirect it (> file) or give --output where the "
          "command has one")
def _stdout_closed(c: Context) -> Outcome:
    done = subprocess.run([str(CLI), "stats", "--store", str(c.seed)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False,
                          preexec_fn=lambda: os.close(1))
    return Outcome(done.returncode, done.stderr)


PARAMETERS = """\
# title: Parameters of every kind
# question: Which kinds of parameter are checked?
# param: day date 2022-09-15 — a day
# param: count integer 1 — a number
# param: node iri state/iran — a node
SELECT * WHERE { ?node ?p ?o }
"""


def _query_param(c: Context, assignment: str) -> Outcome:
    return c.cli("query", "--file", c.write("kinds.rq", PARAMETERS), "--param", assignment)


for _message, _assignment in {
    "error: <source>: --param <name>: '<value>' is not a date; write YYYY-MM-DD": "day=15/09/2022",
    "error: <source>: --param <name>: '<value>' is no day of the calendar (<reason>); give a "
    "date that exists": "day=2022-02-30",
    "error: <source>: --param <name>: '<value>' is not an integer": "count=one",
    "error: <source>: --param <name>: '<value>' is not an absolute IRI": "node=<iran>",
    "error: <source>: --param <name>: '<value>': an IRI in angle brackets needs both, <…>":
        "node=<https://w3id.org/sanctions-kg/id/state/iran",
    "error: <source>: --param <name>: '<value>': unknown prefix '<prefix>:'; the prefixes are "
    "<prefixes>": "node=foo:iran",
    "error: <source>: --param <name>: '<value>' is not an IRI; write an id path (state/iran), a "
    "prefixed name (skg:Trade) or a full IRI (<https://…>)": "node=two words",
}.items():
    produces(_message)(partial(_query_param, assignment=_assignment))


@produces("error: <source>: the query is empty (only spaces and comments); write a SELECT, ASK, "
          "CONSTRUCT or DESCRIBE query")
def _empty_query(c: Context) -> Outcome:
    return c.cli("query", "# nothing but a comment")


@produces("error: give exactly one of QUERY, --file or --name")
def _no_query(c: Context) -> Outcome:
    return c.cli("query")


@produces("error: give exactly one of QUERY, --file or --name (got <options>)")
def _two_queries(c: Context) -> Outcome:
    return c.cli("query", "ASK {}", "--name", "raisi-claims")


@produces("error: no named query '<name>'; the named queries are: <names> "
          "(see `sanctions-kg queries`)")
def _no_named_query(c: Context) -> Outcome:
    return c.cli("query", "--name", "no-such-query")


@produces("error: <file>: no such query file")
def _no_query_file(c: Context) -> Outcome:
    return c.cli("query", "--file", "missing.rq")


@produces("error: <file>: is a folder, not a query file; pass a .rq file")
def _query_file_is_a_folder(c: Context) -> Outcome:
    (c.tmp / "queries").mkdir()
    return c.cli("query", "--file", "queries")


@produces("error: <file>: cannot read the query file (<reason>)")
def _query_file_unreadable(c: Context) -> Outcome:
    link = c.tmp / "query.rq"
    link.symlink_to("/proc/self/mem")  # the kernel refuses to read it: an I/O error
    return c.cli("query", "--file", link)


@produces("error: give --store or --endpoint, not both")
def _store_and_endpoint(c: Context) -> Outcome:
    return c.cli("query", "ASK {}", "--store", "store", "--endpoint", "http://127.0.0.1:1/query")


@produces("error: --auth-env goes with --endpoint; the embedded store needs no login")
def _auth_env_without_endpoint(c: Context) -> Outcome:
    return c.cli("query", "ASK {}", "--auth-env", "SKG_AUTH")


@produces("error: --param <assignment>: write NAME=VALUE")
def _param_without_value(c: Context) -> Outcome:
    return c.cli("query", "--name", "sanctions-on-iran", "--param", "state")


@produces("error: --param <name> given twice; give each parameter once")
def _param_twice(c: Context) -> Outcome:
    return c.cli("query", "--name", "sanctions-on-iran", "--param", "state=state/iran",
                 "--param", "state=state/russia")


@produces("error: <source>: no parameter '<name>'; known parameters: <parameters>")
def _unknown_param(c: Context) -> Outcome:
    return c.cli("query", "--name", "sanctions-on-iran", "--param", "country=state/iran")


@produces("error: <source>: no parameter '<name>'; this query has no parameters")
def _param_for_plain_query(c: Context) -> Outcome:
    return c.cli("query", "ASK {}", "--param", "state=state/iran")


@produces("error: --format <format> is for SELECT and ASK results; a <form> query gives an RDF "
          "graph: use --format turtle, ntriples or jsonld")
def _solution_format_for_graph(c: Context) -> Outcome:
    return c.cli("query", "CONSTRUCT WHERE { ?s ?p ?o }", "--format", "csv")


@produces("error: --format <format> is for CONSTRUCT and DESCRIBE results; <a or an> <form> query "
          "gives solutions: use --format table, csv, tsv, json or xml")
def _graph_format_for_solutions(c: Context) -> Outcome:
    return c.cli("query", "ASK {}", "--format", "turtle")


@produces("error: <source>:<line>:<column>: <keyword> is a SPARQL update, and queries are "
          "read-only; change the data in the facts files and run `sanctions-kg build`")
def _update(c: Context) -> Outcome:
    return c.cli("query", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "--store", c.seed)


@produces("error: <source>:<line>:<column>: SPARQL syntax error: undeclared prefix '<prefix>:' in "
          "<name>; declare it with PREFIX or use a predeclared one (<prefixes>)")
def _undeclared_prefix(c: Context) -> Outcome:
    return c.cli("query", "SELECT * WHERE { ?s foo:bar ?o }", "--store", c.seed)


@produces("error: <source>:<line>:<column>: SPARQL syntax error: a '/' ends a prefixed name, so "
          "<name> is read as <prefixed name> and a property path; write <what to write>")
def _slash_in_a_name(c: Context) -> Outcome:
    return c.cli("query", "SELECT * WHERE { ?s skg:target skgid:state/iran }", "--store", c.seed)


@produces("error: <source>:<line>:<column>: SPARQL syntax error: a query starts with SELECT, "
          "CONSTRUCT, ASK or DESCRIBE, not '<word>'; did you mean <form>?")
def _misspelt_form(c: Context) -> Outcome:
    return c.cli("query", "SELCT * WHERE { ?s ?p ?o }", "--store", c.seed)


@produces("error: <source>:<line>:<column>: SPARQL syntax error: a query starts with SELECT, "
          "CONSTRUCT, ASK or DESCRIBE, not '<word>'; fix the query")
def _unknown_form(c: Context) -> Outcome:
    return c.cli("query", "FETCH * WHERE { ?s ?p ?o }", "--store", c.seed)


@produces("error: <source>:<line>:<column>: SPARQL syntax error: <detail>; fix the query")
def _sparql_syntax(c: Context) -> Outcome:
    return c.cli("query", "SELECT * WHERE {", "--store", c.seed)


@produces("error: <source>:<line>:<column>: SPARQL syntax error in the part starting with "
          "'<part>'; fix the query")
def _sparql_syntax_part(c: Context) -> Outcome:
    return c.cli("query", "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = )\n}", "--store", c.seed)


@produces("error: <source>: the parameter variable <variable> is not in the SELECT clause; "
          "project it (SELECT <variable> … or SELECT *) so that the parameter can bind it")
def _param_not_projected(c: Context) -> Outcome:
    # a parameter listed in VALUES is bound by pyoxigraph, which needs it projected
    text = PARAMETERS.replace("SELECT * WHERE { ?node ?p ?o }",
                              "SELECT ?p WHERE { VALUES ?node { skg:x } ?node ?p ?o }")
    return c.cli("query", "--file", c.write("projection.rq", text), "--store", c.seed)


@produces("error: <source>: the query has no WHERE group to bind its parameters in; add a WHERE "
          "clause")
def _no_where_group(c: Context) -> Outcome:
    text = PARAMETERS.replace("SELECT * WHERE { ?node ?p ?o }", "DESCRIBE ?node")
    return c.cli("query", "--file", c.write("describe.rq", text), "--format", "turtle",
                 "--endpoint", f"http://127.0.0.1:{_free_port()}/query")


@produces("error: --timeout <seconds>: give a positive number of seconds up to 1000000, or 0 "
          "for no limit")
def _negative_timeout(c: Context) -> Outcome:
    query = c.cli("query", "ASK {}", "--timeout", "-1")
    push = c.cli("push", "--graph-store", LOCAL, "--timeout", "-1")
    assert push == query, "push and query say the same"
    return query


@produces("error: query timed out after <seconds> s; narrow the query or raise --timeout")
def _query_timeout(c: Context) -> Outcome:
    return c.cli("query", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                 "--store", c.seed, "--timeout", "0.5")


@produces("error: <source>: a SERVICE call failed (<reason>); check the service's URL, or write "
          "SERVICE SILENT to go on without its answers")
def _service_failed(c: Context) -> Outcome:
    return c.cli("query", f"ASK {{ SERVICE <http://127.0.0.1:{_free_port()}/q> {{ ?s ?p ?o }} }}",
                 "--store", c.seed)


@produces("error: cannot hold the results until the query ends (<reason>); free space in "
          "<folder>, or set TMPDIR to a folder with room")
def _spool_full(c: Context) -> Outcome:
    import resource

    script = ("import sys; from sanctions_kg import atomic; atomic.SPOOL_BYTES = 1000; "
              "sys.argv[0] = 'sanctions-kg'; from sanctions_kg.cli import main; main()")

    def limited() -> None:  # writes past 100 kB fail (EFBIG), as on a full disk (ENOSPC)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    with (c.tmp / "results.tsv").open("wb") as handle:
        done = subprocess.run([sys.executable, "-c", script, "query", "SELECT * { ?s ?p ?o }",
                               "--store", str(c.seed)], stdout=handle, stderr=subprocess.PIPE,
                              text=True, timeout=60, check=False, preexec_fn=limited,
                              env={**os.environ, "TMPDIR": str(c.tmp)})
    return Outcome(done.returncode, done.stderr)


@produces("error: <url>: the answer is not well-formed <format> (<detail>); the server may have "
          "failed while answering (see its log), or --endpoint is not its SPARQL query endpoint")
def _answer_not_json(c: Context) -> Outcome:
    c.fake.graphs[""] = b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": '  # cut off
    c.fake.content_type = "application/sparql-results+json"
    return c.cli("query", "SELECT ?n {}", "--endpoint", c.fake.url, "--format", "table")


@produces("error: <url>: the server answered <media type>, not <media type> (the SPARQL results "
          "asked for); check that --endpoint is the SPARQL query endpoint")
def _answer_of_another_type(c: Context) -> Outcome:
    c.fake.graphs[""] = b"<html>Please log in</html>"  # what a POST without ?graph= gets
    c.fake.content_type = "text/html; charset=utf-8"
    return c.cli("query", "ASK {}", "--endpoint", c.fake.url, "--format", "csv")


# --- export and describe ---------------------------------------------------------------------


@produces("error: --graph <graph>: no such graph in the store; its graphs are: <graphs>")
def _no_such_graph(c: Context) -> Outcome:
    return c.cli("export", "--store", c.seed, "--graph", "article/nothing")


@produces("error: <file>: is a folder; give a file name for --output")
def _export_to_folder(c: Context) -> Outcome:
    return c.cli("export", "--store", c.seed, "--output", c.tmp)


@produces("error: <file>: cannot write the dataset (<reason>)")
def _export_to_a_full_disk(c: Context) -> Outcome:
    (c.tmp / "full").symlink_to("/dev/full")  # written into, never replaced
    return c.cli("export", "--store", c.seed, "--output", "full")


@produces("error: <file>: is a symbolic link to <target>, whose folder <folder> does not exist; "
          "create that folder or choose another --output")
def _export_to_a_link_into_nowhere(c: Context) -> Outcome:
    (c.tmp / "link.trig").symlink_to(c.tmp / "gone" / "dataset.trig")
    return c.cli("export", "--store", c.seed, "--output", "link.trig")


@produces("error: <file>: is a symbolic link in a loop of links; choose another --output")
def _export_to_a_loop_of_links(c: Context) -> Outcome:
    (c.tmp / "a.trig").symlink_to(c.tmp / "b.trig")
    (c.tmp / "b.trig").symlink_to(c.tmp / "a.trig")
    return c.cli("export", "--store", c.seed, "--output", "a.trig")


@produces("error: cannot write to standard output: <reason>")
def _stdout_full(c: Context) -> Outcome:
    with open("/dev/full", "wb") as full:
        done = subprocess.run([str(CLI), "queries"], stdout=full, stderr=subprocess.PIPE,
                              text=True, check=False, timeout=60)
    return Outcome(done.returncode, done.stderr)


@produces("error: <file>: cannot write here (<reason>)")
def _export_unwritable(c: Context) -> Outcome:
    return c.cli("export", "--store", c.seed, "--output", "/proc/dataset.trig")


@produces("error: '<entity>' is ambiguous: it matches <n> nodes; pass one of these instead:")
def _ambiguous_entity(c: Context) -> Outcome:
    return c.cli("describe", "agreement kind", "--store", c.seed)


@produces("error: nothing in the store matches <entity>; give an IRI, a prefixed name "
          "(skg:Sanction), an id path (state/iran), a slug (iran) or a label (Islamic Republic "
          "of Iran)")
def _unknown_entity(c: Context) -> Outcome:
    return c.cli("describe", "atlantis", "--store", c.seed)


@produces("error: nothing in the store matches '<entity>', and '<prefix>:' is no predeclared "
          "prefix; use one of <prefixes>, or a full IRI")
def _unknown_entity_prefix(c: Context) -> Outcome:
    return c.cli("describe", "foo:bar", "--store", c.seed)


@produces("error: ENTITY is empty; give an IRI, a prefixed name (skg:Sanction), an id path "
          "(state/iran), a slug (iran) or a label (Islamic Republic of Iran)")
def _empty_entity(c: Context) -> Outcome:
    return c.cli("describe", " ", "--store", c.seed)


# --- remote: push and query --endpoint ------------------------------------------------------

SECRET = "s3cret-Pa55"
TOKEN = "tok3n-abc.DEF_123"
LOCAL = "http://127.0.0.1:1/store"  # never contacted: these errors come before any request


@produces("error: <option> <url>: not a valid URL; give an http or https URL such as "
          "http://localhost:7878/<store or query>")
def _invalid_url(c: Context) -> Outcome:
    return c.cli("push", "--graph-store", "http://127.0.0.1:99999/store")


@produces("error: <option> <url>: must be an http or https URL such as "
          "http://localhost:7878/<store or query>")
def _not_http(c: Context) -> Outcome:
    return c.cli("push", "--graph-store", "ftp://127.0.0.1/store")


@produces("error: <option> <url>: credentials in the URL are not accepted; remove them and put "
          "user:password or a bearer token in an environment variable named with --auth-env")
def _credentials_in_url(c: Context) -> Outcome:
    return c.cli("push", "--graph-store", f"http://admin:{SECRET}@127.0.0.1/store")


@produces("error: --auth-env takes the name of an environment variable (letters, digits and "
          "underscores, e.g. SKG_AUTH), not the credentials themselves")
def _secret_as_variable(c: Context) -> Outcome:
    return c.cli("push", "--graph-store", LOCAL, "--auth-env", f"admin:{SECRET}")


def _auth_variable(c: Context, value: str | None) -> Outcome:
    monkeypatch: pytest.MonkeyPatch = c.fixture("monkeypatch")
    monkeypatch.delenv("SKG_TEST_AUTH", raising=False)
    env = {} if value is None else {"SKG_TEST_AUTH": value}
    return c.cli("push", "--graph-store", LOCAL, "--auth-env", "SKG_TEST_AUTH", env=env)


for _message, _value in {
    "error: environment variable <variable> is not set; set it to user:password or a bearer "
    "token, or leave out --auth-env": None,
    "error: environment variable <variable> is empty; set it to user:password or a bearer "
    "token": "",
    "error: environment variable <variable> contains a line break or control character; set it "
    "to user:password or a bearer token on one line": f"admin:{SECRET}\n",
    "error: environment variable <variable> holds no colon, so it is taken as a bearer token, "
    "but it has characters a token cannot have; set it to user:password or a token": "tok en",
}.items():
    produces(_message)(partial(_auth_variable, value=_value))


@produces("error: cannot reach <url>: <reason>; check the URL and that the server is running")
def _unreachable(c: Context) -> Outcome:
    return c.push(f"http://127.0.0.1:{_free_port()}/store")


@produces("error: <url> did not answer within <limit>; check that the server is running, or "
          "allow more time with --timeout")
def _slow_server(c: Context) -> Outcome:
    c.fake.delay = 1.0
    return c.push(c.fake.url, "--timeout", "0.2")


Answer = Callable[[socket.socket, str], None]


@contextmanager
def raw_server(c: Context, answer: Answer, *, read_body: bool = True) -> Iterator[str]:
    """A server on 127.0.0.1 that reads each request and lets ``answer`` write raw bytes (or
    misbehave); yields its URL. ``answer`` gets the socket and the request method."""
    _no_proxy_for_localhost(c.fixture("monkeypatch"))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    head += chunk
                header, _, body = head.partition(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", header)
                remaining = int(length[1]) - len(body) if length else 0
                while read_body and remaining > 0:
                    chunk = connection.recv(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                with suppress(OSError):  # a client that gave up already
                    answer(connection, header.split(b" ", 1)[0].decode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/store"
    finally:
        done.set()
        thread.join()
        listener.close()


def reply(status: str, body: bytes = b"", **headers: str) -> Answer:
    lines = [f"HTTP/1.1 {status}", "Connection: close", *(f"{k.replace('_', '-')}: {v}"
                                                          for k, v in headers.items())]
    if "Content_Length" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    return lambda connection, _method: connection.sendall(raw)


@produces("error: <url> closed the connection without answering; check the URL and that the "
          "server is running")
def _hangs_up(c: Context) -> Outcome:
    with raw_server(c, lambda connection, _method: None) as url:
        return c.push(url)


@produces("error: lost the connection to <url> in the middle of its answer; check that the "
          "server is running and try again")
def _half_answer(c: Context) -> Outcome:
    with raw_server(c, reply("200 OK", b"a few bytes", Content_Length="100")) as url:
        return c.push(url)


@produces("error: <url> did not answer like an HTTP server (<exception>); check the URL, its "
          "scheme (http or https) and port")
def _not_an_http_server(c: Context) -> Outcome:
    with raw_server(c, lambda connection, _: connection.sendall(b"SSH-2.0-OpenSSH\r\n")) as url:
        return c.push(url)


@produces("error: lost the connection to <url> (<reason>); check that the server is running and "
          "try again")
def _connection_reset(c: Context) -> Outcome:
    def reset(connection: socket.socket, _method: str) -> None:
        # closing with a zero linger time sends a reset instead of an orderly end
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with raw_server(c, reset, read_body=False) as url:
        return c.push(url)


@produces("error: <url> redirects to <new url> (HTTP <code>); use that URL instead")
def _redirect(c: Context) -> Outcome:
    with raw_server(c, reply("301 Moved Permanently", Location="http://example.org/store")) as url:
        return c.push(url)


@produces("error: <url> requires credentials (HTTP 401, asks for <schemes>); put user:password "
          "or a bearer token in an environment variable and name it with --auth-env")
def _credentials_needed(c: Context) -> Outcome:
    c.fake.scheme, c.fake.secret = "Basic", f"admin:{SECRET}"
    return c.push(c.fake.url)


def _push_with(c: Context, scheme: str, secret: str, given: str) -> Outcome:
    c.fake.scheme, c.fake.secret = scheme, secret
    return c.push(c.fake.url, "--auth-env", "SKG_AUTH", env={"SKG_AUTH": given})


@produces("error: <url> refused the credentials (HTTP 401); set <variable> to user:password or "
          "a bearer token")
def _wrong_credentials(c: Context) -> Outcome:
    return _push_with(c, "Basic", f"admin:{SECRET}", "admin:wrong")


@produces("error: <url> asks for <schemes> authentication (HTTP 401), but <variable> holds a "
          "bearer token (it has no colon); set <variable> to user:password")
def _token_for_password(c: Context) -> Outcome:
    return _push_with(c, "Basic", f"admin:{SECRET}", TOKEN)


@produces("error: <url> asks for <schemes> authentication (HTTP 401), which sanctions-kg cannot "
          "answer with user:password (it speaks Basic, and Digest with MD5 or SHA-256); put a "
          "bearer token in <variable> if the server accepts one")
def _password_for_token(c: Context) -> Outcome:
    return _push_with(c, "Bearer", TOKEN, f"admin:{SECRET}")


@produces("error: <url> kept asking for credentials; check the server's settings")
def _asks_forever(c: Context) -> Outcome:
    stale = 'Digest realm="r", nonce="n", qop="auth", algorithm=MD5, stale=true'
    with raw_server(c, reply("401 Unauthorized", WWW_Authenticate=stale)) as url:
        return c.push(url, "--auth-env", "SKG_AUTH", env={"SKG_AUTH": f"admin:{SECRET}"})


@produces("error: <url> refused access (HTTP 403 Forbidden: <server message>); if it needs "
          "credentials, name the environment variable that holds them with --auth-env")
def _forbidden(c: Context) -> Outcome:
    c.fake.fail = (403, "writes need an account")
    return c.push(c.fake.url)


@produces("error: <url> refused the credentials (HTTP 403 Forbidden: <server message>) for "
          "<action>; set <variable> to the user:password or bearer token of an account allowed "
          "to do it")
def _forbidden_account(c: Context) -> Outcome:
    c.fake.fail = (403, "read-only account")
    return _push_with(c, "Bearer", TOKEN, TOKEN)


def _http_error(c: Context, status: int) -> Outcome:
    c.fake.fail = (status, f"the server's own words about {status}\nand a second line")
    return c.push(c.fake.url)


for _message, _status in {
    "error: <action> failed: <url> answered HTTP <code> <reason>: <server message>; check the "
    "URL (Oxigraph: /store for the Graph Store, /query for SPARQL)": 405,
    "error: <action> failed: <url> answered HTTP 413 <reason>: <server message>; the request is "
    "larger than the server accepts: raise its limit, or load the build files with the store's "
    "bulk loader": 413,
    "error: <action> failed: <url> answered HTTP 415 Unsupported Media Type: <server message>; "
    "the server does not accept this media type; check that the URL is right": 415,
    "error: <action> failed: <url> answered HTTP <code> <reason>: <server message>; see the "
    "server's log": 503,
    "error: <action> failed: <url> answered HTTP <code> <reason>: <server message>": 409,
}.items():
    produces(_message)(partial(_http_error, status=_status))


@produces("error: <url> did not answer the count query for graph <<graph>> with SPARQL JSON "
          "results; check that --endpoint is the store's SPARQL query URL")
def _count_not_json(c: Context) -> Outcome:
    c.fake.graphs[""] = b"<html>a web page</html>"  # what a POST without ?graph= gets
    return c.push(c.fake.url, "--endpoint", c.fake.url)


@produces("error: <url> did not answer the query listing its graphs with SPARQL JSON results; "
          "check that --endpoint is the store's SPARQL query URL")
def _graph_list_not_json(c: Context) -> Outcome:
    # A store of one graph of one triple: one JSON answer then serves the count query (n is 1)
    # and lacks the ?g that the listing query wants.
    one_graph = store_of(c.tmp / "one-graph",
                         b'<urn:s> <urn:p> "o" <https://w3id.org/sanctions-kg/graph/reference> .\n')
    c.fake.graphs[""] = b'{"results": {"bindings": [{"n": {"type": "literal", "value": "1"}}]}}'
    return c.cli("push", "--store", one_graph, "--graph-store", c.fake.url,
                 "--endpoint", c.fake.url, "--prune")


@produces("error: <store>: the store has no graphs, and --prune would delete every sanctions-kg "
          "graph on the server; check --store, or build first")
def _prune_empty_store(c: Context) -> Outcome:
    return c.cli("push", "--store", store_of(c.tmp / "empty"), "--graph-store", c.fake.url,
                 "--endpoint", c.fake.url, "--prune")


@produces("error: --prune needs --endpoint: the server's graphs are listed with a SPARQL query; "
          "give its query URL")
def _prune_without_endpoint(c: Context) -> Outcome:
    return c.push(c.fake.url, "--prune")


class _Keeps(dict[str, bytes]):
    """Graphs of a fake Graph Store that keeps something other than what was sent."""

    def __init__(self, change: Callable[[bytes], bytes]) -> None:
        super().__init__()
        self.change = change

    def __setitem__(self, graph: str, body: bytes) -> None:
        super().__setitem__(graph, self.change(body))


@produces("error: graph <<graph>> on <url> has <n> triples after the upload, the local store "
          "<n>; run push again, and if the counts still differ check that the server neither "
          "adds nor drops triples (inference, filters)")
def _count_differs(c: Context) -> Outcome:
    c.fake.graphs = _Keeps(lambda body: b"".join(body.splitlines(keepends=True)[:-1]))
    return c.push(c.fake.url)


class _OneGraph(dict[str, bytes]):
    """Graphs of a fake Graph Store that takes its URL for one graph and ignores ?graph=."""

    def __setitem__(self, graph: str, body: bytes) -> None:
        super().__setitem__("", body)

    def __contains__(self, graph: object) -> bool:
        return super().__contains__("")

    def __getitem__(self, graph: str) -> bytes:
        return super().__getitem__("")


@produces("error: graph <<graph>> is not on the server after its upload to <url> (0 triples, the "
          "local store <n>): the server put it elsewhere; check that --graph-store is the Graph "
          "Store URL itself (Oxigraph: http://host:7878/store; \"Loading into triplestores\" in "
          "the README lists others)")
def _graph_not_there(c: Context) -> Outcome:
    c.fake.graphs = _Keeps(lambda body: b"")
    return c.push(c.fake.url)


@produces("error: graph <<graph>> on <url> no longer holds what was uploaded to it once the last "
          "graph was up: the server keeps every upload in one graph, ignoring ?graph=; check that "
          "--graph-store is the Graph Store URL itself (Oxigraph: http://host:7878/store; "
          "\"Loading into triplestores\" in the README lists others)")
def _one_graph_for_all(c: Context) -> Outcome:
    c.fake.graphs = _OneGraph()
    return c.push(c.fake.url)


@produces("error: <url> sent graph <<graph>> back as <media type> that cannot be read "
          "(<reason>); verify with --endpoint instead")
def _unreadable_graph(c: Context) -> Outcome:
    c.fake.graphs = _Keeps(lambda body: b"<urn:a> <urn:b> broken .\n")
    return c.push(c.fake.url)


@produces("error: <url> sent graph <<graph>> back as '<media type>', which is not an RDF format; "
          "check that --graph-store is the Graph Store URL, or verify with --endpoint")
def _graph_as_html(c: Context) -> Outcome:
    def answer(connection: socket.socket, method: str) -> None:
        if method == "PUT":
            reply("204 No Content")(connection, method)
        else:
            reply("200 OK", b"<html></html>", Content_Type="text/html")(connection, method)

    with raw_server(c, answer) as url:
        return c.push(url)


# --- usage: the command line as typer parses it ---------------------------------------------


@produces("Usage: sanctions-kg [OPTIONS] COMMAND [ARGS]...")
def _no_command(c: Context) -> Outcome:
    return c.cli()


@produces("Error: No such command '<command>'.")
def _no_such_command(c: Context) -> Outcome:
    return c.cli("bogus")


@produces("Error: No such option: <option>")
def _no_such_option(c: Context) -> Outcome:
    return c.cli("build", "--no-such-option")


@produces("Error: No such option: --debug; put --debug before the command: sanctions-kg --debug "
          "<command> …")
def _debug_after_the_command(c: Context) -> Outcome:
    return c.cli("queries", "--debug")


@produces("Error: Missing option '<option>'.")
def _missing_option(c: Context) -> Outcome:
    return c.cli("push")


@produces("Error: Missing argument '<argument>'.")
def _missing_argument(c: Context) -> Outcome:
    return c.cli("describe")


@produces("Error: Invalid value for '<option>': '<value>' is not one of <choices>.")
def _not_a_choice(c: Context) -> Outcome:
    return c.cli("validate", "--format", "html")


@produces("Error: Invalid value for '<option>': '<value>' is not a valid float.")
def _not_a_number(c: Context) -> Outcome:
    return c.cli("query", "ASK {}", "--timeout", "soon")


@produces("Error: Invalid value for '<option>': the path is empty; give a file or folder name")
def _empty_path(c: Context) -> Outcome:
    return c.cli("build", "--out", "")


@produces("Error: Option '<option>' requires an argument.")
def _option_without_value(c: Context) -> Outcome:
    return c.cli("stats", "--store")


@produces("Error: Option '<option>' does not take a value.")
def _flag_with_value(c: Context) -> Outcome:
    return c.cli("build", "--validate=yes")


@produces("Error: Got unexpected extra argument(s) (<arguments>)")
def _extra_argument(c: Context) -> Outcome:
    return c.cli("stats", "extra")


# --- interruptions and internal errors ------------------------------------------------------


@produces("interrupted")
def _ctrl_c_before_the_command(c: Context) -> Outcome:
    from sanctions_kg import cli

    def interrupted(**_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch: pytest.MonkeyPatch = c.fixture("monkeypatch")
    monkeypatch.setattr(cli, "app", interrupted)
    monkeypatch.setattr(sys, "argv", ["sanctions-kg", "queries"])
    capsys: pytest.CaptureFixture[str] = c.fixture("capsys")
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert isinstance(done.value.code, int)
    return Outcome(done.value.code, capsys.readouterr().err)


@produces("terminated")
def _sigterm_during_a_query(c: Context) -> Outcome:
    running = subprocess.Popen(
        [str(CLI), "query", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
         "--store", str(c.seed), "--timeout", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1)  # into the query
        running.send_signal(signal.SIGTERM)
        _, err = running.communicate(timeout=30)
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
    return Outcome(running.returncode, err)


@produces("error: a build worker process ended abruptly (killed by a signal: when memory runs "
          "out, the system kills the largest process); free memory and run the build again")
def _worker_lost(c: Context) -> Outcome:
    from test_crash_build import WORKER_DIES, make_corpus

    data = make_corpus(c.tmp, 0, 80)
    done = subprocess.run([sys.executable, "-c", WORKER_DIES, "build", "--no-validate",
                           "--data", str(data), "--out", str(c.tmp / "out"),
                           "--store", str(c.tmp / "store")],
                          capture_output=True, text=True, timeout=120, check=False)
    return Outcome(done.returncode, done.stderr)


BUG = """
import sys
import sanctions_kg.queries as queries

def catalogue(*args, **kwargs):
    raise RuntimeError("injected failure")

queries.catalogue = catalogue
sys.argv[0] = "sanctions-kg"
from sanctions_kg.cli import main
main()
"""


@produces("internal error (a bug in sanctions-kg): <exception>: <message>; run again with "
          "--debug for the traceback and report it")
def _bug(c: Context) -> Outcome:
    done = subprocess.run([sys.executable, "-c", BUG, "queries"], capture_output=True, text=True,
                          check=False, timeout=60)
    return Outcome(done.returncode, done.stderr)


@produces("internal error (a bug in sanctions-kg): <exception>: <message>; report it with the "
          "traceback above")
def _bug_with_debug(c: Context) -> Outcome:
    done = subprocess.run([sys.executable, "-c", BUG, "--debug", "queries"], capture_output=True,
                          text=True, check=False, timeout=60)
    return Outcome(done.returncode, done.stderr)


# --- the tests -------------------------------------------------------------------------------


def test_each_input_case_has_its_own_file() -> None:
    """Two cases of one name write one file: the second replaced the first, whose message then
    was not produced and the failure pointed at the wrong case."""
    names = [(case.folder, case.name) for case in INPUT_CASES.values()]
    assert len(names) == len(set(names))


def test_the_catalogue_and_the_cases_are_in_step() -> None:
    messages = [row.message for row in ROWS]
    assert len(messages) > 100
    assert len(set(messages)) == len(messages), "a message is listed twice"
    assert not set(messages) - set(PRODUCERS), "listed, but no case produces it"
    assert not set(PRODUCERS) - set(messages), "a case for a message the README does not list"
    for row in ROWS:
        assert row.cause and row.fix, row.message
        assert row.exit_code in (1, 2, 3, 130, 143), row.message


def _row_id(row: Row) -> str:
    return re.sub(r"[^a-z0-9]+", "-", row.message.lower().removeprefix("error: "))[:60].strip("-")


@pytest.mark.parametrize("row", ROWS, ids=[f"{n:03d}-{_row_id(r)}" for n, r in enumerate(ROWS)])
def test_each_listed_error_is_printed_as_listed(
    row: Row, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    producer = PRODUCERS.get(row.message)
    assert producer is not None, f"no case produces {row.message!r}"
    outcome = producer(Context(request, tmp_path))
    expected = pattern(row.message)
    # The README: a name close to a known one is followed by a suggestion, not listed per row.
    lines = [SUGGESTION.sub("", line) for line in outcome.stderr.splitlines()]
    assert any(expected.fullmatch(line) for line in lines), (
        f"{row.message!r} not printed; stderr was:\n{outcome.stderr}")
    assert outcome.code == row.exit_code, outcome.stderr
    if "traceback above" in row.message:  # --debug asked for it
        assert "Traceback (most recent call last)" in outcome.stderr
    else:
        assert "Traceback" not in outcome.stderr
    assert SECRET not in outcome.stderr and TOKEN not in outcome.stderr
