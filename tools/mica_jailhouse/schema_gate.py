"""Is a document surely valid under a JSON Schema? A fast yes, or "ask jsonschema".

Importing jsonschema costs more than the rest of loading a description (referencing, attrs,
its format checkers: ~45 ms), and a valid description, the usual case, needs none of its
error reporting. ``surely_valid`` walks the keywords our schema uses and answers True only
when the document is valid by the rules jsonschema applies; on False, ``load`` asks
jsonschema, which finds and words every error. So every diagnostic is jsonschema's, and this
module can only make a valid document faster, never a wrong one pass:

- a keyword it does not know, a ``$ref`` that is not a local JSON pointer, a value that is
  not plain JSON (a float, a YAML date), a cycle of ``$ref``: "unsure", that is False;
- ``integer`` is ``load``'s: a Python int that is not a bool (jsonschema's own would also
  take 96.0; floats are "unsure" here anyway).

``tests/test_schema_gate.py`` holds it to jsonschema on the shipped systems, every bad input
fixture and random mutations of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any


class _Unsure(Exception):
    """The gate cannot tell: jsonschema decides."""


#: Keywords that only annotate.
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description",
                          "default", "examples"})
_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int) and not isinstance(v, bool),  # floats: unsure
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def surely_valid(instance: Any, schema: Mapping[str, Any]) -> bool:
    """True only if jsonschema (Draft 2020-12, ``load``'s integer) finds no error."""
    try:
        return _valid(instance, schema, schema)
    except (_Unsure, RecursionError):
        return False


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _plain(value: Any) -> None:
    if value is None or isinstance(value, (str, int, dict, list)):  # bool is an int
        return
    raise _Unsure  # a float, a date, bytes, a set: leave it to jsonschema


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's equality: True is not 1, recursively; only for plain values."""
    _plain(a)
    _plain(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def _resolve(ref: str, root: Mapping[str, Any]) -> Any:
    if not ref.startswith("#/"):
        raise _Unsure
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            raise _Unsure
        node = node[part]
    return node


def _valid(v: Any, schema: Any, root: Mapping[str, Any]) -> bool:
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, Mapping):
        raise _Unsure
    _plain(v)
    for key, want in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key == "$ref":
            if not _valid(v, _resolve(want, root), root):
                return False
        elif key == "type":
            names = [want] if isinstance(want, str) else want
            if any(n not in _TYPES for n in names):
                raise _Unsure
            if not any(_TYPES[n](v) for n in names):
                return False
        elif key == "enum":
            if not any(_equal(v, e) for e in want):
                return False
        elif key == "const":
            if not _equal(v, want):
                return False
        elif key == "oneOf":
            if sum(_valid(v, s, root) for s in want) != 1:
                return False
        elif key == "anyOf":
            if not any(_valid(v, s, root) for s in want):
                return False
        elif key == "allOf":
            if not all(_valid(v, s, root) for s in want):
                return False
        elif key == "if":  # exact, like every branch here, so the outcome picks then/else
            branch = schema.get("then" if _valid(v, want, root) else "else", True)
            if not _valid(v, branch, root):
                return False
        elif key in ("then", "else"):
            continue  # applied by "if"; without one, jsonschema ignores them too
        elif key in ("minimum", "maximum"):
            if not _TYPES["number"](v):
                continue
            if not isinstance(want, int) or isinstance(want, bool):
                raise _Unsure
            if (v < want) if key == "minimum" else (v > want):
                return False
        elif key in ("minLength", "maxLength", "pattern"):
            if not isinstance(v, str):
                continue
            if key == "pattern":
                if not _regex(want).search(v):
                    return False
            elif (len(v) < want) if key == "minLength" else (len(v) > want):
                return False
        elif key in ("minItems", "maxItems", "items", "uniqueItems", "contains"):
            if not isinstance(v, list):
                continue
            if key == "uniqueItems":
                if want is True and any(_equal(a, b) for i, a in enumerate(v) for b in v[i + 1:]):
                    return False
                continue
            if key == "contains":
                if "minContains" in schema or "maxContains" in schema:
                    raise _Unsure
                if not any(_valid(x, want, root) for x in v):
                    return False
                continue
            if key == "items":
                if "prefixItems" in schema:
                    raise _Unsure
                if not all(_valid(x, want, root) for x in v):
                    return False
            elif (len(v) < want) if key == "minItems" else (len(v) > want):
                return False
        elif key in ("properties", "additionalProperties", "required", "propertyNames",
                     "minProperties", "maxProperties"):
            if not isinstance(v, dict):
                continue
            if "patternProperties" in schema:
                raise _Unsure
            if key == "properties":
                if not all(_valid(v[k], s, root) for k, s in want.items() if k in v):
                    return False
            elif key == "additionalProperties":
                known = schema.get("properties", {})
                if not all(_valid(x, want, root) for k, x in v.items() if k not in known):
                    return False
            elif key == "required":
                if not all(k in v for k in want):
                    return False
            elif key == "propertyNames":
                if not all(_valid(k, want, root) for k in v):
                    return False
            elif (len(v) < want) if key == "minProperties" else (len(v) > want):
                return False
        else:
            raise _Unsure
    return True
