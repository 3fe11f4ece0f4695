"""Loading a data folder (facts, reference entities, article texts) into typed records.

All problems of all files are collected and reported together, each with its file and line.
Which keys a record may have, and how each value is read, comes from the ontology
(:class:`~sanctions_kg.schema.Schema`); the code names no class or property of its own.
"""

from __future__ import annotations

import datetime as dt
import errno
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path, PurePosixPath

from .dates import DateSpec, PartialDate, resolve
from .errors import InputError, Location, Problem, did_you_mean, listed
from .records import (
    Article,
    ArticleMeta,
    Content,
    Corpus,
    Country,
    Field,
    Flag,
    Number,
    Quote,
    Record,
    Ref,
    Section,
    Text,
    Value,
)
from .schema import DATE_VALUE, LANG_STRING, Schema, load_schema
from .sources import Node, as_path, load_yaml, printable, read_text

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CONTEXT_CHARS = 32
YAML_SUFFIXES = (".yaml", ".yml")

ARTICLE_KEYS = {
    "id", "text", "language", "published", "title", "publisher", "author", "url", "license",
}
PUBLISHED_KEYS = {"value", "inferred", "note"}
FACT_RESERVED = {"id", "type", "evidence", "quote", "content", "note", "label", "altLabel"}
ENTITY_RESERVED = {"id", "type", "label", "altLabel", "sameAs", "source", "pycountry", "note"}
CONTENT_KEYS = {"subject", "predicate", "object"}
#: The class of a claim content item, whose fields are checked against it.
CLAIM_CONTENT = "ClaimContent"
#: The class of claims: the records of a file's ``claims:`` section.
CLAIM = "Claim"
QUOTE_KEYS = {"exact", "prefix", "suffix"}
DATE_KEYS = {"value", "earliest", "latest", "expression"}
WIKIDATA_IRI = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")


#: The date relative dates are resolved against while the publication date is broken: the file
#: fails either way, and resolving them still finds their own mistakes.
STAND_IN_PUBLISHED = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Reference:
    """The reference entities of a data folder.

    ``unusable`` holds the ids of entries that could not be loaded (no valid type): their
    problem is reported where they are written, and a fact naming one is not reported again.
    ``complete`` is False when a reference file could not be read at all, or holds its list
    under a misspelt key: the ids it defines are unknown, so no reference is reported as unknown
    in that run.
    """

    entities: tuple[Record, ...]
    unusable: frozenset[str] = frozenset()
    complete: bool = True

    @cached_property
    def index(self) -> dict[str, Record]:
        """Entities by id."""
        return {record.id: record for record in self.entities}


@dataclass
class _Problems:
    """Problems collected while loading, reported together."""

    items: list[Problem] = field(default_factory=list)

    def add(self, location: Location, message: str) -> None:
        self.items.append(Problem(location, printable(message)))


def yaml_files(folder: Path) -> list[Path]:
    """The YAML files of a folder, sorted; other files are ignored."""
    if not folder.is_dir():
        return []
    # A folder with a YAML name is listed too, so that it is reported rather than skipped.
    return sorted(p for p in folder.iterdir() if p.suffix in YAML_SUFFIXES)


def load_corpus(
    data_dir: Path | str,
    schema: Schema | None = None,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> Corpus:
    """Load every reference and facts file under ``data_dir`` against ``schema`` (the bundled
    ontology's by default); InputError lists all problems."""
    data_dir = as_path(data_dir)
    schema = schema or load_schema()
    problems = _Problems()
    facts_files = facts_file_list(data_dir)
    reference = load_reference(data_dir, schema, problems.items)
    articles: list[Article] = []
    article_ids: dict[str, Location] = {}
    for number, path in enumerate(facts_files, start=1):
        if progress is not None:
            progress("loading facts files", number, len(facts_files))
        try:
            article = load_article_file(path, data_dir, schema, reference)
        except InputError as error:
            problems.items.extend(error.problems)
        else:
            previous = article_ids.get(article.meta.id)
            if previous is not None:
                problems.add(
                    article.id_location,
                    f"duplicate article id '{article.meta.id}' (also at {previous}); "
                    "give each article its own id",
                )
            article_ids[article.meta.id] = article.id_location
            articles.append(article)
    if problems.items:
        raise InputError(problems.items)
    return Corpus(data_dir, reference.entities, tuple(articles))


def facts_file_list(data_dir: Path) -> list[Path]:
    """The facts files of a data folder, sorted; InputError when there are none."""
    if not data_dir.is_dir():
        raise InputError(
            Problem(data_dir, "data folder not found; pass --data with a folder "
                    "holding articles/, facts/ and reference/")
        )
    files = yaml_files(data_dir / "facts")
    if not files and not (data_dir / "facts").is_dir() and yaml_files(data_dir):
        # `--data data/facts`: the facts files themselves, not the corpus folder
        raise InputError(
            Problem(data_dir, f"holds facts files, but --data is the folder that holds "
                    f"articles/, facts/ and reference/ (did you mean {data_dir.parent}?)")
        )
    if not files:
        raise InputError(
            Problem(data_dir / "facts", "no facts files (*.yaml, *.yml) found; "
                    "add one per article")
        )
    return files


def load_reference(data_dir: Path, schema: Schema, problems: list[Problem]) -> Reference:
    """Load every reference file, adding what is wrong (duplicate ids included) to ``problems``.

    Every entity with a valid id and type is returned, even from a file with problems, so that
    the facts files can still be checked against them and every problem be reported in one run,
    without a flood of unknown ids for the entities next to a mistake.
    """
    collected = _Problems(problems)
    entities: list[Record] = []
    unusable: set[str] = set()
    complete = True
    for path in yaml_files(data_dir / "reference"):
        try:
            records = _reference_file(path, schema, collected, unusable)
        except InputError as error:  # the file cannot be read: its ids are unknown
            collected.items.extend(error.problems)
            records = None
        if records is None:
            complete = False
        else:
            entities.extend(records)
    unique = _index_unique(entities, collected)
    _check_one_state_per_country(unique.values(), collected)
    # an entity names other entities and concepts only (never an article's facts)
    _check_references(list(unique.values()), {}, unique, schema, collected,
                      unusable=unusable, unknown=complete,
                      where="define it among the reference entities or as a concept of the "
                            "ontology (a reference entity cannot name an article's fact)")
    return Reference(tuple(unique.values()), frozenset(unusable - unique.keys()), complete)


def _index_unique(records: Iterable[Record], problems: _Problems) -> dict[str, Record]:
    index: dict[str, Record] = {}
    for record in records:
        if record.id in index:
            problems.add(
                record.location,
                f"duplicate id '{record.id}' (also at {index[record.id].location}); "
                "ids must be unique",
            )
            continue
        index[record.id] = record
    return index


# --- reference files -------------------------------------------------------------------------


def _reference_file(
    path: Path, schema: Schema, problems: _Problems, unusable: set[str]
) -> list[Record] | None:
    """The entities of one reference file that have a valid id and type; the ids of those that
    do not go to ``unusable``. None when its entities may be under a misspelt key or are
    written as a mapping (a problem says so), so that its ids are unknown and not reported
    again where the facts use them; InputError when it cannot be read as YAML."""
    root = load_yaml(path)
    top = _expect_map(root, problems, "the top level", {"entities"})
    records: list[Record] = []
    entities = top.get("entities")
    # Whether the entities may be written under another top-level key (a misspelt one).
    elsewhere = isinstance(root.value, dict) and any(
        node.is_list for node in root.value.values() if node is not entities)
    if entities is None:
        problems.add(root.location, "missing 'entities:' list; add it")
        return None if elsewhere else records
    if not isinstance(entities.value, list):
        problems.add(entities.location, "'entities' must be a list")
        return None if entities.is_map or elsewhere else records
    for item in entities.value:
        record = _load_entity(item, schema, problems, unusable)
        if record is not None:
            records.append(record)
    return records


def _load_entity(
    node: Node, schema: Schema, problems: _Problems, unusable: set[str]
) -> Record | None:
    allowed = ENTITY_RESERVED | set(schema.object_properties) | set(schema.datatype_ranges)
    mapping = _expect_map(node, problems, "an entity", allowed, properties=True)
    if not mapping and not node.is_map:
        return None
    ident, type_ = _id_and_type(node, mapping, schema, problems, unusable, default_type=None)
    if ident is None or type_ is None:
        return None
    # ISO codes are not read as fields: they come from pycountry: (told below)
    fields = _fields(mapping, ENTITY_RESERVED | set(ISO_CODE_FIELDS), schema, problems,
                     published=None, text=None)
    _check_fit(node, mapping, type_, schema, problems, entity=True)
    country = None
    if "pycountry" in mapping:
        country = _country(mapping["pycountry"], problems)
        if country is not None:
            _check_country_names(mapping, ident, country, problems)
    for key in ISO_CODE_FIELDS:
        if key in mapping and schema.fits(key, type_):  # elsewhere, its domain is what to tell
            problems.add(mapping[key].location,
                         _hand_written_code(key, mapping[key], country, mapping, ident))
    same_as = tuple(_strings(mapping.get("sameAs"), problems, "sameAs"))
    for iri, item in zip(same_as, _items(mapping.get("sameAs")), strict=False):
        if not WIKIDATA_IRI.match(iri):
            problems.add(
                item.location,
                f"sameAs '{iri}' is not a Wikidata entity IRI (http://www.wikidata.org/entity/Q…)",
            )
    return Record(
        id=ident,
        type=type_,
        section=Section.ENTITY,
        location=node.location,
        fields=fields,
        label=_optional_string(mapping.get("label"), problems, "label"),
        alt_labels=tuple(_strings(mapping.get("altLabel"), problems, "altLabel")),
        note=_optional_string(mapping.get("note"), problems, "note"),
        same_as=same_as,
        source=_optional_string(mapping.get("source"), problems, "source"),
        country=country,
    )


def _country(node: Node, problems: _Problems) -> Country | None:
    import pycountry

    if not isinstance(node.value, str) or not node.value:
        problems.add(node.location, "pycountry must be the ISO 3166-1 country name")
        return None
    found = pycountry.countries.get(name=node.value)
    if found is None:
        problems.add(
            node.location,
            f"'{node.value}' is not an ISO 3166-1 country name known to pycountry; "
            "use the exact name (for example 'Iran, Islamic Republic of')",
        )
        return None
    return Country(name=str(found.name), alpha2=str(found.alpha_2), alpha3=str(found.alpha_3))


#: The ISO 3166-1 code fields, which the mapper fills from ``pycountry:``.
ISO_CODE_FIELDS = ("isoAlpha2", "isoAlpha3")


def _hand_written_code(
    key: str, node: Node, country: Country | None, mapping: dict[str, Node], ident: str
) -> str:
    """Why an ISO code is not written by hand: the codes come from the country's ISO name, so
    that a mistyped code (BR, Brazil's, on Belarus) cannot enter the graph. The name to give is
    the one the state's own names point to (never the written code's country, which may be the
    mistake); the written code's country is said, to show a mistake."""
    import pycountry

    written = node.raw if node.raw is not None else node.value
    code = str(written).strip().upper() if isinstance(written, str | int) else ""
    found = None
    if code.isascii() and code.isalpha() and len(code) in (2, 3):
        found = (pycountry.countries.get(alpha_2=code) if len(code) == 2
                 else pycountry.countries.get(alpha_3=code))
    if found is not None:
        what = f" ({code} is the code of {found.name})"
    elif code:
        what = f" ('{printable(code)}' is no ISO 3166-1 alpha-{key[-1]} code)"
    else:
        what = ""
    if country is not None:
        return (f"'{key}' is set from pycountry:, not written by hand{what}; remove it "
                f"(pycountry: \"{country.name}\" gives {country.alpha2} and {country.alpha3})")
    named = _named_country(mapping, ident)
    instead = (f"pycountry: \"{named}\"" if named is not None
               else "pycountry: the state's ISO 3166-1 country name")
    return (f"'{key}' is set from pycountry:, not written by hand{what}; remove it and give "
            f"{instead}")


@cache
def _country_names() -> dict[str, str]:
    """Each name pycountry gives a country (its name, official and common names, and the
    name's part before a comma, as 'Iran' of 'Iran, Islamic Republic of'), case-folded, to
    the country's alpha-2 code; a name two countries share is left out."""
    import pycountry

    names: dict[str, str] = {}
    shared: set[str] = set()
    for country in pycountry.countries:
        name = str(country.name)
        for written in {name, name.split(",")[0], getattr(country, "official_name", name),
                        getattr(country, "common_name", name)}:
            key = str(written).casefold()
            if names.setdefault(key, str(country.alpha_2)) != country.alpha_2:
                shared.add(key)
    return {name: code for name, code in names.items() if name not in shared}


def _state_names(mapping: dict[str, Node], ident: str, *, other_labels: bool = True) -> list[str]:
    """The names an entity gives itself: its label, other labels and id (words for hyphens)."""
    written: list[str] = []
    for key in ("label", "altLabel") if other_labels else ("label",):
        if key in mapping:
            written.extend(item.value for item in _items(mapping[key])
                           if isinstance(item.value, str))
    return [*written, ident.replace("-", " ")]


def _named_country(mapping: dict[str, Node], ident: str) -> str | None:
    """The ISO 3166-1 name of the one country the entity's names give, if they give one."""
    import pycountry

    known = _country_names()
    codes = {known[name.casefold()] for name in _state_names(mapping, ident)
             if name.casefold() in known}
    if len(codes) != 1:
        return None
    found = pycountry.countries.get(alpha_2=codes.pop())
    return None if found is None else str(found.name)


def _check_country_names(
    mapping: dict[str, Node], ident: str, country: Country, problems: _Problems
) -> None:
    """A problem when the state's label or id names another country and neither names this
    one (``belarus``, labelled Belarus, with pycountry: "Russian Federation"), or, when they
    name no country pycountry knows, when its other labels name another country and none names
    this one: a wrong country gives the state another state's ISO codes. A name pycountry does
    not know (Turkey, Burma) says nothing either way."""
    known = _country_names()
    for names in (_state_names(mapping, ident, other_labels=False),
                  _state_names(mapping, ident)):
        codes: dict[str, str] = {}
        for name in names:  # the label first
            codes.setdefault(known.get(name.casefold(), ""), name)
        codes.pop("", None)
        if not codes:
            continue  # nothing known here: the other labels, if any, say more
        if country.alpha2 not in codes:
            code, name = next(iter(codes.items()))
            problems.add(mapping["pycountry"].location,
                         f"pycountry: \"{country.name}\" is {country.alpha2}, but the state is "
                         f"named '{name}', the ISO 3166-1 name of {code}; give the right country")
        return


def _check_one_state_per_country(entities: Iterable[Record], problems: _Problems) -> None:
    """Two states with one ISO country would share its codes: one of them has the wrong
    country, or they are the same state under two ids."""
    seen: dict[str, Record] = {}
    for record in entities:
        if record.country is None:
            continue
        first = seen.setdefault(record.country.alpha2, record)
        if first is not record:
            problems.add(record.location,
                         f"'{record.id}' has the country of '{first.id}' (pycountry: "
                         f"\"{record.country.name}\", also at {first.location}); give each "
                         "state its own country, or one id to one state")


# --- facts files -------------------------------------------------------------------------------


def load_article_file(path: Path, data_dir: Path, schema: Schema, reference: Reference) -> Article:
    """Load one facts file, its article text, and check every reference and quote against the
    reference entities (from :func:`load_reference`)."""
    root = load_yaml(path)
    problems = _Problems()
    top = _expect_map(root, problems, "the top level", {"article", "facts", "claims"})
    article_node = top.get("article")
    if article_node is None:
        problems.add(root.location, "missing 'article:' section; add the article's id and text")
        raise InputError(problems.items)
    head = _article_meta(article_node, data_dir, problems)
    if head.text is None:  # no quote can be checked without the text
        raise InputError(problems.items)
    # With a broken publication date (reported) the facts are still checked.
    published = head.published or STAND_IN_PUBLISHED
    unusable = set(reference.unusable)
    records: list[Record] = []
    unloaded: list[Record] = []  # without a valid id or type: only their references checked
    for section in (Section.FACT, Section.CLAIM):
        node = top.get(section.value)
        if node is None:
            continue
        if not isinstance(node.value, list):
            problems.add(node.location, f"'{section.value}' must be a list")
            continue
        for item in node.value:
            record = _load_fact(item, section, schema, head.text, published, problems, unusable,
                                unloaded)
            if record is not None:
                records.append(record)
    index = _index_unique(records, problems)
    _check_references([*records, *unloaded], index, reference.index, schema, problems,
                      unusable=unusable, unknown=reference.complete)
    if problems.items or head.meta is None:
        raise InputError(problems.items)
    return Article(meta=head.meta, records=tuple(records), facts_file=path,
                   location=root.location)


@dataclass(frozen=True)
class _ArticleHead:
    """What the ``article:`` section gives: the metadata when all of it is right; the text and
    the publication day whenever they could be read, so that the facts are checked either way."""

    meta: ArticleMeta | None
    text: str | None
    published: dt.date | None


def _article_meta(node: Node, data_dir: Path, problems: _Problems) -> _ArticleHead:
    mapping = _expect_map(node, problems, "'article'", ARTICLE_KEYS)
    before = len(problems.items)
    ident = _required_string(node, mapping, "id", problems)
    if ident is not None and not ID_PATTERN.match(ident):
        problems.add(mapping["id"].location, "article " + _not_kebab(ident)[0])
    text_file = _required_string(node, mapping, "text", problems)
    language = _language(mapping.get("language"), problems)
    published_node = mapping.get("published")
    published: DateSpec | None = None
    inferred = False
    note = None
    if published_node is None:
        problems.add(node.location, "missing 'published:' date; give the publication date "
                     "(mark it inferred: true when the article does not state it)")
    elif published_node.is_map:
        assert isinstance(published_node.value, dict)
        sub = _expect_map(published_node, problems, "'published'", PUBLISHED_KEYS)
        if "value" not in sub:
            problems.add(published_node.location, "missing 'value:' in 'published'")
        else:
            published = _date_point(sub["value"], problems)
        inferred = _optional_bool(sub.get("inferred"), problems, "inferred")
        note = _optional_string(sub.get("note"), problems, "note")
    else:
        published = _date_point(published_node, problems)
    if published is not None and (published.value is None or published.value.day is None):
        problems.add(published_node.location if published_node else node.location,
                     "the publication date must be a day (YYYY-MM-DD)")
        published = None
    text = None
    if text_file is not None:
        text = _article_text(mapping["text"], text_file, data_dir, problems)
    day = published.value.first_day if published is not None and published.value else None
    title, publisher, author, license_ = (
        _optional_string(mapping.get(key), problems, key)
        for key in ("title", "publisher", "author", "license"))
    url = _url(mapping.get("url"), problems)
    if len(problems.items) > before or ident is None or text is None or published is None:
        return _ArticleHead(None, text, day)
    assert text_file is not None
    meta = ArticleMeta(
        id=ident,
        text=text,
        text_file=text_file,
        language=language,
        published=published,
        published_inferred=inferred,
        published_note=note,
        title=title,
        publisher=publisher,
        author=author,
        url=url,
        license=license_,
        published_location=node.key_locations.get("published"),
        id_location=mapping["id"].location,
    )
    return _ArticleHead(meta, text, day)


def _article_text(node: Node, text_file: str, data_dir: Path, problems: _Problems) -> str | None:
    relative = PurePosixPath(text_file)
    if relative.is_absolute() or ".." in relative.parts or "\\" in text_file or not text_file:
        problems.add(
            node.location,
            f"text path '{text_file}' must be relative to the data folder and stay inside it "
            "(no absolute paths, no '..')",
        )
        return None
    path = data_dir / relative
    try:
        resolved = path.resolve()
        if not resolved.is_relative_to(data_dir.resolve()):
            problems.add(node.location, f"text path '{text_file}' leads outside the data folder")
            return None
        path.exists()  # a name the system refuses (too long, a NUL) fails here, not below
    except RuntimeError:  # Path.resolve: a loop of symbolic links
        problems.add(node.location, f"text path '{_shortened(text_file)}' is a loop of "
                     "symbolic links; give the article's text file")
        return None
    except (OSError, ValueError) as error:  # ValueError: a NUL character in the name
        if isinstance(error, ValueError) or error.errno == errno.ENAMETOOLONG:
            reason = "too long" if isinstance(error, OSError) else "it holds a NUL character"
            problems.add(node.location, f"text path '{_shortened(text_file)}' is not a usable "
                         f"file name ({reason}); give the article's text file")
            return None
        # any other failure: reading the text below names it
    if not path.exists():
        problems.add(node.location, f"article text '{path}' not found; add the article's text "
                     "file or fix the path")
        return None
    if path.is_dir():  # read_text would name the folder alone, not this line
        problems.add(node.location, f"text path '{_shortened(text_file)}' is a folder, not a "
                     "file; give the article's text file")
        return None
    try:
        return read_text(path)
    except InputError as error:
        problems.items.extend(error.problems)
        return None


def _load_fact(
    node: Node,
    section: Section,
    schema: Schema,
    text: str,
    published: dt.date | None,
    problems: _Problems,
    unusable: set[str],
    unloaded: list[Record],
) -> Record | None:
    """The record of one item of a section; None when it has no valid id or type, and then what
    it refers to goes to ``unloaded``, to be checked with the rest (every problem in one run)."""
    allowed = FACT_RESERVED | set(schema.object_properties) | set(schema.datatype_ranges)
    mapping = _expect_map(node, problems, f"an item of '{section.value}'", allowed, properties=True)
    if not node.is_map:
        return None
    default_type = "Claim" if section is Section.CLAIM and "Claim" in schema.classes else None
    ident, type_ = _id_and_type(node, mapping, schema, problems, unusable,
                                default_type=default_type)
    fields = _fields(mapping, FACT_RESERVED, schema, problems, published=published, text=text)
    if type_ is not None:
        _check_section(mapping.get("type", node), section, type_, schema, problems)
        _check_fit(node, mapping, type_, schema, problems)
    evidence = tuple(_quotes(mapping.get("evidence"), text, problems, "evidence"))
    quotes = tuple(_quotes(mapping.get("quote"), text, problems, "quote"))
    if "evidence" not in mapping and "quote" not in mapping:
        problems.add(node.location, "missing 'evidence:' (or 'quote:'); every fact and claim "
                     "needs the words of the article that support it")
    contents = tuple(_contents(mapping.get("content"), schema, problems, published, text))
    if ident is None or type_ is None:
        unloaded.append(Record(id=ident or "", type=type_ or "", section=section,
                               location=node.location, fields=fields, contents=contents))
        return None
    return Record(
        id=ident,
        type=type_,
        section=section,
        location=node.location,
        fields=fields,
        label=_optional_string(mapping.get("label"), problems, "label"),
        alt_labels=tuple(_strings(mapping.get("altLabel"), problems, "altLabel")),
        note=_optional_string(mapping.get("note"), problems, "note"),
        evidence=evidence,
        quotes=quotes,
        contents=contents,
    )


def _check_section(
    where: Node, section: Section, type_: str, schema: Schema, problems: _Problems
) -> None:
    """A claim (what someone says) under ``claims:`` and a fact (what the article reports in
    its own voice) under ``facts:``: the section decides how the record is counted and queried,
    so a record in the wrong one would be taken for the other kind."""
    claim = CLAIM in schema.ancestors.get(type_, {type_})
    if section is Section.CLAIM and not claim:
        problems.add(where.location, f"a {type_} is a fact, not a claim; move it under facts:, "
                     "or record what someone says as a Claim with speaker, date and quote")
    elif section is Section.FACT and claim:
        problems.add(where.location, f"a {type_} is what someone says; move it under claims:")


def _contents(
    node: Node | None,
    schema: Schema,
    problems: _Problems,
    published: dt.date | None,
    text: str,
) -> list[Content]:
    contents: list[Content] = []
    allowed = CONTENT_KEYS | set(schema.object_properties) | set(schema.datatype_ranges)
    for item in _items(node):
        mapping = _expect_map(item, problems, "a content item", allowed, properties=True)
        if not item.is_map:
            continue
        parts: dict[str, str] = {}
        for key in ("subject", "predicate", "object"):
            value = _required_string(item, mapping, key, problems)
            if value is not None:
                parts[key] = value
        predicate = parts.get("predicate")
        if predicate is not None and predicate not in schema.object_properties:
            problems.add(
                mapping["predicate"].location,
                f"unknown predicate '{predicate}'; use an object property of the ontology"
                + did_you_mean(predicate, schema.object_properties),
            )
            continue
        fields = _fields(mapping, CONTENT_KEYS, schema, problems, published=published, text=text)
        _check_fit(item, mapping, CLAIM_CONTENT, schema, problems)
        if len(parts) == 3:
            contents.append(
                Content(
                    subject=Ref(parts["subject"], mapping["subject"].location),
                    predicate=parts["predicate"],
                    object=Ref(parts["object"], mapping["object"].location),
                    fields=fields,
                    location=item.location,
                )
            )
    return contents


def _check_references(
    records: list[Record],
    index: dict[str, Record],
    entities: dict[str, Record],
    schema: Schema,
    problems: _Problems,
    *,
    unusable: set[str],
    unknown: bool,
    where: str = "define it in this file, in data/reference, or as a concept of the ontology",
) -> None:
    """Each reference must name one node: a fact or claim of this file, a reference entity or a
    concept of the ontology; ``where`` says where an unknown one may be defined.

    A fact or claim whose id is also a reference entity's is reported only where it is
    referenced: unreferenced, the two have different IRIs and nothing is ambiguous, and adding
    an entity must not break articles that never mention it. An id in ``unusable`` was written
    but could not be loaded, which is reported there; unknown ids are reported only when
    ``unknown`` says every reference file could be read.
    """

    suggestions: dict[str, str] = {}  # a renamed id is referenced many times: look once

    named: dict[str, str] = {}  # a name or label, case-folded → the id of what it names

    def suggestion(ident: str) -> str:
        if ident not in suggestions:
            if not named:
                for record in (*index.values(), *entities.values()):
                    for name in (record.label, *record.alt_labels):
                        if name:
                            named.setdefault(name.casefold(), record.id)
            # a label written for the id ("Josep Borrell"), or the id with other separators
            slug = re.sub(r"[^a-z0-9]+", "-", ident.casefold()).strip("-")
            by_name = named.get(ident.casefold()) or (
                slug if slug != ident and (slug in index or slug in entities) else None)
            suggestions[ident] = (f" (did you mean '{by_name}'?)" if by_name
                                  else did_you_mean(ident, [*index, *entities, *schema.concepts]))
        return suggestions[ident]

    def check(ref: Ref) -> None:
        fact, entity = index.get(ref.id), entities.get(ref.id)
        if fact is not None and entity is not None:
            # The mapper would pick the fact without a word; only the author knows which is meant.
            kind = "claim" if fact.section is Section.CLAIM else "fact"
            problems.add(
                ref.location,
                f"ambiguous id '{ref.id}': it names the {kind} at {fact.location} and the "
                f"reference entity at {entity.location}; rename the {kind} and the references "
                "meant for it",
            )
        elif (fact is None and entity is None and unknown and ref.id not in unusable
              and ref.id not in schema.concepts):
            problems.add(
                ref.location,
                f"unknown id '{ref.id}'; {where}" + suggestion(ref.id),
            )

    for record in records:
        for field_ in record.fields:
            for value in field_.values:
                if isinstance(value, Ref):
                    check(value)
        for content in record.contents:
            check(content.subject)
            check(content.object)
            for field_ in content.fields:
                for value in field_.values:
                    if isinstance(value, Ref):
                        check(value)


# --- values ------------------------------------------------------------------------------------


def _not_kebab(ident: str) -> tuple[str, str]:
    """The problem with an id that is not kebab-case, and its kebab-case form ('' if none)."""
    kebab = "-".join(re.findall(r"[a-z0-9]+", ident.lower()))
    hint = f"; write '{kebab}'" if kebab else ""
    return f"id '{ident}' must be kebab-case (lower-case letters, digits and hyphens){hint}", kebab


def _id_and_type(
    node: Node,
    mapping: dict[str, Node],
    schema: Schema,
    problems: _Problems,
    unusable: set[str],
    *,
    default_type: str | None,
) -> tuple[str | None, str | None]:
    """The entry's id and type, None for one that is missing or wrong. An entry that cannot be
    loaded puts its id in ``unusable`` (its problem is reported here, not where it is named): a
    valid id without a valid type, or the kebab-case form of a malformed id, the one the
    references to it were meant for."""
    ident = _required_string(node, mapping, "id", problems)
    if ident is not None and not ID_PATTERN.match(ident):
        message, kebab = _not_kebab(ident)
        problems.add(mapping["id"].location, message)
        if kebab:
            unusable.add(kebab)
        ident = None
    if "type" in mapping or default_type is None:
        type_ = _required_string(node, mapping, "type", problems)
    else:
        type_ = default_type
    if type_ is not None and type_ not in schema.classes:
        problems.add(
            mapping["type"].location if "type" in mapping else node.location,
            f"unknown type '{type_}'; use a class of the ontology"
            + did_you_mean(type_, schema.classes),
        )
        type_ = None
    if ident is not None and type_ is None:
        unusable.add(ident)
    return ident, type_


def _fields(
    mapping: dict[str, Node],
    reserved: set[str],
    schema: Schema,
    problems: _Problems,
    *,
    published: dt.date | None,
    text: str | None,
) -> tuple[Field, ...]:
    fields: list[Field] = []
    for key, node in mapping.items():
        if key in reserved or not schema.is_property(key):
            continue
        if key in schema.date_companions:
            problems.add(node.location, f"'{key}' is written as a bound of its date: "
                         "use {earliest: …, latest: …, expression: …} on the date itself")
            continue
        if node.is_list and (key in schema.date_properties
                             or schema.datatype_ranges.get(key) == DATE_VALUE):
            problems.add(node.location, f"'{key}' takes one date, not a list; give a range as "
                         "{earliest: …, latest: …}")
            continue
        values: list[Value] = []
        for item in _items(node):
            value = _value(key, item, schema, problems, published, text)
            if value is not None:
                values.append(value)
        if values:
            fields.append(Field(key, tuple(values), node.location))
    return tuple(fields)


def _value(
    key: str,
    node: Node,
    schema: Schema,
    problems: _Problems,
    published: dt.date | None,
    text: str | None,
) -> Value | None:
    if key in schema.object_properties:
        if not isinstance(node.value, str) or not node.value:
            problems.add(node.location, f"'{key}' must be an id (a string) or a list of ids")
            return None
        allowed = schema.values.get(key)
        if allowed is not None and node.value not in allowed:
            # a concept of its scheme, listed here: the ontology is the only place to look
            problems.add(node.location, f"'{printable(node.value)}' is not a value of '{key}'; "
                         f"use one of {listed(sorted(allowed))}"
                         + did_you_mean(node.value, allowed))
            return None
        return Ref(node.value, node.location)
    range_ = schema.datatype_ranges[key]
    if key in schema.date_properties or range_ == DATE_VALUE:
        return _date(node, problems, published, text)
    value = node.value
    if range_.endswith(("#integer", "#nonNegativeInteger", "#positiveInteger")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.add(node.location, f"'{key}' must be a whole number, not {value!r}")
            return None
        return Number(value)
    if range_.endswith("#boolean"):
        if not isinstance(value, bool):
            problems.add(node.location, f"'{key}' must be true or false, not {value!r}")
            return None
        return Flag(value)
    if not isinstance(value, str) or not value.strip():
        problems.add(node.location, _not_text(key, node))
        return None
    _ = LANG_STRING  # language tagging is decided by the mapper from the same range
    return Text(value)


def _date_point(node: Node, problems: _Problems) -> DateSpec | None:
    try:
        return DateSpec(value=PartialDate.parse(str(node.value)))
    except ValueError as error:
        # "4 July 2024" written as the value: the article's words go under expression:
        written = node.value if isinstance(node.value, str) else ""
        hint = (f"; to give the article's words, write {{expression: \"{printable(written)}\"}}"
                if any(c.isalpha() for c in written) else "")
        problems.add(node.location, f"malformed date: {error}{hint}")
        return None


def _date(
    node: Node, problems: _Problems, published: dt.date | None, text: str | None
) -> DateSpec | None:
    if node.is_scalar:
        if isinstance(node.value, bool) or node.value is None:
            problems.add(node.location, "malformed date: give YYYY, YYYY-MM or YYYY-MM-DD")
            return None
        return _date_point(node, problems)
    mapping = _expect_map(node, problems, "a date", DATE_KEYS)
    if not node.is_map:
        return None
    for key in ("value", "earliest", "latest"):
        part = mapping.get(key)
        if part is not None and (shape := _not_one_date(part)) is not None:
            problems.add(part.location, f"malformed date: '{key}' takes one date (YYYY, "
                         f"YYYY-MM or YYYY-MM-DD), not {shape}")
            return None
    try:
        parts = {
            key: PartialDate.parse(str(mapping[key].value))
            for key in ("value", "earliest", "latest")
            if key in mapping
        }
        words = mapping.get("expression")
        if words is not None and isinstance(words.value, int | float) \
                and not isinstance(words.value, bool):
            problems.add(words.location, f"'expression' must be the article's words as text; "
                         f"quote them: \"{words.value}\"")
            return None
        expression = _optional_string(words, problems, "expression")
        if words is not None and expression is None:
            return None  # reported: the date is not read without its words
        if expression is not None and text is not None and not _in_text(expression, text):
            problems.add(mapping["expression"].location,
                         f"date expression '{_shortened(expression)}' is not in the article "
                         "text; copy the article's words for the date (… between words that "
                         "are apart)")
            return None
        if not parts:
            if expression is None:
                raise ValueError("a date needs value:, earliest:, latest: or expression:")
            if published is None:
                raise ValueError("an expression needs the article's publication date")
            return resolve(expression, published)
        given = DateSpec(expression=expression, **parts)
        if expression is not None and published not in (None, STAND_IN_PUBLISHED):
            assert published is not None
            _check_agrees(given, expression, published, node, problems)
        return given
    except ValueError as error:
        problems.add(node.location, f"malformed date: {error}")
        return None
    except OverflowError:  # a relative expression past year 1 or 9999
        problems.add(node.location, "malformed date: the date falls outside the years 1 to 9999")
        return None


def _not_one_date(node: Node) -> str | None:
    """What ``node`` holds where one date belongs, when it cannot be one: ``a list``, …"""
    if node.is_list:
        return "a list"
    if node.is_map:
        return "a mapping"
    if node.value is None:
        return "empty"
    if isinstance(node.value, bool):
        return "true or false"
    return None


def _check_agrees(given: DateSpec, expression: str, published: dt.date, node: Node,
                  problems: _Problems) -> None:
    """A problem when the date given contradicts the article's words for it: no day can be
    both (``value: 2019`` with ``since 2018``). Checked only where the words name a year:
    words relative to the publication (``Thursday``, ``next week``) are read by a convention
    an author may know to be wrong for the article (its "Thursday" the one before a Monday's
    publication), and the date given is how the author says so. A bound or a more precise
    date the words allow (``value: 2018-05-08`` with ``since 2018``) stands, and words
    ``resolve`` does not read are not checked."""
    if not re.search(r"\b\d{4}\b", expression):
        return
    try:
        read = resolve(expression, published)
    except (ValueError, OverflowError):
        return
    if not given.can_be(read):
        problems.add(node.location,
                     f"date {given.shown()} disagrees with its expression "
                     f"'{_shortened(expression)}', which reads as {read.shown()}; fix the one "
                     "that is wrong, or leave out the date for the expression's")


def _shortened(words: str) -> str:
    """``words`` cut to 60 characters for a message."""
    return words if len(words) <= 60 else words[:57] + "..."


def _check_fit(
    node: Node, mapping: dict[str, Node], type_: str, schema: Schema, problems: _Problems,
    *, entity: bool = False,
) -> None:
    """A problem for each field whose property the ontology gives to other classes only (its
    rdfs:domain): written, it would state something of the wrong kind of thing. ``entity``:
    the record is a reference entity, which has a source, not evidence."""
    for key in mapping:
        where = node.key_locations.get(key, node.location)
        if key == "quote" and not schema.fits("quote", type_) and entity:
            problems.add(where, f"'quote' is for claims (a speaker's words), not for reference "
                         f"entities ({type_}); remove it (give where the entity comes from as "
                         "source:)")
        elif key == "quote" and not schema.fits("quote", type_):
            problems.add(where, f"'quote' is for claims (a speaker's words), not for facts "
                         f"({type_}); put the words that support it under evidence:")
        elif key in schema.content_predicates:
            problems.add(where, f"'{key}' is stated only as a claim's content, never as a field: "
                         f"write {{subject: …, predicate: {key}, object: …}} under content:")
        elif schema.is_property(key) and not schema.fits(key, type_):
            owners = " or ".join(sorted(schema.domains[key]))
            problems.add(where, f"'{key}' is not a field of {type_} (the ontology gives it to "
                         f"{owners}); remove it, or give the record a type that has it")


def _in_text(expression: str, text: str) -> bool:
    """Whether the parts of ``expression`` (split at …) occur in ``text`` as whole words, in
    that order."""
    position = 0
    for part in (piece.strip() for piece in expression.split("…")):
        found = re.compile(rf"(?<!\w){re.escape(part)}(?!\w)").search(text, position)
        if found is None:
            return False
        position = found.end()
    return True


def _quotes(node: Node | None, text: str, problems: _Problems, key: str) -> list[Quote]:
    quotes: list[Quote] = []
    for item in _items(node):
        if isinstance(item.value, str):
            exact, prefix, suffix = item.value, "", ""
        elif item.is_map:
            mapping = _expect_map(item, problems, f"an item of '{key}'", QUOTE_KEYS)
            exact = _required_string(item, mapping, "exact", problems) or ""
            prefix = _optional_string(mapping.get("prefix"), problems, "prefix") or ""
            suffix = _optional_string(mapping.get("suffix"), problems, "suffix") or ""
            if not exact:
                continue
        else:
            problems.add(item.location, f"an item of '{key}' must be the quoted words "
                         "(a string) or {exact:, prefix:, suffix:}")
            continue
        quote = locate_quote(text, exact, prefix, suffix, item.location, problems)
        if quote is not None:
            quotes.append(quote)
    return quotes


def locate_quote(
    text: str, exact: str, prefix: str, suffix: str, location: Location, problems: _Problems
) -> Quote | None:
    """Find ``exact`` in ``text`` once (prefix/suffix single it out); record a problem if not."""
    if not exact.strip():
        problems.add(location, "the quote is empty; copy the supporting words from the article")
        return None
    starts: list[int] = []
    position = text.find(exact)
    while position >= 0:
        if text[max(0, position - len(prefix)) : position] == prefix and text[
            position + len(exact) : position + len(exact) + len(suffix)
        ] == suffix:
            starts.append(position)
        position = text.find(exact, position + 1)
    shown = _shortened(exact)
    if not starts and (prefix or suffix) and exact in text:
        # the words are there: what is given around them is not
        around = " and ".join(f"{name}: '{_shortened(value)}'" for name, value
                              in (("prefix", prefix), ("suffix", suffix)) if value)
        problems.add(location, f"quote '{shown}' is in the article text {text.count(exact)} "
                     f"time(s), but never with {around} around it; copy the characters right "
                     "before and after it verbatim, spaces included")
        return None
    if not starts:
        problems.add(location, f"quote '{shown}' is not in the article text; copy it verbatim "
                     "(check quotes, dashes and spaces)")
        return None
    if len(starts) > 1:
        problems.add(location, f"quote '{shown}' occurs {len(starts)} times in the article; add "
                     "prefix: or suffix: to single one out")
        return None
    start = starts[0]
    end = start + len(exact)
    return Quote(
        exact=exact,
        start=start,
        end=end,
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
        location=location,
    )


# --- small readers ----------------------------------------------------------------------------


def _expect_map(
    node: Node, problems: _Problems, what: str, allowed: set[str], *, properties: bool = False
) -> dict[str, Node]:
    """The mapping's known fields; a problem for each other key. ``properties`` says that the
    mapping takes ontology properties besides its own keys (a record or a content item), so
    that an unknown field is explained by them; a mapping with fixed keys lists its keys."""
    if not isinstance(node.value, dict):
        problems.add(node.location, f"{what} must be a mapping of keys to values")
        return {}
    hint = ("fields are ontology property names" if properties
            else f"it takes {', '.join(repr(key) for key in sorted(allowed))}")
    for key in node.value:
        if key not in allowed:
            problems.add(node.key_locations.get(key, node.location),
                         f"unknown field '{key}' in {what}; check the spelling ({hint})"
                         # one key listed is the suggestion already
                         + (did_you_mean(str(key), allowed) if len(allowed) > 1 else ""))
    return {key: value for key, value in node.value.items() if key in allowed}


def _items(node: Node | None) -> list[Node]:
    if node is None:
        return []
    if isinstance(node.value, list):
        return node.value
    return [node]


def _required_string(
    node: Node, mapping: dict[str, Node], key: str, problems: _Problems
) -> str | None:
    if key not in mapping:
        problems.add(node.location, f"missing required field '{key}'; add it")
        return None
    value = mapping[key].value
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        problems.add(mapping[key].location, _not_text(key, mapping[key]))
        return None
    if isinstance(value, int):  # as written: YAML reads 0x1f as 31 and 1_000 as 1000
        return mapping[key].raw or str(value)
    return value


def _optional_string(node: Node | None, problems: _Problems, key: str) -> str | None:
    if node is None:
        return None
    if not isinstance(node.value, str) or not node.value.strip():
        problems.add(node.location, _not_text(key, node))
        return None
    return node.value


def _not_text(key: str, node: Node) -> str:
    """Why a value is no text: it is blank or a list, or YAML reads it as a number or a truth
    value (``title: 2022``), which quotes make text (dates stay text as written)."""
    value = node.value
    if node.raw is not None and isinstance(value, bool | int | float):
        kind = "truth value" if isinstance(value, bool) else "number"
        return (f"'{key}' must be text, not {printable(node.raw)}, which YAML reads as a "
                f"{kind}; put it in quotes")
    return f"'{key}' must be a non-empty text"


#: A language tag as the article shape takes it: an ISO 639 code, then subtags (region,
#: script, variant) of 2 to 8 letters or digits.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def _language(node: Node | None, problems: _Problems) -> str:
    """The article's language tag (default ``en``) in BCP 47's conventional case (``EN-gb``
    gives ``en-GB``); a problem if it is not a tag the article shape takes, or its language is
    no ISO 639 language ('English' is well-formed BCP 47, but no language code)."""
    if (node is not None and node.raw is not None and isinstance(node.value, bool | int | float)
            and _language_code(node.raw) is None):
        # `language: 1.5`: quoting it would not help, so the tag's form is what to tell
        problems.add(node.location, _language_problem(node.raw))
        return "en"
    value = _optional_string(node, problems, "language")
    if node is None or value is None:
        return "en"
    code = _language_code(value)
    if code is None:
        problems.add(node.location, _language_problem(value))
        return value
    _, _, rest = value.partition("-")
    # RFC 5646, 2.1.1: language in lower case, script in title case, region in upper case.
    subtags = [tag.upper() if len(tag) == 2 else tag.title() if len(tag) == 4 else tag.lower()
               for tag in rest.split("-") if rest]
    return "-".join([code, *subtags])


def _language_code(value: str) -> str | None:
    """The ISO 639 code that starts a language tag the article shape takes (the shortest one:
    ``eng`` gives ``en``), or None if ``value`` is no such tag."""
    import pycountry
    import pyoxigraph as ox  # its tag parser is the one the mapper's literals go through

    if not _LANGUAGE_TAG.fullmatch(value):
        return None
    code = value.partition("-")[0].lower()
    language = pycountry.languages.get(**{"alpha_2" if len(code) == 2 else "alpha_3": code})
    if language is None:
        return None
    try:
        ox.Literal("", language=value)
    except ValueError:
        return None
    return str(getattr(language, "alpha_2", code))


def _language_problem(value: str) -> str:
    return ("'language' must be a language tag such as en or pt-BR (an ISO 639 language code, "
            f"then subtags of 2 to 8 letters or digits), not '{printable(value)}'")


def _url(node: Node | None, problems: _Problems) -> str | None:
    """The article's address; a problem if it is not an absolute IRI."""
    import pyoxigraph as ox  # its IRI parser is the one the mapper's links go through

    value = _optional_string(node, problems, "url")
    if node is None or value is None:
        return None
    try:
        ox.NamedNode(value)
    except ValueError as error:
        problems.add(node.location, f"'url' must be an absolute address such as "
                     f"https://example.org/page, not '{printable(value)}' ({error})")
        return None
    return value


def _optional_bool(node: Node | None, problems: _Problems, key: str) -> bool:
    if node is None:
        return False
    if not isinstance(node.value, bool):
        problems.add(node.location, f"'{key}' must be true or false")
        return False
    return node.value


def _strings(node: Node | None, problems: _Problems, key: str) -> list[str]:
    values = []
    for item in _items(node):
        if not isinstance(item.value, str) or not item.value.strip():
            problems.add(item.location, f"'{key}' must be a text or a list of texts")
            continue
        values.append(item.value)
    return values
