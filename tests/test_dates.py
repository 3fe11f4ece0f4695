"""Dates keep their precision; relative expressions resolve against the publication date."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from sanctions_kg.dates import DateSpec, PartialDate, Precision, resolve

PUBLISHED = dt.date(2022, 9, 15)  # a Thursday


@pytest.mark.parametrize(
    ("text", "precision", "datatype"),
    [
        ("2018", Precision.YEAR, "gYear"),
        ("2021-09", Precision.MONTH, "gYearMonth"),
        ("2022-09-15", Precision.DAY, "date"),
    ],
)
def test_partial_date_keeps_precision(text: str, precision: Precision, datatype: str) -> None:
    date = PartialDate.parse(text)
    assert date.precision is precision
    assert date.lexical == text
    assert date.precision.datatype.endswith("#" + datatype)


@pytest.mark.parametrize("text", ["18", "2022-13", "2022-02-30", "2022/09/15", "", "Sept 2022",
                                  "0000", "0000-05"])
def test_malformed_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        PartialDate.parse(text)


def test_a_year_zero_is_refused_whatever_the_precision() -> None:
    """``0000`` and ``0000-05`` were taken as an xsd:gYear and an xsd:gYearMonth, while
    ``0000-05-01`` and relative dates past year 1 were refused."""
    for text in ("0000", "0000-05", "0000-05-01"):
        with pytest.raises(ValueError, match=r"is not a valid date \((year 0000 is not 1 to "
                                             r"9999|year 0 is out of range)\)"):
            PartialDate.parse(text)


def test_partial_date_day_bounds() -> None:
    assert PartialDate(2021, 9).first_day == dt.date(2021, 9, 1)
    assert PartialDate(2021, 9).last_day == dt.date(2021, 9, 30)
    assert PartialDate(2020).last_day == dt.date(2020, 12, 31)
    assert PartialDate(2024, 2).last_day == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("expression", "value", "earliest", "latest"),
    [
        ("Thursday", "2022-09-15", None, None),
        ("said in a tweet Wednesday", "2022-09-14", None, None),
        ("will ends on Friday", "2022-09-16", None, None),
        ("next week", None, "2022-09-19", "2022-09-25"),
        ("last week", None, "2022-09-05", "2022-09-11"),
        ("last year … in September", "2021-09", None, None),
        ("last year", "2021", None, None),
        ("since 2018", "2018", None, None),
        ("in September 2021", "2021-09", None, None),
        ("yesterday", "2022-09-14", None, None),
        ("Recent images", None, None, "2022-09-15"),
    ],
)
def test_resolve(expression: str, value: str | None, earliest: str | None,
                 latest: str | None) -> None:
    spec = resolve(expression, PUBLISHED)
    assert (spec.value.lexical if spec.value else None) == value
    assert (spec.earliest.lexical if spec.earliest else None) == earliest
    assert (spec.latest.lexical if spec.latest else None) == latest
    assert spec.expression == expression


@pytest.mark.parametrize("expression", ["soon", "a while ago", "in 2018 or 2019", ""])
def test_unresolvable_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError, match="cannot resolve"):
        resolve(expression, PUBLISHED)


def _lexicals(spec: DateSpec) -> tuple[str | None, str | None, str | None]:
    def lexical(date: PartialDate | None) -> str | None:
        return date.lexical if date else None

    return lexical(spec.value), lexical(spec.earliest), lexical(spec.latest)


# The expressions of data/facts and the forms benchmarks/corpus.py writes, as they resolved
# before the refusals were added: they must not change.
KEPT = [
    ("has delivered", (None, None, "2022-09-15")),
    ("has since expanded", (None, None, "2022-09-15")),
    ("last year … in September", ("2021-09", None, None)),
    ("said in a tweet Wednesday that he had signed", ("2022-09-14", None, None)),
    ("since 2018 when", ("2018", None, None)),
    ("since 2018", ("2018", None, None)),
    ("Recent", (None, None, "2022-09-15")),
    ("former", (None, None, "2022-09-15")),
    ("next week", (None, "2022-09-19", "2022-09-25")),
    ("this week", (None, "2022-09-12", "2022-09-18")),
    ("in 2016", ("2016", None, None)),
    ("since 2014", ("2014", None, None)),
    ("today", ("2022-09-15", None, None)),
    ("tomorrow", ("2022-09-16", None, None)),
    ("next year", ("2023", None, None)),
    ("this year", ("2022", None, None)),
    ("last year in September", ("2021-09", None, None)),
    ("recently", (None, None, "2022-09-15")),
    # words inside the period keep the whole period
    ("early 2019", ("2019", None, None)),
    ("mid-2019", ("2019", None, None)),
    ("end of 2019", ("2019", None, None)),
    ("in May 2021", ("2021-05", None, None)),
    ("in March 2019", ("2019-03", None, None)),
    ("last year in May", ("2021-05", None, None)),
    # a day of the month beside its month, with a year
    ("on 23 September 2022", ("2022-09-23", None, None)),
    ("4 July 2024", ("2024-07-04", None, None)),
    ("July 4, 2024", ("2024-07-04", None, None)),
    ("on the 4th of July 2024", ("2024-07-04", None, None)),
    ("on 29 February 2024", ("2024-02-29", None, None)),
    ("4 July last year", ("2021-07-04", None, None)),
    ("on Thursday, 15 September 2022", ("2022-09-15", None, None)),
    # names that hold a number, and words that look like months, are not dates
    ("the G20 summit on Thursday", ("2022-09-15", None, None)),
    ("Jan Lipavsky said Thursday", ("2022-09-15", None, None)),
    ("it may be signed next week", (None, "2022-09-19", "2022-09-25")),
    ("signed by Putin on Thursday", ("2022-09-15", None, None)),
    ("since Thursday", ("2022-09-15", None, None)),
    # a possessive is not a decade; "Post" is not a prefix
    ("the G20's summit on Thursday", ("2022-09-15", None, None)),
    ("the 2018 deal's terms, signed in 2018", ("2018", None, None)),
    ("told the Washington Post on Thursday", ("2022-09-15", None, None)),
    *[(day, (f"2022-09-{12 + n}", None, None)) for n, day in enumerate(calendar.day_name)],
    *[(f"said in a tweet {day}", (f"2022-09-{12 + n}", None, None))
      for n, day in enumerate(calendar.day_name)],
    *[(f"last year … in {month}", (f"2021-{n:02d}", None, None))
      for n, month in enumerate(calendar.month_name) if month],
]


@pytest.mark.parametrize(("expression", "expected"), KEPT)
def test_data_and_corpus_expressions_keep_their_reading(
    expression: str, expected: tuple[str | None, str | None, str | None]
) -> None:
    assert _lexicals(resolve(expression, PUBLISHED)) == expected


# Read wrongly before (the keyword alone), now read right. Published Thursday 2022-09-15.
RESOLVED_DIFFERENTLY = [
    ("last Friday", "2022-09-09"),
    ("said last Friday", "2022-09-09"),
    ("last Thursday", "2022-09-08"),
    ("next Monday", "2022-09-19"),
    ("next Thursday", "2022-09-22"),
    ("the day before yesterday", "2022-09-13"),
    ("the day after tomorrow", "2022-09-17"),
]


@pytest.mark.parametrize(("expression", "value"), RESOLVED_DIFFERENTLY)
def test_relative_words_before_a_weekday_or_day_are_read(expression: str, value: str) -> None:
    assert _lexicals(resolve(expression, PUBLISHED)) == (value, None, None)


def test_an_abbreviated_month_keeps_its_precision() -> None:
    assert _lexicals(resolve("in Sept 2021", PUBLISHED)) == ("2021-09", None, None)
    assert _lexicals(resolve("it may be signed in 2023", PUBLISHED)) == ("2023", None, None)
    assert _lexicals(resolve("a protest march in 2019", PUBLISHED)) == ("2019", None, None)
    assert _lexicals(resolve("this may happen in 2023", PUBLISHED)) == ("2023", None, None)


@pytest.mark.parametrize("published", [PUBLISHED + dt.timedelta(days=n) for n in range(7)])
@pytest.mark.parametrize("weekday", list(calendar.day_name))
@pytest.mark.parametrize(("word", "direction"), [("last", -1), ("next", 1)])
def test_last_or_next_weekday_is_the_day_of_the_week_before_or_after_or_refused(
    published: dt.date, weekday: str, word: str, direction: int
) -> None:
    """Read only where both usual readings agree: the nearest such day before (after) the
    publication is that day of the previous (next) Monday-to-Sunday week."""
    monday = published - dt.timedelta(days=published.weekday())
    in_week = monday + dt.timedelta(weeks=direction, days=list(calendar.day_name).index(weekday))
    gap = (in_week - published).days * direction
    if gap <= 7:
        assert resolve(f"{word} {weekday}", published).value == PartialDate.of(in_week)
    else:
        with pytest.raises(ValueError, match="cannot resolve"):
            resolve(f"{word} {weekday}", published)


# Each form changes the meaning the keyword reading would give: refused, with the message the
# facts loader reports ("give value:, earliest: or latest:").
REFUSED = [
    # last/next/this before a weekday or month, where the reading is not certain
    "next Friday", "last Monday", "this Friday", "the last Friday of September",
    "last Friday of the month", "next September", "this September", "last month",
    "the next day", "Thursday and the next day", "that year", "the same day", "this weekend",
    "next weekend", "over the last year", "the next week",
    # bounds and offsets
    "before 2019", "until 2015", "not until 2030", "till 2020", "after 2018", "prior to 2019",
    "by 2019", "by Friday", "by the end of 2019", "by then", "by that time", "by May 2023",
    "as of 2019", "up to 2019",
    "two days ago", "earlier this year", "later this week", "a year later",
    "three years after 2018", "between 2018 and 2020", "through 2019", "within 30 days",
    "following Thursday's meeting", "the previous year", "in the past year",
    "in the coming weeks", "on the eve of Thursday's summit", "on the anniversary of 2018",
    "pre-2019", "post-2019", "in the post-2018 order",
    # a month whose year is not said; last/next before a month that is also a word
    "has signed in September", "recently, in March", "last May", "next March",
    "in the 90s",
    # approximations, negations, alternatives, conditions
    "around 2019", "about 2019", "circa 2019", "never in 2019", "did not happen Thursday",
    "didn't sign until Friday", "has not yet been delivered", "no deal in 2019",
    "Thursday or Friday", "September or October 2021", "if signed Thursday",
    "maybe next week", "probably in 2019",
    # recurrences, spans, decades, seasons across years
    "every Friday", "each year since 2018", "on Fridays", "weekly since 2018",
    "in recent years", "for years since 2018", "in the 1990s", "in the '90s", "the 1990’s",
    "in the nineties", "the last decade", "the 20th century", "winter 2019", "fiscal 2019",
    # numbers other than a year
    "Friday 23 September", "on 23 September", "Thursday 23rd", "2018-19", "2022-09-15",
    "3pm Thursday", "in '19",
    # a day with its month and year, but no such day, or two days
    "3 and 4 July 2022",
    # two dates, two months, a month with a weekday or week
    "2018-2020", "from 2018 to 2020", "the 2018 deal signed in 2020", "Monday and Tuesday",
    "last year and this year", "Thursday, next week", "yesterday, Wednesday",
    "from September to October 2021", "Friday in September", "next week in September",
    # "has" that does not mean before the publication
    "has yet to deliver", "has to deliver", "will have delivered", "expected to have signed",
    # already refused: no date named
    "last September", "September", "someday", "soon",
]


@pytest.mark.parametrize("expression", REFUSED)
def test_words_that_change_the_meaning_are_refused(expression: str) -> None:
    message = (f"cannot resolve the date expression '{expression}'; "
               "give value:, earliest: or latest:")
    with pytest.raises(ValueError) as caught:
        resolve(expression, PUBLISHED)
    assert str(caught.value) == message


def test_date_spec_rules() -> None:
    with pytest.raises(ValueError):
        DateSpec()
    with pytest.raises(ValueError):
        DateSpec(value=PartialDate(2020), latest=PartialDate(2021))
    with pytest.raises(ValueError, match="after latest"):
        DateSpec(earliest=PartialDate(2022, 9), latest=PartialDate(2022, 8))
    spec = DateSpec(earliest=PartialDate(2001), latest=PartialDate(2022, 9, 15))
    assert spec.first_day == dt.date(2001, 1, 1)
    assert spec.last_day == dt.date(2022, 9, 15)


@pytest.mark.parametrize(("expression", "message"), [
    ("31 June 2022", "the date expression '31 June 2022' names no day of the calendar (June "
     "2022 has no day 31); correct it, or give value:, earliest: or latest:"),
    ("30 February 2024", "the date expression '30 February 2024' names no day of the calendar "
     "(February 2024 has no day 30); correct it, or give value:, earliest: or latest:"),
    ("Friday, 15 September 2022", "the date expression 'Friday, 15 September 2022' gives Friday, "
     "but 2022-09-15 is a Thursday; correct it, or give value:, earliest: or latest:"),
])
def test_a_written_day_that_cannot_be_is_refused_with_the_reason(
        expression: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        resolve(expression, PUBLISHED)
    assert str(caught.value) == message
