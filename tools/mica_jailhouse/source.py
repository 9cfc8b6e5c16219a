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
from .fsutil import read_text

YamlPath = tuple[str | int, ...]

# Bounds on what a description may hold: far above any real system (the
# built-in ones have about 300 values, 6 levels), far below what would
# exhaust memory or the stack (an alias bomb, a recursive alias, [[[[...).
MAX_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_VALUES = 20_000
MAX_NUMBER_CHARS = 64


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
    """PyYAML's safe loader, bounded while it composes (its composer recurses): a node past
    MAX_VALUES nodes or MAX_DEPTH levels is refused with its line. Counting as the nodes
    are composed, not in a parse of their own beforehand, spares a second parse (~2 ms of
    a built-in description's 5)."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.values = 0
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        self.values += 1
        if self.values > MAX_VALUES:
            raise UserError(f"{self.file}:{self._line(event)}: more than {MAX_VALUES} values: "
                            "not a system description")
        nested = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        if nested:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise UserError(f"{self.file}:{self._line(event)}: nested deeper than "
                                f"{MAX_DEPTH} levels: not a system description")
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self.depth -= 1

    @staticmethod
    def _line(event: yaml.Event) -> int:
        return event.start_mark.line + 1 if event.start_mark else 0


class _Budget:
    def __init__(self) -> None:
        self.values = 0
        self.open: set[int] = set()  # ids of the collections being converted


def _convert(
    loader: _Loader, node: yaml.Node, path: YamlPath, file: str, locs: dict[YamlPath, Where],
    budget: _Budget | None = None,
) -> Any:
    budget = budget or _Budget()
    line = node.start_mark.line + 1
    budget.values += 1
    if budget.values > MAX_VALUES:
        raise UserError(f"{file}:{line}: more than {MAX_VALUES} values (with aliases "
                        "expanded): not a system description")
    if id(node) in budget.open:
        raise UserError(f"{file}:{line}: {path_str(path)}: an alias refers to a collection "
                        "that contains it (remove the alias)")
    if len(path) > MAX_DEPTH:
        raise UserError(f"{file}:{line}: {path_str(path)}: nested deeper than {MAX_DEPTH} "
                        "levels: not a system description")
    locs[path] = Where(file, line, path_str(path))
    if isinstance(node, yaml.CollectionNode):
        budget.open.add(id(node))
        try:
            return _convert_collection(loader, node, path, file, locs, budget)
        finally:
            budget.open.discard(id(node))
    if isinstance(node, yaml.ScalarNode) and len(node.value) > MAX_NUMBER_CHARS \
            and node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        raise UserError(f"{file}:{line}: {path_str(path)}: number too long "
                        f"({len(node.value)} characters)")
    try:
        return loader.construct_object(node)
    except ValueError as exc:
        raise UserError(f"{file}:{line}: {path_str(path)}: invalid value "
                        f"({str(exc).splitlines()[0]})") from None


def _convert_collection(
    loader: _Loader, node: yaml.CollectionNode, path: YamlPath, file: str,
    locs: dict[YamlPath, Where], budget: _Budget,
) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _convert(loader, key_node, (*path, "<key>"), file, {}, budget)
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
            out[key] = _convert(loader, value_node, (*path, key), file, locs, budget)
        return out
    return [
        _convert(loader, item, (*path, i), file, locs, budget) for i, item in enumerate(node.value)
    ]


def parse_yaml(text: str, file: str) -> Document:
    try:
        loader = _Loader(text, file)
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
        text = read_text(path, MAX_BYTES, "system description", name)
    except UserError as exc:
        # Name the file as the user knows it (relative to the current folder).
        raise UserError(str(exc).replace(str(path), name, 1)) from None
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
