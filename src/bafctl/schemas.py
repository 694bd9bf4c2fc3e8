"""JSON Schemas of the file formats, generated from the pydantic models.

Every key's hover text in an editor is its ``description``, written on the model's
``Field`` (a nested mapping's own description is its model's docstring, made one
paragraph here). Titles are made readable here too: a nested mapping's title is its
model name in words ("Target assessment", not ``TargetAssessment``), a key that pydantic
leaves untitled (one holding a nested mapping) is titled from its name as pydantic titles
the others, and the file's own title names the file.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from bafctl.models import RegisterSettings, Risk

_TITLES: dict[str, tuple[str, type[BaseModel]]] = {
    "risk": ("bafctl risk file", Risk),
    "register": ("bafctl register.yaml", RegisterSettings),
}


def _words(class_name: str) -> str:
    """``TargetAssessment`` as a heading: ``Target assessment``."""
    first, *rest = re.findall(r"[A-Z][a-z0-9]*", class_name) or [class_name]
    return " ".join([first, *(word.lower() for word in rest)])


def _plain(description: str) -> str:
    """A docstring as hover text: one paragraph, Markdown code marks (``x`` becomes `x`)."""
    return " ".join(description.split()).replace("``", "`")


def _readable(node: dict[str, Any]) -> None:
    if "description" in node:
        node["description"] = _plain(node["description"])
    for key, prop in node.get("properties", {}).items():
        prop.setdefault("title", key.replace("_", " ").title())


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``risk`` files or ``register`` settings."""
    title, model = _TITLES[kind]
    schema = model.model_json_schema(mode="validation", by_alias=True)
    _readable(schema)
    for name, definition in schema.get("$defs", {}).items():
        definition["title"] = _words(name)
        _readable(definition)
    schema.pop("title", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://bafctl.invalid/schema/{kind}.schema.json",
        "title": title,
        **schema,
    }
