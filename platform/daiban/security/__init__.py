"""Security primitives: national-standard cryptography (SM3, SM4) and the keyring."""
