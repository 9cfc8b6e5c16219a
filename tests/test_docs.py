"""The description reference (docs/system-description.md) names every key of the schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mica_jailhouse.load import schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "system-description.md"


def key_paths() -> set[str]:
    """Dotted paths of every schema key; ``KEY`` for a free name, ``[]`` for list items."""
    defs = schema().get("$defs", {})
    paths: set[str] = set()

    def resolve(node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def walk(node: Any, path: list[str], depth: int = 0) -> None:
        node = resolve(node)
        if not isinstance(node, dict) or depth > 10:
            return
        for key, sub in node.get("properties", {}).items():
            paths.add(".".join([*path, key]))
            walk(sub, [*path, key], depth + 1)
        free = [node["additionalProperties"]] if isinstance(node.get("additionalProperties"),
                                                            dict) else []
        for sub in [*free, *node.get("patternProperties", {}).values()]:
            walk(sub, [*path, "KEY"], depth + 1)
        if isinstance(node.get("items"), dict) and path:
            walk(node["items"], [*path[:-1], path[-1] + "[]"], depth + 1)
        for sub in node.get("allOf", []) + node.get("anyOf", []) + node.get("oneOf", []):
            walk(sub, path, depth + 1)

    walk(schema(), [])
    return paths


def documented(path: str, rows: list[tuple[str, str]]) -> bool:
    """Named in the table: as a row's key, or as a word in the row of an ancestor key."""
    for key, line in rows:
        if path == key:
            return True
        if path.startswith((key + ".", key + "[].")):
            rest = path[len(key) + 1:].replace("[].", ".").removeprefix("].").split(".")
            if all(re.search(rf"\b{re.escape(r.removesuffix('[]'))}\b", line) for r in rest):
                return True
    return False


def test_the_reference_names_every_key() -> None:
    rows = [(key, line) for line in DOC.read_text().splitlines()
            if (m := re.match(r"\| (.*?) \| .* \|$", line))
            for key in re.findall(r"`([^`]+)`", m.group(1))]
    paths = key_paths()
    leaves = {p for p in paths if not any(q.startswith((p + ".", p + "[]")) for q in paths)}
    assert sorted(p for p in leaves if not documented(p, rows)) == []
