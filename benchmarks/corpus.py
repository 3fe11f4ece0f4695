"""Synthetic corpora for the benchmark, in the real input format of ``sanctions-kg build``.

``generate(out, articles=N, seed=S)`` writes ``out/articles/<id>.txt``, ``out/facts/<id>.yaml``
and ``out/reference/*.yaml`` (only the entities the articles use, and what those entities point
to), plus ``out/corpus.json`` (what was generated) and, with ``defects=K``,
``out/defects.json`` (each injected defect: its kind and the focus node validation must report).

Each article is a small news story built from sentence templates, like the seed article
``data/articles/raisi-putin-samarkand-2022.txt``: two leaders meet at a summit, sanctions on
both states, attributed claims with their contents, and a random mix of further facts
(agreements, a withdrawal, accession steps, memberships, offices, deliveries, visits). The words
marked ``⟦…⟧`` in a template become evidence or quotes, so every quote is taken from the text
and is checked to occur exactly once in it.

Deterministic: the entity pool comes from ``random.Random(seed)`` and article ``i`` from its own
generator seeded with ``(seed, i)``, so the first 100 articles of a 1,000-article corpus are
the 100 articles of a 100-article corpus. Files are written sorted, without timestamps: the same
arguments give the same bytes.

    python benchmarks/corpus.py --articles 1000 --seed 1 --out benchmarks/corpus/n1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

GENERATOR_VERSION = 2  # 2: every part is reached; the memorandum signing as the seed has it
REPO = Path(__file__).resolve().parents[1]
SEED_REFERENCE = REPO / "data" / "reference"
SEED_FACTS = REPO / "data" / "facts"
INSTANCE_BASE = "https://w3id.org/sanctions-kg/id/"
MANIFEST = "corpus.json"
DEFECTS_FILE = "defects.json"
STATE_POOL = 200
ORGANISATION_POOL = 500
INTERNATIONAL_ORGANISATIONS = 100
PERSON_POOL = 5000
GROUP_POOL = 20
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
OPEN, CLOSE = "⟦", "⟧"

#: Defect kinds, each a rule the shapes check at severity Violation: the shape that reports it.
DEFECT_SHAPES = {
    "imposer-is-target": "https://w3id.org/sanctions-kg/shapes#SanctionShape-imposer-is-not-target",
    "end-before-start": "https://w3id.org/sanctions-kg/shapes#FactShape-end-after-start",
    "withdrawal-before-agreement":
        "https://w3id.org/sanctions-kg/shapes#WithdrawalShape-not-before-agreement",
}
DEFECT_KINDS = tuple(DEFECT_SHAPES)


# --- the entity pool --------------------------------------------------------------------------


@dataclass
class Entity:
    """A reference entity: its YAML mapping (``id``, ``type``, ``label`` first)."""

    data: dict[str, object]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def type(self) -> str:
        return str(self.data["type"])

    @property
    def label(self) -> str:
        return str(self.data["label"])

    def links(self) -> list[str]:
        """Ids of the entities this one points to."""
        ids: list[str] = []
        for key in ("locatedIn", "hasMember", "partOfState", "postIn"):
            value = self.data.get(key)
            if isinstance(value, list):
                ids.extend(str(i) for i in value)
            elif value:
                ids.append(str(value))
        return ids


@dataclass
class StateRoles:
    """Who holds the offices of one state, and its places and bodies."""

    presidents: list[Entity]
    foreign_ministers: list[Entity]
    prime_minister: Entity
    spokesperson: Entity
    ministry: Entity  # the foreign ministry, where the spokesperson works
    cities: list[Entity]


@dataclass
class OrganisationFacts:
    """Fixed history of an international organisation, so articles agree on it."""

    acronym: str
    founders: list[Entity]
    founded: int
    joined: list[Entity]
    secretary_general: Entity


@dataclass
class Pool:
    """Every entity articles may use, with the roles that tie them together."""

    entities: dict[str, Entity]
    states: list[Entity]
    state_weights: list[float]
    roles: dict[str, StateRoles]
    organisations: list[Entity]
    organisation_facts: dict[str, OrganisationFacts]
    bodies: list[Entity]
    persons: list[Entity]
    state_groups: list[Entity]
    person_groups: list[Entity]
    posts: dict[str, Entity] = field(default_factory=dict)

    def post(self, role: str, holder_of: Entity) -> Entity:
        """The post ``role`` (president, foreign-minister…) of a state or organisation."""
        return self.posts[f"{role}-of-{holder_of.id}"]


def slug(text: str) -> str:
    """Kebab-case ASCII: ``Côte d'Ivoire`` → ``cote-d-ivoire``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


_SYLLABLES = (
    "ka", "ren", "mo", "li", "sa", "ta", "vi", "no", "ra", "de", "mi", "lo", "ar", "el", "an",
    "is", "or", "ul", "be", "da", "fe", "ga", "ha", "jo", "ku", "ma", "ne", "pa", "ro", "si", "to",
    "va", "za", "ly", "mer", "tan", "dor", "bel", "kas", "lin", "vor", "sen", "tal", "mar", "nik",
    "os", "ur", "ev", "im",
)


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables)).capitalize()


def _seed_entities() -> list[Entity]:
    """The curated entities of the seed corpus: the named queries' defaults point at them."""
    entities: list[Entity] = []
    for path in sorted(SEED_REFERENCE.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entities.extend(Entity(dict(item)) for item in document.get("entities", []))
    return entities


def _seed_offices() -> list[tuple[str, str]]:
    """(post id, holder id) of the seed's Occupancy facts: its people keep their offices."""
    offices: list[tuple[str, str]] = []
    for path in sorted(SEED_FACTS.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for record in document.get("facts") or []:
            if record.get("type") == "Occupancy" and record.get("post") and record.get("holder"):
                offices.append((str(record["post"]), str(record["holder"])))
    return offices


def _pycountry_states(rng: random.Random, taken: set[str], count: int) -> list[Entity]:
    import pycountry

    candidates = []
    for country in sorted(pycountry.countries, key=lambda c: str(c.alpha_3)):
        name = str(country.name)
        label = str(getattr(country, "common_name", "") or name)
        if "," in label or name in taken:
            continue
        candidates.append((name, label))
    chosen = sorted(rng.sample(candidates, min(count, len(candidates))))
    return [
        Entity({"id": slug(label), "type": "State", "label": label, "pycountry": name,
                "source": "ISO 3166-1 via pycountry (synthetic benchmark corpus)"})
        for name, label in chosen
    ]


def build_pool(seed: int) -> Pool:
    """The entity pool of a seed: about 200 states, 500 organisations, 5,000 persons."""
    rng = random.Random(f"sanctions-kg-pool:{seed}")
    entities: dict[str, Entity] = {}

    def add(entity: Entity) -> Entity:
        return entities.setdefault(entity.id, entity)

    seed_entities = [add(entity) for entity in _seed_entities()]
    seed_states = [e for e in seed_entities if e.type == "State"]
    taken = {str(e.data.get("pycountry")) for e in seed_states}
    states = seed_states + [
        add(e) for e in _pycountry_states(rng, taken, STATE_POOL - len(seed_states))
        if e.id not in entities
    ]
    # A heavy tail: the seed's states first, so that the named queries' defaults have rows.
    weights = [1 / (rank + 1) ** 0.7 for rank in range(len(states))]
    synthetic = "Synthetic entity of the sanctions-kg benchmark corpus"

    names: set[str] = {e.label for e in seed_entities}

    def person() -> Entity:
        while True:
            label = f"{_word(rng, rng.randint(1, 2))} {_word(rng, rng.randint(2, 3))}"
            if label not in names and slug(label) not in entities:
                names.add(label)
                return add(Entity({"id": slug(label), "type": "Person", "label": label,
                                   "source": synthetic}))

    def city(state: Entity) -> Entity:
        while True:
            label = _word(rng, rng.randint(2, 3))
            if label not in names and slug(label) not in entities:
                names.add(label)
                return add(Entity({"id": slug(label), "type": "City", "label": label,
                                   "locatedIn": state.id, "source": synthetic}))

    def post(role: str, label: str, where: Entity) -> Entity:
        entity = add(Entity({"id": f"{role}-of-{where.id}", "type": "Post", "label": label,
                             "postIn": where.id, "source": synthetic}))
        return entity

    pool_posts: dict[str, Entity] = {}
    roles: dict[str, StateRoles] = {}
    bodies: list[Entity] = [e for e in seed_entities if e.type == "GovernmentBody"]
    other_bodies = ("Ministry of Finance", "Ministry of Energy", "Ministry of Defence",
                    "Central Bank", "Ministry of Trade")
    for state in states:
        ministry = add(Entity({
            "id": f"ministry-of-foreign-affairs-of-{state.id}", "type": "GovernmentBody",
            "label": f"Ministry of Foreign Affairs of {state.label}", "partOfState": state.id,
            "source": synthetic}))
        other = rng.choice(other_bodies)
        body = add(Entity({
            "id": f"{slug(other)}-of-{state.id}", "type": "GovernmentBody",
            "label": f"{other} of {state.label}", "partOfState": state.id, "source": synthetic}))
        bodies.extend([ministry, body])
        for role, label, where in (
            ("president", f"President of {state.label}", state),
            ("foreign-minister", f"Foreign Minister of {state.label}", state),
            ("prime-minister", f"Prime Minister of {state.label}", state),
            ("spokesperson", f"Spokesperson of the {ministry.label}", ministry),
        ):
            pool_posts[f"{role}-of-{where.id}"] = post(role, label, where)
        roles[state.id] = StateRoles(
            presidents=[person() for _ in range(3)],
            foreign_ministers=[person() for _ in range(2)],
            prime_minister=person(),
            spokesperson=person(),
            ministry=ministry,
            cities=[e for e in seed_entities if e.data.get("locatedIn") == state.id]
            + [city(state) for _ in range(3)],
        )

    organisations = [e for e in seed_entities if e.type == "InternationalOrganisation"]
    regions = ("Eurasian", "Atlantic", "Pacific", "Northern", "Southern", "Caspian", "Andean",
               "Baltic", "Sahel", "Arctic", "Gulf", "Mekong", "Danube", "Levant", "Coral Sea",
               "Indian Ocean", "Black Sea", "Red Sea", "Alpine", "Nordic")
    fields_ = ("Economic", "Security", "Trade", "Energy", "Development", "Customs", "Monetary",
               "Transit", "Maritime", "Defence")
    kinds = ("Union", "Council", "Community", "Organisation", "Forum", "Pact", "Alliance",
             "Partnership")
    labels = sorted(f"{r} {f} {k}" for r in regions for f in fields_ for k in kinds)
    for label in sorted(rng.sample(labels, INTERNATIONAL_ORGANISATIONS - len(organisations))):
        acronym = "".join(word[0] for word in label.split())
        organisations.append(add(Entity({
            "id": slug(label), "type": "InternationalOrganisation", "label": label,
            "altLabel": [acronym], "source": synthetic})))
    organisation_facts: dict[str, OrganisationFacts] = {}
    for organisation in organisations:
        pool_posts[f"secretary-general-of-{organisation.id}"] = post(
            "secretary-general", f"Secretary-General of the {organisation.label}", organisation)
        alt = organisation.data.get("altLabel") or []
        short = [a for a in alt if isinstance(a, str) and a.isupper()] if isinstance(alt, list) \
            else []
        members = _sample_weighted(rng, states, weights, 5)
        organisation_facts[organisation.id] = OrganisationFacts(
            acronym=short[0] if short else organisation.label,
            founders=members[:3],
            founded=rng.randint(1990, 2010),
            joined=members[3:],
            secretary_general=person(),
        )
    _seat_seed_holders(entities, roles, pool_posts)

    persons = [e for e in entities.values() if e.type == "Person"]
    while len(persons) < PERSON_POOL:
        persons.append(person())

    state_groups = [e for e in seed_entities if e.type == "StateGroup"]
    blocs = ("Western", "Eastern", "Northern", "Southern", "Coastal", "Island", "Landlocked",
             "Alpine", "Desert", "Steppe", "Lowland", "Highland", "Arctic", "Tropical", "Delta",
             "Lake", "River", "Mountain", "Gulf", "Ocean")
    for bloc in blocs[: GROUP_POOL - len(state_groups)]:
        member_ids = sorted(
            e.id for e in _sample_weighted(rng, states, weights, rng.randint(3, 6)))
        state_groups.append(add(Entity({
            "id": f"{slug(bloc)}-bloc", "type": "StateGroup", "label": f"the {bloc} bloc",
            "hasMember": member_ids, "source": synthetic})))
    person_groups = [e for e in seed_entities if e.type == "PersonGroup"]
    critics = ("opposition lawmakers", "sanctions hawks", "trade lobbyists", "energy analysts",
               "human rights groups", "former diplomats", "security experts",
               "banking regulators", "shipping insurers", "arms control experts",
               "policy scholars", "veteran negotiators", "exporters' associations",
               "think-tank researchers", "independent economists", "legal scholars",
               "parliamentary committees", "civil society groups", "investigative reporters",
               "compliance officers")
    for name in critics[: GROUP_POOL - len(person_groups)]:
        person_groups.append(add(Entity({
            "id": slug(name), "type": "PersonGroup", "label": name, "source": synthetic})))

    return Pool(
        entities=entities,
        states=states,
        state_weights=weights,
        roles=roles,
        organisations=organisations,
        organisation_facts=organisation_facts,
        bodies=bodies,
        persons=persons,
        state_groups=state_groups,
        person_groups=person_groups,
        posts=pool_posts,
    )


def _seat_seed_holders(entities: dict[str, Entity], roles: dict[str, StateRoles],
                       posts: dict[str, Entity]) -> None:
    """Give the seed's office holders their offices in every synthetic article, so that the
    named queries' default parameters (Iran, Ebrahim Raisi…) meet rows at every size.

    A seed post counts as the role named by the words of its label before " of " (President,
    Foreign Minister, Spokesperson) in the state it belongs to, directly or through a body.
    """
    for post_id, holder_id in _seed_offices():
        post, holder = entities.get(post_id), entities.get(holder_id)
        if post is None or holder is None:
            continue
        owner = entities.get(str(post.data.get("postIn")))
        state_id = (owner.id if owner is not None and owner.type == "State"
                    else str(owner.data.get("partOfState")) if owner is not None else "")
        role = slug(post.label.split(" of ")[0])
        seat = roles.get(state_id)
        if seat is None or owner is None:
            continue
        if role == "president":
            seat.presidents = [holder] * len(seat.presidents)
        elif role == "foreign-minister":
            seat.foreign_ministers = [holder] * len(seat.foreign_ministers)
        elif role == "spokesperson" and owner.type == "GovernmentBody":
            seat.spokesperson, seat.ministry = holder, owner
        else:
            continue
        posts[f"{role}-of-{owner.id}"] = post


def _sample_weighted(
    rng: random.Random, items: Sequence[Entity], weights: Sequence[float], count: int,
    *, exclude: Iterable[Entity] = ()
) -> list[Entity]:
    """``count`` distinct items, drawn by weight."""
    chosen: list[Entity] = []
    seen = {e.id for e in exclude}
    while len(chosen) < count:
        item = rng.choices(items, weights)[0]
        if item.id not in seen:
            seen.add(item.id)
            chosen.append(item)
    return chosen


# --- one article ------------------------------------------------------------------------------


class QuoteError(ValueError):
    """A quote of a generated article does not occur exactly once in its text."""


@dataclass
class Story:
    """One article under construction: its paragraphs and its facts and claims."""

    article_id: str
    published: dt.date
    rng: random.Random
    pool: Pool
    paragraphs: list[list[str]] = field(default_factory=list)
    facts: list[dict[str, object]] = field(default_factory=list)
    claims: list[dict[str, object]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    records: dict[str, str] = field(default_factory=dict)  # id → type
    parts: set[str] = field(default_factory=set)  # the optional parts (PARTS) it tells

    def ref(self, entity: Entity) -> str:
        """Use a reference entity; its id."""
        self.used.add(entity.id)
        return entity.id

    def say(self, *sentences: str) -> list[str]:
        """Add a paragraph; return the words marked ⟦…⟧ (which may nest), by opening order."""
        quotes: list[str] = []
        plain = []
        for sentence in sentences:
            text, opened = "", []
            for char in sentence:
                if char == OPEN:
                    opened.append((len(quotes), len(text)))
                    quotes.append("")
                elif char == CLOSE:
                    slot, start = opened.pop()
                    quotes[slot] = text[start:]
                else:
                    text += char
            plain.append(text)
        self.paragraphs.append(plain)
        return quotes

    def add(self, section: str, type_: str, hint: str, fields: dict[str, object],
            evidence: Sequence[str] = (), *, label: str | None = None,
            quote: str | None = None, content: Sequence[dict[str, object]] = ()) -> str:
        """Add a fact or claim; its id (kebab-case, unique in the article, and never the id of a
        reference entity: a reference to that id would name the fact instead)."""
        base = slug(hint)[:60].strip("-")
        ident, number = base, 1
        while ident in self.ids or ident in self.pool.entities:
            number += 1
            ident = f"{base}-{number}"
        self.ids.add(ident)
        self.records[ident] = type_
        record: dict[str, object] = {"id": ident, "type": type_}
        if label is not None:
            record["label"] = label
        record.update({key: value for key, value in fields.items() if value is not None})
        if quote is not None:
            record["quote"] = quote
        if evidence:
            record["evidence"] = list(dict.fromkeys(evidence))
        if content:
            record["content"] = list(content)
        (self.facts if section == "facts" else self.claims).append(record)
        return ident

    def fact(self, type_: str, hint: str, fields: dict[str, object], evidence: Sequence[str],
             *, label: str | None = None) -> str:
        return self.add("facts", type_, hint, fields, evidence, label=label)

    def claim(self, hint: str, fields: dict[str, object], quote: str,
              content: Sequence[dict[str, object]], evidence: Sequence[str] = ()) -> str:
        return self.add("claims", "Claim", hint, fields, evidence, quote=quote, content=content)

    @property
    def text(self) -> str:
        return "".join(" ".join(paragraph) + "\n" for paragraph in self.paragraphs)

    def focus(self, record_id: str) -> str:
        """The IRI of a fact or claim of this article (docs/design.md, IRIs)."""
        kind = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", self.records[record_id]).lower()
        return f"{INSTANCE_BASE}{kind}/{self.article_id}/{record_id}"

    def check_quotes(self) -> None:
        """Every evidence and quote occurs exactly once in the text."""
        text = self.text
        for record in (*self.facts, *self.claims):
            words = [*_as_list(record.get("evidence")), *_as_list(record.get("quote"))]
            for quote in words:
                if _occurrences(text, str(quote)) != 1:
                    raise QuoteError(f"{self.article_id}/{record['id']}: {quote!r}")


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _occurrences(text: str, part: str) -> int:
    count, start = 0, text.find(part)
    while start >= 0:
        count += 1
        start = text.find(part, start + 1)
    return count


def _day(value: dt.date) -> str:
    return value.isoformat()


def _spoken(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def _words(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


AREAS = {"Political": "political", "Economic": "economic", "Trade": "trade",
         "Aerospace": "aerospace", "Transit": "transit", "Energy": "energy",
         "Security": "security"}
SCOPES = {"EnergyExports": "energy exports", "InternationalBanking": "international banking",
          "Economy": "economy", "Trade": "trade"}
SEVERITIES = ("crippling", "sweeping", "targeted", "punishing", "tough", "broad")
COMMODITIES = {"NaturalGas": "natural gas", "Oil": "oil"}


@dataclass
class Cast:
    """Who and where an article is about."""

    a: Entity  # the state whose president speaks
    b: Entity  # the state he meets
    c: Entity  # the state whose sanctions hit a
    imposer_b: Entity  # the state, group or organisation whose sanctions hit b
    others: list[Entity]  # more states at the summit
    victim: Entity  # a state b invades
    organisation: Entity
    host_city: Entity
    host: Entity
    president_a: Entity
    president_b: Entity
    president_c: Entity
    critics: Entity
    meeting_day: dt.date
    relations: str = ""
    meeting: str = ""
    summit: str = ""
    sanction_a: str = ""
    sanction_b: str = ""
    agreement: str = ""
    membership: str = ""


Module = Callable[[Story, Cast], None]


def _cast(story: Story) -> Cast:
    rng, pool = story.rng, story.pool
    a, b, c, victim, *others = _sample_weighted(rng, pool.states, pool.state_weights,
                                                4 + rng.randint(1, 3))
    imposer_choices = [*pool.state_groups, *pool.organisations[:10]]
    imposer_b = (
        rng.choice(imposer_choices) if rng.random() < 0.5
        else _sample_weighted(rng, pool.states, pool.state_weights, 1, exclude=[a, b])[0]
    )
    host = rng.choice([a, b, *others])
    term = story.published.year // 4 % 3
    monday = story.published - dt.timedelta(days=story.published.weekday())
    meeting = monday + dt.timedelta(days=rng.randint(1, min(5, story.published.weekday())))
    return Cast(
        a=a, b=b, c=c, imposer_b=imposer_b, others=others, victim=victim,
        organisation=rng.choice(pool.organisations),
        host_city=rng.choice(pool.roles[host.id].cities), host=host,
        president_a=pool.roles[a.id].presidents[term],
        president_b=pool.roles[b.id].presidents[term],
        president_c=pool.roles[c.id].presidents[(term + 2) % 3],
        critics=rng.choice(pool.person_groups),
        meeting_day=meeting,
    )


def _core(story: Story, cast: Cast, defect: str | None) -> None:
    """The meeting, the summit, both presidents, the relations, both sanctions, five claims."""
    rng, r = story.rng, story.ref
    a, b, c = cast.a, cast.b, cast.c
    pa, pb = cast.president_a, cast.president_b
    o = cast.organisation
    acronym = story.pool.organisation_facts[o.id].acronym
    weekday = WEEKDAYS[cast.meeting_day.weekday()]
    end_day = WEEKDAYS[cast.meeting_day.weekday() + 1]
    character = rng.choice(["Strategic", "NotOrdinary"])
    areas = sorted(rng.sample(sorted(AREAS), rng.randint(1, 3)))
    area_words = _words([AREAS[x] for x in areas])

    q = story.say(
        f"{OPEN}Relations between {a.label} and {b.label} are "
        f"{'strategic' if character == 'Strategic' else 'not ordinary'} and {a.label} aims to "
        f"boost {area_words} ties{CLOSE}, {OPEN}{a.label}'s president said {weekday} in a "
        f"meeting with {pb.label}{CLOSE}.",
    )
    relation_quote, meeting_quote = q
    q2 = story.say(
        f"On the sidelines of the {OPEN}{o.label} summit in {cast.host_city.label}, "
        f"{cast.host.label}{CLOSE} {weekday}, {OPEN}{OPEN}President {pa.label}{CLOSE} assured "
        f"his counterpart {pb.label}{CLOSE} that {OPEN}{a.label} will never recognize the "
        f"sanctions against {b.label}{CLOSE}.",
        f"{OPEN}The summit, which brings together leaders of "
        f"{_words([x.label for x in (a, b, *cast.others)])}, ends on {end_day}{CLOSE}.",
    )
    summit_quote, assured, president_a_quote, refusal_quote, leaders_quote = q2
    counterpart = f"his counterpart {pb.label}"

    cast.relations = story.fact(
        "BilateralRelations", f"{a.id}-{b.id}-relations", {"party": [r(a), r(b)]},
        [f"Relations between {a.label} and {b.label}"], label=f"{a.label}–{b.label} relations")
    cast.summit = story.fact(
        "Summit", f"{acronym}-summit-{cast.meeting_day.year}",
        {"actor": r(o), "place": r(cast.host_city),
         "participant": [r(x) for x in (a, b, *cast.others)] + [r(pa)],
         "startDate": {"latest": _day(cast.meeting_day), "expression": weekday},
         "endDate": {"expression": end_day}},
        [summit_quote, leaders_quote],
        label=f"{o.label} summit in {cast.host_city.label}, {cast.meeting_day.year}")
    cast.meeting = story.fact(
        "BilateralMeeting", f"{pa.id}-{pb.id}-meeting",
        {"participant": [r(pa), r(pb)], "date": {"expression": weekday},
         "partOf": cast.summit, "place": r(cast.host_city)},
        [meeting_quote, summit_quote],
        label=f"Meeting of {pa.label} and {pb.label} in {cast.host_city.label}")
    for holder, state, evidence in ((pa, a, president_a_quote), (pb, b, counterpart)):
        story.fact(
            "Occupancy", f"{holder.id}-president-of-{state.id}",
            {"holder": r(holder), "post": r(story.pool.post("president", state)),
             "attestedDate": {"expression": weekday}},
            [evidence])
    story.claim(
        f"{pa.id}-relations-{slug(character)}",
        {"speaker": r(pa), "addressee": r(pb), "date": {"expression": weekday},
         "madeAt": cast.meeting, "channel": "InPersonRemark",
         "claimKind": ["AssessmentOfRelations", "CommitmentToCooperate"],
         "modality": "Intention"},
        relation_quote,
        [{"subject": cast.relations, "predicate": "hasRelationCharacter", "object": character,
          "modality": "Asserted"},
         {"subject": r(a), "predicate": "willStrengthenRelationsWith", "object": r(b),
          "area": areas}],
        [meeting_quote])

    since = story.published.year - rng.randint(1, 8)
    severity = rng.choice(SEVERITIES)
    q3 = story.say(
        f"{OPEN}{pa.label} also stressed{CLOSE} that {OPEN}cooperation between {a.label} and "
        f"{b.label} can neutralize the effects of the sanctions of {c.label} on both "
        f"countries{CLOSE}.",
        f"{OPEN}{pa.label} and his government{CLOSE} consider {OPEN}relations with {b.label} a "
        f"powerful tool in overcoming the sanctions of {c.label}{CLOSE}, which "
        f"{OPEN}have hurt the economy of {a.label} since {since}{CLOSE}, when "
        f"{OPEN}{c.label} imposed {severity} sanctions on {a.label}{CLOSE}.",
    )
    stressed, neutralise, government, tool, hurt, imposed = q3
    target_a = c if defect == "imposer-is-target" else a
    start = {"expression": f"since {since}"}
    cast.sanction_a = story.fact(
        "Sanction", f"{c.id}-sanctions-on-{a.id}",
        {"imposer": r(c), "target": r(target_a), "scope": ["Economy"], "severity": severity,
         "startDate": start,
         "endDate": str(since - 2) if defect == "end-before-start" else None,
         "description": f"hurt the economy of {a.label}"},
        [imposed, hurt], label=f"Sanctions of {c.label} on {a.label} (since {since})")
    story.claim(
        f"{pa.id}-refuses-sanctions-on-{b.id}",
        {"speaker": r(pa), "addressee": r(pb), "date": {"expression": weekday},
         "madeAt": cast.meeting, "channel": "InPersonRemark",
         "claimKind": ["RefusalToRecogniseSanctions"], "modality": "Commitment"},
        refusal_quote, [], [assured])
    # The contents of this claim point at sanction_b, so it is filled in below.
    refusal = story.claims[-1]
    story.claim(
        f"{pa.id}-cooperation-neutralises-sanctions",
        {"speaker": r(pa), "date": {"expression": weekday}, "madeAt": cast.meeting,
         "channel": "InPersonRemark", "claimKind": ["AssessmentOfSanctionsNeutralisation"],
         "modality": "Possibility"},
        neutralise,
        [{"subject": cast.relations, "predicate": "canNeutraliseSanctionsOf", "object": r(c)},
         {"subject": r(c), "predicate": "imposesSanctionsOn", "object": r(a)},
         {"subject": r(c), "predicate": "imposesSanctionsOn", "object": r(b)}],
        [stressed])
    story.claim(
        f"{pa.id}-relations-tool-against-sanctions",
        {"speaker": r(pa), "channel": "ReportedPosition", "claimKind": ["PolicyPosition"],
         "modality": "Asserted"},
        tool,
        [{"subject": cast.relations, "predicate": "isToolForOvercoming",
          "object": cast.sanction_a}],
        [government])

    scopes = sorted(rng.sample(["EnergyExports", "InternationalBanking", "Trade"],
                               rng.randint(1, 2)))
    scope_words = _words([SCOPES[s] for s in scopes])
    month = rng.randint(1, 12)
    year = story.published.year - rng.randint(1, 3)
    ib = cast.imposer_b
    q4 = story.say(
        f"That is exactly what {OPEN}{cast.critics.label} argue{CLOSE}.",
        f"{OPEN}Freeing {a.label} from the sanctions of {c.label} will open a back door for "
        f"{b.label} to evade {OPEN}the sanctions of {ib.label} on its {scope_words}{CLOSE}"
        f"{CLOSE}.",
        f"{OPEN}{ib.label[0].upper() + ib.label[1:]} imposed those sanctions on {b.label} in "
        f"{MONTHS[month - 1]} {year}{CLOSE}.",
    )
    argue, argument, on_b, imposed_b = q4
    cast.sanction_b = story.fact(
        "Sanction", f"{ib.id}-sanctions-on-{b.id}",
        {"imposer": r(ib), "target": r(b), "scope": scopes,
         "startDate": f"{year}-{month:02d}"},
        [on_b, imposed_b], label=f"Sanctions of {ib.label} on {b.label}")
    refusal["content"] = [{"subject": r(a), "predicate": "doesNotRecognise",
                           "object": cast.sanction_b}]
    story.claim(
        f"{cast.critics.id}-relief-enables-evasion",
        {"speaker": r(cast.critics), "channel": "Argument",
         "claimKind": ["SanctionsEvasionWarning"], "modality": "Asserted"},
        argument,
        [{"subject": cast.sanction_a, "predicate": "wouldEnableEvasionOf",
          "object": cast.sanction_b}],
        [argue])


# --- optional modules: each adds a paragraph and a known number of facts and claims -----------


def _swap_deals(story: Story, cast: Cast) -> None:
    a, b, r = cast.a, cast.b, story.ref
    year = story.published.year - story.rng.randint(0, 4)
    signed, disguise = story.say(
        f"Already {OPEN}{a.label} and {b.label} signed deals for natural gas and oil swaps in "
        f"{year}{CLOSE}, {OPEN}which can help disguise the energy exports of {b.label}{CLOSE}.")
    deals = []
    for commodity, words in COMMODITIES.items():
        deals.append(story.fact(
            "Agreement", f"{a.id}-{b.id}-{slug(words)}-swap-deal",
            {"agreementKind": "SwapDeal", "commodity": commodity, "party": [r(a), r(b)],
             "area": ["Energy"], "date": str(year)},
            [signed], label=f"{a.label}–{b.label} {words} swap deal"))
    story.claim(
        f"{cast.critics.id}-swaps-disguise-exports",
        {"speaker": r(cast.critics), "channel": "Argument",
         "claimKind": ["SanctionsEvasionWarning"], "modality": "Possibility"},
        disguise,
        [{"subject": deal, "predicate": "canHelpDisguise", "object": r(b), "area": ["Energy"]}
         for deal in deals])


def _withdrawal(story: Story, cast: Cast, defect: str | None = None) -> None:
    a, c, pc, r = cast.a, cast.c, cast.president_c, story.ref
    signed = story.published.year - story.rng.randint(5, 10)
    left = signed + story.rng.randint(1, 4)
    if defect == "withdrawal-before-agreement":
        left = signed - 2
    whole, former, quote = story.say(
        f"Sanctions followed {OPEN}{OPEN}former {c.label} President {pc.label}{CLOSE} pulled "
        f"out of {OPEN}the {signed} nuclear agreement between {c.label} and {a.label}{CLOSE} "
        f"in {left}{CLOSE}.")
    cast.agreement = story.fact(
        "Agreement", f"{c.id}-{a.id}-nuclear-agreement-{signed}",
        {"agreementKind": "NuclearAgreement", "date": str(signed), "party": [r(c), r(a)]},
        [quote], label=f"{signed} nuclear agreement between {c.label} and {a.label}")
    story.fact(
        "Withdrawal", f"{c.id}-withdrawal-from-nuclear-agreement",
        {"withdrawingParty": r(c), "actor": r(pc), "agreement": cast.agreement,
         "date": {"value": str(left), "expression": f"in {left}"}},
        [whole], label=f"Withdrawal of {c.label} from the {signed} nuclear agreement")
    story.fact(
        "Occupancy", f"{pc.id}-president-of-{c.id}",
        {"holder": r(pc), "post": r(story.pool.post("president", c)),
         "attestedDate": str(left),
         "endDate": {"latest": _day(story.published), "expression": "former"}},
        [former])


def _talks(story: Story, cast: Cast) -> None:
    a, r = cast.a, story.ref
    year = str(story.published.year)
    (quote,) = story.say(
        f"{OPEN}{a.label} keeps to the talks for the restoration of the agreement with "
        f"{cast.c.label}{CLOSE}, officials said.")
    story.fact(
        "Negotiation", f"{a.id}-talks-on-nuclear-agreement",
        {"participant": [r(a)], "agreement": cast.agreement, "attestedDate": year},
        [quote], label=f"Talks for the restoration of the agreement with {cast.c.label}")


def _policy(story: Story, cast: Cast) -> None:
    c, r = cast.c, story.ref
    body = story.rng.choice([x for x in story.pool.bodies if x.data.get("partOfState") == c.id]
                            or [story.pool.roles[c.id].ministry])
    (quote,) = story.say(
        f"Critics opposed {OPEN}the policy of the {body.label} of reviving the agreement with "
        f"{cast.a.label}{CLOSE}.")
    story.fact(
        "Policy", f"{body.id}-revival-policy",
        {"policyHolder": r(body), "agreement": cast.agreement,
         "aim": f"reviving the agreement with {cast.a.label}"},
        [quote], label=f"Policy of the {body.label} of reviving the agreement")


def _accession(story: Story, cast: Cast) -> None:
    rng, a, o, r = story.rng, cast.a, cast.organisation, story.ref
    facts = story.pool.organisation_facts[o.id]
    month = rng.randint(1, 12)
    year = story.published.year - 1
    city = rng.choice(story.pool.roles[cast.host.id].cities)
    years = rng.randint(2, 12)
    approved, conference, slow = story.say(
        f"{OPEN}The {facts.acronym} approved the application of {a.label} for accession last "
        f"year{CLOSE} {OPEN}at a conference in {city.label}, {cast.host.label}, in "
        f"{MONTHS[month - 1]}{CLOSE} {OPEN}after {years} years of a slow process{CLOSE}.")
    application = f"the application of {a.label} for accession"
    expression = f"last year … in {MONTHS[month - 1]}"
    cast.membership = story.fact(
        "Membership", f"{a.id}-{o.id}-membership",
        {"member": r(a), "organisation": r(o), "membershipStatus": "Acceding"},
        [approved], label=f"Membership of {a.label} in the {o.label}")
    story.fact(
        "AccessionApplication", f"{a.id}-{o.id}-application",
        {"actor": r(a), "membership": cast.membership, "date": {"latest": f"{year}-{month:02d}"}},
        [application], label=f"Application of {a.label} for accession to the {o.label}")
    meeting = story.fact(
        "Conference", f"{o.id}-conference-{city.id}",
        {"actor": r(o), "place": r(city), "date": {"expression": expression}},
        [conference], label=f"{facts.acronym} conference in {city.label}, {year}")
    story.fact(
        "ApplicationApproval", f"{a.id}-{o.id}-application-approved",
        {"actor": r(o), "membership": cast.membership, "date": {"expression": expression},
         "place": r(city), "partOf": meeting, "description": f"after {years} years of a slow "
         "process"},
        [approved, conference, slow],
        label=f"Approval of the application of {a.label} by the {o.label}")


def _memorandum(story: Story, cast: Cast) -> None:
    """The seed's S14 and S22: the article states that the state has signed; who signed, and
    when, only the foreign minister's tweet says, so that is his claim, not a fact."""
    rng, a, o, r = story.rng, cast.a, cast.organisation, story.ref
    term = story.published.year // 3 % 2
    minister = story.pool.roles[a.id].foreign_ministers[term]
    tweet_day = cast.meeting_day - dt.timedelta(days=1)
    weekday = WEEKDAYS[tweet_day.weekday()]
    areas = sorted(rng.sample(sorted(AREAS), rng.randint(2, 4)))
    signed, documents, tweet, title, memorandum, phase = story.say(
        f"{OPEN}{a.label} has signed {OPEN}documents pertaining to full membership in the "
        f"{o.label}{CLOSE}{CLOSE}.",
        f"{OPEN}In a tweet {weekday}{CLOSE}, {OPEN}Foreign Minister {minister.label}{CLOSE} "
        f"said {OPEN}he had signed a memorandum of commitments to join the {o.label} as a full "
        f"member{CLOSE}, calling it {OPEN}a new phase of {_words([AREAS[x] for x in areas])} "
        f"cooperation with the body{CLOSE}.")
    memo_words = f"a memorandum of commitments to join the {o.label} as a full member"
    by_publication = {"latest": _day(story.published), "expression": "has signed"}
    tweet_id = story.fact(
        "Tweet", f"{minister.id}-tweet", {"actor": r(minister), "date": {"expression": weekday}},
        [tweet], label=f"Tweet of {minister.label} on the {o.label} memorandum")
    story.fact(
        "Occupancy", f"{minister.id}-foreign-minister-of-{a.id}",
        {"holder": r(minister), "post": r(story.pool.post("foreign-minister", a)),
         "attestedDate": {"expression": weekday}},
        [title])
    memo = story.fact(
        "Agreement", f"{a.id}-{o.id}-accession-memorandum",
        {"agreementKind": "AccessionMemorandum", "party": [r(a), r(o)], "date": by_publication},
        [documents, memo_words], label=f"Memorandum of commitments to join the {o.label}")
    story.fact(
        "MemorandumSigning", f"{a.id}-{o.id}-memorandum-signing",
        {"actor": r(a), "membership": cast.membership, "agreement": memo,
         "date": by_publication},
        [signed], label=f"Signing of the {o.label} accession memorandum")
    base = {"speaker": r(minister), "date": {"expression": weekday}, "madeAt": tweet_id,
            "channel": "SocialMediaPost"}
    story.claim(
        f"{minister.id}-signed-memorandum",
        {**base, "claimKind": ["AccessionReport"], "modality": "Asserted"}, memorandum,
        [{"subject": r(minister), "predicate": "signed", "object": memo}])
    story.claim(
        f"{minister.id}-new-phase",
        {**base, "claimKind": ["AssessmentOfRelations"], "modality": "Asserted"}, phase,
        [{"subject": r(a), "predicate": "opensPhaseOfCooperationWith", "object": r(o),
          "area": areas}])


def _accession_timeline(story: Story, cast: Cast) -> None:
    a, o, r = cast.a, cast.organisation, story.ref
    facts = story.pool.organisation_facts[o.id]
    official = facts.secretary_general
    title, quote = story.say(
        f"According to {OPEN}{facts.acronym} Secretary-General {official.label}{CLOSE}, "
        f"{OPEN}it may take some time for {a.label} to complete the accession "
        f"procedure{CLOSE}.")
    story.fact(
        "Occupancy", f"{official.id}-secretary-general-of-{o.id}",
        {"holder": r(official), "post": r(story.pool.post("secretary-general", o))},
        [title])
    story.claim(
        f"{official.id}-accession-may-take-time",
        {"speaker": r(official), "channel": "ReportedPosition",
         "claimKind": ["AccessionTimelineAssessment"], "modality": "Hedged"},
        quote, [{"subject": r(a), "predicate": "mayTakeTimeToComplete",
                 "object": cast.membership}])


def _founding(story: Story, cast: Cast) -> None:
    o, r = cast.organisation, story.ref
    facts = story.pool.organisation_facts[o.id]
    founders = facts.founders
    joined = facts.joined
    founded, expanded = story.say(
        f"{OPEN}The {o.label} was founded by {_words([x.label for x in founders])} in "
        f"{facts.founded}{CLOSE} and {OPEN}has since expanded its membership to include "
        f"{_words([x.label for x in joined])}{CLOSE}.")
    story.fact(
        "Founding", f"{o.id}-founding",
        {"actor": [r(x) for x in founders], "organisation": r(o), "date": str(facts.founded)},
        [founded], label=f"Founding of the {o.label}")
    story.fact(
        "Membership", f"{founders[0].id}-{o.id}-membership",
        {"member": r(founders[0]), "organisation": r(o), "membershipStatus": "FoundingMember",
         "startDate": str(facts.founded)},
        [founded])
    story.fact(
        "Membership", f"{joined[0].id}-{o.id}-membership",
        {"member": r(joined[0]), "organisation": r(o), "membershipStatus": "FullMember",
         "startDate": {"earliest": str(facts.founded), "latest": _day(story.published),
                       "expression": "has since expanded"}},
        [expanded])


def _invasion(story: Story, cast: Cast) -> None:
    a, b, v, r = cast.a, cast.b, cast.victim, story.ref
    supported, invasion, delivered, recent = story.say(
        f"{OPEN}{a.label} has also supported {OPEN}the invasion of {v.label} by "
        f"{b.label}{CLOSE}{CLOSE} and {OPEN}has delivered military drones to {b.label}{CLOSE}.",
        f"{OPEN}Recent images from {v.label} show suicide drones made in {a.label} being used "
        f"in the war{CLOSE}.")
    war = story.fact(
        "Invasion", f"{b.id}-invasion-of-{v.id}",
        {"actor": r(b), "affectedParty": r(v), "place": r(v)},
        [invasion], label=f"Invasion of {v.label} by {b.label}")
    story.fact(
        "Support", f"{a.id}-support-for-invasion-of-{v.id}",
        {"supporter": r(a), "supported": war}, [supported],
        label=f"Support of {a.label} for the invasion of {v.label}")
    latest = _day(story.published)
    story.fact(
        "MaterielDelivery", f"{a.id}-drone-deliveries-to-{b.id}",
        {"actor": r(a), "recipient": r(b), "materiel": "MilitaryDrone", "materielOrigin": r(a),
         "eventStatus": "Occurred", "date": {"latest": latest, "expression": "has delivered"}},
        [delivered], label=f"Military drone deliveries from {a.label} to {b.label}")
    story.fact(
        "MaterielUse", f"drones-of-{a.id}-used-in-{v.id}",
        {"materiel": "SuicideDrone", "materielOrigin": r(a), "place": r(v), "partOf": war,
         "eventStatus": "Occurred", "date": {"latest": latest, "expression": "Recent"}},
        [recent], label=f"Suicide drones made in {a.label} used in {v.label}")


def _delegation(story: Story, cast: Cast) -> None:
    a, b, pb, r = cast.a, cast.b, cast.president_b, story.ref
    size = story.rng.randint(10, 120)
    city = story.pool.roles[a.id].cities[0]
    announced, visit = story.say(
        f"For his part, {OPEN}{pb.label} announced in the meeting{CLOSE} that {OPEN}a "
        f"delegation of {size} large companies from {b.label} will visit {city.label} next "
        f"week{CLOSE}.")
    claim_id = f"{pb.id}-announces-delegation"
    visit_id = story.fact(
        "DelegationVisit", f"{b.id}-delegation-to-{city.id}",
        {"delegationOf": r(b), "delegationSize": size, "destination": r(city),
         "eventStatus": "Planned", "announcedIn": claim_id, "date": {"expression": "next week"},
         "description": f"a delegation of {size} large companies from {b.label}"},
        [visit], label=f"Visit of a delegation from {b.label} to {city.label}")
    story.claim(
        claim_id,
        {"speaker": r(pb), "date": {"expression": WEEKDAYS[cast.meeting_day.weekday()]},
         "madeAt": cast.meeting, "channel": "PublicAnnouncement",
         "claimKind": ["AnnouncementOfVisit"], "modality": "Commitment"},
        visit, [{"subject": r(b), "predicate": "announcesVisit", "object": visit_id}],
        [announced])


def _remarks(story: Story, cast: Cast) -> None:
    a, b, pb, r = cast.a, cast.b, cast.president_b, story.ref
    minister = story.pool.roles[a.id].prime_minister
    weekday = WEEKDAYS[cast.meeting_day.weekday()]
    said, cooperate, added, projects, title, interested, of = story.say(
        f"{OPEN}The President of {b.label} said{CLOSE} {OPEN}{a.label} and {b.label} actively "
        f"cooperate on the international arena and their positions coincide on many "
        f"issues{CLOSE}.",
        f"{OPEN}He added that{CLOSE} {OPEN}many joint projects are moving forward thanks to the "
        f"support of {OPEN}Prime Minister {minister.label}{CLOSE}{CLOSE}.",
        f"“{OPEN}We are interested in his further support{CLOSE},” {OPEN}{pb.label} said of "
        f"{minister.label}{CLOSE}.")
    story.fact(
        "Occupancy", f"{minister.id}-prime-minister-of-{a.id}",
        {"holder": r(minister), "post": r(story.pool.post("prime-minister", a)),
         "attestedDate": {"expression": weekday}},
        [title])
    base = {"speaker": r(pb), "date": {"expression": weekday}, "madeAt": cast.meeting,
            "channel": "InPersonRemark", "claimKind": ["AssessmentOfRelations"]}
    story.claim(
        f"{pb.id}-cooperation-on-international-arena", {**base, "modality": "Asserted"},
        cooperate,
        [{"subject": r(a), "predicate": "cooperatesWith", "object": r(b),
          "area": ["InternationalArena"]},
         {"subject": r(a), "predicate": "hasCoincidingPositionsWith", "object": r(b)}],
        [said])
    story.claim(
        f"{pb.id}-projects-thanks-to-{minister.id}", {**base, "modality": "Asserted"}, projects,
        [{"subject": cast.relations, "predicate": "advancesThanksTo", "object": r(minister)}],
        [added])
    story.claim(
        f"{pb.id}-seeks-support-of-{minister.id}", {**base, "modality": "Intention"},
        interested, [{"subject": r(b), "predicate": "seeksSupportOf", "object": r(minister)}],
        [of])


def _spokesperson(story: Story, cast: Cast) -> None:
    a, r = cast.a, story.ref
    roles = story.pool.roles[a.id]
    person = roles.spokesperson
    post = story.pool.post("spokesperson", roles.ministry)
    day = cast.meeting_day - dt.timedelta(days=1)
    weekday = WEEKDAYS[day.weekday()]
    title, wrote, acts = story.say(
        f"{OPEN}Foreign ministry spokesperson {person.label}{CLOSE} {OPEN}wrote on social "
        f"media on {weekday}{CLOSE} that {a.label} {OPEN}acts dynamically, intelligently and "
        f"balanced in realizing the strategic goals of its foreign policy{CLOSE}.")
    story.fact(
        "Occupancy", f"{person.id}-spokesperson", {
            "holder": r(person), "post": r(post), "attestedDate": {"expression": weekday}},
        [title])
    post_id = story.fact(
        "Tweet", f"{person.id}-post", {"actor": r(person), "date": {"expression": weekday}},
        [wrote], label=f"Social media post of {person.label}")
    story.claim(
        f"{person.id}-acts-dynamically",
        {"speaker": r(person), "date": {"expression": weekday}, "madeAt": post_id,
         "channel": "SocialMediaPost", "claimKind": ["PolicyPosition"], "modality": "Asserted"},
        acts, [{"subject": r(a), "predicate": "actsInForeignPolicy", "object": cast.relations}],
        [title])


def _expand(story: Story, cast: Cast) -> None:
    a, b, r = cast.a, cast.b, story.ref
    areas = sorted(story.rng.sample(sorted(AREAS), story.rng.randint(2, 4)))
    wish, told = story.say(
        f"“Our relations are of a strategic nature. {OPEN}{a.label} wishes to expand its "
        f"relations with {b.label} in all {_words([AREAS[x] for x in areas])} areas{CLOSE},” "
        f"{OPEN}he told the President of {b.label}{CLOSE}.")
    story.claim(
        f"{cast.president_a.id}-wishes-to-expand-relations",
        {"speaker": r(cast.president_a), "addressee": r(cast.president_b),
         "date": {"expression": WEEKDAYS[cast.meeting_day.weekday()]}, "madeAt": cast.meeting,
         "channel": "InPersonRemark", "claimKind": ["CommitmentToCooperate"],
         "modality": "Intention"},
        wish, [{"subject": r(a), "predicate": "seeksToExpandRelationsWith", "object": r(b),
                "area": areas}],
        [told])


def _perception(story: Story, cast: Cast) -> None:
    (quote,) = story.say(
        f"“{OPEN}The leaders of {cast.c.label} think whichever country they impose sanctions "
        f"on, it will be stopped; their perception is a wrong one{CLOSE}.”")
    story.claim(
        f"{cast.president_a.id}-perception-is-wrong",
        {"speaker": story.ref(cast.president_a), "addressee": story.ref(cast.president_b),
         "date": {"expression": WEEKDAYS[cast.meeting_day.weekday()]}, "madeAt": cast.meeting,
         "channel": "InPersonRemark", "claimKind": ["AssessmentOfSanctionsEffect"],
         "modality": "Asserted"},
        quote, [{"subject": story.ref(cast.c), "predicate": "perceptionIsWrong",
                 "object": cast.sanction_a}])


# Repeatable one-record modules fill an article up to its drawn size.


def _extra_sanction(story: Story, cast: Cast) -> None:
    rng, pool, r = story.rng, story.pool, story.ref
    imposer = rng.choice([*_sample_weighted(rng, pool.states, pool.state_weights, 1),
                          rng.choice(pool.organisations), rng.choice(pool.state_groups)])
    kind = rng.random()
    target = (rng.choice(pool.persons) if kind < 0.3 else rng.choice(pool.bodies) if kind < 0.4
              else _sample_weighted(rng, pool.states, pool.state_weights, 1,
                                    exclude=[imposer])[0])
    scope = rng.choice(sorted(SCOPES))
    start = story.published - dt.timedelta(days=rng.randint(400, 4000))
    end = start + dt.timedelta(days=rng.randint(30, 360)) if rng.random() < 0.4 else None
    sentence = (f"{OPEN}{imposer.label[0].upper() + imposer.label[1:]} imposed sanctions on "
                f"the {SCOPES[scope]} of {target.label} on {_spoken(start)}{CLOSE}")
    if end is not None:
        sentence += f" and {OPEN}lifted them on {_spoken(end)}{CLOSE}"
    quotes = story.say(sentence + ".")
    story.fact(
        "Sanction", f"{imposer.id}-sanctions-on-{target.id}",
        {"imposer": r(imposer), "target": r(target), "scope": [scope],
         "startDate": _day(start), "endDate": _day(end) if end else None},
        quotes, label=f"Sanctions of {imposer.label} on {target.label}")


def _extra_membership(story: Story, cast: Cast) -> None:
    rng, pool, r = story.rng, story.pool, story.ref
    organisation = rng.choice(pool.organisations)
    facts = pool.organisation_facts[organisation.id]
    member = rng.choice(facts.joined)
    since = rng.randint(facts.founded + 1, story.published.year)
    (quote,) = story.say(
        f"{OPEN}{member.label} has been a full member of the {organisation.label} since "
        f"{since}{CLOSE}.")
    story.fact(
        "Membership", f"{member.id}-{organisation.id}-membership",
        {"member": r(member), "organisation": r(organisation), "membershipStatus": "FullMember",
         "startDate": str(since)},
        [quote])


def _extra_office(story: Story, cast: Cast) -> None:
    rng, pool, r = story.rng, story.pool, story.ref
    state = _sample_weighted(rng, pool.states, pool.state_weights, 1)[0]
    roles = pool.roles[state.id]
    role, holder = rng.choice([("prime-minister", roles.prime_minister),
                               ("foreign-minister", roles.foreign_ministers[0])])
    post = pool.post(role, state)
    start = story.published.year - rng.randint(0, 6)
    (quote,) = story.say(f"{OPEN}{holder.label} has served as {post.label} since {start}{CLOSE}.")
    story.fact(
        "Occupancy", f"{holder.id}-{role}-of-{state.id}",
        {"holder": r(holder), "post": r(post), "startDate": str(start)}, [quote])


def _extra_agreement(story: Story, cast: Cast) -> None:
    rng, pool, r = story.rng, story.pool, story.ref
    first, second = _sample_weighted(rng, pool.states, pool.state_weights, 2)
    commodity = rng.choice(sorted(COMMODITIES))
    year = story.published.year - rng.randint(0, 5)
    month = rng.randint(1, 12)
    (quote,) = story.say(
        f"{OPEN}{first.label} and {second.label} agreed a {COMMODITIES[commodity]} swap deal in "
        f"{MONTHS[month - 1]} {year}{CLOSE}.")
    story.fact(
        "Agreement", f"{first.id}-{second.id}-{slug(COMMODITIES[commodity])}-swap-deal",
        {"agreementKind": "SwapDeal", "commodity": commodity, "party": [r(first), r(second)],
         "date": f"{year}-{month:02d}"},
        [quote], label=f"{first.label}–{second.label} {COMMODITIES[commodity]} swap deal")


def _extra_visit(story: Story, cast: Cast) -> None:
    rng, pool, r = story.rng, story.pool, story.ref
    guest, host = _sample_weighted(rng, pool.states, pool.state_weights, 2)
    city = rng.choice(pool.roles[host.id].cities)
    first = story.published - dt.timedelta(days=rng.randint(20, 700))
    last = first + dt.timedelta(days=rng.randint(1, 5))
    size = rng.randint(5, 60)
    (quote,) = story.say(
        f"{OPEN}A delegation of {size} officials from {guest.label} visited {city.label} "
        f"between {_spoken(first)} and {_spoken(last)}{CLOSE}.")
    story.fact(
        "DelegationVisit", f"{guest.id}-delegation-to-{city.id}",
        {"delegationOf": r(guest), "delegationSize": size, "destination": r(city),
         "eventStatus": "Occurred", "date": {"earliest": _day(first), "latest": _day(last)}},
        [quote], label=f"Visit of a delegation from {guest.label} to {city.label}")


def _extra_statement(story: Story, cast: Cast) -> None:
    rng, pool, r = story.rng, story.pool, story.ref
    speaker = rng.choice(pool.persons)
    first, second = _sample_weighted(rng, pool.states, pool.state_weights, 2)
    area = rng.choice(sorted(AREAS))
    said, quote = story.say(
        f"{OPEN}Analyst {speaker.label} said{CLOSE} that {OPEN}{first.label} will strengthen "
        f"its {AREAS[area]} relations with {second.label}{CLOSE}.")
    story.claim(
        f"{speaker.id}-on-{first.id}-and-{second.id}",
        {"speaker": r(speaker), "channel": "ReportedPosition",
         "claimKind": ["AssessmentOfRelations"], "modality": "Hedged"},
        quote, [{"subject": r(first), "predicate": "willStrengthenRelationsWith",
                 "object": r(second), "area": [area]}],
        [said])


@dataclass(frozen=True)
class Part:
    """An optional module: how many facts and claims it adds, and what it needs first."""

    module: Module
    facts: int
    claims: int
    needs: str = ""


PARTS: dict[str, Part] = {
    "swap-deals": Part(_swap_deals, 2, 1),
    "withdrawal": Part(_withdrawal, 3, 0),
    "talks": Part(_talks, 1, 0, needs="withdrawal"),
    "policy": Part(_policy, 1, 0, needs="withdrawal"),
    "accession": Part(_accession, 4, 0),
    "memorandum": Part(_memorandum, 4, 2, needs="accession"),
    "accession-timeline": Part(_accession_timeline, 1, 1, needs="accession"),
    "founding": Part(_founding, 3, 0),
    "invasion": Part(_invasion, 4, 0),
    "delegation": Part(_delegation, 1, 1),
    "remarks": Part(_remarks, 1, 3),
    "spokesperson": Part(_spokesperson, 2, 1),
    "expand": Part(_expand, 0, 1),
    "perception": Part(_perception, 0, 1),
}
FILL_FACTS: tuple[Module, ...] = (_extra_sanction, _extra_membership, _extra_office,
                                  _extra_agreement, _extra_visit)


def article_id(index: int, total: int) -> str:
    """The id of article ``index`` (from 1) of a corpus of ``total`` articles."""
    return f"synthetic-{index:0{max(5, len(str(total)))}d}"


def make_article(pool: Pool, seed: int, index: int, total: int,
                 defect: str | None = None) -> Story:
    """Article ``index``: 15–30 facts and claims; regenerated until its quotes are unique."""
    for attempt in range(50):
        story = _draw_article(pool, seed, index, total, defect, attempt)
        try:
            story.check_quotes()
        except QuoteError:
            continue
        return story
    raise RuntimeError(f"article {index}: no draw with unique quotes; fix the templates")


def _draw_article(pool: Pool, seed: int, index: int, total: int, defect: str | None,
                  attempt: int) -> Story:
    rng = random.Random(f"sanctions-kg-article:{seed}:{index}:{attempt}")
    published = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randint(0, 13 * 365))
    if published.weekday() == 0:
        published += dt.timedelta(days=1)
    story = Story(article_id(index, total), published, rng, pool)
    cast = _cast(story)
    _core(story, cast, defect if defect in {"imposer-is-target", "end-before-start"} else None)
    wanted_facts = rng.randint(10, 20)
    wanted_claims = rng.randint(5, 10)
    names = list(PARTS)
    rng.shuffle(names)
    if defect == "withdrawal-before-agreement":
        names.remove("withdrawal")
        _withdrawal(story, cast, defect)
    done = {"withdrawal"} if defect == "withdrawal-before-agreement" else set()
    history = pool.organisation_facts[cast.organisation.id]
    members = {x.id for x in (*history.founders, *history.joined)}
    # A part that needs another comes right after it, so that it is reached before the
    # article's budget of facts and claims is spent.
    order = [after for name in names if not PARTS[name].needs
             for after in (name, *(n for n in names if PARTS[n].needs == name))]
    for name in order:
        part = PARTS[name]
        if part.needs and part.needs not in done:
            continue
        if name == "accession" and cast.a.id in members:
            continue
        facts, claims = len(story.facts) + part.facts, len(story.claims) + part.claims
        if (facts <= wanted_facts or not part.facts) and (
            claims <= wanted_claims or not part.claims
        ):
            part.module(story, cast)
            done.add(name)
            story.parts.add(name)
    while len(story.facts) < wanted_facts:
        rng.choice(FILL_FACTS)(story, cast)
    while len(story.claims) < wanted_claims:
        _extra_statement(story, cast)
    return story


# --- writing ----------------------------------------------------------------------------------


_PLAIN = re.compile(r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*|[A-Z][A-Za-z]*)$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and not text.isdigit():
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _block(record: dict[str, object], indent: str) -> list[str]:
    """A mapping as YAML lines: lists of texts and of contents in block style, others in flow."""
    lines: list[str] = []
    for key, value in record.items():
        if key in {"evidence", "content"} and isinstance(value, list):
            lines.append(f"{indent}{key}:")
            lines.extend(f"{indent}  - {_flow(item)}" for item in value)
        else:
            lines.append(f"{indent}{key}: {_flow(value)}")
    return lines


def _records_yaml(key: str, records: Sequence[dict[str, object]]) -> list[str]:
    lines = [f"{key}:"]
    for record in records:
        body = _block(record, "    ")
        lines.append("  - " + body[0].lstrip())
        lines.extend(body[1:])
        lines.append("")
    return lines


def facts_yaml(story: Story) -> str:
    """The facts file of an article."""
    lines = [
        "# Synthetic article of the sanctions-kg benchmark corpus (benchmarks/corpus.py).",
        "article:",
        f"  id: {story.article_id}",
        f"  text: articles/{story.article_id}.txt",
        "  language: en",
        "  published:",
        f"    value: {_scalar(_day(story.published))}",
        "    inferred: false",
        f"    note: {_scalar('Synthetic: the date the generator gave the article.')}",
        f"  publisher: {_scalar('sanctions-kg benchmark wire')}",
        "",
        *_records_yaml("facts", story.facts),
        *_records_yaml("claims", story.claims),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def reference_yaml(entities: Iterable[Entity]) -> str:
    """A reference file."""
    lines = ["# Reference entities of the sanctions-kg benchmark corpus (benchmarks/corpus.py).",
             "entities:"]
    for entity in sorted(entities, key=lambda e: e.id):
        body = _block(entity.data, "    ")
        lines.append("  - " + body[0].lstrip())
        lines.extend(body[1:])
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


REFERENCE_FILES = {
    "State": "states", "StateGroup": "groups", "PersonGroup": "groups",
    "InternationalOrganisation": "organisations", "GovernmentBody": "organisations",
    "Person": "persons", "Post": "posts", "City": "places",
}


@dataclass(frozen=True)
class Defect:
    """An injected defect: what is wrong and the node validation must report."""

    kind: str
    article: str
    focus: str

    @property
    def shape(self) -> str:
        """The shape whose violation reports this defect."""
        return DEFECT_SHAPES[self.kind]


@dataclass(frozen=True)
class CorpusSummary:
    """What :func:`generate` wrote."""

    folder: Path
    articles: int
    facts: int
    claims: int
    entities: int
    defects: tuple[Defect, ...]


def _prepare(out: Path) -> None:
    """Make ``out`` an empty corpus folder; refuse a non-empty folder that is not a corpus."""
    if out.exists():
        names = {p.name for p in out.iterdir()}
        if names and MANIFEST not in names:
            raise SystemExit(f"{out}: folder is not empty and holds no {MANIFEST}; "
                             "choose an empty or new folder")
        for name in ("articles", "facts", "reference"):
            shutil.rmtree(out / name, ignore_errors=True)
        (out / DEFECTS_FILE).unlink(missing_ok=True)
    for name in ("articles", "facts", "reference"):
        (out / name).mkdir(parents=True, exist_ok=True)


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _defect_plan(seed: int, articles: int, defects: int) -> dict[int, str]:
    if defects > articles:
        raise SystemExit(f"--defects {defects} needs at least as many articles "
                         f"(--articles {articles})")
    rng = random.Random(f"sanctions-kg-defects:{seed}:{articles}:{defects}")
    chosen = rng.sample(range(1, articles + 1), defects)
    return {index: DEFECT_KINDS[n % len(DEFECT_KINDS)] for n, index in enumerate(chosen)}


def _defect_focus(story: Story, kind: str) -> str:
    wanted = "Withdrawal" if kind == "withdrawal-before-agreement" else "Sanction"
    record = next(r for r in story.facts if r["type"] == wanted)
    return story.focus(str(record["id"]))


def generate(out: Path, *, articles: int, seed: int = 0, defects: int = 0) -> CorpusSummary:
    """Write a corpus of ``articles`` articles into ``out`` (replacing a corpus there)."""
    if articles < 1:
        raise SystemExit("--articles must be at least 1")
    _prepare(out)
    pool = build_pool(seed)
    plan = _defect_plan(seed, articles, defects)
    used: set[str] = set()
    facts = claims = 0
    injected: list[Defect] = []
    for index in range(1, articles + 1):
        kind = plan.get(index)
        story = make_article(pool, seed, index, articles, kind)
        _write(out / "articles" / f"{story.article_id}.txt", story.text)
        _write(out / "facts" / f"{story.article_id}.yaml", facts_yaml(story))
        used |= story.used
        facts += len(story.facts)
        claims += len(story.claims)
        if kind is not None:
            injected.append(Defect(kind, story.article_id, _defect_focus(story, kind)))
    closure: dict[str, Entity] = {}
    pending = sorted(used)
    while pending:
        entity = pool.entities[pending.pop()]
        if entity.id not in closure:
            closure[entity.id] = entity
            pending.extend(entity.links())
    by_file: dict[str, list[Entity]] = {}
    for entity in closure.values():
        by_file.setdefault(REFERENCE_FILES[entity.type], []).append(entity)
    for name, entities in sorted(by_file.items()):
        _write(out / "reference" / f"{name}.yaml", reference_yaml(entities))
    injected.sort(key=lambda d: d.focus)
    if defects:
        _write(out / DEFECTS_FILE, json.dumps(
            [{"kind": d.kind, "article": d.article, "focus": d.focus} for d in injected],
            indent=1) + "\n")
    summary = CorpusSummary(out, articles, facts, claims, len(closure), tuple(injected))
    _write(out / MANIFEST, json.dumps({
        "generator": GENERATOR_VERSION, "articles": articles, "seed": seed, "defects": defects,
        "facts": facts, "claims": claims, "entities": len(closure)}, indent=1) + "\n")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python benchmarks/corpus.py --articles N --seed S --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, required=True, help="number of articles")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="corpus folder to write")
    parser.add_argument("--defects", type=int, default=0,
                        help="inject this many known defects (listed in DIR/defects.json)")
    options = parser.parse_args(argv)
    summary = generate(options.out, articles=options.articles, seed=options.seed,
                       defects=options.defects)
    print(f"Wrote {summary.articles} articles ({summary.facts} facts, {summary.claims} claims), "
          f"{summary.entities} reference entities and {len(summary.defects)} defects to "
          f"{summary.folder}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
