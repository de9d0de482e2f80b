"""The applicant's ID number and phone: the one door through which they are stored and read.

Sensitive personal information (PIPL): lists and exports show them masked
(152223********1234, 139****0001); a full reveal names who asked and is written to the audit
log. Every stored value is *sealed* and says how: ``sm4:<key id>:<base64(nonce|ct|tag)>``
(SM4-GCM under a data key of the keyring, `daiban.security.keys`; the additional data is the
value's kind), or ``plain:<value>`` for rows written before encryption (migration 012 seals them).
Tampered ciphertext raises `TamperedData`; a key id missing from the keyring raises `SealError`
naming the key and the file.

Exact search stays possible through a keyed *blind index*: hex HMAC-SM3(index key,
``kind:normalized value``), stored next to the sealed column (`Case.applicant_id_number_index`,
`Case.applicant_phone_index`).

The same goes for the intake form: every field of type ``id_number`` or ``phone`` (also inside
repeating groups, e.g. family members), and every field marked ``personal: true`` (kind
``personal``, e.g. a bank account), is stored as ``{"$sealed": "...", "kind": "id_number"}``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections import Counter
from collections.abc import Callable, Iterable

from daiban import audit
from daiban.security import crypto, keys
from daiban.security.crypto import TamperedData

PLAIN = "plain"
SM4 = "sm4"
SCHEMES = (PLAIN, SM4)
SENSITIVE_TYPES = ("id_number", "phone")
PERSONAL = "personal"  # the kind of a form field marked `personal: true`
KIND_LABELS = {"id_number": "公民身份号码", "phone": "联系电话", PERSONAL: "个人信息"}
SEALED_KEY = "$sealed"

__all__ = ["TamperedData", "SealError", "seal", "blind_index"]


class SealError(ValueError):
    """A stored value whose scheme this code does not know, or whose key is not in the keyring."""


# --- sealing -----------------------------------------------------------------------------------

def seal(value: str | None, kind: str = "value") -> str | None:
    """Seal a value for storage under the active data key; None or blank stays None."""
    if value is None or not str(value).strip():
        return None
    ring = keys.keyring()
    blob = crypto.encrypt(ring.active_key, str(value).encode(), kind.encode())
    return f"{SM4}:{ring.active}:{base64.b64encode(blob).decode('ascii')}"


def key_id_of(sealed: str | None) -> str | None:
    """The data key id a sealed value names (``plain`` for old clear rows, None if empty)."""
    if not sealed:
        return None
    scheme, _, rest = sealed.partition(":")
    return rest.partition(":")[0] if scheme == SM4 else scheme


def _unseal(sealed: str | None, kind: str = "value") -> str | None:
    if sealed is None:
        return None
    scheme, _, body = sealed.partition(":")
    if scheme == PLAIN:
        return body
    if scheme != SM4:
        raise SealError(f"不认识的存储方式 “{scheme}”")
    what = KIND_LABELS.get(kind, "加密数据")
    key_id, _, text = body.partition(":")
    try:
        key = keys.keyring().data_key(key_id)
    except keys.KeyringError as exc:
        raise SealError(str(exc)) from None
    try:
        blob = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TamperedData(f"无法解开{what}：密文不是有效的 base64，可能已被篡改") from None
    plain = crypto.decrypt(key, blob, kind.encode(), what=what)
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise TamperedData(f"无法解开{what}：解密结果不是有效文本") from None


def reseal(sealed: str | None, kind: str = "value") -> str | None:
    """The value sealed again under the active key (unchanged if it already is)."""
    if not sealed or key_id_of(sealed) == keys.keyring().active:
        return sealed
    return seal(_unseal(sealed, kind), kind)


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


def blind_index(kind: str, value: str | None) -> str | None:
    """The keyed blind index of a value: hex HMAC-SM3(index key, "kind:normalized"), None if blank."""
    normalized = _NORMALIZE.get(kind, normalize_phone)(value)
    if not normalized:
        return None
    digest = crypto.hmac_sm3(keys.keyring().index_key, f"{kind}:{normalized}".encode())
    return digest.hex()


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


def mask_personal(value: str | None) -> str:
    """A field marked personal: keep the first and last character (6222…1234 → 6**************4)."""
    if not value:
        return ""
    text = str(value)
    if len(text) <= 2:
        return "*" * len(text)
    return _mask(text, 1, 1)


_MASK = {"id_number": mask_id_number, "phone": mask_phone, PERSONAL: mask_personal}


# --- the applicant's columns -------------------------------------------------------------------

def store_id_number(case, value: str | None) -> None:
    """Set the applicant's ID number on a case being built (the service then writes it)."""
    case.applicant_id_number_sealed = seal(normalize_id_number(value), "id_number")
    case.applicant_id_number_index = blind_index("id_number", value)


def same_id_number(case, value: str | None) -> bool:
    """True when the case's applicant has this ID number (a match, not a reveal: nothing shown)."""
    wanted = blind_index("id_number", value)
    return bool(wanted) and case.applicant_id_number_index == wanted


def store_phone(case, value: str | None) -> None:
    """Set the applicant's phone on a case being built (the service then writes it)."""
    case.applicant_phone_sealed = seal(normalize_phone(value), "phone")
    case.applicant_phone_index = blind_index("phone", value)


def find_cases_by_id_number(value: str | None):
    """A condition on Case for an exact search by the applicant's ID number (via the blind index)."""
    from daiban.models import Case
    return Case.applicant_id_number_index == (blind_index("id_number", value) or "")


def find_cases_by_phone(value: str | None):
    """A condition on Case for an exact search by the applicant's phone (via the blind index)."""
    from daiban.models import Case
    return Case.applicant_phone_index == (blind_index("phone", value) or "")


# The stored column `masked_id_number` reads: a query that selects only some columns names it
# through this constant, so no other module spells out a sealed column.
ID_NUMBER_COLUMN = "applicant_id_number_sealed"


def masked_id_number(case) -> str:
    """The applicant's ID number, masked, for lists and exports."""
    return mask_id_number(_unseal(case.applicant_id_number_sealed, "id_number"))


def masked_phone(case) -> str:
    """The applicant's phone, masked, for lists and exports."""
    return mask_phone(_unseal(case.applicant_phone_sealed, "phone"))


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
    value = _unseal(case.applicant_id_number_sealed, "id_number")
    if value is not None:
        _log_reveal(case, by, KIND_LABELS["id_number"], reason)
    return value


def reveal_phone(case, *, by, reason: str = "") -> str | None:
    """The full phone number; `by` (a User or username) is written to the audit log."""
    value = _unseal(case.applicant_phone_sealed, "phone")
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
        kind = f.type if f.type in SENSITIVE_TYPES else PERSONAL if getattr(f, "personal", False) else None
        if kind and isinstance(value, str):
            sealed = seal(_NORMALIZE.get(kind, normalize_phone)(value), kind)
            out[f.id] = {SEALED_KEY: sealed, "kind": kind} if sealed else value
        elif f.type == "group" and isinstance(value, list):
            out[f.id] = [_seal_fields(f.fields, v) if isinstance(v, dict) else v for v in value]
    return out


def seal_values(fields: Iterable, values: dict) -> dict:
    """A copy of intake-form values with every ID-number, phone and personal field sealed (`fields`
    are the matter's FormFields)."""
    return _seal_fields(tuple(fields), copy.deepcopy(values or {}))


def _open_values(value, opener):
    if isinstance(value, dict):
        if SEALED_KEY in value:
            kind = value.get("kind", "")
            return opener(kind, _unseal(value[SEALED_KEY], kind))
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


def reseal_values(value):
    """Form values (parsed JSON) with every sealed leaf sealed again under the active key; old
    ``plain:`` leaves are encrypted too."""
    if isinstance(value, dict):
        if SEALED_KEY in value:
            return {**value, SEALED_KEY: reseal(value[SEALED_KEY], value.get("kind", "value"))}
        return {k: reseal_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reseal_values(v) for v in value]
    return value


def sealed_leaves(value):
    """Every sealed string in form values (parsed JSON), for counting keys."""
    if isinstance(value, dict):
        if SEALED_KEY in value:
            yield value[SEALED_KEY]
            return
        for v in value.values():
            yield from sealed_leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from sealed_leaves(v)


# --- re-sealing everything (migration 012, `daiban keys rotate`) ---------------------------------
# Raw SQL, no models, so that it runs inside a migration; each batch is its own transaction, so an
# interrupted run resumes where it stopped (values already under the active key are left alone).

BATCH = 200


def _rows(database, sql: str):
    last = 0
    while True:
        rows = database.execute_sql(sql % database.param, (last,)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


# The agent's sealed columns, each sealed under the kind of its own name.
AGENT_SEALED = ("phone", "id_number")


def _agent_sealed(database) -> tuple[str, ...]:
    """The agent's sealed columns this database has: migration 012 reseals before 018 adds one."""
    present = {column.name for column in database.get_columns("agent")}
    return tuple(column for column in AGENT_SEALED if column in present)


def count_rows(database) -> int:
    """How many rows `reseal_all` goes through: every case and every agent with a sealed value."""
    cases = database.execute_sql("SELECT COUNT(*) FROM case_file").fetchone()[0]
    any_sealed = " OR ".join(f"{column} IS NOT NULL" for column in _agent_sealed(database))
    agents = database.execute_sql(f"SELECT COUNT(*) FROM agent WHERE {any_sealed}").fetchone()[0]
    return cases + agents


def reseal_all(database, progress: Callable[[int], None] | None = None) -> Counter:
    """Re-seal case columns, form values (nested groups too) and agents' phones and ID
    numbers; fill the blind
    indexes. Returns counts of values re-sealed by kind; `progress(n)` after each batch of n rows."""
    done: Counter = Counter()
    p = database.param
    case_sql = (f"SELECT id, applicant_id_number_sealed, applicant_phone_sealed, form_values, "
                f"applicant_id_number_index, applicant_phone_index FROM case_file "
                f"WHERE id > %s ORDER BY id LIMIT {BATCH}")
    for rows in _rows(database, case_sql):
        with database.atomic():
            for row_id, id_sealed, phone_sealed, values, id_index, phone_index in rows:
                new_id = reseal(id_sealed, "id_number")
                new_phone = reseal(phone_sealed, "phone")
                parsed = json.loads(values or "{}")
                new_values = reseal_values(parsed)
                new_id_index = blind_index("id_number", _unseal(id_sealed, "id_number"))
                new_phone_index = blind_index("phone", _unseal(phone_sealed, "phone"))
                if (new_id, new_phone, new_values, new_id_index, new_phone_index) == (
                        id_sealed, phone_sealed, parsed, id_index, phone_index):
                    continue
                done["id_number"] += new_id != id_sealed
                done["phone"] += new_phone != phone_sealed
                done["form"] += sum(1 for a, b in zip(sealed_leaves(parsed),
                                                      sealed_leaves(new_values), strict=False) if a != b)
                database.execute_sql(
                    f"UPDATE case_file SET applicant_id_number_sealed = {p}, applicant_phone_sealed = {p}, "
                    f"form_values = {p}, applicant_id_number_index = {p}, applicant_phone_index = {p} "
                    f"WHERE id = {p}",
                    (new_id, new_phone, json.dumps(new_values, ensure_ascii=False, default=str),
                     new_id_index, new_phone_index, row_id))
        if progress:
            progress(len(rows))
    columns = _agent_sealed(database)
    agent_sql = f"SELECT id, {', '.join(columns)} FROM agent WHERE id > %s ORDER BY id LIMIT {BATCH}"
    for rows in _rows(database, agent_sql):
        with database.atomic():
            for row_id, *values in rows:
                for column, value in zip(columns, values, strict=True):
                    if value is None:
                        continue
                    sealed = value if value.startswith(("sm4:", "plain:")) else f"plain:{value}"
                    new = reseal(sealed, column)
                    if new != value:
                        done[f"agent_{column}"] += 1
                        database.execute_sql(f"UPDATE agent SET {column} = {p} WHERE id = {p}",
                                             (new, row_id))
        if progress:
            progress(len([r for r in rows if any(v is not None for v in r[1:])]))
    return done


def key_counts(database) -> Counter:
    """How many stored values each data key seals (``plain`` for values still in clear)."""
    counts: Counter = Counter()
    for id_sealed, phone_sealed, values in database.execute_sql(
            "SELECT applicant_id_number_sealed, applicant_phone_sealed, form_values FROM case_file"):
        for sealed in (id_sealed, phone_sealed, *sealed_leaves(json.loads(values or "{}"))):
            if sealed:
                counts[key_id_of(sealed)] += 1
    for row in database.execute_sql(f"SELECT {', '.join(_agent_sealed(database))} FROM agent"):
        for value in row:
            if value is not None:
                counts[key_id_of(value) if value.startswith("sm4:") else "plain"] += 1
    return counts

