"""Dates keep their precision; relative expressions resolve against the publication date."""

from __future__ import annotations

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


@pytest.mark.parametrize("text", ["18", "2022-13", "2022-02-30", "2022/09/15", "", "Sept 2022"])
def test_malformed_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
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
