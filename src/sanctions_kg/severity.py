"""The severity of a SHACL validation result, apart from the validator: the command line names
it in its options without importing the validator (``sanctions-kg query`` stays light)."""

from __future__ import annotations

from enum import Enum
from functools import total_ordering

from .namespaces import SH


@total_ordering
class Severity(Enum):
    """How serious a validation result is; ordered INFO < WARNING < VIOLATION."""

    INFO = "info"
    WARNING = "warning"
    VIOLATION = "violation"

    @property
    def rank(self) -> int:
        return ("info", "warning", "violation").index(self.value)

    @property
    def iri(self) -> str:
        """The SHACL severity IRI (``sh:Violation``…)."""
        return SH + self.value.capitalize()

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @classmethod
    def from_iri(cls, iri: str) -> Severity:
        """The severity of a SHACL severity IRI; unknown severities count as violations."""
        for severity in cls:
            if severity.iri == iri:
                return severity
        return cls.VIOLATION

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank
