"""Fuzzed facts files: every mutation of a valid file loads and maps, or is a located input error.

The mutations are those a hurried curator (or a broken editor) makes: fields deleted, duplicated,
renamed and retyped; values replaced by other types, empty or very long strings, random Unicode
with control characters and right-to-left marks; files truncated at a random byte; indentation
broken. Hundreds of examples run in-process through loading and mapping; a fixed sample runs
through the real ``build`` command, which must exit 0, 1 (well-formed, but the shapes are
violated) or 2 with located messages, never a traceback, and never leave a partial output.
Every fuzzed file that loads is validated too.
"""

from __future__ import annotations

import copy
import hashlib
import random
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, SEED_FACTS, SEED_ID, SEED_TEXT, run_cli
from sanctions_kg import resources
from sanctions_kg.errors import InputError
from sanctions_kg.facts import load_corpus
from sanctions_kg.mapper import MappedGraph, map_article, map_ontology, map_reference
from sanctions_kg.schema import Schema, load_schema
from sanctions_kg.validation import Severity, validate_store
from test_facts import MINI

#: Repeatable in CI: the same examples every run, no example database.
FUZZ = settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MIN_EXAMPLES = 500
MIN_VALIDATED = 20
CLI_SAMPLE = 16

BASES = {"seed": SEED_FACTS.read_text(encoding="utf-8"), "mini": MINI}
TREES = {name: yaml.safe_load(text) for name, text in BASES.items()}
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _keys(tree: object) -> set[str]:
    if isinstance(tree, dict):
        return set(tree) | {k for value in tree.values() for k in _keys(value)}
    if isinstance(tree, list):
        return {k for value in tree for k in _keys(value)}
    return set()


KEYS = sorted(_keys(TREES["seed"])  # the seed's keys, and near misses
              | {"targett", "Type", "evidense", "", " ", "id ", "datePublished"})
IDS = ["iran", "russia", "united-states", "Economy", "sco", "raisi-putin-meeting",
       "us-sanctions-on-iran", "Iran", "no such id", "-", "a--b"]
DATES = ["2022", "2022-09", "2022-09-15", "2022-13-01", "2022-02-29", "2020-02-29", "0000",
         "0000-01-01", "0001-01-01", "9999-12-31", "9999-12", "99999", "2022-9-1", "15.09.2022"]
EXPRESSIONS = ["Thursday", "next week", "last week", "tomorrow", "yesterday", "next year",
               "last year in September", "since 2018", "recently", "someday", "2018 or 2019",
               "Monday and Tuesday"]
# Characters that break naive handling: controls, line and paragraph separators, bidi controls,
# zero-width and byte-order marks, non-characters, combining marks, astral-plane characters.
ODD = ("\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x80\x85\x9f\xa0\xad"
       "\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2069"
       "\ufeff\ufffe\uffff\u0301\u0645\u05d0\u4e2d\U0001f600\U0010ffff"
       ":-[]{}#&*!|>'\"%@`,?\\ ")


def random_text(rnd: random.Random, *, longest: int = 40) -> str:
    pool = ODD + "abcxyz019 "
    return "".join(rnd.choice(pool) for _ in range(rnd.randint(0, longest)))


def random_value(rnd: random.Random, depth: int = 0) -> object:
    """A value of any YAML type, biased towards the ones the loader has to tell apart."""
    kind = rnd.randrange(17 if depth < 2 else 13)
    if kind == 0:
        return rnd.randint(-(10**6), 10**6)
    if kind == 1:
        return rnd.choice([10**40, -1, 0, 2**63])
    if kind == 2:
        return rnd.choice([0.5, -1e300, float("inf"), float("nan")])
    if kind == 3:
        return rnd.choice([True, False])
    if kind == 4:
        return None
    if kind == 5:
        return rnd.choice(["", " ", "\n", "\t"])
    if kind == 6:
        return rnd.choice("xé\u202e") * rnd.choice([1_000, 20_000, 200_000])
    if kind in (7, 8):
        return random_text(rnd)
    if kind == 9:
        return rnd.choice(IDS)
    if kind == 10:
        return rnd.choice(DATES)
    if kind == 11:
        return {rnd.choice(["value", "earliest", "latest", "expression", "exact"]):
                rnd.choice(DATES + EXPRESSIONS) for _ in range(rnd.randint(1, 3))}
    if kind == 12:
        return rnd.choice(EXPRESSIONS)
    if kind in (13, 14):
        return [random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    return {rnd.choice(KEYS): random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))}


Slot = tuple[dict[str, Any] | list[Any], Any]


def slots(tree: object) -> Iterator[Slot]:
    """Every (container, key-or-index) of a parsed YAML tree, in document order."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield tree, key
            yield from slots(value)
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield tree, index
            yield from slots(value)


def mutate_tree(tree: Any, rnd: random.Random) -> None:
    """Delete, rename, retype, duplicate or swap one field or list item, in place."""
    found = list(slots(tree))
    container, key = rnd.choice(found)
    action = rnd.choice(["delete", "rename", "retype", "retype", "duplicate", "swap"])
    if action == "delete":
        del container[key]
    elif action == "rename" and isinstance(container, dict):
        new = rnd.choice(KEYS) if rnd.random() < 0.7 else random_text(rnd, longest=8)
        items = [(new if k == key else k, v) for k, v in container.items()]
        container.clear()
        container.update(items)
    elif action == "duplicate" and isinstance(container, list):
        container.insert(key, copy.deepcopy(container[key]))
    elif action == "swap":
        other, other_key = rnd.choice(found)
        container[key], other[other_key] = other[other_key], container[key]
    else:
        container[key] = random_value(rnd)


def mutate_text(data: bytes, rnd: random.Random) -> bytes:
    """Break the file as text: truncate, insert odd characters or bytes, break indentation."""
    action = rnd.choice(["truncate", "insert", "bytes", "indent", "indent", "line", "special"])
    if action == "truncate":
        return data[: rnd.randrange(len(data) + 1)]
    position = rnd.randrange(len(data) + 1)
    if action == "insert":
        return data[:position] + random_text(rnd, longest=6).encode() + data[position:]
    if action == "bytes":
        odd = rnd.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"])  # not UTF-8, or NUL
        return data[:position] + odd + data[position:]
    lines = data.split(b"\n")
    index = rnd.randrange(len(lines))
    line = lines[index]
    if action == "indent":
        stripped = line.lstrip(b" ")
        indent = len(line) - len(stripped)
        lines[index] = rnd.choice([b" " * max(0, indent + rnd.choice([-2, -1, 1, 2, 3])) + stripped,
                                   b"\t" + stripped, stripped])
    elif action == "line":
        if rnd.random() < 0.5:
            lines.insert(index, line)  # a duplicated key, or a duplicated list item
        else:
            del lines[index]
    else:
        column = rnd.randrange(len(line) + 1)
        lines[index] = line[:column] + rnd.choice(":-[]{}#&*!|>'\"%@`,?").encode() + line[column:]
    return b"\n".join(lines)


def mutate(base: str, rnd: random.Random) -> bytes:
    """One to four mutations of a valid facts file, structural or textual."""
    tree_edits = rnd.choice([0, 1, 1, 2, 3])
    text_edits = rnd.choice([0, 0, 1, 2]) if tree_edits else rnd.choice([1, 2])
    if tree_edits:
        tree = copy.deepcopy(TREES[base])
        for _ in range(tree_edits):
            if tree and isinstance(tree, dict | list):
                mutate_tree(tree, rnd)
        data = yaml.dump(tree, Dumper=DUMPER, allow_unicode=True, sort_keys=False).encode()
    else:
        data = BASES[base].encode()
    for _ in range(text_edits):
        data = mutate_text(data, rnd)
    return data


# --- in-process: loading and mapping -------------------------------------------------------


def make_fuzz_data(root: Path) -> Path:
    """A data folder with the seed reference files and the texts of both base files."""
    data = root / "data"
    shutil.copytree(DATA / "reference", data / "reference")
    (data / "articles").mkdir(parents=True)
    (data / "facts").mkdir()
    shutil.copyfile(SEED_TEXT, data / "articles" / f"{SEED_ID}.txt")
    shutil.copyfile(SEED_TEXT, data / "articles" / "mini.txt")
    return data


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema(resources.ontology_path())


@pytest.fixture(scope="module")
def ontology() -> MappedGraph:
    return map_ontology(resources.ontology_path())


def load_and_map(data: Path, schema: Schema, ontology: MappedGraph) -> str:
    """Load, map and validate a data folder: the outcome, or an AssertionError for a badly
    made error."""
    import pyoxigraph as ox

    try:
        corpus = load_corpus(data, schema)
    except InputError as error:
        assert error.problems, "an InputError without problems"
        for problem in error.problems:
            where = problem.location
            assert where.line >= 1, problem
            assert where.file.is_relative_to(data), problem
            assert where.file.parent.name in {"facts", "reference", "articles"}, problem
            assert problem.message.strip(), problem
            assert len(f"{problem}".splitlines()) == 1, f"a problem of several lines: {problem!r}"
        return "input error"
    graphs = [ontology, map_reference(corpus.entities, corpus.articles, schema)]
    graphs += [map_article(article, corpus.entity_index, schema) for article in corpus.articles]
    database = ox.Store()
    sources = {}
    for graph in graphs:
        database.extend(graph.quads)
        sources.update(graph.sources)
    report = validate_store(database, shapes=None, ontology=resources.ontology_path(),
                            sources=sources)
    return "shapes violated" if report.count_at_or_above(Severity.VIOLATION) else "valid"


def test_fuzzed_facts_files_load_map_and_validate_or_fail_with_located_problems(
    tmp_path: Path, schema: Schema, ontology: MappedGraph,
    record_property: Callable[[str, object], None],
) -> None:
    data = make_fuzz_data(tmp_path)
    facts = data / "facts" / "fuzz.yaml"
    outcomes: Counter[str] = Counter()

    @FUZZ
    @given(base=st.sampled_from(sorted(BASES)), rnd=st.randoms(use_true_random=False))
    def check(base: str, rnd: random.Random) -> None:
        facts.write_bytes(mutate(base, rnd))
        outcomes[load_and_map(data, schema, ontology)] += 1

    check()
    total = sum(outcomes.values())
    validated = total - outcomes["input error"]
    record_property("fuzz_examples", total)
    record_property("fuzz_examples_validated", validated)
    print(f"fuzzed facts files, loading and mapping: {total} examples, {validated} of them "
          f"validated: {dict(outcomes)}")
    assert total >= MIN_EXAMPLES and validated >= MIN_VALIDATED
    assert outcomes["input error"] and outcomes["valid"]


EDGE_CASES = [
    ("published at the end of the calendar, next week",
     "  published: 2022-09-15\n", "  published: 9999-12-31\n",
     "{expression: Thursday}", "{expression: next week}"),
    ("published at the start of the calendar, last year",
     "  published: 2022-09-15\n", "  published: 0001-01-01\n",
     "{expression: Thursday}", "{expression: last year}"),
    ("year zero", "{expression: since 2018}", "{expression: since 2018}",
     "{expression: Thursday}", "'0000'"),
    ("huge integer", "{expression: since 2018}", "{expression: since 2018}",
     "    speaker: ebrahim-raisi\n", "    speaker: " + "9" * 5000 + "\n"),
    ("billion laughs", "    target: iran\n",
     "    target: iran\n    note: &a [x, x, x, x, x, x, x, x, x]\n"
     + "".join(f"    {k}: &{k} [{', '.join(['*' + p] * 9)}]\n"
               for p, k in zip("abcdefgh", "bcdefghi", strict=True)),
     "    speaker: ebrahim-raisi\n", "    speaker: ebrahim-raisi\n    label: *i\n"),
    ("python tag", "    target: iran\n",
     "    target: iran\n    note: !!python/object/apply:os.system [\"true\"]\n",
     "    speaker: ebrahim-raisi\n", "    speaker: ebrahim-raisi\n"),
    ("value with a newline in an id", "    target: iran\n", "    target: \"ir\\nan\"\n",
     "    speaker: ebrahim-raisi\n", "    speaker: \"\\u202eebrahim\\u2028raisi\"\n"),
]


@pytest.mark.parametrize(("case", "old1", "new1", "old2", "new2"), EDGE_CASES,
                         ids=[case[0] for case in EDGE_CASES])
def test_edge_values_load_map_and_validate_or_fail_with_located_problems(
    tmp_path: Path, schema: Schema, ontology: MappedGraph,
    case: str, old1: str, new1: str, old2: str, new2: str,
) -> None:
    data = make_fuzz_data(tmp_path)
    (data / "facts" / "mini.yaml").write_text(edit_mini(old1, new1, old2, new2), encoding="utf-8")
    assert load_and_map(data, schema, ontology) in {"input error", "valid", "shapes violated"}


def edit_mini(old1: str, new1: str, old2: str, new2: str) -> str:
    assert old1 in MINI and old2 in MINI
    return MINI.replace(old1, new1, 1).replace(old2, new2, 1)


# --- a sample through the real command ------------------------------------------------------

BUILD_FILES = {"sanctions-kg.trig", "sanctions-kg.nq", "sanctions-kg.ttl",
               "sanctions-kg.sourcemap.json", ".sanctions-kg-build"}
ERROR_LINE = re.compile(r"^error: (?P<file>/[^:]+):(?P<line>\d+)(:\d+)?: \S")


def snapshot(out: Path, store: Path) -> dict[str, str]:
    """Hashes of every output and store file, and where the store's current link points."""
    files = {}
    for root in (out, store):
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink() and path.name != ".lock":
                files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    files["current"] = str((store / "current").readlink())
    return files


def assert_complete(out: Path, store: Path, stdout: str) -> None:
    """A successful build left the whole dataset it announced, in its files and in the store."""
    import pyoxigraph as ox

    from sanctions_kg.store import open_read

    triples = int(re.search(r" (\d+) triples in ", stdout).group(1))  # type: ignore[union-attr]
    assert {p.name for p in out.iterdir()} == BUILD_FILES
    assert len((out / "sanctions-kg.nq").read_bytes().splitlines()) == triples
    trig = (out / "sanctions-kg.trig").read_bytes()
    assert len(list(ox.parse(trig, format=ox.RdfFormat.TRIG))) == triples
    assert len(open_read(store)) == triples


def build_args(data: Path, out: Path, store: Path) -> list[str | Path]:
    return ["build", "--data", data, "--out", out, "--store", store]


def run_sample(root: Path, cases: list[tuple[str, bytes]]) -> Counter[int]:
    """Build each case in turn on one data folder, output folder and store."""
    data = make_fuzz_data(root)
    out, store = root / "out", root / "store"
    codes: Counter[int] = Counter()
    facts = data / "facts" / "fuzz.yaml"
    facts.write_text(MINI, encoding="utf-8")
    assert run_cli(*build_args(data, out, store)).code == 0
    for label, content in cases:
        before = snapshot(out, store)
        facts.write_bytes(content)
        result = run_cli(*build_args(data, out, store))
        shown = f"{label}: exit {result.code}\n{result.stderr}"
        codes[result.code] += 1
        assert result.code in {0, 1, 2}, shown
        assert "Traceback" not in result.stdout + result.stderr, shown
        if result.code == 0:
            assert_complete(out, store, result.stdout)
            continue
        assert snapshot(out, store) == before, shown
        lines = result.stderr.splitlines()
        if result.code == 2:
            assert lines, shown
            for line in lines:
                match = ERROR_LINE.match(line)
                assert match, f"not 'error: <path>:<line>: …': {line!r}\n{shown}"
                assert int(match["line"]) >= 1 and Path(match["file"]).is_relative_to(data), shown
        else:
            assert lines[-1].startswith("error: "), shown
    return codes


def sample_cases() -> list[tuple[str, bytes]]:
    """Fixed fuzzed cases (seeded), and a few gentle ones that must still build."""
    cases = []
    for seed in range(CLI_SAMPLE - 5):
        rnd = random.Random(seed)
        base = rnd.choice(sorted(BASES))
        cases.append((f"seed {seed} ({base})", mutate(base, rnd)))
    gentle = {
        "right-to-left label": MINI.replace(
            "    type: Sanction\n", "    type: Sanction\n    label: \"\u202e\u05d0 x\u200f\"\n"),
        "long note": MINI.replace("    type: Sanction\n",
                                  "    type: Sanction\n    note: \"" + "x" * 100_000 + "\"\n"),
        "control characters escaped": MINI.replace(
            "    type: Sanction\n", "    type: Sanction\n    note: \"a\\x07\\u0000\\u2028b\"\n"),
        "seed file": BASES["seed"],
        "sanction without its target": MINI.replace("    target: iran\n", ""),
    }
    cases.extend((label, text.encode()) for label, text in gentle.items())
    cases.extend((case, edit_mini(*edits).encode()) for case, *edits in EDGE_CASES)
    return cases


def test_fuzzed_sample_through_build_exits_cleanly_and_writes_all_or_nothing(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    cases = sample_cases()
    halves = [cases[0::2], cases[1::2]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_sample, [tmp_path / "a", tmp_path / "b"], halves))
    codes = sum(results, Counter())
    record_property("fuzz_cli_runs", sum(codes.values()))
    print(f"fuzzed facts files through build: exit codes {dict(codes)}")
    assert sum(codes.values()) == len(cases) >= 20
    assert codes[0] >= 4 and codes[2] >= 5
    assert codes[1] >= 1
