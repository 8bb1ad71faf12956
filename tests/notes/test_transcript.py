import json

import pytest

from radhus.core.errors import InvalidInput
from radhus.notes.transcript import check_swedish, parse_transcript, split_speaker


def test_prefixed_lines_give_times_and_speakers():
    segments = parse_transcript("[00:01:05] Anna Berg: Hej.\n[01:00:00] Bo Ek: Tack.\n")
    assert [(s.start, s.speaker, s.text) for s in segments] == [(65.0, "Anna Berg", "Hej."), (3600.0, "Bo Ek", "Tack.")]
    assert segments[0].end == 3600.0


def test_headings_are_not_speakers():
    assert split_speaker("Beslut: Nämnden beviljar bidraget.") == (None, "Beslut: Nämnden beviljar bidraget.")
    assert split_speaker("Punkt 4: Motionen bifalls.") == (None, "Punkt 4: Motionen bifalls.")
    assert split_speaker("Ordförande: Välkomna.") == ("Ordförande", "Välkomna.")
    assert split_speaker("Talare 2: Ja.") == ("Talare 2", "Ja.")


def test_webvtt_with_voice_tags():
    text = "WEBVTT\n\n00:00:01.500 --> 00:00:03.000\n<v Karin Ek>Välkomna alla.</v>\n"
    [segment] = parse_transcript(text)
    assert (segment.start, segment.end, segment.speaker, segment.text) == (1.5, 3.0, "Karin Ek", "Välkomna alla.")


def test_srt():
    text = "1\n00:00:01,000 --> 00:00:02,000\nBo: Hej\n\n2\n00:01:00,250 --> 00:01:02,000\nHur går det?\n"
    segments = parse_transcript(text)
    assert [(s.start, s.speaker) for s in segments] == [(1.0, "Bo"), (60.25, None)]


def test_json_segments_and_errors():
    data = {"segments": [{"start": 0, "end": 1.2, "speaker": None, "text": "Hej"}]}
    assert parse_transcript(json.dumps(data))[0].end == 1.2
    with pytest.raises(InvalidInput, match="JSON"):
        parse_transcript('{"segments": [{"start": 0}]}')
    with pytest.raises(InvalidInput, match="tom"):
        parse_transcript("   ")


def test_plain_paragraph_is_split_into_sentences():
    long = " ".join(f"Det här är mening nummer {i} om budgeten." for i in range(40))
    segments = parse_transcript(long)
    assert len(segments) == 40


def test_english_transcript_is_refused_in_swedish():
    segments = parse_transcript(
        "Good morning everyone and welcome. We have a lot to discuss today, so let us start with the budget "
        "and then the new school building that the board wants to approve."
    )
    with pytest.raises(InvalidInput, match="engelska"):
        check_swedish(segments)


def test_swedish_with_english_loanwords_passes():
    segments = parse_transcript(
        "Vi har ett möte om den nya appen och om feedback från användarna. Det är viktigt att vi kan "
        "följa upp det här och att alla får information i tid."
    )
    check_swedish(segments)
