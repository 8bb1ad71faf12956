"""Swedish text processing: stemming, compounds, no å/ä/ö folding, dates, LIX."""

import datetime as dt

from radhus.core.text import (
    find_dates,
    index_terms,
    is_stopword,
    lix,
    normalise,
    normalise_dates,
    normalise_for_hash,
    parse_swedish_date,
    sentences,
    split_compound,
    stem,
    tokenize,
)


def test_normalise_keeps_swedish_letters_and_collapses_space():
    assert normalise("  Får\u00ad   vi\n\tåka  till Öland? ") == "Får vi åka till Öland?"
    decomposed = "a\u030a"  # å as a + combining ring
    assert normalise(decomposed) == "å"


def test_tokenize_lowercases_and_keeps_hyphenated_words():
    assert tokenize("AI-förordningen gäller ÅÄÖ.") == ["ai-förordningen", "gäller", "åäö"]


def test_no_folding_far_and_far():
    assert stem("får") != stem("far")
    assert "far" in index_terms("far", keep_stopwords=True)
    assert "får" in index_terms("får", keep_stopwords=True)
    assert "för" not in index_terms("for", keep_stopwords=True)


def test_stemming_groups_inflections():
    assert stem("ansökan") == stem("ansökan")
    assert stem("kommunerna") == stem("kommuner")
    assert stem("skolor") == stem("skolorna")


def test_compounds_split_into_known_parts():
    assert split_compound("hemtjänstinsats") == ["hemtjänst", "insats"]
    assert split_compound("bygglovsansökan") == ["bygglov", "ansökan"]
    assert split_compound("barnomsorgsavgift", vocabulary={"omsorg"}) == ["barn", "omsorg", "avgift"]
    assert split_compound("kort") == []


def test_function_words_and_short_learned_words_are_not_compound_parts():
    # "föreningen" is not "för" + "eningen" (a function word is never a part)
    assert split_compound("föreningen", vocabulary={"eningen", "ingen"}) == []
    # three-letter parts only come from the built-in lexicon ("lov", "del"), never from a collection's words
    assert split_compound("kaxfrågor", vocabulary={"kax", "frågor"}) == []
    assert split_compound("kaxafrågor", vocabulary={"kaxa", "frågor"}) == ["kaxa", "frågor"]
    assert split_compound("föreningsverksamhet", vocabulary={"förening"}) == ["förening", "verksamhet"]


def test_compound_parts_become_search_terms():
    terms = index_terms("Bygglovsansökan för hemtjänstinsatsen")
    assert stem("bygglov") in terms and stem("ansökan") in terms
    assert stem("insats") in terms and stem("hemtjänst") in terms


def test_stopwords():
    assert is_stopword("och") and is_stopword("Det")
    assert not is_stopword("hemtjänst")
    assert "och" not in index_terms("hemtjänst och skola")


def test_hash_form_ignores_case_and_punctuation():
    assert normalise_for_hash("Hej, världen!") == normalise_for_hash("hej   VÄRLDEN")


def test_swedish_dates():
    assert parse_swedish_date("Beslut den 3 mars 2024 i nämnden") == dt.date(2024, 3, 3)
    assert parse_swedish_date("möte 2:a maj 2023") == dt.date(2023, 5, 2)
    assert parse_swedish_date("senast 12/4 2023") == dt.date(2023, 4, 12)
    assert parse_swedish_date("31 februari 2024") is None
    assert normalise_dates("Från 1 jan. 2025 till 2025-02-03.") == "Från 2025-01-01 till 2025-02-03."
    assert len(find_dates("2024-01-01 och 5 december 2024")) == 2


def test_sentences_split():
    assert sentences("Det här är en mening. Nästa mening! Är detta en fråga? Ja.") == [
        "Det här är en mening.",
        "Nästa mening!",
        "Är detta en fråga?",
        "Ja.",
    ]


def test_lix_orders_easy_and_hard_text():
    easy = "Jag har en katt. Den är snäll. Vi går ut."
    hard = (
        "Kommunfullmäktiges verksamhetsplanering förutsätter omfattande förvaltningsövergripande "
        "samordningsinsatser avseende kompetensförsörjningsstrategier."
    )
    assert lix(easy) < 30 < 60 < lix(hard)
    assert lix("") == 0.0
