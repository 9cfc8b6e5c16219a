"""Read YAML while remembering where every value came from.

Diagnostics must cite ``file:line`` and a YAML path such as
``cells.zephyr.memory[2]``; ``yaml.safe_load`` throws that away, so we compose
the node tree ourselves and record the line of every mapping value and list
item. A description may ``extends:`` another one (a built-in name or a
relative path); values are deep-merged and keep the location of the file
that set them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import UserError, Where

YamlPath = tuple[str | int, ...]


def path_str(path: YamlPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


@dataclass
class Document:
    """Plain data plus the location of each path in it."""

    data: Any
    file: str
    locations: dict[YamlPath, Where]

    def where(self, path: YamlPath) -> Where:
        """Location of ``path``, or of its closest ancestor that has one."""
        probe = tuple(path)
        while probe:
            loc = self.locations.get(probe)
            if loc is not None:
                return Where(loc.file, loc.line, path_str(path))
            probe = probe[:-1]
        return Where(self.file, 0, path_str(path))


class _Loader(yaml.SafeLoader):
    pass


def _convert(
    loader: _Loader, node: yaml.Node, path: YamlPath, file: str, locs: dict[YamlPath, Where]
) -> Any:
    locs[path] = Where(file, node.start_mark.line + 1, path_str(path))
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key == "<<":
                raise UserError(
                    f"{file}:{key_node.start_mark.line + 1}: YAML merge keys are not supported "
                    "(use 'extends:' to build on another description)"
                )
            if key in out:
                raise UserError(
                    f"{file}:{key_node.start_mark.line + 1}: {path_str((*path, key))}: "
                    "key given twice (remove one of them)"
                )
            out[key] = _convert(loader, value_node, (*path, key), file, locs)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(loader, item, (*path, i), file, locs) for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node)


def parse_yaml(text: str, file: str) -> Document:
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the reader rejects control characters up front
        raise UserError(f"{file}: invalid YAML: {exc}".split("\n")[0]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise UserError(f"{file}: empty file (expected a system description mapping)")
        locs: dict[YamlPath, Where] = {}
        data = _convert(loader, node, (), file, locs)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        problem = exc.problem or exc.context or "syntax error"
        raise UserError(f"{file}:{line}: invalid YAML: {problem} (fix the syntax)") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{file}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return Document(data, file, locs)


def read_yaml(path: Path, display: str | None = None) -> Document:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{name}: no such file (check the path)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{name}: cannot read: {exc}") from None
    return parse_yaml(text, name)


def merge(base: Document, over: Document) -> Document:
    """Deep-merge ``over`` onto ``base``: mappings merge, everything else replaces."""
    locs = dict(base.locations)

    def walk(a: Any, b: Any, path: YamlPath) -> Any:
        if isinstance(a, dict) and isinstance(b, dict):
            if path in over.locations:  # the overriding file touched this mapping
                locs[path] = over.locations[path]
            out = dict(a)
            for key, value in b.items():
                out[key] = walk(a.get(key), value, (*path, key))
            return out
        # Replaced: drop the base's locations below this path.
        for stale in [p for p in locs if p[: len(path)] == path and len(p) > len(path)]:
            del locs[stale]
        for p, w in over.locations.items():
            if p[: len(path)] == path:
                locs[p] = w
        return b

    data = walk(base.data, over.data, ())
    locs[()] = over.locations.get((), Where(over.file))
    return Document(data, over.file, locs)
