"""Every catalogue is complete: a msgid without a translation (or a fuzzy one) shows English."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("cs", "sk", "pl")


def _catalogue(lang: str):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def _untranslated(lang: str) -> list[str]:
    missing = []
    for message in _catalogue(lang):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy or not all(s and s.strip() for s in strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(lang):
    missing = _untranslated(lang)
    assert missing == [], f"{lang}: {len(missing)} untranslated or fuzzy: {missing[:20]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogues_hold_the_same_messages(lang):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(lang) if m.id}
    english = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue("en") if m.id}
    assert ids == english, f"{lang} differs from en: {sorted(ids ^ english)[:20]}"
