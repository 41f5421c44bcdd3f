"""The Vietnamese catalogue covers every message of the code and the templates."""

from __future__ import annotations

import re

from qa_app.i18n import translations
from qa_app.messages import extract

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_message_has_a_vietnamese_translation() -> None:
    vi = translations("vi")
    missing = [
        m.id
        for m in extract()
        if m.id and isinstance(m.id, str) and vi.gettext(m.id) == m.id and m.id not in {"API", "Fanpage"}
    ]
    assert not missing, "untranslated (run `make messages`, then translate): " + "; ".join(missing[:20])


def test_placeholders_survive_translation() -> None:
    vi = translations("vi")
    for message in extract():
        if message.id and isinstance(message.id, str):
            assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(vi.gettext(message.id))), message.id
