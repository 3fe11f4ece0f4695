"""sanctions-kg: curated sanctions relationships from news articles as provenance-anchored RDF.

The library behind the ``sanctions-kg`` command. Everything the command does is available
here; heavy dependencies (rdflib, pySHACL) load only on the paths that need them.
"""

from __future__ import annotations

from .build import BuildOptions, BuildSummary, build
from .dates import DateSpec, PartialDate, Precision, resolve
from .errors import (
    InputError,
    Location,
    OutputError,
    Problem,
    QueryError,
    RemoteError,
    SanctionsKGError,
    StoreError,
    StoreInUseError,
    UsageError,
    ValidationFailed,
)
from .facts import load_corpus
from .mapper import map_article, map_ontology, map_reference
from .records import Article, ArticleMeta, Content, Corpus, Record, Section
from .schema import Schema, load_schema

__version__ = "0.1.0"

__all__ = [
    "Article",
    "ArticleMeta",
    "BuildOptions",
    "BuildSummary",
    "Content",
    "Corpus",
    "DateSpec",
    "InputError",
    "Location",
    "OutputError",
    "PartialDate",
    "Precision",
    "Problem",
    "QueryError",
    "Record",
    "RemoteError",
    "SanctionsKGError",
    "Schema",
    "Section",
    "StoreError",
    "StoreInUseError",
    "UsageError",
    "ValidationFailed",
    "__version__",
    "build",
    "load_corpus",
    "load_schema",
    "map_article",
    "map_ontology",
    "map_reference",
    "resolve",
]
