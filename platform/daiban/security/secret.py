"""The key that signs session cookies: configured, or generated once under `var/` and reused.

A key in the source or the docs is a key everyone has, so a configured key that appears in the
project's files is refused, as is one shorter than 32 bytes.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)
MIN_BYTES = 32
FILE_NAME = "secret_key"
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
PROJECT_ROOT = PACKAGE_ROOT.parents[1]
# Files a copied key would come from: the source, the docs, the config and the deploy examples.
_SEARCHED = ("platform", "docs", "deploy", "config", "README.md", "tests")
_TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".html", ".txt", ".env", ".example",
                  ".conf", ".service", ".timer", ".cfg", ".toml", ""}


class UnsafeSecret(ValueError):
    """A configured secret key that must not be used."""


def _found_in_project(value: str) -> Path | None:
    """The first project file that contains `value`, if any."""
    for name in _SEARCHED:
        root = PROJECT_ROOT / name
        paths = [root] if root.is_file() else (root.rglob("*") if root.is_dir() else [])
        for path in paths:
            if not path.is_file() or path.suffix not in _TEXT_SUFFIXES or path.stat().st_size > 2_000_000:
                continue
            try:
                if value in path.read_text(encoding="utf-8", errors="ignore"):
                    return path
            except OSError:
                continue
    return None


def check_secret(value: str, origin: str) -> str:
    """Return `value` if it is safe to sign sessions with; raise UnsafeSecret saying why not."""
    if len(value.encode()) < MIN_BYTES:
        raise UnsafeSecret(f"{origin} 太短（{len(value.encode())} 字节）：会话密钥至少 {MIN_BYTES} 字节，"
                           "可用 `python -c 'import secrets; print(secrets.token_urlsafe(48))'` 生成")
    found = _found_in_project(value)
    if found is not None:
        raise UnsafeSecret(f"{origin} 出现在项目文件 {found.relative_to(PROJECT_ROOT)} 中，"
                           "公开的密钥任何人都能伪造登录：请换一个新生成的密钥")
    return value


def _read_key_file(path: Path) -> str:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise UnsafeSecret(f"会话密钥文件 {path} 的权限为 {oct(mode)}，其他用户可读：请执行 chmod 600 {path}")
    value = path.read_text(encoding="utf-8").strip()
    return check_secret(value, f"会话密钥文件 {path}")


def resolve_secret_key(configured: str | None, var_dir: Path) -> str:
    """The configured key if safe, else the key in `var_dir/secret_key`, created (mode 0600) if missing."""
    if configured:
        return check_secret(configured, "DAIBAN_SECRET_KEY")
    path = Path(var_dir) / FILE_NAME
    if path.exists():
        return _read_key_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        # A hard link appears whole or not at all: when two workers start together, one key wins
        # and both read it.
        os.link(temp, path)
        log.warning("DAIBAN_SECRET_KEY 未设置：已生成会话密钥并保存在 %s（权限 600）", path)
    except FileExistsError:
        pass
    finally:
        temp.unlink()
    return _read_key_file(path)
