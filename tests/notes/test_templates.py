import json

import pytest

from radhus.core.errors import InvalidInput, NotFound
from radhus.notes.models import FieldType
from radhus.notes.templates import SHIPPED, get_template, shipped_template, template_from_json, template_to_dict


def test_every_shipped_template_loads_and_round_trips():
    for name in SHIPPED:
        template = shipped_template(name)
        assert template.sections and template.name == name
        assert template_from_json(json.dumps(template_to_dict(template))) == template


def test_protokoll_has_exactly_the_agreed_fields():
    fields = {f.key: f.type for f in shipped_template("protokoll").fields}
    assert fields == {
        "narvarande": FieldType.NAMES,
        "justerare": FieldType.NAME,
        "beslut": FieldType.LIST,
        "nasta_mote": FieldType.DATE,
    }


def test_journal_assessment_is_staff_only():
    sections = {s.key: s for s in shipped_template("journalanteckning").sections}
    assert list(sections) == ["bakgrund", "samtalet", "enskildes_synpunkter", "bedomning", "planering"]
    assert sections["bedomning"].staff_only and not sections["planering"].staff_only


def test_unknown_field_type_gives_swedish_error():
    data = template_to_dict(shipped_template("minnesanteckningar"))
    data["fields"][0]["type"] = "färg"
    with pytest.raises(InvalidInput, match="okänd fälttyp 'färg'"):
        template_from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(sections=[]), "minst ett avsnitt"),
        (lambda d: d["sections"].append(dict(d["sections"][0])), "mer än en gång"),
        (lambda d: d.update(name="Mitt Protokoll"), "Ogiltig nyckel"),
        (lambda d: d["sections"][0].pop("title"), "title"),
    ],
)
def test_invalid_admin_templates(mutate, message):
    data = template_to_dict(shipped_template("protokoll"))
    mutate(data)
    with pytest.raises(InvalidInput, match=message):
        template_from_json(json.dumps(data))


def test_broken_json_and_unknown_template():
    with pytest.raises(InvalidInput, match="inte giltig JSON"):
        template_from_json("{name: ")
    with pytest.raises(NotFound, match="finns inte"):
        get_template("okand")
    custom = template_from_json(json.dumps({**template_to_dict(shipped_template("notiser")), "name": "egen"}))
    assert get_template("egen", custom={"egen": custom}).name == "egen"
