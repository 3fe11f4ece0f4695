"""What the ontology allows in a facts file: its classes, properties, ranges and concepts.

The facts loader is driven by this schema, read from the ontology file, so that adding a class
or a property to the ontology is enough to use it in facts files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, Location, Problem
from .namespaces import OWL, RDF, RDFS, SKG, SKOS, XSD
from .sources import as_path, rdf_input

DATE_VALUE = SKG + "DateValue"
LANG_STRING = RDF + "langString"
DATE_COMPANIONS = ("Earliest", "Latest", "Expression")


@dataclass(frozen=True)
class Schema:
    """The vocabulary a facts file may use, by local name in the ``skg:`` namespace."""

    classes: frozenset[str]
    object_properties: frozenset[str]
    datatype_ranges: dict[str, str]
    concepts: frozenset[str]
    content_predicates: frozenset[str]
    #: Date properties that facts files name directly (their companions excluded).
    date_properties: frozenset[str]
    #: Companions of date properties (``dateEarliest`` …), which facts files do not name.
    date_companions: frozenset[str]
    #: Property → the classes of its ``rdfs:domain`` (a union counts each); absent: any class.
    domains: dict[str, frozenset[str]]
    #: Class → itself and its ``skg:`` superclasses.
    ancestors: dict[str, frozenset[str]]
    #: Property whose values are concepts → the concepts of its scheme (``skg:valuesFrom``).
    values: dict[str, frozenset[str]] = field(default_factory=dict)

    def is_property(self, name: str) -> bool:
        """Whether ``name`` is an object or datatype property of the ontology."""
        return name in self.object_properties or name in self.datatype_ranges

    def fits(self, name: str, class_name: str) -> bool:
        """Whether property ``name`` may describe a ``class_name`` (its domain allows it)."""
        domain = self.domains.get(name)
        return domain is None or bool(domain & self.ancestors.get(class_name, {class_name}))


def kind_slug(class_name: str) -> str:
    """``BilateralMeeting`` → ``bilateral-meeting``: the kind segment of instance IRIs."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", class_name).lower()


def load_schema(path: Path | str | None = None) -> Schema:
    """Read the ontology file (the bundled one by default) into a :class:`Schema`."""
    import pyoxigraph as ox

    from .resources import ontology_path

    path = ontology_path() if path is None else as_path(path)

    try:
        with rdf_input(path) as handle:
            triples = list(ox.parse(handle, format=ox.RdfFormat.TURTLE))
    except SyntaxError as error:
        from .shacl import syntax_problem  # the parser's line and column, and its words

        raise InputError(syntax_problem(path, error, "ontology")) from None
    except OSError as error:
        reason = error.strerror or error
        raise InputError(Problem(Location(path, 1), f"cannot read the ontology: {reason}")) \
            from None
    types: dict[str, set[str]] = {}
    ranges: dict[str, str] = {}
    domains: dict[str, ox.NamedNode | ox.BlankNode] = {}
    parents: dict[str, set[str]] = {}
    value_schemes: dict[str, str] = {}  # property → the scheme of its values
    in_scheme: dict[str, set[str]] = {}  # scheme → its concepts
    lists: dict[tuple[ox.BlankNode, str], object] = {}  # (node, first/rest/unionOf) → object
    for triple in triples:
        subject, predicate, obj = triple.subject, triple.predicate.value, triple.object
        if isinstance(subject, ox.BlankNode) and predicate in (RDF + "first", RDF + "rest",
                                                               OWL + "unionOf"):
            lists[subject, predicate] = obj
        if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(SKG):
            continue
        name = subject.value[len(SKG) :]
        if predicate == RDF + "type" and isinstance(obj, ox.NamedNode):
            types.setdefault(name, set()).add(obj.value)
        elif predicate == RDFS + "range" and isinstance(obj, ox.NamedNode):
            ranges[name] = obj.value
        elif predicate == RDFS + "domain" and isinstance(obj, ox.NamedNode | ox.BlankNode):
            domains[name] = obj
        elif (predicate == RDFS + "subClassOf" and isinstance(obj, ox.NamedNode)
              and obj.value.startswith(SKG)):
            parents.setdefault(name, set()).add(obj.value[len(SKG) :])
        elif predicate == SKG + "valuesFrom" and isinstance(obj, ox.NamedNode):
            value_schemes[name] = obj.value
        elif predicate == SKOS + "inScheme" and isinstance(obj, ox.NamedNode):
            in_scheme.setdefault(obj.value, set()).add(name)

    def classes_of(domain: ox.NamedNode | ox.BlankNode) -> frozenset[str] | None:
        """The ``skg:`` classes a domain names; None for one that allows anything."""
        if isinstance(domain, ox.NamedNode):
            return frozenset({domain.value[len(SKG) :]}) if domain.value.startswith(SKG) else None
        members: set[str] = set()
        item = lists.get((domain, OWL + "unionOf"))
        while isinstance(item, ox.BlankNode):
            first = lists.get((item, RDF + "first"))
            if not isinstance(first, ox.NamedNode) or not first.value.startswith(SKG):
                return None
            members.add(first.value[len(SKG) :])
            item = lists.get((item, RDF + "rest"))
        return frozenset(members) or None

    def ancestors(name: str) -> frozenset[str]:
        seen, todo = {name}, [name]
        while todo:
            for parent in parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return frozenset(seen)

    def having(type_iri: str) -> frozenset[str]:
        return frozenset(name for name, kinds in types.items() if type_iri in kinds)

    datatype_properties = having(OWL + "DatatypeProperty")
    dates = frozenset(
        name
        for name in datatype_properties
        if ranges.get(name) == DATE_VALUE
        and all(name + suffix in datatype_properties for suffix in DATE_COMPANIONS)
    )
    return Schema(
        classes=having(OWL + "Class"),
        object_properties=having(OWL + "ObjectProperty"),
        datatype_ranges={name: ranges.get(name, XSD + "string") for name in datatype_properties},
        concepts=having(SKOS + "Concept"),
        content_predicates=having(SKG + "ContentPredicate"),
        date_properties=dates,
        date_companions=frozenset(d + suffix for d in dates for suffix in DATE_COMPANIONS),
        domains={name: classes for name, domain in domains.items()
                 if (classes := classes_of(domain)) is not None},
        ancestors={name: ancestors(name) for name in having(OWL + "Class")},
        values={name: frozenset(in_scheme.get(scheme, ()))
                for name, scheme in value_schemes.items()},
    )
