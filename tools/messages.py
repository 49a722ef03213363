"""`make messages`: extract every message meant for a person from the code into the catalog template, bring the
language catalogs up to date with it, and compile them (gettext, with Babel). `--check` lists what a language
does not translate yet, and exits 1 if anything is missing.

The catalogs: shared/locales/district.pot (the template, extracted) and shared/locales/<lang>/LC_MESSAGES/
district.po (translations, edited by people). English is the code's own language, so only zh_CN has a catalog.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from shared.i18n import DOMAIN, LOCALES

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("shared", "services", "tools")
TRANSLATED = ("zh_CN",)
KEYWORDS = {"_": None, "N_": None}


def extracted() -> Catalog:
    """Every `_("...")` and `N_("...")` message of the kernel, the services and the tools."""
    catalog = Catalog(domain=DOMAIN, project="district-services")
    for folder in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS):
            catalog.add(message, locations=[(f"{folder}/{filename}", lineno)], auto_comments=comments,
                        context=context)
    return catalog


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN)
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def missing(language: str, template: Catalog | None = None) -> list[str]:
    """The messages of the code `language`'s catalog does not translate (empty, fuzzy or absent)."""
    catalog = read_catalog(language)
    wanted = template or extracted()
    gaps = []
    for message in wanted:
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None or not found.string or found.fuzzy:
            gaps.append(str(message.id))
    return sorted(gaps)


def update() -> None:
    template = extracted()
    with (LOCALES / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, template, omit_header=True, sort_output=True, no_location=True)
    for language in TRANSLATED:
        catalog = read_catalog(language)
        catalog.update(template, no_fuzzy_matching=True)
        po_path(language).parent.mkdir(parents=True, exist_ok=True)
        with po_path(language).open("wb") as handle:
            write_po(handle, catalog, sort_output=True, no_location=True, ignore_obsolete=True)


def compile_all() -> None:
    """The .mo files the services read (built at install time, not kept in the repository)."""
    for language in TRANSLATED:
        catalog = read_catalog(language)
        with po_path(language).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="messages", description=__doc__)
    parser.add_argument("--compile-only", action="store_true", help="only compile the catalogs (make install)")
    parser.add_argument("--check", action="store_true", help="list untranslated messages; exit 1 if any")
    args = parser.parse_args(argv)
    if args.check:
        gaps = {language: missing(language) for language in TRANSLATED}
        for language, messages in gaps.items():
            for message in messages:
                print(f"{language}: untranslated: {message}")
        return 1 if any(gaps.values()) else 0
    if not args.compile_only:
        update()
    compile_all()
    for language in TRANSLATED:
        left = missing(language)
        print(f"{language}: {len(left)} message(s) still to translate in {po_path(language).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
