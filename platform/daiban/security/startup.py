"""The start-up check: the SM3/SM4 self-test, then the keyring (refused if broken)."""

from __future__ import annotations

from daiban.security import crypto, keys


def check() -> keys.Keyring:
    """Run the self-test and load the keyring; raise with a clear message if either fails."""
    crypto.self_test()
    try:
        return keys.keyring()
    except keys.KeyringError as exc:
        raise keys.KeyringError(f"无法启动：{exc}") from None
