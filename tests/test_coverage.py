"""Every sentence of each article is cited by evidence, and every quote lies within a sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import DATA
from sanctions_kg import resources
from sanctions_kg.facts import load_corpus
from sanctions_kg.records import Article
from sanctions_kg.schema import load_schema

ARTICLES = load_corpus(DATA, load_schema(resources.ontology_path())).articles


def sentence_spans(article: Article) -> list[tuple[int, int]]:
    """The (start, end) of each sentence of the kept sentence list, located in order."""
    path = DATA / "sentences" / f"{article.meta.id}.yaml"
    sentences = yaml.safe_load(path.read_text(encoding="utf-8"))["sentences"]
    spans, cursor = [], 0
    for sentence in sentences:
        start = article.meta.text.find(sentence, cursor)
        assert start >= 0, f"sentence not found in order: {sentence[:50]}"
        spans.append((start, start + len(sentence)))
        cursor = start + len(sentence)
    return spans


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.meta.id)
def test_sentences_cover_the_whole_text(article: Article) -> None:
    text = article.meta.text
    covered = set()
    for start, end in sentence_spans(article):
        covered.update(range(start, end))
    uncovered = [i for i, char in enumerate(text) if not char.isspace() and i not in covered]
    assert uncovered == []


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.meta.id)
def test_every_sentence_is_cited_by_evidence(article: Article) -> None:
    quotes = [q for r in article.records for q in (*r.evidence, *r.quotes)]
    uncited = [
        article.meta.text[start:end][:60]
        for start, end in sentence_spans(article)
        if not any(q.start < end and q.end > start for q in quotes)
    ]
    assert uncited == []


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.meta.id)
def test_every_quote_lies_within_one_sentence(article: Article) -> None:
    spans = sentence_spans(article)
    for record in article.records:
        for quote in (*record.evidence, *record.quotes):
            assert any(s <= quote.start and quote.end <= e for s, e in spans), (
                record.id,
                quote.exact,
            )


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.meta.id)
def test_every_fact_and_claim_has_evidence(article: Article) -> None:
    assert all(record.evidence or record.quotes for record in article.records)


def test_article_text_is_kept_byte_for_byte() -> None:
    text = (DATA / "articles" / "raisi-putin-samarkand-2022.txt").read_text(encoding="utf-8")
    for typo in ("counterpartthat", "Raisi Also", "will ends", "Thursday,President"):
        assert typo in text
    assert Path(resources.data_dir()).resolve() == DATA.resolve()
