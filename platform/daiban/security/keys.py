"""The keyring: SM4 data keys by id (one active), the blind-index key and the audit-chain key.

Keys never live in the database. They come from ``DAIBAN_KEYS`` (the JSON itself) or from the
file ``DAIBAN_KEYS_FILE`` (default ``var/keys.json``, mode 0600), created on first use::

    {"active": "k1", "data": {"k1": "<hex 16 bytes>"}, "index": "<hex 32>", "audit": "<hex 32>"}
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

from daiban.security.crypto import KEY_BYTES

DEFAULT_FILE = "var/keys.json"
SECRET_BYTES = 32


class KeyringError(RuntimeError):
    """The keyring is missing, unreadable, too open or malformed."""


@dataclass
class Keyring:
    """Keys loaded from one source (a file path, or the DAIBAN_KEYS environment variable)."""

    active: str
    data: dict[str, bytes]
    index_key: bytes
    audit_key: bytes
    source: str = field(default=DEFAULT_FILE)

    def data_key(self, key_id: str) -> bytes:
        """The data key `key_id`; KeyringError names the missing key and where it was looked for."""
        try:
            return self.data[key_id]
        except KeyError:
            raise KeyringError(f"密钥文件 {self.source} 中没有密钥 “{key_id}”，"
                               f"无法解开用它加密的数据") from None

    @property
    def active_key(self) -> bytes:
        """The data key new values are sealed with."""
        return self.data_key(self.active)


def _new_document() -> dict:
    return {"active": "k1", "data": {"k1": secrets.token_hex(KEY_BYTES)},
            "index": secrets.token_hex(SECRET_BYTES), "audit": secrets.token_hex(SECRET_BYTES)}


def _hex(doc: dict, name: str, size: int, source: str) -> bytes:
    try:
        value = bytes.fromhex(doc[name])
    except (KeyError, TypeError, ValueError):
        raise KeyringError(f"密钥文件 {source} 格式不对：“{name}” 缺失或不是十六进制") from None
    if len(value) != size:
        raise KeyringError(f"密钥文件 {source} 格式不对：“{name}” 应为 {size} 字节")
    return value


def parse(text: str, source: str) -> Keyring:
    """A Keyring from its JSON text; KeyringError (Chinese, naming `source`) if malformed."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise KeyringError(f"密钥文件 {source} 不是有效的 JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict) or not doc["data"]:
        raise KeyringError(f"密钥文件 {source} 格式不对：缺少数据密钥 “data”")
    data = {str(k): _hex(doc["data"], k, KEY_BYTES, source) for k in doc["data"]}
    active = doc.get("active")
    if active not in data:
        raise KeyringError(f"密钥文件 {source} 格式不对：当前密钥 “{active}” 不在 “data” 中")
    return Keyring(active=active, data=data, index_key=_hex(doc, "index", SECRET_BYTES, source),
                   audit_key=_hex(doc, "audit", SECRET_BYTES, source), source=source)


def _write_new(path: Path) -> None:
    """Create the file with fresh keys unless another process already has (O_EXCL)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(_new_document(), fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())


def _read(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(f"密钥文件 {path} 的权限过宽（{stat.filemode(mode)}），"
                           f"组或其他用户可读写；请执行 chmod 600 {path}")
    text = path.read_text(encoding="utf-8")
    if not text.strip():  # another process is still writing it
        import time
        time.sleep(0.1)
        text = path.read_text(encoding="utf-8")
    return text


def load(path: str | os.PathLike | None = None) -> Keyring:
    """Load the keyring: DAIBAN_KEYS if set (and no path given), else the file, created if missing."""
    if path is None and os.environ.get("DAIBAN_KEYS", "").strip():
        return parse(os.environ["DAIBAN_KEYS"], "DAIBAN_KEYS")
    target = Path(path or os.environ.get("DAIBAN_KEYS_FILE") or DEFAULT_FILE)
    if not target.exists():
        _write_new(target)
    return parse(_read(target), str(target))


def rotate(path: str | os.PathLike) -> str:
    """Add a new data key to the file and make it active (old keys stay); return its id."""
    target = Path(path)
    doc = json.loads(_read(target))
    parse(json.dumps(doc), str(target))
    n = len(doc["data"]) + 1
    while f"k{n}" in doc["data"]:
        n += 1
    new_id = f"k{n}"
    doc["data"][new_id] = secrets.token_hex(KEY_BYTES)
    doc["active"] = new_id
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    reset()
    return new_id


_lock = threading.Lock()
_cached: Keyring | None = None
_path: str | None = None


def keyring() -> Keyring:
    """The process-wide keyring (loaded once)."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = load(_path)
        return _cached


def use_keyring(path: str | os.PathLike | None) -> None:
    """Point the process at another keyring file (tests); None goes back to the environment."""
    global _path
    _path = str(path) if path is not None else None
    reset()


def reset() -> None:
    """Forget the cached keyring so the next `keyring()` reads it again."""
    global _cached
    with _lock:
        _cached = None


def keyring_path() -> str:
    """The file `keyring()` reads (DAIBAN_KEYS aside)."""
    return _path or os.environ.get("DAIBAN_KEYS_FILE") or DEFAULT_FILE
