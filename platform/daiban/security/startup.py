"""The start-up checks: the SM3/SM4 self-test, the keyring, the session key, no debugger in
production. Each refuses the start with a message that says what to fix."""

from __future__ import annotations

from pathlib import Path

from daiban.security import crypto, keys
from daiban.security.secret import UnsafeSecret, resolve_secret_key


class UnsafeConfiguration(RuntimeError):
    """A configuration the platform refuses to serve with; the message names what to fix."""


def refuse_debug_in_production(app) -> None:
    """Refuse Flask's debugger (it runs code sent by the browser) unless DAIBAN_ENV=development."""
    if app.debug and app.config.get("ENV_NAME", "production") != "development":
        raise UnsafeConfiguration("生产环境不能开启调试模式（FLASK_DEBUG/DEBUG）："
                                  "调试器允许浏览器执行任意代码。开发时请设置 DAIBAN_ENV=development")


def session_key(configured: str | None, var_dir: Path) -> str:
    """The key that signs session cookies (see security.secret); refuse an unsafe one."""
    try:
        return resolve_secret_key(configured, var_dir)
    except UnsafeSecret as exc:
        raise UnsafeConfiguration(f"无法启动：{exc}") from None


def check() -> keys.Keyring:
    """Run the self-test and load the keyring; raise with a clear message if either fails."""
    crypto.self_test()
    try:
        return keys.keyring()
    except keys.KeyringError as exc:
        raise keys.KeyringError(f"无法启动：{exc}") from None
