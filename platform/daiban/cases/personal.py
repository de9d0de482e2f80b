"""The applicant's ID number and phone: the one door through which they are stored and read.

Sensitive personal information (PIPL): lists and exports show them masked
(152223********1234, 139****0001); a full reveal names who asked and is written to the audit
log. Every stored value is *sealed* and says how: today ``plain:<value>``. Encryption at rest
(SM4 with a key from the settings, say ``sm4:<iv>:<ciphertext>``) is a new scheme in `seal` and
`_unseal` here and nowhere else; values sealed earlier still open because each names its scheme,
and no caller changes.

The same goes for the intake form: every field of type ``id_number`` or ``phone`` (also inside
repeating groups, e.g. family members) is stored as ``{"$sealed": "...", "kind": "id_number"}``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from daiban import audit

PLAIN = "plain"
SCHEMES = (PLAIN,)
SENSITIVE_TYPES = ("id_number", "phone")
KIND_LABELS = {"id_number": "公民身份号码", "phone": "联系电话"}
SEALED_KEY = "$sealed"


class SealError(ValueError):
    """A stored value whose scheme this code does not know (e.g. a key that is not configured)."""


# --- sealing -----------------------------------------------------------------------------------

def seal(value: str | None) -> str | None:
    """Seal a value for storage; None or blank stays None."""
    if value is None or not str(value).strip():
        return None
    return f"{PLAIN}:{value}"


def _unseal(sealed: str | None) -> str | None:
    if sealed is None:
        return None
    scheme, _, body = sealed.partition(":")
    if scheme == PLAIN:
        return body
    raise SealError(f"不认识的存储方式 “{scheme}”")


def normalize_id_number(value: str | None) -> str | None:
    """Strip spaces; upper-case the check character x → X."""
    if value is None:
        return None
    text = "".join(str(value).split()).upper()
    return text or None


def normalize_phone(value: str | None) -> str | None:
    """Strip surrounding spaces."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


_NORMALIZE = {"id_number": normalize_id_number, "phone": normalize_phone}


# --- masking -----------------------------------------------------------------------------------

def _mask(text: str, head: int, tail: int) -> str:
    return text[:head] + "*" * (len(text) - head - tail) + (text[-tail:] if tail else "")


def mask_id_number(value: str | None) -> str:
    """152223199001011234 → 152223********1234 (shorter numbers keep less)."""
    if not value:
        return ""
    if len(value) >= 12:
        return _mask(value, 6, 4)
    if len(value) >= 8:
        return _mask(value, 2, 2)
    return "*" * len(value)


def mask_phone(value: str | None) -> str:
    """13900000001 → 139****0001; 0482-6012301 → 048*****2301 (shorter numbers keep less)."""
    if not value:
        return ""
    if len(value) >= 10:
        return _mask(value, 3, 4)
    if len(value) >= 6:
        return _mask(value, 0, 4)
    return "*" * len(value)


_MASK = {"id_number": mask_id_number, "phone": mask_phone}


# --- the applicant's columns -------------------------------------------------------------------

def store_id_number(case, value: str | None) -> None:
    """Set the applicant's ID number on a case being built (the service then writes it)."""
    case.applicant_id_number_sealed = seal(normalize_id_number(value))


def same_id_number(case, value: str | None) -> bool:
    """True when the case's applicant has this ID number (a match, not a reveal: nothing shown)."""
    wanted = normalize_id_number(value)
    return bool(wanted) and _unseal(case.applicant_id_number_sealed) == wanted


def store_phone(case, value: str | None) -> None:
    """Set the applicant's phone on a case being built (the service then writes it)."""
    case.applicant_phone_sealed = seal(normalize_phone(value))


# The stored column `masked_id_number` reads: a query that selects only some columns names it
# through this constant, so no other module spells out a sealed column.
ID_NUMBER_COLUMN = "applicant_id_number_sealed"


def masked_id_number(case) -> str:
    """The applicant's ID number, masked, for lists and exports."""
    return mask_id_number(_unseal(case.applicant_id_number_sealed))


def masked_phone(case) -> str:
    """The applicant's phone, masked, for lists and exports."""
    return mask_phone(_unseal(case.applicant_phone_sealed))


def _actor_name(by) -> str:
    name = getattr(by, "username", by)
    if not isinstance(name, str) or not name.strip():
        raise ValueError("查看完整信息须写明查看人")
    return name


def _log_reveal(case, by, what: str, reason: str) -> None:
    audit.record(
        "reveal", _actor_name(by), object_type="case", object_id=case.number,
        summary=f"查看完整{what}" + (f"：{reason}" if reason else ""),
    )


def reveal_id_number(case, *, by, reason: str = "") -> str | None:
    """The full ID number; `by` (a User or username) is written to the audit log."""
    value = _unseal(case.applicant_id_number_sealed)
    if value is not None:
        _log_reveal(case, by, KIND_LABELS["id_number"], reason)
    return value


def reveal_phone(case, *, by, reason: str = "") -> str | None:
    """The full phone number; `by` (a User or username) is written to the audit log."""
    value = _unseal(case.applicant_phone_sealed)
    if value is not None:
        _log_reveal(case, by, KIND_LABELS["phone"], reason)
    return value


# --- the intake form ---------------------------------------------------------------------------

def _seal_fields(fields: Iterable, values: dict) -> dict:
    out = dict(values)
    for f in fields:
        if f.id not in out:
            continue
        value = out[f.id]
        if f.type in SENSITIVE_TYPES and isinstance(value, str):
            sealed = seal(_NORMALIZE[f.type](value))
            out[f.id] = {SEALED_KEY: sealed, "kind": f.type} if sealed else value
        elif f.type == "group" and isinstance(value, list):
            out[f.id] = [_seal_fields(f.fields, v) if isinstance(v, dict) else v for v in value]
    return out


def seal_values(fields: Iterable, values: dict) -> dict:
    """A copy of intake-form values with every ID-number and phone field sealed (`fields` are the
    matter's FormFields)."""
    return _seal_fields(tuple(fields), copy.deepcopy(values or {}))


def _open_values(value, opener):
    if isinstance(value, dict):
        if SEALED_KEY in value:
            return opener(value.get("kind", ""), _unseal(value[SEALED_KEY]))
        return {k: _open_values(v, opener) for k, v in value.items()}
    if isinstance(value, list):
        return [_open_values(v, opener) for v in value]
    return value


def masked_values(case) -> dict:
    """The case's intake form with ID numbers and phones masked."""
    return _open_values(case.form_values, lambda kind, v: _MASK.get(kind, mask_id_number)(v))


def reveal_values(case, *, by, reason: str = "") -> dict:
    """The case's intake form in full; `by` is written to the audit log."""
    kinds: list[str] = []

    def opener(kind, value):
        kinds.append(kind)
        return value

    opened = _open_values(case.form_values, opener)
    if kinds:
        what = "、".join(dict.fromkeys(KIND_LABELS.get(k, k) for k in kinds))
        _log_reveal(case, by, f"申请表（{what}）", reason)
    return opened
