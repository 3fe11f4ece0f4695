"""Typed records of a corpus: what the facts and reference files say, checked and located."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from .dates import DateSpec
from .errors import Location


class Section(Enum):
    """Where a record comes from, which decides its graph and IRI."""

    ENTITY = "entities"
    FACT = "facts"
    CLAIM = "claims"


@dataclass(frozen=True)
class Ref:
    """A reference by id to an entity, a fact or claim of the same article, or a concept."""

    id: str
    location: Location


@dataclass(frozen=True)
class Text:
    """A text value; language-tagged when the property's range is ``rdf:langString``."""

    value: str


@dataclass(frozen=True)
class Number:
    """An integer value."""

    value: int


@dataclass(frozen=True)
class Flag:
    """A boolean value."""

    value: bool


Value = Ref | Text | Number | Flag | DateSpec


@dataclass(frozen=True)
class Field:
    """The values of one ontology property on a record."""

    name: str
    values: tuple[Value, ...]
    location: Location


@dataclass(frozen=True)
class Quote:
    """A span of the article text, located by the loader (code points, end exclusive)."""

    exact: str
    start: int
    end: int
    prefix: str
    suffix: str
    location: Location


@dataclass(frozen=True)
class Content:
    """What a claim states: a relation that the graph records but does not assert."""

    subject: Ref
    predicate: str
    object: Ref
    fields: tuple[Field, ...]
    location: Location


@dataclass(frozen=True)
class Country:
    """ISO 3166-1 codes of a state, as pycountry gives them."""

    name: str
    alpha2: str
    alpha3: str


@dataclass(frozen=True)
class Record:
    """One entity, fact or claim."""

    id: str
    type: str
    section: Section
    location: Location
    fields: tuple[Field, ...] = ()
    label: str | None = None
    alt_labels: tuple[str, ...] = ()
    note: str | None = None
    evidence: tuple[Quote, ...] = ()
    quotes: tuple[Quote, ...] = ()
    contents: tuple[Content, ...] = ()
    same_as: tuple[str, ...] = ()
    source: str | None = None
    country: Country | None = None


@dataclass(frozen=True)
class ArticleMeta:
    """What a facts file says of its article."""

    id: str
    text: str
    text_file: str
    language: str
    published: DateSpec
    published_inferred: bool
    published_note: str | None
    title: str | None
    publisher: str | None
    author: str | None
    url: str | None
    license: str | None
    #: Where ``published:`` is written: the curated statement of the date points there.
    published_location: Location | None = None
    #: Where the article's ``id:`` is written: a duplicate id is reported there.
    id_location: Location | None = None


@dataclass(frozen=True)
class Article:
    """One article: its metadata and its facts and claims."""

    meta: ArticleMeta
    records: tuple[Record, ...]
    facts_file: Path
    location: Location

    @property
    def id_location(self) -> Location:
        """Where the article's id is written (the facts file's start when not known)."""
        return self.meta.id_location or self.location


@dataclass(frozen=True)
class Corpus:
    """A data folder: shared reference entities and the articles."""

    data_dir: Path
    entities: tuple[Record, ...]
    articles: tuple[Article, ...]

    @property
    def entity_index(self) -> dict[str, Record]:
        """Entities by id."""
        return {record.id: record for record in self.entities}
