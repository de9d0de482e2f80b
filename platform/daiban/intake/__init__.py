"""The intake engine: a matter's form validated, its eligibility checked, its one-time notice resolved.

The generated intake form and the server share one definition: the marshmallow schema built from
the matter's `fields`. Like `daiban.catalog`, this package is pure: it imports neither Flask nor
peewee.
"""
