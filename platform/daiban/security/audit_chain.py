"""The audit hash chain: each row's HMAC-SM3 covers the previous row's hash and its own fields.

The key is a parameter; `daiban.audit._audit_key()` decides where it comes from.
"""

from __future__ import annotations

import datetime
import hmac as std_hmac
import json

from cryptography.hazmat.primitives import hashes, hmac

CHAINED_FIELDS = ("id", "at", "actor", "roles", "ip", "action", "object_type", "object_id",
                  "summary", "before", "after", "outcome")
GENESIS = "0" * 64


def _value(value):
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] in " T":
        try:  # SQLite may hand back the stored text
            return datetime.datetime.fromisoformat(value).isoformat(timespec="microseconds")
        except ValueError:
            return value
    if value is None:
        return None
    return value if isinstance(value, int) else str(value)


def canonical(row: dict) -> bytes:
    """Stable bytes for a row's chained fields, the same on SQLite and PostgreSQL."""
    data = {name: _value(row.get(name)) for name in CHAINED_FIELDS}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def row_hash(key: bytes, prev_hash: str, row: dict) -> str:
    """HMAC-SM3 (hex, 64 digits) of the previous hash and the row."""
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(prev_hash.encode("ascii"))
    mac.update(canonical(row))
    return mac.finalize().hex()


def check(key: bytes, rows, prev_hash: str = GENESIS):
    """Walk rows in id order; yield (row, problem) for the first problem, problem in
    'unsealed', 'missing', 'altered'. Returns the last row_hash via StopIteration value."""
    for row in rows:
        if not row.get("row_hash"):
            yield row, "unsealed"
            return prev_hash
        if (row.get("prev_hash") or "") != prev_hash:
            yield row, "missing"
            return prev_hash
        if not std_hmac.compare_digest(row_hash(key, prev_hash, row), row["row_hash"]):
            yield row, "altered"
            return prev_hash
        prev_hash = row["row_hash"]
    return prev_hash
