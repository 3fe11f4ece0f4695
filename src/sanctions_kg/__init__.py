"""sanctions-kg: curated sanctions relationships from news articles as provenance-anchored RDF.

The library behind the ``sanctions-kg`` command: everything the command does is available here.
Names are re-exported lazily, so that ``import sanctions_kg`` (and the CLI's start-up) loads only
the modules a caller actually uses.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "build": "builder",
    "BuildOptions": "builder",
    "BuildSummary": "builder",
    "DateSpec": "dates",
    "PartialDate": "dates",
    "Precision": "dates",
    "resolve": "dates",
    "InputError": "errors",
    "Location": "errors",
    "OutputError": "errors",
    "Problem": "errors",
    "QueryError": "errors",
    "RemoteError": "errors",
    "SanctionsKGError": "errors",
    "StoreError": "errors",
    "StoreInUseError": "errors",
    "UsageError": "errors",
    "ValidationFailed": "errors",
    "load_corpus": "facts",
    "map_article": "mapper",
    "map_ontology": "mapper",
    "map_reference": "mapper",
    "Article": "records",
    "ArticleMeta": "records",
    "Content": "records",
    "Corpus": "records",
    "Record": "records",
    "Section": "records",
    "Schema": "schema",
    "load_schema": "schema",
    "open_read": "store",
    "push": "remote",
    "sparql_query": "remote",
    "PushReport": "remote",
    "Severity": "validation",
    "ValidationReport": "validation",
    "validate_store": "validation",
    "validate_files": "validation",
    "validate_store_dir": "validation",
    "run_named": "queries",
}

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
    "PushReport",
    "QueryError",
    "Record",
    "RemoteError",
    "SanctionsKGError",
    "Schema",
    "Section",
    "Severity",
    "StoreError",
    "StoreInUseError",
    "UsageError",
    "ValidationFailed",
    "ValidationReport",
    "__version__",
    "build",
    "load_corpus",
    "load_schema",
    "map_article",
    "map_ontology",
    "map_reference",
    "open_read",
    "push",
    "resolve",
    "run_named",
    "sparql_query",
    "validate_files",
    "validate_store",
    "validate_store_dir",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sanctions_kg' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .builder import BuildOptions, BuildSummary, build
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
    from .queries import run_named
    from .records import Article, ArticleMeta, Content, Corpus, Record, Section
    from .remote import PushReport, push, sparql_query
    from .schema import Schema, load_schema
    from .store import open_read
    from .validation import (
        Severity,
        ValidationReport,
        validate_files,
        validate_store,
        validate_store_dir,
    )
