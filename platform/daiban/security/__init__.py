"""Security primitives: keys, the audit hash chain."""
