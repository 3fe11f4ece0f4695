"""``stats`` and ``describe``: the library on the seed store and on small stores, and the CLI."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from conftest import SEED_ID, Built, run_cli
from sanctions_kg import inspect
from sanctions_kg.errors import UsageError
from sanctions_kg.namespaces import GRAPH, ID, SKG, article_iri
from sanctions_kg.store import open_read

IRAN = ID + "state/iran"
US_SANCTIONS = f"skgid:sanction/{SEED_ID}/us-sanctions-on-iran"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def article_text(store: ox.Store) -> str:
    quads = store.quads_for_pattern(ox.NamedNode(article_iri(SEED_ID)),
                                    ox.NamedNode("http://schema.org/text"), None, None)
    return str(next(iter(quads)).object.value)


def test_stats_of_the_seed(seed_build: Built) -> None:
    result = inspect.stats(open_read(seed_build.store))
    graphs = {g.graph: g.triples for g in result.graphs}
    assert set(graphs) == {GRAPH + "ontology", GRAPH + "reference", GRAPH + f"article/{SEED_ID}"}
    built = open_read(seed_build.store)
    assert result.triples == len(built) == sum(graphs.values())
    classes = {c.cls: c.instances for c in result.classes}
    assert classes["skg:Claim"] == 20 and classes["skg:Sanction"] == 2
    assert all(name.startswith("skg:") for name in classes)
    assert [(a.article, a.facts, a.claims) for a in result.articles] == [
        (f"skgid:article/{SEED_ID}", 38, 20)
    ]


def test_stats_json_round_trips(seed_build: Built) -> None:
    result = inspect.stats(open_read(seed_build.store))
    document = json.loads(result.to_json())
    assert document["triples"] == result.triples
    assert document["articles"][0]["facts"] == 38
    assert {"class": "skg:Sanction", "instances": 2} in document["classes"]


def test_describe_iran_lists_facts_and_claims_with_quotes(seed_build: Built) -> None:
    store = open_read(seed_build.store)
    text = article_text(store)
    description = inspect.describe(store, "iran")
    assert (description.iri, description.label, description.types) == (IRAN, "Iran", ("skg:State",))
    assert {p.predicate for p in description.properties} >= {"rdfs:label", "skos:altLabel"}
    sanction = next(m for m in description.mentions if m.node == US_SANCTIONS)
    assert (sanction.types, sanction.predicate, sanction.via) == (
        ("skg:Sanction",), "skg:target", None
    )
    assert sanction.article == f"skgid:article/{SEED_ID}"
    assert "slapped crippling sanctions on the country" in {q.exact for q in sanction.quotes}
    through_content = [m for m in description.mentions if m.via is not None]
    assert through_content and all(m.types == ("skg:Claim",) for m in through_content)
    for mention in description.mentions:
        assert mention.quotes, f"{mention.node} has no supporting quote"
        for quote in mention.quotes:
            assert quote.start is not None and quote.end is not None
            assert text[quote.start : quote.end] == quote.exact


@pytest.mark.parametrize(
    "entity",
    ["iran", "state/iran", "skgid:state/iran", IRAN, f"<{IRAN}>", "Iran",
     "ISLAMIC REPUBLIC OF IRAN"],
)
def test_every_way_of_naming_an_entity(seed_build: Built, entity: str) -> None:
    assert inspect.resolve_entity(open_read(seed_build.store), entity) == IRAN


def test_a_slug_wins_over_an_alternative_label(seed_build: Built) -> None:
    # 'Tehran' is the city's label and one of Iran's alternative labels; the slug decides.
    assert inspect.resolve_entity(open_read(seed_build.store), "tehran") == ID + "city/tehran"


def test_ambiguous_label_lists_the_candidates(seed_build: Built) -> None:
    with pytest.raises(UsageError) as caught:
        inspect.resolve_entity(open_read(seed_build.store), "agreement kind")
    assert str(caught.value) == (
        "'agreement kind' is ambiguous: it matches 2 nodes; pass one of these instead:\n"
        "  skg:AgreementKind  Agreement kind (skos:ConceptScheme)\n"
        "  skg:agreementKind  agreement kind (owl:ObjectProperty)"
    )


def test_ambiguous_slug_across_articles() -> None:
    store = ox.Store()
    for article in ("a", "b"):
        node = ox.NamedNode(f"{ID}sanction/{article}/same")
        graph = ox.NamedNode(GRAPH + f"article/{article}")
        store.add(ox.Quad(node, RDF_TYPE, ox.NamedNode(SKG + "Sanction"), graph))
    with pytest.raises(UsageError, match="'same' is ambiguous: it matches 2 nodes"):
        inspect.resolve_entity(store, "same")


@pytest.mark.parametrize(("articles", "listed"), [(11, 11), (12, 10), (300, 10)])
def test_an_ambiguous_name_lists_ten_candidates_and_counts_the_rest(
        articles: int, listed: int) -> None:
    store = ox.Store()
    for number in range(articles):
        node = ox.NamedNode(f"{ID}sanction/a{number:03}/same")
        store.add(ox.Quad(node, RDF_TYPE, ox.NamedNode(SKG + "Sanction"),
                          ox.NamedNode(GRAPH + f"article/a{number:03}")))
    with pytest.raises(UsageError) as caught:
        inspect.resolve_entity(store, "same")
    lines = str(caught.value).splitlines()
    assert lines[0] == (f"'same' is ambiguous: it matches {articles} nodes; pass one of these "
                        "instead:")
    assert [line for line in lines if "skgid:sanction/" in line] == [
        f"  skgid:sanction/a{number:03}/same   (skg:Sanction)" for number in range(listed)]
    assert lines[-1] == (f"  … and {articles - listed} more" if listed < articles
                         else f"  skgid:sanction/a{articles - 1:03}/same   (skg:Sanction)")


@pytest.mark.parametrize("entity", ["skg: foo", "Note: nothing", "skg:Nope"])
def test_a_colon_is_blamed_on_a_prefix_only_for_an_undeclared_one(
        seed_build: Built, entity: str) -> None:
    with pytest.raises(UsageError) as caught:
        inspect.resolve_entity(open_read(seed_build.store), entity)
    assert "is no predeclared prefix" not in str(caught.value)


@pytest.mark.parametrize("entity", ["nothing-like-this", "state/atlantis", "<urn:x>", "skg:Nope"])
def test_unknown_entity(seed_build: Built, entity: str) -> None:
    with pytest.raises(UsageError, match=r"^nothing in the store matches"):
        inspect.resolve_entity(open_read(seed_build.store), entity)


def test_describe_a_fact_shows_its_own_quotes(seed_build: Built) -> None:
    description = inspect.describe(open_read(seed_build.store), "us-sanctions-on-iran")
    assert description.types == ("skg:Sanction",)
    assert [q.exact for q in description.quotes][-1] == "slapped crippling sanctions on the country"
    claims = {m.node for m in description.mentions}
    assert all(node.startswith("skgid:claim/") for node in claims) and claims
    assert f"\nFacts and claims ({len(claims)}, by {len(description.mentions)} links)\n" in (
        description.to_text())


def test_describe_text_and_json(seed_build: Built) -> None:
    description = inspect.describe(open_read(seed_build.store), "iran")
    text = description.to_text()
    assert text.startswith("skgid:state/iran — Iran\n  https://w3id.org/sanctions-kg/id/state/iran\n")
    distinct = len({mention.node for mention in description.mentions})
    assert distinct < len(description.mentions)  # claims whose several contents name Iran
    assert (f"\nFacts and claims ({distinct}, by {len(description.mentions)} links)\n"
            in text)
    assert "    quote [1116–1158]: “slapped crippling sanctions on the country”\n" in text
    document = json.loads(description.to_json())
    assert document["iri"] == IRAN and len(document["mentions"]) == len(description.mentions)


def test_cli_stats(seed_build: Built) -> None:
    result = run_cli("stats", "--store", seed_build.store, "--format", "json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["articles"] == [
        {"article": f"skgid:article/{SEED_ID}", "graph": GRAPH + f"article/{SEED_ID}",
         "facts": 38, "claims": 20}
    ]
    table = run_cli("stats", "--store", seed_build.store)
    assert table.code == 0
    assert "Facts and claims per article" in table.stdout and "skg:Sanction" in table.stdout


def test_cli_describe(seed_build: Built) -> None:
    result = run_cli("describe", "Islamic Republic of Iran", "--store", seed_build.store)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("skgid:state/iran — Iran\n")
    assert US_SANCTIONS in result.stdout
    as_json = run_cli("describe", "iran", "--format", "json", "--store", seed_build.store)
    assert json.loads(as_json.stdout)["iri"] == IRAN


def test_cli_describe_ambiguous_and_unknown(seed_build: Built) -> None:
    result = run_cli("describe", "agreement kind", "--store", seed_build.store)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: 'agreement kind' is ambiguous: it matches 2 nodes; pass one of these instead:\n"
        "error:   skg:AgreementKind  Agreement kind (skos:ConceptScheme)\n"
        "error:   skg:agreementKind  agreement kind (owl:ObjectProperty)\n"
    )
    unknown = run_cli("describe", "atlantis", "--store", seed_build.store)
    assert unknown.code == 2
    assert unknown.stderr == (
        "error: nothing in the store matches 'atlantis'; give an IRI, a prefixed name "
        "(skg:Sanction), an id path (state/iran), a slug (iran) or a label "
        "(Islamic Republic of Iran)\n"
    )


def test_describe_shows_control_characters_of_the_data_instead_of_sending_them() -> None:
    """An ESC in a label must not reach the terminal as an escape sequence."""
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    node = ox.NamedNode(ID + "state/x")
    store = ox.Store()
    store.add(ox.Quad(node, label, ox.Literal("X\x1b[2Jland"), ox.NamedNode(GRAPH + "reference")))
    text = inspect.describe(store, "state/x").to_text()
    assert "\x1b" not in text
    assert "X\\x1b[2Jland" in text
    assert json.loads(inspect.describe(store, "state/x").to_json())["label"] == "X\x1b[2Jland"
