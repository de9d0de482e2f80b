"""The catalog core: config files are read, validated, compiled into frozen objects and compared.

This package is pure: it imports neither Flask nor peewee, so every later stage can trust it
and it can be tested without a database or a web server.
"""
