"""Loading facts files: typed records, and one clear located error per kind of bad input."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import DATA, SEED_TEXT, run_cli
from sanctions_kg import resources
from sanctions_kg.dates import PartialDate
from sanctions_kg.errors import InputError, Location, Problem, did_you_mean
from sanctions_kg.facts import load_corpus
from sanctions_kg.mapper import entity_iri, fact_iri
from sanctions_kg.records import Ref, Section
from sanctions_kg.schema import load_schema

MINI = """\
article:
  id: mini
  text: articles/mini.txt
  published: 2022-09-15
facts:
  - id: us-sanctions-on-iran
    type: Sanction
    imposer: united-states
    target: iran
    startDate: {expression: since 2018}
    evidence:
      - "slapped crippling sanctions on the country"
claims:
  - id: raisi-claim
    speaker: ebrahim-raisi
    date: {expression: Thursday}
    quote: "Tehran will never recognize the sanctions against Russia"
"""


def make_data(root: Path, facts: str | bytes) -> Path:
    """A data folder with the seed reference entities, the seed text and a given facts file."""
    data = root / "data"
    shutil.copytree(DATA / "reference", data / "reference")
    (data / "articles").mkdir(parents=True)
    (data / "facts").mkdir()
    shutil.copyfile(SEED_TEXT, data / "articles" / "mini.txt")
    target = data / "facts" / "mini.yaml"
    if isinstance(facts, bytes):
        target.write_bytes(facts)
    else:
        target.write_text(facts, encoding="utf-8")
    return data


def test_mini_loads_into_typed_records(tmp_path: Path) -> None:
    corpus = load_corpus(make_data(tmp_path, MINI), load_schema(resources.ontology_path()))
    (article,) = corpus.articles
    assert article.meta.id == "mini"
    sanction, claim = article.records
    assert sanction.section is Section.FACT and claim.section is Section.CLAIM
    assert claim.type == "Claim"
    fields = {field.name: field.values for field in sanction.fields}
    assert fields["imposer"][0] == Ref("united-states", fields["imposer"][0].location)
    start = fields["startDate"][0]
    assert getattr(start, "value", None) == PartialDate(2018)
    (quote,) = sanction.evidence
    assert article.meta.text[quote.start : quote.end] == quote.exact
    assert len(quote.prefix) == 32 and len(quote.suffix) == 32
    assert claim.quotes[0].exact.startswith("Tehran will never")


def test_seed_corpus_loads() -> None:
    corpus = load_corpus(DATA, load_schema(resources.ontology_path()))
    assert len(corpus.articles) == 1
    assert len(corpus.articles[0].records) > 50
    assert all(record.country for record in corpus.entities if record.type == "State")


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return edit


BAD_INPUT = [
    (
        "yaml-syntax",
        replace("    target: iran\n", "    target: [iran\n"),
        "facts/mini.yaml:9:13: YAML syntax error: the '[' here is never closed (did not find "
        "expected ',' or ']' by line 10, column 14); fix the syntax",
    ),
    (
        "yaml-unclosed-flow-mapping",
        replace("startDate: {expression: since 2018}", "startDate: {expression: since 2018"),
        "facts/mini.yaml:10:16: YAML syntax error: the '{' here is never closed (did not find "
        "expected ',' or '}' by line 11, column 13); fix the syntax",
    ),
    (
        "yaml-missing-comma-in-a-closed-list",
        replace("    target: iran\n", '    target: ["iran" russia]\n'),
        "facts/mini.yaml:9:21: YAML syntax error: did not find expected ',' or ']' (is a ',' "
        "missing before this?); fix the syntax",
    ),
    (
        "yaml-bracket-open-at-the-end",
        lambda text: text + "notes: [a, b\n",
        "facts/mini.yaml:18:8: YAML syntax error: the '[' here is never closed (did not find "
        "expected ',' or ']' by the end of the file); fix the syntax",
    ),
    (
        "yaml-first-key-without-colon",
        replace("  - id: us-sanctions-on-iran\n", "  - id us-sanctions-on-iran\n"),
        "facts/mini.yaml:6:5: YAML syntax error: 'id us-sanctions-on-iran' has no ':' after its "
        "key, so the lines below run on as its text up to line 7 (mapping values are not "
        "allowed in this context); add the ':' after the key",
    ),
    (
        "yaml-key-indented-further",
        replace("    type: Sanction\n", "     type: Sanction\n"),
        "facts/mini.yaml:7:6: YAML syntax error: a key here is indented further than the one "
        "above it, whose value runs on to this line as plain text (mapping values are not "
        "allowed in this context); indent it as the keys before it",
    ),
    (
        "yaml-end-without-a-line-break",  # the parser's place is past the last line
        lambda text: text + "notes: [a,",
        "facts/mini.yaml:18:11: YAML syntax error: did not find expected node content; fix the "
        "syntax",
    ),
    (
        "yaml-colon-in-a-wrapped-value",
        replace('      - "slapped crippling sanctions on the country"\n',
                "      - slapped crippling sanctions\n        on the country: all of it\n"),
        "facts/mini.yaml:12:9: YAML syntax error: the plain value that starts here holds ': ' on "
        "line 13 (mapping values are not allowed in this context); put the value in quotes",
    ),
    (
        "yaml-missing-colon",
        replace("    type: Sanction\n", "    type Sanction\n"),
        "facts/mini.yaml:7:5: YAML syntax error: could not find expected ':' after the key that "
        "starts here (looked up to line 8, column 5); fix the syntax",
    ),
    (
        "yaml-quote-closed-by-a-later-one",
        replace('      - "slapped crippling sanctions on the country"\n',
                '      - "slapped crippling sanctions on the country\n'),
        "facts/mini.yaml:12:9: YAML syntax error: the quoted value that starts here runs on to "
        "line 17, where the parser fails (did not find expected '-' indicator); add its closing "
        "quote if it is missing",
    ),
    (
        "yaml-quote-never-closed",
        replace('Tehran will never recognize the sanctions against Russia"',
                "Tehran will never recognize the sanctions against Russia"),
        "facts/mini.yaml:17:12: YAML syntax error: the quoted value that starts here is never "
        "closed; add its closing quote",
    ),
    (
        "unknown-field",
        replace("    target: iran\n", "    target: iran\n    targett: russia\n"),
        "facts/mini.yaml:10:5: unknown field 'targett' in an item of 'facts'; check the spelling "
        "(fields are ontology property names)",
    ),
    (
        "missing-required-field",
        replace("    type: Sanction\n", ""),
        "facts/mini.yaml:6:5: missing required field 'type'; add it",
    ),
    (
        "unknown-entity",
        replace("    target: iran\n", "    target: atlantis\n"),
        "facts/mini.yaml:9:13: unknown id 'atlantis'; define it in this file, in data/reference, "
        "or as a concept of the ontology",
    ),
    (
        "duplicate-id",
        replace("  - id: raisi-claim\n", "  - id: us-sanctions-on-iran\n"),
        "facts/mini.yaml:14:5: duplicate id 'us-sanctions-on-iran' (also at ",
    ),
    (
        "malformed-date",
        replace("{expression: since 2018}", "2018-13-01"),
        "facts/mini.yaml:10:16: malformed date: '2018-13-01' is not a valid date "
        "(month 13 is not 1 to 12)",
    ),
    (
        "quote-not-in-article",
        replace("slapped crippling", "slapped very crippling"),
        "facts/mini.yaml:12:9: quote 'slapped very crippling sanctions on the country' is not in "
        "the article text; copy it verbatim (check quotes, dashes and spaces)",
    ),
    (
        "ambiguous-quote",
        replace('"slapped crippling sanctions on the country"', '"SCO"'),
        "facts/mini.yaml:12:9: quote 'SCO' occurs 7 times in the article; add prefix: or suffix: "
        "to single one out",
    ),
    (
        "missing-article-text",
        replace("articles/mini.txt", "articles/missing.txt"),
        "facts/mini.yaml:3:9: article text '",
    ),
    (
        "text-outside-data",
        replace("articles/mini.txt", "../secret.txt"),
        "facts/mini.yaml:3:9: text path '../secret.txt' must be relative to the data folder and "
        "stay inside it (no absolute paths, no '..')",
    ),
]


@pytest.mark.parametrize(("case", "edit", "message"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_one_located_error_and_writes_nothing(
    tmp_path: Path, case: str, edit: Callable[[str], str], message: str
) -> None:
    data = make_data(tmp_path, MINI)
    out, store = tmp_path / "out", tmp_path / "store"
    first = run_cli("build", "--no-validate", "--data", data, "--out", out, "--store", store)
    assert first.code == 0, first.stderr
    before = snapshot(out, store)
    facts = data / "facts" / "mini.yaml"
    facts.write_text(edit(MINI), encoding="utf-8")
    result = run_cli("build", "--no-validate", "--data", data, "--out", out, "--store", store)
    assert result.code == 2
    assert f"error: {data}/{message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(out, store) == before


@pytest.mark.parametrize(
    ("case", "content", "message"),
    [
        ("not-utf8", b"article:\n  id: mini\n  text: \xff\xfe\n", "facts/mini.yaml:3: byte 0xff "
         "at offset 28 is not UTF-8; save the file as UTF-8"),
        ("empty", b"", "facts/mini.yaml:1: the file is empty; add content or remove it"),
        ("blank", b"  \n\n", "facts/mini.yaml:1: the file is empty; add content or remove it"),
    ],
)
def test_unreadable_files(tmp_path: Path, case: str, content: bytes, message: str) -> None:
    data = make_data(tmp_path, content)
    result = run_cli("build", "--no-validate", "--data", data, "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert result.code == 2
    assert result.stderr.strip() == f"error: {data}/{message}"
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "store" / "current").exists()


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = replace("    target: iran\n", "    target: atlantis\n    targett: x\n")(MINI)
    text = replace("{expression: Thursday}", "{expression: some time}")(text)
    schema = load_schema(resources.ontology_path())
    with pytest.raises(InputError) as caught:
        load_corpus(make_data(tmp_path, text), schema)
    messages = [problem.message for problem in caught.value.problems]
    assert len(messages) == 3
    assert any("unknown field 'targett'" in m for m in messages)
    assert any("unknown id 'atlantis'" in m for m in messages)
    assert any("cannot resolve the date expression 'some time'" in m for m in messages)


NAMING_THE_SANCTION = replace(
    '    quote: "Tehran will never recognize the sanctions against Russia"\n',
    '    quote: "Tehran will never recognize the sanctions against Russia"\n'
    "    content:\n"
    "      - {subject: iran, predicate: doesNotRecognise, object: us-sanctions-on-iran}\n",
)


def problems_of(data: Path) -> list[str]:
    """Every problem load_corpus reports, as ``file:line[:column]: message`` below ``data``."""
    with pytest.raises(InputError) as caught:
        load_corpus(data, load_schema(resources.ontology_path()))
    return [str(problem).removeprefix(f"{data}/") for problem in caught.value.problems]


def test_a_duplicate_article_id_is_reported_where_the_id_is_written(tmp_path: Path) -> None:
    """Both the loader and ``build`` point at the ``id:`` line of each file, not at its start."""
    data = make_data(tmp_path, MINI.replace("  id: mini\n", "  # the same article\n  id: mini\n"))
    shutil.copyfile(data / "facts" / "mini.yaml", data / "facts" / "twin.yaml")
    expected = ("facts/twin.yaml:3:7: duplicate article id 'mini' (also at "
                f"{data}/facts/mini.yaml:3:7); give each article its own id")
    assert problems_of(data) == [expected]
    result = run_cli("build", "--no-validate", "--data", data, "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert (result.code, result.stderr) == (2, f"error: {data}/{expected}\n")


def test_a_fact_without_a_valid_type_is_reported_once_not_where_it_is_named(
    tmp_path: Path,
) -> None:
    data = make_data(tmp_path, replace("    type: Sanction\n", "")(NAMING_THE_SANCTION(MINI)))
    assert problems_of(data) == ["facts/mini.yaml:6:5: missing required field 'type'; add it"]


def test_an_unknown_id_is_still_reported_beside_a_fact_without_a_type(tmp_path: Path) -> None:
    text = replace("    type: Sanction\n", "")(NAMING_THE_SANCTION(MINI))
    data = make_data(tmp_path, replace("speaker: ebrahim-raisi", "speaker: ebrahim-raisy")(text))
    assert problems_of(data) == [
        "facts/mini.yaml:6:5: missing required field 'type'; add it",
        "facts/mini.yaml:14:14: unknown id 'ebrahim-raisy'; define it in this file, in "
        "data/reference, or as a concept of the ontology (did you mean 'ebrahim-raisi'?)",
    ]


@pytest.mark.parametrize(("edit", "expected"), [
    pytest.param(replace('"Iran, Islamic Republic of"', '"Persia"'),
                 ["reference/states.yaml:8:16: 'Persia' is not an ISO 3166-1 country name known "
                 "to pycountry; use the exact name (for example 'Iran, Islamic Republic of')"],
                 id="bad-country-name: the entity stays known"),
    pytest.param(replace("  - id: iran\n    type: State\n", "  - id: iran\n    type: Statee\n"),
                 ["reference/states.yaml:5:11: unknown type 'Statee'; use a class of the "
                  "ontology (did you mean 'State'?)"],
                 id="no-valid-type: not reported where it is named"),
    pytest.param(replace("  - id: iran\n", "  - id: [iran\n"),
                 ["reference/states.yaml:4:9: YAML syntax error: the '[' here is never closed "
                  "(did not find expected ',' or ']' by line 5, column 9); fix the syntax"],
                 id="unreadable-file: its ids may be defined there"),
    pytest.param(replace("entities:\n", "entitties:\n"),
                 ["reference/states.yaml:3:1: unknown field 'entitties' in the top level; check "
                  "the spelling (it takes 'entities')",
                  "reference/states.yaml:3:1: missing 'entities:' list; add it"],
                 id="no-entities-list: its ids may be defined there"),
    pytest.param(replace("entities:\n", "entities: all of them\nstates:\n"),
                 ["reference/states.yaml:3:11: 'entities' must be a list",
                  "reference/states.yaml:4:1: unknown field 'states' in the top level; check the "
                  "spelling (it takes 'entities')"],
                 id="entities-not-a-list: its ids may be under another key"),
    pytest.param(lambda text: "entities:\n  iran:\n    type: State\n",
                 ["reference/states.yaml:2:3: 'entities' must be a list"],
                 id="entities-a-mapping: its ids may be keys there"),
    pytest.param(replace("  - id: iran\n", "  - id: Iran\n"),
                 ["reference/states.yaml:4:9: id 'Iran' must be kebab-case (lower-case "
                  "letters, digits and hyphens); write 'iran'"],
                 id="not-kebab-case: the references to its kebab form are meant for it"),
])
def test_a_mistake_in_a_reference_file_is_reported_only_there(
    tmp_path: Path, edit: Callable[[str], str], expected: list[str]
) -> None:
    """Not one more per entity of the file that a facts file names."""
    data = make_data(tmp_path, MINI)
    path = data / "reference" / "states.yaml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert problems_of(data) == expected


def test_a_fact_id_not_in_kebab_case_is_one_problem(tmp_path: Path) -> None:
    data = make_data(tmp_path, replace("  - id: us-sanctions-on-iran\n",
                                       "  - id: US_Sanctions on Iran\n")(NAMING_THE_SANCTION(MINI)))
    assert problems_of(data) == [
        "facts/mini.yaml:6:9: id 'US_Sanctions on Iran' must be kebab-case (lower-case letters, "
        "digits and hyphens); write 'us-sanctions-on-iran'",
    ]


def test_problems_are_reported_from_the_first_line_to_the_last(tmp_path: Path) -> None:
    """An unknown id is found after every field is read; it is still listed at its place."""
    text = replace("    target: iran\n", "    target: atlantis\n")(MINI)
    data = make_data(tmp_path, replace("    speaker: ebrahim-raisi\n",
                                       "    speaker: ebrahim-raisi\n    speakerr: x\n")(text))
    assert [problem.split(": ", 1)[0] for problem in problems_of(data)] == [
        "facts/mini.yaml:9:13", "facts/mini.yaml:16:5"]


def test_a_bad_publication_date_does_not_hide_the_facts_problems(tmp_path: Path) -> None:
    text = replace("published: 2022-09-15", "published: 2022-13-15")(MINI)
    data = make_data(tmp_path, replace("    target: iran\n", "    target: irann\n")(text))
    assert problems_of(data) == [
        "facts/mini.yaml:4:14: malformed date: '2022-13-15' is not a valid date "
        "(month 13 is not 1 to 12)",
        "facts/mini.yaml:9:13: unknown id 'irann'; define it in this file, in data/reference, "
        "or as a concept of the ontology (did you mean 'iran'?)",
    ]


def test_relative_dates_are_checked_without_a_publication_date(tmp_path: Path) -> None:
    """No problem for each relative date when the publication date is missing, but a wrong
    expression is still found."""
    text = replace("  published: 2022-09-15\n", "")(MINI)
    data = make_data(tmp_path, replace("{expression: Thursday}", "{expression: some time}")(text))
    problems = problems_of(data)
    assert problems[0] == ("facts/mini.yaml:2:3: missing 'published:' date; give the publication "
                           "date (mark it inferred: true when the article does not state it)")
    assert len(problems) == 2 and "cannot resolve the date expression 'some time'" in problems[1]


# MINI's first fact says ``target: iran`` (line 9, column 13); 'iran' is also the reference
# entity at reference/states.yaml:4:5.
AMBIGUOUS_CLAIM = replace("  - id: raisi-claim\n", "  - id: iran\n")


def ambiguous(data: Path, ref: str, kind: str, at: str) -> str:
    """The message for a reference at ``ref`` to 'iran', a fact or claim at ``at`` and an entity."""
    return (f"{data}/facts/mini.yaml:{ref}: ambiguous id 'iran': it names the {kind} at "
            f"{data}/facts/mini.yaml:{at} and the reference entity at "
            f"{data}/reference/states.yaml:4:5; rename the {kind} and the references meant for it")


def test_a_reference_to_both_a_claim_and_an_entity_is_one_located_error(tmp_path: Path) -> None:
    data = make_data(tmp_path, AMBIGUOUS_CLAIM(MINI))
    result = run_cli("build", "--no-validate", "--data", data, "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert result.code == 2
    assert result.stderr == f"error: {ambiguous(data, '9:13', 'claim', '14:5')}\n"
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "store" / "current").exists()


# A fact 'iran', added to MINI before its claims (line 13). The test below turns MINI's own
# 'target: iran' into an unknown id, to check that the other problems are still reported.
WITH_FACT_IRAN = """\
  - id: iran
    type: Sanction
    imposer: united-states
    target: russia
    evidence:
      - "slapped crippling sanctions on the country"
claims:
"""
CONTENT = "    speaker: ebrahim-raisi\n    content:\n      - "


@pytest.mark.parametrize(
    ("case", "edit", "refs"),
    [
        ("field-of-a-fact",
         replace("    imposer: united-states\n", "    imposer: [united-states, iran]\n"),
         ["8:30"]),
        ("content-subject-and-object",
         replace("    speaker: ebrahim-raisi\n", CONTENT +
                 "{subject: iran, predicate: imposesSanctionsOn, object: iran}\n"),
         ["23:19", "23:64"]),
        # (a content's fields, area and modality, take the concepts of their scheme only)
    ],
)
def test_every_reference_to_both_a_fact_and_an_entity_is_reported(
    tmp_path: Path, case: str, edit: Callable[[str], str], refs: list[str]
) -> None:
    text = replace("    target: iran\n", "    target: atlantis\n")(edit(MINI))
    data = make_data(tmp_path, text.replace("claims:\n", WITH_FACT_IRAN, 1))
    with pytest.raises(InputError) as caught:
        load_corpus(data, load_schema(resources.ontology_path()))
    shown = sorted(str(problem) for problem in caught.value.problems)
    expected = [ambiguous(data, ref, "fact", "13:5") for ref in refs]
    unknown = (f"{data}/facts/mini.yaml:9:13: unknown id 'atlantis'; define it in this file, "
               "in data/reference, or as a concept of the ontology")
    assert shown == sorted([*expected, unknown])


def test_an_id_of_a_fact_and_an_entity_is_accepted_when_nothing_refers_to_it(
    tmp_path: Path,
) -> None:
    # Fact and entity get different IRIs; only a reference to the id would be ambiguous.
    text = replace("  - id: raisi-claim\n", "  - id: russia\n")(MINI)
    corpus = load_corpus(make_data(tmp_path, text), load_schema(resources.ontology_path()))
    (article,) = corpus.articles
    claim = next(record for record in article.records if record.id == "russia")
    entity = corpus.entity_index["russia"]
    assert fact_iri(article.meta.id, claim) != entity_iri(entity)


def snapshot(out: Path, store: Path) -> dict[str, bytes]:
    """The bytes of every output file and where the store's current link points."""
    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    files["store-current"] = str((store / "current").readlink()).encode()
    return files


@pytest.mark.parametrize(("expression", "found"), [
    ("Thursday", True),
    ("last year … in September", True),         # parts apart, in the article's order
    ("has signed", True),
    ("in September … last year", False),         # the parts in the wrong order
    ("in Sept", False),                          # part of a word is not the article's words
    ("said in a tweet Wednesday that he had signed", False),  # joins two sentences' words
    ("thursday", False),                         # the article writes "Thursday"
])
def test_a_date_expression_must_be_the_articles_words(
    tmp_path: Path, expression: str, found: bool
) -> None:
    date = f'{{latest: 2022-09-15, expression: "{expression}"}}'
    text = replace("{expression: since 2018}", date)
    data = make_data(tmp_path, text(MINI))
    if found:
        (article,) = load_corpus(data, load_schema(resources.ontology_path())).articles
        start = {f.name: f.values for f in article.records[0].fields}["startDate"][0]
        assert getattr(start, "expression", None) == expression
    else:
        assert problems_of(data) == [
            f"facts/mini.yaml:10:49: date expression '{expression}' is not in the article text; "
            "copy the article's words for the date (… between words that are apart)"]


@pytest.mark.parametrize(("name", "reason"), [
    ("x" * 5000 + ".txt", "too long"),
    ("articles/mini\\0.txt", "it holds a NUL character"),
])
def test_a_text_path_the_system_cannot_use_is_a_located_problem(
    tmp_path: Path, name: str, reason: str
) -> None:
    """Found by the fuzzer: such a name raised OSError or ValueError out of the loader."""
    data = make_data(tmp_path, MINI.replace("text: articles/mini.txt", f'text: "{name}"'))
    shown = name.replace("\\0", "\\x00")  # the YAML escape \0, shown escaped
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    assert problems_of(data) == [
        f"facts/mini.yaml:3:9: text path '{shown}' is not a usable file name ({reason}); give "
        "the article's text file"]


@pytest.mark.parametrize(("date", "read"), [
    ("{value: 2018, expression: since 2018}", None),
    ("{value: 2018-05-08, expression: since 2018}", None),    # more precise, within 2018
    ("{earliest: 2017, latest: 2022-09-15, expression: since 2018}", None),  # a wider range
    ("{latest: 2017-12-31, expression: since 2018}", "2018"),  # ends before 2018 begins
    ("{value: 2019, expression: since 2018}", "2018"),
    ("{value: 2022-09-15, expression: Thursday}", None),
    # Words relative to the publication are not checked: the date given may correct the
    # reading (a Monday's article whose "Thursday" is the one before).
    ("{earliest: 2022-09-16, expression: Thursday}", None),
    ("{value: 2022-10, expression: next week}", None),
    ("{value: 2019, expression: Samarkand}", None),            # words it cannot read: not checked
])
def test_a_date_given_with_its_expression_must_agree_with_it(
    tmp_path: Path, date: str, read: str | None
) -> None:
    """The article's words are the date's evidence: a date no day of which they can name
    (``value: 2019`` with "since 2018") contradicts them; a bound or more precision they allow
    stands."""
    data = make_data(tmp_path, MINI.replace("{expression: since 2018}", date))
    if read is None:
        (article,) = load_corpus(data, load_schema(resources.ontology_path())).articles
        start = {f.name: f.values for f in article.records[0].fields}["startDate"][0]
        assert getattr(start, "expression", None) == date.split("expression: ")[1].rstrip("}")
    else:
        problems = problems_of(data)
        given = date.split(", expression")[0].removeprefix("{value: ").strip("{")
        shown = given if date.startswith("{value") else "{" + given + "}"
        expression = date.split("expression: ")[1].rstrip("}")
        assert problems == [
            f"facts/mini.yaml:10:16: date {shown} disagrees with its expression '{expression}', "
            f"which reads as {read}; fix the one that is wrong, or leave out the date for the "
            "expression's"]


@pytest.mark.parametrize(("line", "message"), [
    ("  url: not a url", "'url' must be an absolute address such as https://example.org/page, "
     "not 'not a url'"),
    ("  url: 'https://example.org/a\"b'", "'url' must be an absolute address such as "
     "https://example.org/page, not 'https://example.org/a\"b'"),
    ("  title: 2022", "'title' must be text, not 2022, which YAML reads as a number; put it "
     "in quotes"),
    ("  publisher: yes", "'publisher' must be text, not yes, which YAML reads as a truth value; "
     "put it in quotes"),
    ("  title: ''", "'title' must be a non-empty text"),
    ("  language: en glish", "'language' must be a language tag such as en or pt-BR (an ISO "
     "639 language code, then subtags of 2 to 8 letters or digits), not 'en glish'"),
    # well-formed BCP 47, but no ISO 639 code: the article shape would refuse it
    ("  language: English", "'language' must be a language tag such as en or pt-BR (an ISO "
     "639 language code, then subtags of 2 to 8 letters or digits), not 'English'"),
    ("  language: qq", "'language' must be a language tag such as en or pt-BR (an ISO "
     "639 language code, then subtags of 2 to 8 letters or digits), not 'qq'"),
    ("  language: en-x-private", "'language' must be a language tag such as en or pt-BR (an ISO "
     "639 language code, then subtags of 2 to 8 letters or digits), not 'en-x-private'"),
    # a number is no tag quoted either, so quotes are not what to tell
    ("  language: 1.5", "'language' must be a language tag such as en or pt-BR (an ISO "
     "639 language code, then subtags of 2 to 8 letters or digits), not '1.5'"),
    # YAML reads Norwegian as a truth value; quoted, it is a tag
    ("  language: no", "'language' must be text, not no, which YAML reads as a truth value; "
     "put it in quotes"),
])
def test_the_articles_url_and_language_are_checked_where_they_are_written(
    tmp_path: Path, line: str, message: str
) -> None:
    """They reach the graph as an IRI and a language tag, which would fail in the mapper."""
    text = replace("  published: 2022-09-15\n", f"  published: 2022-09-15\n{line}\n")(MINI)
    (problem,) = problems_of(make_data(tmp_path, text))
    assert problem.startswith(f"facts/mini.yaml:5:{line.index(':') + 3}: {message}")


@pytest.mark.parametrize(("written", "tag"), [
    ("en", "en"), ("EN", "en"), ("fas", "fa"), ("eng-us", "en-US"), ("haw", "haw"),
    ("EN-gb", "en-GB"),
    ("zh-hant-tw", "zh-Hant-TW"), ("de-CH-1901", "de-CH-1901"),
])
def test_a_language_tag_is_kept_in_bcp_47_case_and_passes_validation(
        tmp_path: Path, written: str, tag: str) -> None:
    text = replace("  published: 2022-09-15\n",
                   f"  published: 2022-09-15\n  language: {written}\n")(MINI)
    data = make_data(tmp_path, text)
    (article,) = load_corpus(data, load_schema(resources.ontology_path())).articles
    assert article.meta.language == tag
    result = run_cli("build", "--data", data, "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert result.code == 0, result.stderr
    assert f'<http://schema.org/inLanguage> "{tag}"' in (tmp_path / "out" /
                                                        "sanctions-kg.nq").read_text()


def test_a_valid_url_and_language_reach_the_article(tmp_path: Path) -> None:
    text = replace("  published: 2022-09-15\n", "  published: 2022-09-15\n  language: en-GB\n"
                   "  url: https://example.org/news/1\n")(MINI)
    (article,) = load_corpus(make_data(tmp_path, text),
                             load_schema(resources.ontology_path())).articles
    assert (article.meta.language, article.meta.url) == ("en-GB", "https://example.org/news/1")


def test_a_fifo_among_the_facts_files_is_refused_not_waited_on(tmp_path: Path) -> None:
    data = make_data(tmp_path, MINI)
    os.mkfifo(data / "facts" / "zz.yaml")
    assert problems_of(data) == [
        "facts/zz.yaml:1: cannot read the file (not a regular file: a FIFO, socket or device)"]


@pytest.mark.parametrize(("make", "message"), [
    (os.mkfifo, "articles/mini.txt:1: cannot read the file (not a regular file: a FIFO, socket "
                "or device)"),
    # placed where the facts file names it: the text path is what to correct
    (os.mkdir, "facts/mini.yaml:3:9: text path 'articles/mini.txt' is a folder, not a file; "
               "give the article's text file"),
])
def test_an_article_text_that_is_not_a_file_is_named_for_what_it_is(
    tmp_path: Path, make: Callable[[Path], None], message: str
) -> None:
    data = make_data(tmp_path, MINI)
    (data / "articles" / "mini.txt").unlink()
    make(data / "articles" / "mini.txt")
    assert problems_of(data) == [message]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    target: iran\n", "    target: iran\n    party: [iran, russia]\n",
     "facts/mini.yaml:10:5: 'party' is not a field of Sanction (the ontology gives it to Agreement "
     "or BilateralRelations); remove it, or give the record a type that has it"),
    ("    target: iran\n", "    target: iran\n    quote: \"slapped crippling sanctions\"\n",
     "facts/mini.yaml:10:5: 'quote' is for claims (a speaker's words), not for facts (Sanction); "
     "put the words that support it under evidence:"),
    ("    target: iran\n", "    target: iran\n    doesNotRecognise: russia\n",
     "facts/mini.yaml:10:5: 'doesNotRecognise' is stated only as a claim's content, never as a "
     "field: write {subject: …, predicate: doesNotRecognise, object: …} under content:"),
    ("    speaker: ebrahim-raisi\n", "    speaker: ebrahim-raisi\n    imposer: united-states\n",
     "facts/mini.yaml:16:5: 'imposer' is not a field of Claim (the ontology gives it to Sanction); "
     "remove it, or give the record a type that has it"),
])
def test_a_field_the_ontology_gives_to_other_classes_is_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """Written, it would state something of the wrong kind of thing, and no shape catches it."""
    assert problems_of(make_data(tmp_path, replace(old, new)(MINI))) == [message]


def test_a_field_of_a_superclass_or_of_a_union_domain_is_accepted(tmp_path: Path) -> None:
    """``date`` belongs to Event (a superclass of BilateralMeeting); ``modality`` to Claim or
    ClaimContent."""
    schema = load_schema(resources.ontology_path())
    assert schema.fits("date", "BilateralMeeting")
    assert schema.fits("modality", "Claim") and schema.fits("modality", "ClaimContent")
    assert schema.fits("party", "BilateralRelations") and not schema.fits("party", "Sanction")
    assert schema.fits("note", "Sanction")  # a property without a domain fits anything


def test_a_byte_order_mark_before_the_article_text_is_not_part_of_it(tmp_path: Path) -> None:
    data = make_data(tmp_path, MINI)
    text = data / "articles" / "mini.txt"
    text.write_bytes(b"\xef\xbb\xbf" + text.read_bytes())
    (article,) = load_corpus(data, load_schema(resources.ontology_path())).articles
    assert article.meta.text == SEED_TEXT.read_text(encoding="utf-8")
    (quote,) = article.records[0].evidence
    assert article.meta.text[quote.start : quote.end] == quote.exact


@pytest.mark.parametrize(("date", "column", "key", "shape"), [
    ("{value: [2018, 2019]}", 24, "value", "a list"),
    ("{earliest: {year: 2018}, latest: 2019}", 27, "earliest", "a mapping"),
    ("{latest: true}", 25, "latest", "true or false"),
    ("{value: }", 0, "value", "empty"),
])
def test_a_date_part_that_is_not_one_date_is_named(
    tmp_path: Path, date: str, column: int, key: str, shape: str
) -> None:
    """A list inside value: was shown as '[<sanctions_kg.sources.Node object at 0x…>]'."""
    data = make_data(tmp_path, replace("{expression: since 2018}", date)(MINI))
    (problem,) = problems_of(data)
    where, _, message = problem.partition(": ")
    assert message == (f"malformed date: '{key}' takes one date (YYYY, YYYY-MM or "
                       f"YYYY-MM-DD), not {shape}")
    assert where.startswith("facts/mini.yaml:10:")
    if column:
        assert where == f"facts/mini.yaml:10:{column}"


@pytest.mark.parametrize(("written", "expected"), [
    ("1_000", ["facts/mini.yaml:6:9: id '1_000' must be kebab-case (lower-case letters, digits "
               "and hyphens); write '1-000'"]),
    ("0x1f", None),   # kept as written: it was read as the number 31, a different id
    ("2022", None),
])
def test_an_id_yaml_reads_as_a_number_keeps_its_written_form(
    tmp_path: Path, written: str, expected: list[str] | None
) -> None:
    """``id: 1_000`` was taken as the id '1000', ``id: 0x1f`` as '31'."""
    data = make_data(tmp_path, MINI.replace("  - id: us-sanctions-on-iran\n",
                                            f"  - id: {written}\n"))
    if expected is not None:
        assert problems_of(data) == expected
        return
    (article,) = load_corpus(data, load_schema(resources.ontology_path())).articles
    assert written in [record.id for record in article.records]


def test_an_ontology_syntax_error_is_placed_at_its_line_and_column(tmp_path: Path) -> None:
    """Not at a made-up line 1: the parser's position, and its words on one line."""
    ontology = tmp_path / "broken.ttl"
    ontology.write_text("@prefix skg: <urn:skg#> .\n\nskg:a skg:b .\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_schema(ontology)
    [problem] = caught.value.problems
    assert str(problem.location) == f"{ontology}:3:13"
    assert problem.message.startswith("ontology syntax error: ")
    assert problem.message.endswith("; fix the file there")
    assert "\n" not in problem.message and "Parser error" not in problem.message


CONTENT = ("    content:\n      - subject: iran\n        predicate: doesNotRecognise\n"
           "        object: us-sanctions-on-iran\n")


@pytest.mark.parametrize(("edit", "expected"), [
    pytest.param(replace("    target: iran\n", "    target: irn\n"),
                 "facts/mini.yaml:9:13: unknown id 'irn'; define it in this file, in "
                 "data/reference, or as a concept of the ontology (did you mean 'iran'?)",
                 id="id"),
    pytest.param(replace("    type: Sanction\n", "    type: sanction\n"),
                 "facts/mini.yaml:7:11: unknown type 'sanction'; use a class of the ontology "
                 "(did you mean 'Sanction'?)", id="type"),
    pytest.param(replace("    imposer: united-states\n", "    imposr: united-states\n"),
                 "facts/mini.yaml:8:5: unknown field 'imposr' in an item of 'facts'; check the "
                 "spelling (fields are ontology property names) (did you mean 'imposer'?)",
                 id="field"),
    pytest.param(replace("  published: 2022-09-15\n", "  published: 2022-09-15\n  titel: Mini\n"),
                 "facts/mini.yaml:5:3: unknown field 'titel' in 'article'; check the spelling (it "
                 "takes 'author', 'id', 'language', 'license', 'published', 'publisher', 'text', "
                 "'title', 'url') (did you mean 'title'?)", id="fixed-field"),
    pytest.param(replace("predicate: doesNotRecognise", "predicate: doesNotRecognize"),
                 "facts/mini.yaml:18:20: unknown predicate 'doesNotRecognize'; use an object "
                 "property of the ontology (did you mean 'doesNotRecognise'?)", id="predicate"),
])
def test_a_misspelt_name_gets_the_closest_known_one(
    tmp_path: Path, edit: Callable[[str], str], expected: str
) -> None:
    text = MINI.replace("    speaker: ebrahim-raisi\n",
                        "    speaker: ebrahim-raisi\n" + CONTENT)
    assert problems_of(make_data(tmp_path, edit(text))) == [expected]


def test_a_name_close_to_none_gets_no_suggestion(tmp_path: Path) -> None:
    data = make_data(tmp_path, replace("    target: iran\n", "    target: atlantis\n")(MINI))
    [problem] = problems_of(data)
    assert problem.endswith("or as a concept of the ontology")


def test_a_far_fetched_name_is_not_proposed() -> None:
    """'lian' is 0.75 like 'iran' by difflib's ratio: proposing it would invite a wrong id."""
    assert did_you_mean("iran", ["lian", "iran-state"]) == ""
    assert did_you_mean("irn", ["lian", "iran"]) == " (did you mean 'iran'?)"


@pytest.mark.parametrize("places", [1, 4, 5, 1_203])
def test_an_input_error_lists_a_repeated_message_at_three_places_and_counts_the_rest(
        places: int) -> None:
    repeated = [Problem(Location(Path(f"f{n // 100}.yaml"), n % 100 + 1, 3), "unknown id 'x'")
                for n in range(places)]
    other = Problem(Location(Path("f0.yaml"), 2, 1), "unknown id 'y'")
    error = InputError([*repeated, other])
    assert error.problems[0] == repeated[0] and len(error.problems) == places + 1
    lines = str(error).splitlines()
    if places <= 4:
        assert len(lines) == places + 1
        assert not any("more place" in line for line in lines)
    else:
        more = places - 4
        word = "place" if more == 1 else "places"
        assert lines == [
            "f0.yaml:1:3: unknown id 'x'",
            "f0.yaml:2:1: unknown id 'y'",
            "f0.yaml:2:3: unknown id 'x'",
            "f0.yaml:3:3: unknown id 'x'",
            f"f0.yaml:4:3: unknown id 'x' (and {more:,} more {word} with the same problem, the "
            f"last at {repeated[-1].location})",
        ]


@pytest.mark.parametrize(("old", "new", "message"), [
    # a fact written among the claims was built and counted as a claim
    ("    quote: \"Tehran will never recognize the sanctions against Russia\"\n",
     "    quote: \"Tehran will never recognize the sanctions against Russia\"\n"
     "  - id: eu-sanctions\n    type: Sanction\n    imposer: united-states\n    target: russia\n"
     "    evidence: [\"the sanctions against Russia\"]\n",
     "facts/mini.yaml:19:11: a Sanction is a fact, not a claim; move it under facts:, or record "
     "what someone says as a Claim with speaker, date and quote"),
    ("    type: Sanction\n", "    type: Claim\n",
     "facts/mini.yaml:7:11: a Claim is what someone says; move it under claims:"),
])
def test_a_record_in_the_wrong_section_is_refused(
        tmp_path: Path, old: str, new: str, message: str) -> None:
    problems = problems_of(make_data(tmp_path, replace(old, new)(MINI)))
    assert message in problems


def test_an_unknown_id_in_a_reference_entity_is_reported_where_it_is_written(
        tmp_path: Path) -> None:
    """It became an ontology IRI (skg:uzbekstan) that only the shapes caught, with exit 1."""
    data = make_data(tmp_path, MINI)
    places = data / "reference" / "places.yaml"
    places.write_text(places.read_text(encoding="utf-8").replace(
        "    locatedIn: uzbekistan\n", "    locatedIn: uzbekstan\n"), encoding="utf-8")
    assert problems_of(data) == [
        "reference/places.yaml:6:16: unknown id 'uzbekstan'; define it among the reference "
        "entities or as a concept of the ontology (a reference entity cannot name an article's "
        "fact) (did you mean 'uzbekistan'?)"]


def test_a_written_day_is_read_and_a_date_against_it_is_refused(tmp_path: Path) -> None:
    """'4 July 2024' was not read at all, so any value passed beside it."""
    data = make_data(tmp_path, MINI.replace("{expression: since 2018}",
                                            "{value: 2019-03-19, expression: \"4 July 2024\"}"))
    text = data / "articles" / "mini.txt"
    text.write_text(text.read_text(encoding="utf-8") + "\nTalks resumed on 4 July 2024.\n",
                    encoding="utf-8")
    assert problems_of(data) == [
        "facts/mini.yaml:10:16: date 2019-03-19 disagrees with its expression '4 July 2024', "
        "which reads as 2024-07-04; fix the one that is wrong, or leave out the date for the "
        "expression's"]
    # alone, the words give the day
    (data / "facts" / "mini.yaml").write_text(
        MINI.replace("{expression: since 2018}", "{expression: \"4 July 2024\"}"),
        encoding="utf-8")
    (article,) = load_corpus(data, load_schema(resources.ontology_path())).articles
    start = {f.name: f.values for f in article.records[0].fields}["startDate"][0]
    assert str(getattr(start, "value", None)) == "2024-07-04"


STATE = "entities:\n  - id: {id}\n    type: State\n    label: {label}\n{more}    source: test\n"


@pytest.mark.parametrize(("ident", "label", "more", "message"), [
    ("belarus", "Belarus", "    isoAlpha2: BR\n",
     "'isoAlpha2' is set from pycountry:, not written by hand (BR is the code of Brazil); remove "
     "it and give pycountry: \"Belarus\""),
    ("taiwan", "Taiwan", "    pycountry: \"Taiwan, Province of China\"\n    isoAlpha3: TWN\n",
     "'isoAlpha3' is set from pycountry:, not written by hand (TWN is the code of Taiwan, "
     "Province of China); remove it (pycountry: \"Taiwan, Province of China\" gives TW and TWN)"),
    # not a code at all: no Python repr of the value, and no second message about quotes
    ("zedland", "Zedland", "    isoAlpha2: [ZZ]\n",
     "'isoAlpha2' is set from pycountry:, not written by hand; remove it and give pycountry: the "
     "state's ISO 3166-1 country name"),
    ("xland", "Xland", "    isoAlpha2: 12\n",
     "'isoAlpha2' is set from pycountry:, not written by hand ('12' is no ISO 3166-1 alpha-2 "
     "code); remove it and give pycountry: the state's ISO 3166-1 country name"),
    # the label names another country than pycountry: does, whatever the other labels say
    ("belarus", "Belarus", "    altLabel: [Brazil]\n    pycountry: Brazil\n",
     "pycountry: \"Brazil\" is BR, but the state is named 'Belarus', the ISO 3166-1 name of BY; "
     "give the right country"),
])
def test_iso_codes_come_from_pycountry_and_match_the_state(
        tmp_path: Path, ident: str, label: str, more: str, message: str) -> None:
    data = make_data(tmp_path, MINI)
    (data / "reference" / "more.yaml").write_text(
        STATE.format(id=ident, label=label, more=more), encoding="utf-8")
    problems = [problem.split(": ", 1)[1] for problem in problems_of(data)]
    assert problems == [message]


def test_a_quote_whose_prefix_does_not_match_is_told_so(tmp_path: Path) -> None:
    """It was told the words are not in the article, which they are."""
    text = MINI.replace('      - "slapped crippling sanctions on the country"\n',
                        '      - {exact: "slapped crippling sanctions", prefix: "and"}\n')
    assert problems_of(make_data(tmp_path, text)) == [
        "facts/mini.yaml:12:9: quote 'slapped crippling sanctions' is in the article text 1 "
        "time(s), but never with prefix: 'and' around it; copy the characters right before and "
        "after it verbatim, spaces included"]


@pytest.mark.parametrize(("line", "message"), [
    ("    scope: [Energy]", "'Energy' is not a value of 'scope'; use one of Economy, "
     "EnergyExports, InternationalBanking, Trade"),
    ("    scope: [InternationalBankng]", "'InternationalBankng' is not a value of 'scope'; use "
     "one of Economy, EnergyExports, InternationalBanking, Trade (did you mean "
     "'InternationalBanking'?)"),
    ("    scope: [AssetFreeze]", "'AssetFreeze' is not a value of 'scope'; use one of Economy, "
     "EnergyExports, InternationalBanking, Trade"),
])
def test_a_concept_field_lists_the_values_of_its_scheme(
        tmp_path: Path, line: str, message: str) -> None:
    """A concept of another scheme was caught only by validation (exit 1), and a word that is
    no concept was an unknown id to be defined in data/reference: neither listed the values."""
    data = make_data(tmp_path, replace("    target: iran\n", f"    target: iran\n{line}\n")(MINI))
    assert problems_of(data) == [f"facts/mini.yaml:10:13: {message}"]


def test_an_unknown_id_in_a_record_of_an_unknown_type_is_reported_in_the_same_run(
        tmp_path: Path) -> None:
    """The record was dropped with its type, and its ids were checked only once the type was
    fixed: a second run for the next problem."""
    text = replace("    type: Sanction\n", "    type: Sanctions\n")(MINI)
    text = replace("    target: iran\n", "    target: irann\n")(text)
    assert problems_of(make_data(tmp_path, text)) == [
        "facts/mini.yaml:7:11: unknown type 'Sanctions'; use a class of the ontology (did you "
        "mean 'Sanction'?)",
        "facts/mini.yaml:9:13: unknown id 'irann'; define it in this file, in data/reference, or "
        "as a concept of the ontology (did you mean 'iran'?)"]


@pytest.mark.parametrize(("written", "meant"), [
    ("Ebrahim Raisi", "ebrahim-raisi"),        # a label of the entity
    ("ebrahim_raisi", "ebrahim-raisi"),        # the id with other separators
    ("Islamic Republic of Iran", "iran"),      # another label
])
def test_a_label_written_for_an_id_is_given_the_id(
        tmp_path: Path, written: str, meant: str) -> None:
    text = replace("    speaker: ebrahim-raisi\n", f"    speaker: {written}\n")(MINI)
    (problem,) = problems_of(make_data(tmp_path, text))
    assert problem.endswith(f"(did you mean '{meant}'?)")
