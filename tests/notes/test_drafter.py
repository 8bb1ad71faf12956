import json

import pytest

from radhus.core.errors import InvalidInput
from radhus.notes.drafter import STAFF_ONLY_TEXT, draft_extractive, extract
from radhus.notes.evaluation import Report, score_case
from radhus.notes.service import draft_note
from radhus.notes.templates import SHIPPED, shipped_template
from radhus.notes.transcript import parse_transcript, read_transcript


def _cases(eval_dir):
    for expected in sorted(eval_dir.glob("*.expected.json")):
        stem = expected.name.removesuffix(".expected.json")
        transcript = next(p for p in eval_dir.glob(f"{stem}.*") if not p.name.endswith(".json"))
        yield stem, read_transcript(transcript), json.loads(expected.read_text(encoding="utf-8"))


def test_eval_set_has_at_least_six_meetings(eval_dir):
    assert len(list(_cases(eval_dir))) >= 6


def test_field_precision_and_recall_on_the_eval_set(eval_dir):
    report = Report()
    for _stem, segments, expected in _cases(eval_dir):
        facts = extract(segments)
        predicted = {
            "narvarande": facts.attendees,
            "justerare": facts.justerare,
            "beslut": [d[0] for d in facts.decisions],
            "nasta_mote": facts.next_meeting,
        }
        for name, counts in score_case(expected, predicted).items():
            report.add(name, counts)
    for name, counts in report.fields.items():
        assert counts.precision >= 0.8 and counts.recall >= 0.8, (name, counts)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_sentence_cites_valid_segments(eval_dir, name):
    segments = read_transcript(eval_dir / "socialnamnd.txt")
    draft = draft_extractive(segments=segments, template=shipped_template(name))
    assert draft.method == "extraktiv" and "UTKAST" in draft.notice
    for section in draft.sections:
        for sentence in section.sentences:
            assert sentence["sources"] and all(0 <= i < len(segments) for i in sentence["sources"])
        assert set(section.sources) == {i for s in section.sentences for i in s["sources"]}


def test_protokoll_fields_have_the_agreed_shape(eval_dir):
    draft = draft_extractive(
        segments=read_transcript(eval_dir / "pensionarsrad.txt"), template=shipped_template("protokoll")
    )
    assert set(draft.fields) == {"narvarande", "justerare", "beslut", "nasta_mote"}
    assert isinstance(draft.fields["narvarande"], list) and isinstance(draft.fields["justerare"], str)
    assert draft.fields["nasta_mote"] == "2026-04-09"
    paragraphs = next(s for s in draft.sections if s.key == "paragrafer").text.splitlines()
    assert [p.split(".")[0] for p in paragraphs] == ["§ 1", "§ 2", "§ 3"]


def test_assessment_is_never_drafted(eval_dir):
    draft = draft_extractive(
        segments=read_transcript(eval_dir / "klientmote.txt"), template=shipped_template("journalanteckning")
    )
    assessment = next(s for s in draft.sections if s.key == "bedomning")
    assert assessment.text == STAFF_ONLY_TEXT and assessment.sources == []
    views = next(s for s in draft.sections if s.key == "enskildes_synpunkter")
    assert "egen lägenhet" in views.text


def test_questions_and_postponed_items_are_not_decisions():
    segments = parse_transcript(
        "Ordförande: Ska vi besluta om vite idag?\n"
        "Ordförande: Vi kan inte besluta om det förrän ägaren har hörts.\n"
        "Ordförande: Beslut fattas på nästa sammanträde.\n"
        "Ordförande: Nämnden beslutar att anta den nya taxan för bygglov."
    )
    assert [d[0] for d in extract(segments).decisions] == ["Nämnden beslutar att anta den nya taxan för bygglov."]


def test_absent_people_are_not_attendees():
    segments = parse_transcript(
        "Anna Ek: Välkomna. Närvarande är Anna Ek, Per Holm och Lisa Wong.\nAnna Ek: Frånvarande: Per Holm.\n"
    )
    assert extract(segments).attendees == ["Anna Ek", "Lisa Wong"]


def test_other_language_is_refused_before_drafting():
    segments = parse_transcript(
        "Guten Tag, wir haben heute eine Sitzung und es ist wichtig, dass wir uns auf die Tagesordnung "
        "konzentrieren und nicht auf andere Themen."
    )
    with pytest.raises(InvalidInput, match="tyska"):
        draft_note(segments=segments, template=shipped_template("protokoll"))
