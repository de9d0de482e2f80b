"""Security: secrets, sessions, keys and crypto (SM3/SM4), the audit chain."""
