from datetime import date

from radhus.notes.dates import find_dates, find_time, normalise_date


def _norm(text, reference=None):
    return [normalise_date(d, reference=reference) for d in find_dates(text)]


def test_written_numeric_and_iso_dates():
    assert _norm("den 3 mars 2026, 2026-04-05 och 5/6-26") == ["2026-03-03", "2026-04-05", "2026-06-05"]


def test_ordinal_words_and_year_inference():
    ref = date(2026, 11, 20)
    assert _norm("tisdag den tjugoförsta januari", ref) == ["2027-01-21"]
    assert _norm("fredagen den tredje december", ref) == ["2026-12-03"]


def test_without_year_or_reference_date_is_written_out():
    assert _norm("nästa möte den 3:e mars") == ["3 mars"]


def test_invalid_dates_are_ignored():
    assert _norm("den 31 februari och 45/13") == []


def test_clock_times():
    assert find_time("klockan 9.30") == "09.30" and find_time("kl. 14") == "14.00" and find_time("inget") is None
