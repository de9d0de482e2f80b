"""Write matter documents as YAML the way people write them by hand (key order kept, Chinese as is)."""

from __future__ import annotations

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line text as literal blocks, strings that look like dates quoted."""


def _text(dumper, value: str):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)


def dump_document(document: dict) -> str:
    """YAML text of a document; reading it back gives the same data."""
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100)
