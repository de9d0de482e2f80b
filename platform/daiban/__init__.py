"""daiban: a configuration-driven platform for 帮办代办, assisted and proxy handling of services."""

__version__ = "0.1.0"
