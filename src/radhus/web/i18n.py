"""User-interface language: Swedish source strings, other languages from Babel catalogs (.po, read at start)."""

import contextvars
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"sv": "Svenska", "en": "English"}
DEFAULT_LANGUAGE = "sv"

current_language: contextvars.ContextVar[str] = contextvars.ContextVar("current_language", default="sv")


@cache
def translations(language: str) -> NullTranslations:
    """The catalog of a language; Swedish is the source language and needs none."""
    po_file = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == "sv" or not po_file.exists():
        return NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def pick_language(*, query: str | None, cookie: str | None, accept: str | None, default: str) -> str:
    """Choose the language: explicit choice, then the saved cookie, then the configured default."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def interface_messages() -> set[str]:
    """Every Swedish UI string: those marked in templates, the menu labels and the domains' `UI_STRINGS` (for the
    catalog and its test)."""
    from babel.messages.extract import extract_from_dir

    from radhus.catalog import nav_sections, ui_strings

    root = Path(__file__).resolve().parents[1]
    pattern = "**/templates/**.html"
    found = {
        message if isinstance(message, str) else message[0]
        for _f, _l, message, _c, _ctx in extract_from_dir(
            str(root), [(pattern, "jinja2.ext:babel_extract")], options_map={pattern: {"extensions": "jinja2.ext.i18n"}}
        )
    }
    for section in nav_sections():
        found |= {section["label"]} | ({section["description"]} if section.get("description") else set())
    return found | ui_strings()
