"""Search keys for Chinese names: pinyin initials ("gljt") and full pinyin ("gaolingjintie")."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def search_keys(names) -> tuple[str, str]:
    """Return (initials, full pinyin) for the given names, space-separated per name."""
    present = [n for n in names if n]
    initials = " ".join("".join(lazy_pinyin(n, style=Style.FIRST_LETTER)).lower() for n in present)
    full = " ".join("".join(lazy_pinyin(n)).lower() for n in present)
    return initials, full


def matches(query: str, names, initials: str, full: str) -> bool:
    """True when `query` is in a name, the pinyin initials or the full pinyin (spaces ignored)."""
    q = "".join(query.split()).lower()
    if not q:
        return True
    text = " ".join(n for n in names if n).lower()
    return q in text or q in initials or q in full or q in full.replace(" ", "")
