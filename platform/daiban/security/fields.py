"""A peewee column stored sealed (SM4-GCM via `daiban.cases.personal`), e.g. an agent's mobile."""

from __future__ import annotations

import peewee


class SealedCharField(peewee.CharField):
    """The model sees the clear value, the database only ``sm4:…``. Equality queries on the column
    cannot match (each seal has its own nonce): search by other columns."""

    def __init__(self, *args, kind: str = "phone", **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)
        self.kind = kind

    def db_value(self, value):
        from daiban.cases import personal
        if value is None or not str(value).strip():
            return None
        text = str(value)
        if text.startswith(f"{personal.SM4}:"):  # already sealed
            return text
        return personal.seal(text, self.kind)

    def python_value(self, value):
        from daiban.cases import personal
        return None if value is None else personal._unseal(value, self.kind)
