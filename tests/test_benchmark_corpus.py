"""The benchmark corpus generator: deterministic, quotes verbatim, builds and validates cleanly,
and injected defects are exactly what validation reports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conftest import REPO, load_script, run_cli

GENERATOR = REPO / "benchmarks" / "corpus.py"


corpus = load_script(GENERATOR, "benchmark_corpus")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _quote_words(item: object) -> str:
    return item if isinstance(item, str) else str(item["exact"])  # type: ignore[index]


def test_same_arguments_give_the_same_bytes(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--articles", "4", "--seed", "7", "--defects", "2",
         "--out", str(tmp_path / "cli")],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Wrote 4 articles (")
    corpus.generate(tmp_path / "module", articles=4, seed=7, defects=2)
    first, second = _files(tmp_path / "cli"), _files(tmp_path / "module")
    assert first == second
    assert {"articles/synthetic-00004.txt", "facts/synthetic-00004.yaml",
            "reference/states.yaml", "corpus.json", "defects.json"} <= set(first)


def test_every_part_is_told_in_a_corpus_of_a_few_hundred_articles() -> None:
    """No optional part of the templates is out of reach of the article's budget."""
    pool = corpus.build_pool(1)
    told: Counter[str] = Counter()
    for index in range(1, 301):
        told.update(corpus.make_article(pool, 1, index, 300).parts)
    assert set(told) == set(corpus.PARTS), f"never told: {set(corpus.PARTS) - set(told)}"


def test_articles_do_not_depend_on_the_corpus_size(tmp_path: Path) -> None:
    corpus.generate(tmp_path / "small", articles=2, seed=3)
    corpus.generate(tmp_path / "large", articles=5, seed=3)
    for name in ("articles/synthetic-00002.txt", "facts/synthetic-00002.yaml"):
        assert (tmp_path / "small" / name).read_bytes() == (tmp_path / "large" / name).read_bytes()


def test_every_quote_occurs_once_in_its_text(tmp_path: Path) -> None:
    corpus.generate(tmp_path, articles=30, seed=11)
    kinds: Counter[str] = Counter()
    for path in sorted((tmp_path / "facts").glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        text = (tmp_path / document["article"]["text"]).read_text(encoding="utf-8")
        records = document["facts"] + document["claims"]
        assert 15 <= len(records) <= 30, path.name
        assert len({r["id"] for r in records}) == len(records), path.name
        for record in records:
            kinds[record["type"]] += 1
            words = [*record.get("evidence", []), *([record["quote"]] if "quote" in record else [])]
            assert words, f"{path.name}: {record['id']} has no evidence"
            for quote in map(_quote_words, words):
                assert text.count(quote) == 1, f"{path.name}: {record['id']}: {quote!r}"
    expected = {"Sanction", "Agreement", "Membership", "Occupancy", "Summit", "BilateralMeeting",
                "MaterielDelivery", "DelegationVisit", "Withdrawal", "Claim"}
    assert expected <= set(kinds)
    assert kinds["Claim"] >= sum(kinds.values()) // 5


def test_a_small_corpus_builds_with_the_real_cli(tmp_path: Path) -> None:
    corpus.generate(tmp_path / "data", articles=5, seed=1)
    result = run_cli("build", "--no-validate", "--data", tmp_path / "data",
                     "--out", tmp_path / "out", "--store", tmp_path / "store")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(f"Built 5 articles from {tmp_path / 'data'}: ")


def _validate(store: Path) -> object:
    validation = pytest.importorskip("sanctions_kg.validation")
    from sanctions_kg import resources

    return validation.validate_store_dir(store, shapes=None, ontology=resources.ontology_path())


def test_a_small_corpus_validates_without_violations_or_warnings(tmp_path: Path) -> None:
    corpus.generate(tmp_path / "data", articles=5, seed=1)
    result = run_cli("build", "--no-validate", "--data", tmp_path / "data",
                     "--out", tmp_path / "out", "--store", tmp_path / "store")
    assert result.code == 0, result.stderr
    report = _validate(tmp_path / "store")
    from sanctions_kg.validation import Severity

    serious = [(r.severity.value, r.focus, r.message) for r in report.results  # type: ignore[attr-defined]
               if r.severity >= Severity.WARNING]
    assert serious == []


def test_injected_defects_are_exactly_the_violations(tmp_path: Path) -> None:
    summary = corpus.generate(tmp_path / "data", articles=6, seed=5, defects=3)
    listed = json.loads((tmp_path / "data" / "defects.json").read_text(encoding="utf-8"))
    assert {d["kind"] for d in listed} == set(corpus.DEFECT_KINDS)
    assert [d["focus"] for d in listed] == [d.focus for d in summary.defects]
    result = run_cli("build", "--no-validate", "--data", tmp_path / "data",
                     "--out", tmp_path / "out", "--store", tmp_path / "store")
    assert result.code == 0, result.stderr
    report = _validate(tmp_path / "store")
    from sanctions_kg.validation import Severity

    violations = {(r.focus, r.shape) for r in report.results  # type: ignore[attr-defined]
                  if r.severity >= Severity.VIOLATION}
    assert violations == {(d.focus, d.shape) for d in summary.defects}


def test_a_build_of_many_articles_lists_ten_article_graphs_and_sums_up_the_rest(
        tmp_path: Path) -> None:
    corpus.generate(tmp_path / "data", articles=13, seed=1)
    result = run_cli("build", "--no-validate", "--data", tmp_path / "data",
                     "--out", tmp_path / "out", "--store", tmp_path / "store")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    listed = [n for n, line in enumerate(lines) if "/graph/article/" in line]
    assert len(listed) == 10
    assert re.fullmatch(r"  … and 3 more article graphs \(\d+ to \d+ triples each\); "
                        r"`sanctions-kg stats` lists every graph", lines[listed[-1] + 1])
    assert lines[listed[-1] + 2].endswith("/graph/ontology")  # then the others, as stats sorts
    assert lines[listed[-1] + 3].endswith("/graph/reference")


def test_a_fact_id_is_never_the_id_of_a_reference_entity() -> None:
    """A policy id cut at 60 characters once equalled its holder's id, so the facts file's
    reference to the holder named the policy itself (two violations at 10,000 articles)."""
    import datetime as dt
    import random

    pool = corpus.build_pool(1)
    long_ids = [ident for ident in pool.entities if 55 <= len(ident) <= 60]
    assert long_ids, "the pool has ids long enough to collide after the cut"
    story = corpus.Story("synthetic-00001", dt.date(2022, 9, 15), random.Random(1), pool)
    for ident in long_ids[:20]:
        made = story.add("facts", "Policy", f"{ident}-revival-policy", {})
        assert made not in pool.entities


def test_each_defect_kind_names_a_shape_of_the_bundled_shapes() -> None:
    """The benchmark counts a defect as found when its focus node violates this shape."""
    import pyoxigraph as ox

    from sanctions_kg import resources

    shapes = ox.Store()
    for path in sorted(resources.shapes_dir().glob("*.ttl")):
        shapes.load(path=str(path), format=ox.RdfFormat.TURTLE)
    assert set(corpus.DEFECT_SHAPES) == set(corpus.DEFECT_KINDS)
    for kind, shape in corpus.DEFECT_SHAPES.items():
        assert any(shapes.quads_for_pattern(ox.NamedNode(shape), None, None)), kind
