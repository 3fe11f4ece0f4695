"""Dates that keep the precision of their source, and resolution of relative expressions.

A :class:`PartialDate` is a year (``xsd:gYear``), a month (``xsd:gYearMonth``) or a day
(``xsd:date``). A :class:`DateSpec` is what a facts file says of one date: a point, or a range
(earliest, latest) when the source only bounds it, and the source's own words.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum

from .namespaces import XSD


class Precision(Enum):
    """How precise a date is."""

    YEAR = "year"
    MONTH = "month"
    DAY = "day"

    @property
    def datatype(self) -> str:
        """The XSD datatype IRI for this precision."""
        return XSD + {"year": "gYear", "month": "gYearMonth", "day": "date"}[self.value]


_LEXICAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date known to a year, a month or a day."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not 1 to 12")
        if self.day is not None and self.month is not None:
            dt.date(self.year, self.month, self.day)  # raises ValueError for 2022-02-30

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ValueError otherwise."""
        match = _LEXICAL.match(text.strip())
        if not match:
            raise ValueError(f"'{text}' is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = match.groups()
        try:
            return cls(int(year), int(month) if month else None, int(day) if day else None)
        except ValueError as error:
            raise ValueError(f"'{text}' is not a valid date ({error})") from None

    @classmethod
    def of(cls, day: dt.date) -> PartialDate:
        """The day-precision date of a :class:`datetime.date`."""
        return cls(day.year, day.month, day.day)

    @property
    def precision(self) -> Precision:
        """Year, month or day."""
        if self.day is not None:
            return Precision.DAY
        return Precision.YEAR if self.month is None else Precision.MONTH

    @property
    def lexical(self) -> str:
        """The XSD lexical form."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def first_day(self) -> dt.date:
        """The first day this date may stand for."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> dt.date:
        """The last day this date may stand for."""
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return dt.date(self.year, month, day)

    def __str__(self) -> str:
        return self.lexical


@dataclass(frozen=True)
class DateSpec:
    """One date as a source gives it: a point, or bounds, and the source's words."""

    value: PartialDate | None = None
    earliest: PartialDate | None = None
    latest: PartialDate | None = None
    expression: str | None = None

    def __post_init__(self) -> None:
        if self.value is None and self.earliest is None and self.latest is None:
            raise ValueError("a date needs a value, or an earliest or latest bound")
        if self.value is not None and (self.earliest is not None or self.latest is not None):
            raise ValueError("give either a value or earliest/latest bounds, not both")
        if (
            self.earliest is not None
            and self.latest is not None
            and self.earliest.first_day > self.latest.last_day
        ):
            raise ValueError(f"earliest {self.earliest} is after latest {self.latest}")

    @property
    def first_day(self) -> dt.date | None:
        """The earliest day the date may be, if bounded below."""
        bound = self.value or self.earliest
        return bound.first_day if bound else None

    @property
    def last_day(self) -> dt.date | None:
        """The latest day the date may be, if bounded above."""
        bound = self.value or self.latest
        return bound.last_day if bound else None


_WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")


def resolve(expression: str, published: dt.date) -> DateSpec:
    """Resolve a relative or partial date expression against a publication date.

    Understood: a weekday name (the day of that name in the publication's Monday-to-Sunday
    week), ``today``, ``yesterday``, ``tomorrow``, ``last week``, ``this week``, ``next week``
    (the Monday-to-Sunday range), ``last year``, ``this year``, ``next year`` (optionally with a
    month name: ``last year ... in September``), a four-digit year (optionally with a month
    name), and ``recent``/``recently``/``already``/``has ...`` (on or before the publication).
    Raises ValueError for anything else.
    """
    words = re.findall(r"[a-z]+|\d+", expression.lower())
    text = " ".join(words)
    month = next((_MONTHS[w] for w in words if w in _MONTHS), None)
    years = _YEAR.findall(text)
    monday = published - dt.timedelta(days=published.weekday())

    def week(offset: int) -> DateSpec:
        start = monday + dt.timedelta(weeks=offset)
        return DateSpec(
            earliest=PartialDate.of(start),
            latest=PartialDate.of(start + dt.timedelta(days=6)),
            expression=expression,
        )

    def year_spec(year: int) -> DateSpec:
        return DateSpec(value=PartialDate(year, month), expression=expression)

    relative_years = {"last year": -1, "this year": 0, "next year": 1}
    relative_weeks = {"last week": -1, "this week": 0, "next week": 1}
    relative_days = {"yesterday": -1, "today": 0, "tomorrow": 1}
    for phrase, offset in relative_years.items():
        if phrase in text:
            return year_spec(published.year + offset)
    for phrase, offset in relative_weeks.items():
        if phrase in text:
            return week(offset)
    if len(set(years)) == 1:
        return year_spec(int(years[0]))
    for phrase, offset in relative_days.items():
        if phrase in words:
            day = published + dt.timedelta(days=offset)
            return DateSpec(value=PartialDate.of(day), expression=expression)
    weekdays = {_WEEKDAYS[w] for w in words if w in _WEEKDAYS}
    if len(weekdays) == 1:
        day = monday + dt.timedelta(days=weekdays.pop())
        return DateSpec(value=PartialDate.of(day), expression=expression)
    if {"recent", "recently", "already", "has", "have", "former"} & set(words):
        return DateSpec(latest=PartialDate.of(published), expression=expression)
    raise ValueError(
        f"cannot resolve the date expression '{expression}'; give value:, earliest: or latest:"
    )
