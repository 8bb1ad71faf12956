"""Documentation stays true: every setting, command and route is described, docs/ is up to date, and every
user-interface string has an English translation."""

from pathlib import Path

from babel.messages.pofile import read_po

from radhus import docgen

DOCS = Path(__file__).resolve().parents[1] / "docs"
PO_FILE = Path(__file__).resolve().parents[1] / "src/radhus/web/locale/en/LC_MESSAGES/messages.po"


def test_every_setting_is_described():
    undocumented = [env for env, _default, text in docgen.settings_reference() if not text]
    assert not undocumented


def test_every_command_is_described():
    undocumented = [path for path, text in docgen.command_reference() if not text]
    assert not undocumented
    assert len(docgen.command_reference()) > 10


def test_every_page_and_endpoint_is_described():
    undocumented = [f"{method} {path}" for method, path, text in docgen.route_reference() if not text]
    assert not undocumented


def test_reference_docs_are_up_to_date():
    stale = []
    for name, block in docgen.generated_sections().items():
        current = (DOCS / name).read_text(encoding="utf-8")
        if docgen.render(current, block) != current:
            stale.append(name)
    assert not stale, f"Run `python -m radhus.docgen` to update: {stale}"


def test_every_template_string_has_an_english_translation():
    from radhus.web.i18n import interface_messages

    catalog = read_po(PO_FILE.open("rb"))
    missing = [m for m in interface_messages() if not (catalog.get(m) and catalog.get(m).string)]
    assert not missing, f"Add to scripts/translations_en.py and run scripts/update_catalog.py: {missing}"
