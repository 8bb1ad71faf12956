"""Extract the Swedish UI strings from templates and Python code into the English catalog, keeping translations.

Run: python scripts/update_catalog.py   (English lives in scripts/translations_en*.py: one file per domain,
each with a dict EN = {swedish: english})
"""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1] / "src" / "radhus"
PO_FILE = ROOT / "web" / "locale" / "en" / "LC_MESSAGES" / "messages.po"


def main() -> None:
    from radhus.web.i18n import interface_messages

    messages = interface_messages()
    translations: dict[str, str] = {}
    for module_file in sorted(Path(__file__).parent.glob("translations_en*.py")):
        namespace: dict = {}
        exec(module_file.read_text(encoding="utf-8"), namespace)  # plain dict literals, our own files
        translations.update(namespace["EN"])

    old = read_po(PO_FILE.open("rb")) if PO_FILE.exists() else Catalog(locale="en")
    catalog = Catalog(locale="en", project="Rådhus", fuzzy=False)
    for message in sorted(messages):
        previous = old.get(message)
        catalog.add(message, translations.get(message) or (previous.string if previous else ""))
    PO_FILE.parent.mkdir(parents=True, exist_ok=True)
    with PO_FILE.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(catalog)} messages, {len(missing)} untranslated")
    for message in missing:
        print(f"  untranslated: {message!r}")


if __name__ == "__main__":
    main()
