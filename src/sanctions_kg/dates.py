"""Dates that keep the precision of their source, and resolution of relative expressions.

A :class:`PartialDate` is a year (``xsd:gYear``), a month (``xsd:gYearMonth``) or a day
(``xsd:date``). A :class:`DateSpec` is what a facts file says of one date: a point, or a range
(earliest, latest) when the source only bounds it, and the source's own words.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
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
        if not dt.MINYEAR <= self.year <= dt.MAXYEAR:  # XSD 1.0 has no year 0000 either
            raise ValueError(f"year {self.year:04d} is not 1 to 9999")
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

    def can_be(self, other: DateSpec) -> bool:
        """Whether the two can name the same day: their ranges of days meet (an open bound
        meets anything on its side)."""
        return not (
            (self.first_day is not None and other.last_day is not None
             and self.first_day > other.last_day)
            or (other.first_day is not None and self.last_day is not None
                and other.first_day > self.last_day)
        )

    def shown(self) -> str:
        """The date as a mapping of the facts file would give it: ``2018``,
        ``{latest: 2022-09-15}``."""
        if self.value is not None:
            return str(self.value)
        bounds = [f"{name}: {bound}" for name, bound in (("earliest", self.earliest),
                                                           ("latest", self.latest)) if bound]
        return "{" + ", ".join(bounds) + "}"


_WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
#: Month words that are also ordinary words or names ("it may", "a march", "Jan Lipavský"): a
#: month only next to a number or right after one of the cue words.
_WEAK_MONTHS = {"may": 5, "march": 3, "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7,
                "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name)
           if name and name.lower() not in _WEAK_MONTHS}
#: Not "by" ("by May" is as often Theresa May), nor "this" ("this may happen"). After last or
#: next the word is a month, so that "last May" is refused as "last September" is.
_MONTH_CUES = frozenset({"in", "of", "on", "since", "from", "during", "early", "mid", "late",
                         "last", "next"})
_TOKEN = re.compile(r"[a-z\d]+")  # G20 and Q3 are words; 23rd, 3pm and 1990s numbers
_YEAR = re.compile(r"1[89]\d\d|2\d\d\d")
#: 1990s, 1990's, '90s, 90s, '90; not a possessive (2018's, G20's).
_DECADE = re.compile(r"\b(?:\d\d)?\d0'?s\b|'\d\d\b")
#: A prefix of a date: pre-2019, post-war (as words they are common: "the Washington Post").
_PREFIXED = re.compile(r"\b(?:pre|post)-")
_NEGATION = re.compile(r"n't\b")
_TWO_DAYS = re.compile(r"\bday (before yesterday|after tomorrow)\b")
#: Words that make the date a bound, an offset from another event, an approximation, a
#: negation, an alternative, a recurrence or a span: the keyword reading would be wrong.
_CHANGES_MEANING = frozenset({
    "before", "until", "till", "til", "after", "afterwards", "afterward", "prior", "ago",
    "earlier", "later", "between", "through", "thru", "throughout", "within", "beyond", "ahead",
    "pending", "following", "preceding", "previous", "past", "coming", "upcoming", "subsequent",
    "eve", "anniversary",
    "around", "about", "circa", "approximately", "roughly", "nearly", "almost",
    "not", "never", "no", "nor", "neither",
    "or", "either", "if", "unless", "whether", "maybe", "perhaps", "possibly", "probably",
    "likely",
    "every", "each", "daily", "weekly", "monthly", "yearly", "annually",
    "days", "weeks", "months", "years", "hours", "nights", "mornings", "weekends", "fortnight",
    "fortnights", "decade", "decades", "century", "centuries", "fifties", "sixties", "seventies",
    "eighties", "nineties", "winter", "fiscal", "fy",
    "mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays",
})
_CHANGES_MEANING_PAIRS = frozenset({("as", "of"), ("up", "to"), ("has", "to"), ("have", "to")})
#: Words naming a period: refused right after last/next/this/that/same, except the pairs
#: understood (last, this or next week or year).
_PERIODS = frozenset({"day", "night", "morning", "afternoon", "evening", "weekend", "week",
                      "month", "year", "time", "season", "spring", "summer", "autumn", "fall",
                      "quarter", "hour"})
_RELATIVE = {"last": -1, "this": 0, "next": 1}
_RELATIVE_DAYS = {"daybeforeyesterday": -2, "yesterday": -1, "today": 0, "tomorrow": 1,
                  "dayaftertomorrow": 2}
#: Words between "by" and a deadline ("by the end of 2019").
_DEADLINE_FILLER = frozenset({"the", "that", "end", "start", "beginning", "middle", "mid",
                              "early", "late", "of", "close"})
_DEADLINE_WORDS = frozenset({"now", "then"}) | _PERIODS | _RELATIVE.keys() \
    | _RELATIVE_DAYS.keys()
_BEFORE_PUBLICATION = frozenset({"recent", "recently", "already", "has", "have", "former"})
#: Words that keep "has"/"recent" from meaning "on or before the publication".
_FUTURE = frozenset({"will", "would", "shall", "should", "could", "might", "must", "can", "ll",
                     "may", "going", "plan", "plans", "planned", "expected", "expects",
                     "scheduled", "intend", "intends", "yet", "soon"})


def _refused(expression: str) -> ValueError:
    return ValueError(
        f"cannot resolve the date expression '{expression}'; give value:, earliest: or latest:"
    )


def _month(words: list[str], index: int) -> int | None:
    """The month the word at ``index`` names, if it is used as a month there."""
    word = words[index] if 0 <= index < len(words) else ""
    if word in _MONTHS:
        return _MONTHS[word]
    if word not in _WEAK_MONTHS:
        return None
    cued = index > 0 and words[index - 1] in _MONTH_CUES
    numbered = any(w[0].isdigit() for w in words[max(index - 1, 0):index + 2])
    return _WEAK_MONTHS[word] if cued or numbered else None


def _is_date_word(words: list[str], index: int) -> bool:
    word = words[index]
    return (word[0].isdigit() or word in _WEEKDAYS or word in _DEADLINE_WORDS
            or _month(words, index) is not None)


def _is_deadline(words: list[str], index: int) -> bool:
    """Whether ``by`` at ``index`` starts a deadline ("by Friday", "by the end of 2019")."""
    index += 1
    while index < len(words) and words[index] in _DEADLINE_FILLER:
        index += 1
    return index == len(words) or _is_date_word(words, index)


def _nearest_weekday(published: dt.date, weekday: int, direction: int) -> dt.date | None:
    """``last`` (direction -1) or ``next`` (+1) weekday, when its two readings agree: the
    nearest such day before (after) the publication, and that day of the previous (next)
    Monday-to-Sunday week. None when they differ (``next Friday`` on a Thursday)."""
    step = (direction * (weekday - published.weekday())) % 7 or 7
    nearest = published + dt.timedelta(days=direction * step)
    monday = published - dt.timedelta(days=published.weekday())
    in_week = monday + dt.timedelta(weeks=direction, days=weekday)
    return nearest if nearest == in_week else None


class _Kind(Enum):
    """What the number of an :class:`_Anchor` counts."""

    YEAR = "a four-digit year"
    YEARS = "an offset in years (last, this, next year)"
    WEEKS = "an offset in weeks (last, this, next week)"
    DAYS = "an offset in days (today, yesterday…)"
    WEEKDAY = "a day of the publication's week (0 is Monday)"
    ORDINAL = "a day, as a proleptic Gregorian ordinal (last or next Friday)"


@dataclass(frozen=True)
class _Anchor:
    """A date the words of an expression name."""

    kind: _Kind
    number: int


#: A day of the month as written: 4, 04, 4th, 21st.
_DAY_OF_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")


def _beside_month(words: list[str], index: int) -> bool:
    """Whether the word at ``index`` is next to a month name (``4 July``, ``July 4``, ``4th of
    July``): a day of that month."""
    after = index + 2 if words[index + 1:index + 2] == ["of"] else index + 1
    return _month(words, index - 1) is not None or _month(words, after) is not None


def _anchors(
    words: list[str], published: dt.date
) -> tuple[set[_Anchor], set[int], set[int]]:
    """The dates the words name, the months and the days of the month they name. Raises
    ValueError for a word or form whose meaning the keyword reading would change."""
    anchors: set[_Anchor] = set()
    months: set[int] = set()
    days: set[int] = set()
    for index, word in enumerate(words):
        before = words[index - 1] if index else ""
        after = words[index + 1] if index + 1 < len(words) else ""
        if word[0].isdigit():
            written = _DAY_OF_MONTH.fullmatch(word)
            if written is not None and _beside_month(words, index):
                days.add(int(written[1]))
            elif not _YEAR.fullmatch(word):  # a count, 3pm, '19, a day without its month
                raise ValueError(word)
            else:
                anchors.add(_Anchor(_Kind.YEAR, int(word)))
        elif (month := _month(words, index)) is not None:
            months.add(month)
        elif word in _WEEKDAYS and before not in _RELATIVE:
            anchors.add(_Anchor(_Kind.WEEKDAY, _WEEKDAYS[word]))
        elif word in _RELATIVE_DAYS:
            anchors.add(_Anchor(_Kind.DAYS, _RELATIVE_DAYS[word]))
        elif word in _RELATIVE and after in {"week", "year"} and before != "the":
            anchors.add(_Anchor(_Kind.WEEKS if after == "week" else _Kind.YEARS, _RELATIVE[word]))
        elif word in {"last", "next"} and after in _WEEKDAYS and before != "the" and (
            words[index + 2:index + 3] != ["of"]
        ):
            day = _nearest_weekday(published, _WEEKDAYS[after], _RELATIVE[word])
            if day is None:
                raise ValueError(word)
            anchors.add(_Anchor(_Kind.ORDINAL, day.toordinal()))
        elif word in {*_RELATIVE, "that", "same"} and (
            after in _PERIODS or after in _WEEKDAYS or _month(words, index + 1) is not None
        ):
            raise ValueError(word)  # last month, this Friday, the next day, that year…
        elif word == "by" and _is_deadline(words, index):
            raise ValueError(word)
    return anchors, months, days


def _words(expression: str) -> list[str]:
    """The lower-case words and numbers of an expression; ValueError when it holds a decade, a
    negation or a word that changes the meaning of the date."""
    text = expression.lower().replace("\u2019", "'").replace("\u2018", "'")
    if _DECADE.search(text) or _NEGATION.search(text) or _PREFIXED.search(text):
        raise ValueError(text)
    words = _TOKEN.findall(text)
    text = _TWO_DAYS.sub(lambda m: "day" + m[1].replace(" ", ""), " ".join(words))
    words = text.split()
    if _CHANGES_MEANING & set(words) or _CHANGES_MEANING_PAIRS & set(itertools.pairwise(words)):
        raise ValueError(text)
    return words


def _written_day(expression: str, anchors: set[_Anchor], months: set[int], days: set[int],
                 published: dt.date) -> DateSpec:
    """A day of the month written with its month and a year (``4 July 2024``), and maybe its
    weekday, which must be the date's (``Thursday, 4 July 2024``)."""
    years = [a for a in anchors if a.kind in (_Kind.YEAR, _Kind.YEARS)]
    weekdays = [a for a in anchors if a.kind is _Kind.WEEKDAY]
    if (len(days) != 1 or len(months) != 1 or len(years) != 1 or len(weekdays) > 1
            or len(years) + len(weekdays) != len(anchors)):
        raise _refused(expression)
    (anchor,) = years
    year = anchor.number if anchor.kind is _Kind.YEAR else published.year + anchor.number
    month, number = next(iter(months)), next(iter(days))
    try:
        day = dt.date(year, month, number)
    except ValueError:  # 31 June
        raise ValueError(f"the date expression '{expression}' names no day of the calendar "
                         f"({calendar.month_name[month]} {year} has no day {number}); correct "
                         "it, or give value:, earliest: or latest:") from None
    if weekdays and weekdays[0].number != day.weekday():  # one of the two is wrong
        raise ValueError(f"the date expression '{expression}' gives "
                         f"{calendar.day_name[weekdays[0].number]}, but {day.isoformat()} is a "
                         f"{calendar.day_name[day.weekday()]}; correct it, or give value:, "
                         "earliest: or latest:")
    return DateSpec(value=PartialDate.of(day), expression=expression)


def resolve(expression: str, published: dt.date) -> DateSpec:
    """Resolve a relative or partial date expression against a publication date.

    The expression may be a phrase of the article; it names exactly one of these dates:

    - a weekday name: that day of the publication's Monday-to-Sunday week (``Friday``, ``said
      in a tweet Wednesday``);
    - ``last`` or ``next`` and a weekday, only where the nearest such day before (after) the
      publication is also that day of the previous (next) week: on a Thursday, ``last Friday``
      is the Friday six days earlier and ``next Monday`` four days later, while ``last
      Monday`` and ``next Friday`` are refused;
    - ``today``, ``yesterday``, ``tomorrow``, ``the day before yesterday``, ``the day after
      tomorrow``;
    - ``last week``, ``this week``, ``next week``: the Monday-to-Sunday range (earliest, latest);
    - ``last year``, ``this year``, ``next year`` or a four-digit year (``since 2018`` and ``in
      2018`` are 2018), with at most one month name: ``last year … in September``, ``May
      2021``, and a day of that month beside it: ``4 July 2024``, ``July 4, 2024``, ``on the
      4th of July 2024``, ``Thursday, 4 July 2024`` (where the weekday is the date's).
      ``May``, ``March`` and abbreviations (``Sept``, ``Jan``…) are a month only next to a
      number or after ``in``, ``of``, ``on``, ``since``, ``from``,
      ``during``, ``early``, ``mid``, ``late``, ``last`` or ``next`` (``it may``, ``by May``,
      ``Jan Lipavský`` are not). A month without a year is refused. Words inside the period
      (``early``, ``mid-``, ``late``, ``end of``) keep the whole period;
    - with none of these, ``recent``, ``recently``, ``already``, ``has``, ``have`` or ``former``:
      on or before the publication (latest), unless a future or modal word (``will``, ``may``,
      ``expected``, ``yet``, ``has to``…) is present.

    Refused (ValueError), so that the author gives value:, earliest: or latest:

    - words that make the date a bound or an offset: ``before``, ``until``, ``till``,
      ``after``, ``prior``, ``by`` before a date (a deadline), ``as of``, ``up to``, ``ago``,
      ``earlier``, ``later``, ``between``, ``through``, ``within``, ``following``,
      ``previous``, ``past``, ``coming``, ``eve``, ``anniversary``…;
    - approximations, negations, alternatives and conditions: ``around``, ``about``,
      ``circa``, ``not``, ``never``, ``no``, ``n't``, ``or``, ``if``, ``maybe``…;
    - recurrences and spans: ``every``, ``each``, ``weekly``, plural periods (``days``,
      ``years``, ``Fridays``…), decades (``1990s``, ``'90s``, ``nineties``, ``decade``),
      centuries, ``winter``, ``fiscal``;
    - any number other than a four-digit year or a day beside its month (a day without a year
      as in ``Friday 23 September``, ``23rd``, a count, ``3pm``, ``2018-19``, ``2022-09-15``,
      ``31 June 2022``); a name holding a number (``G20``) is a word;
    - ``last``, ``next``, ``this``, ``that`` or ``same`` before any other period, weekday or
      month (``last September``, ``this Friday``, ``the next day``, ``last month``), and ``the
      last``/``the next`` (``the last year`` is a rolling period);
    - two different dates (``2018`` and ``2020``, a weekday and ``next week``), two months, or a
      month with a weekday, a day or a week;
    - anything else: no date named.
    """
    try:
        words = _words(expression)
        anchors, months, days = _anchors(words, published)
    except ValueError:
        raise _refused(expression) from None
    if days:
        return _written_day(expression, anchors, months, days, published)
    if len(anchors) > 1 or len(months) > 1:
        raise _refused(expression)
    month = next(iter(months), None)
    monday = published - dt.timedelta(days=published.weekday())
    if not anchors:
        if months:  # "has signed in September": which year's September is not said
            raise _refused(expression)
        modal = any(w in _FUTURE and _month(words, i) is None for i, w in enumerate(words))
        if _BEFORE_PUBLICATION & set(words) and not modal:
            return DateSpec(latest=PartialDate.of(published), expression=expression)
        raise _refused(expression)
    anchor = anchors.pop()
    kind, number = anchor.kind, anchor.number
    if kind in (_Kind.YEAR, _Kind.YEARS):
        year = number if kind is _Kind.YEAR else published.year + number
        return DateSpec(value=PartialDate(year, month), expression=expression)
    if month is not None:
        raise _refused(expression)
    if kind is _Kind.WEEKS:
        start = monday + dt.timedelta(weeks=number)
        return DateSpec(
            earliest=PartialDate.of(start),
            latest=PartialDate.of(start + dt.timedelta(days=6)),
            expression=expression,
        )
    if kind is _Kind.DAYS:
        day = published + dt.timedelta(days=number)
    elif kind is _Kind.WEEKDAY:
        day = monday + dt.timedelta(days=number)
    else:
        day = dt.date.fromordinal(number)
    return DateSpec(value=PartialDate.of(day), expression=expression)
