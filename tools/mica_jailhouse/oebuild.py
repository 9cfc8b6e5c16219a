"""Switch an oebuild ``compile.yaml`` between MICA's openamp and jailhouse.

openEuler Embedded's documentation tells users to edit ``compile.yaml`` by
hand ("change openamp to jailhouse in MCS_FEATURES"). This does it for them:
ruamel.yaml reads the file and says where things are, and the change is made
on the text itself, line by line, so that directives, comments, quoting,
number spelling, anchors and every unrelated setting stay byte for byte (the
result is read back and must mean exactly the switched data):

- in ``local_conf`` (a block of local.conf lines), every ``MCS_FEATURES``
  assignment gets ``jailhouse`` in place of ``openamp`` (or back); without
  one, ``MCS_FEATURES ?= "<feature>"`` is added;
- in ``layers``, meta-mica-jailhouse's layer is added for jailhouse and
  removed for openamp (unless no layer is given).

A file that is not YAML, not shaped like a compile.yaml, or laid out so that
the change cannot be made exactly (a flow or aliased ``layers``, a folded
``local_conf``) is refused with a message; nothing is written then. The file
keeps its mode, and a symlinked compile.yaml keeps its link (the target is
edited).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.scalarstring import LiteralScalarString

from .diagnostics import UserError
from .fsutil import read_text, write_file
from .record import record

FEATURES = ("openamp", "jailhouse")
# Where oebuild finds the layer when this repository is cloned into its src/.
DEFAULT_LAYER = "meta-mica-jailhouse/meta-mica-jailhouse"

# `MCS_FEATURES[:override...] OP "value"` with any bitbake assignment operator.
_ASSIGNMENT = re.compile(
    r"""^(?P<head>\s*MCS_FEATURES(?::[\w${}.-]+)*\s*
          (?:\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)\s*)
        (?P<quote>["'])(?P<value>.*?)(?P=quote)(?P<tail>.*)$""",
    re.VERBOSE,
)


class CompileYamlError(UserError):
    """The file cannot be switched (not YAML, or not a compile.yaml)."""


@record
class SwitchResult:
    text: str
    changes: tuple[str, ...]


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    return yaml


MAX_DEPTH = 64  # oebuild's template nests 3 deep


def _check_depth(text: str, name: str) -> None:
    """ruamel composes recursively: refuse deep nesting from the event stream first."""
    depth = 0
    for event in _yaml().parse(text):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise CompileYamlError(f"{name}: nested deeper than {MAX_DEPTH} levels: not a "
                                       "compile.yaml")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def load(text: str, name: str) -> CommentedMap:
    try:
        _check_depth(text, name)
        data = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise CompileYamlError(f"{where}: not valid YAML: {exc.problem}") from None
    except YAMLError as exc:
        raise CompileYamlError(f"{name}: not valid YAML: {exc}") from None
    except RecursionError:  # ruamel composes nested collections recursively
        raise CompileYamlError(f"{name}: nested too deeply: not a compile.yaml") from None
    except ValueError as exc:
        why = "a number with more than 4300 digits" if "integer string conversion" in str(
            exc) else str(exc).splitlines()[0]
        raise CompileYamlError(f"{name}: invalid value ({why})") from None
    if not isinstance(data, CommentedMap):
        raise CompileYamlError(f"{name}: not a compile.yaml: the top level is not a mapping")
    local_conf = data.get("local_conf")
    if local_conf is not None and not isinstance(local_conf, str):
        raise CompileYamlError(
            f"{name}: not a compile.yaml: local_conf is a {type(local_conf).__name__}, "
            "expected a block of local.conf lines")
    layers = data.get("layers")
    if layers is not None and not isinstance(layers, list):
        raise CompileYamlError(
            f"{name}: not a compile.yaml: layers is a {type(layers).__name__}, expected a list")
    return data


def current_features(data: CommentedMap) -> list[str]:
    """MCS_FEATURES words assigned in local_conf, in order of appearance."""
    words: list[str] = []
    for line in str(data.get("local_conf") or "").splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            words.extend(match["value"].split())
    return words


def _switch_line(line: str, feature: str) -> str:
    match = _ASSIGNMENT.match(line)
    if match is None:
        return line
    other = FEATURES[1 - FEATURES.index(feature)]
    words: list[str] = []
    for word in match["value"].split():
        word = feature if word == other else word
        if word not in words:
            words.append(word)
    value = " ".join(words)
    # Keep a leading space of `:append = " x"` style values.
    if match["value"].startswith(" ") and value:
        value = " " + value
    return f"{match['head']}{match['quote']}{value}{match['quote']}{match['tail']}"


def _switch_local_conf(data: CommentedMap, feature: str, changes: list[str]) -> None:
    old = data.get("local_conf")
    text = str(old or "")
    lines = text.splitlines()
    new_lines = [_switch_line(line, feature) for line in lines]
    if not any(_ASSIGNMENT.match(line) for line in lines):
        new_lines.append(f'MCS_FEATURES ?= "{feature}"')
    for before, after in zip(lines, new_lines, strict=False):
        if before != after:
            changes.append(f"local_conf: {before.strip()} -> {after.strip()}")
    if len(new_lines) > len(lines):
        changes.append(f"local_conf: added {new_lines[-1]}")
    new_text = "\n".join(new_lines) + ("\n" if text.endswith("\n") or not text else "")
    if new_text != text:
        data["local_conf"] = LiteralScalarString(new_text)


def _switch_layers(data: CommentedMap, feature: str, layer: str, changes: list[str]) -> None:
    layers = data.get("layers")
    if feature == "jailhouse":
        if layers is None:
            layers = CommentedSeq()
            data["layers"] = layers
        if layer not in layers:
            layers.append(layer)
            changes.append(f"layers: added {layer}")
    elif layers is not None and layer in layers:
        del layers[layers.index(layer)]
        changes.append(f"layers: removed {layer}")


def switch(text: str, feature: str, *, name: str = "compile.yaml",
           layer: str | None = DEFAULT_LAYER) -> SwitchResult:
    """The file switched to ``feature``; ``changes`` is empty if it already was."""
    if feature not in FEATURES:
        raise ValueError(f"feature must be one of {FEATURES}, not {feature!r}")
    data = load(text, name)
    changes: list[str] = []
    editor = _TextEditor(text, data, name, edit_layers=bool(layer))
    _switch_local_conf(data, feature, changes)
    if layer:
        _switch_layers(data, feature, layer, changes)
    if not changes:
        return SwitchResult(text, ())
    new_text = editor.apply(data, layer if layer else None)
    # The edit must mean exactly the switched data, nothing else.
    if _plain(load(new_text, name), name) != _plain(data, name):
        raise CompileYamlError(f"{name}: cannot switch this file exactly (its layout is "
                               "unusual): edit MCS_FEATURES and layers by hand")
    return SwitchResult(new_text, tuple(changes))


MAX_VALUES = 100_000  # with aliases expanded; oebuild's template has about 40


def _plain(value: object, name: str) -> object:
    """Plain data to compare; refuses alias bombs and aliases inside themselves."""
    budget = [MAX_VALUES]
    open_ids: set[int] = set()

    def walk(v: object) -> object:
        budget[0] -= 1
        if budget[0] < 0:
            raise CompileYamlError(f"{name}: more than {MAX_VALUES} values with aliases "
                                   "expanded: not a compile.yaml")
        if isinstance(v, (dict, list)):
            if id(v) in open_ids:
                raise CompileYamlError(f"{name}: an alias refers to a collection that "
                                       "contains it: not a compile.yaml")
            open_ids.add(id(v))
            try:
                if isinstance(v, dict):
                    return {str(k): walk(x) for k, x in v.items()}
                return [walk(x) for x in v]
            finally:
                open_ids.discard(id(v))
        return v if isinstance(v, (int, float, bool, type(None))) else str(v)

    return walk(value)


class _TextEditor:
    """Edits the original text line by line, so that everything we do not change
    (directives, comments, quoting, number spelling, anchors, blank lines)
    stays byte for byte. What cannot be edited that way is refused."""

    def __init__(self, text: str, data: CommentedMap, name: str, edit_layers: bool) -> None:
        self.lines = text.splitlines(keepends=True)
        self.name = name
        self.local_conf = self._block(data) if "local_conf" in data else None
        self.old_layers = list(data["layers"]) if edit_layers and isinstance(
            data.get("layers"), list) else None
        self.layer_lines = self._items(data) if self.old_layers is not None else None

    def _refuse(self, what: str) -> CompileYamlError:
        return CompileYamlError(f"{self.name}: cannot switch this file exactly: {what} "
                                "(edit it by hand, or rewrite that part in the usual layout)")

    def _block(self, data: CommentedMap) -> tuple[int, int, str]:
        """(first line, end line, indent) of local_conf's literal block."""
        value = data["local_conf"]
        if value is None:
            raise self._refuse("local_conf is empty (null)")
        if not isinstance(value, LiteralScalarString):
            raise self._refuse("local_conf is not a literal block ('local_conf: |')")
        line, col = data.lc.value("local_conf")
        header = self.lines[line][col:].split("#")[0].strip()
        if header not in ("|", "|-", "|+"):
            raise self._refuse(f"local_conf's block header '{header}' has an indentation "
                               "indicator")
        key_indent = data.lc.key("local_conf")[1]
        first = line + 1
        end = first
        indent = None
        while end < len(self.lines):
            raw = self.lines[end]
            stripped = raw.strip()
            lead = len(raw) - len(raw.lstrip(" "))
            if stripped and lead <= key_indent:
                break
            if stripped and indent is None:
                indent = raw[:lead]
            end += 1
        while end > first and not self.lines[end - 1].strip():
            end -= 1  # trailing blank lines belong to the file, not the block
        return (first, end, indent or "  ")

    def _items(self, data: CommentedMap) -> list[tuple[int, str]]:
        layers = data["layers"]
        if not isinstance(layers, CommentedSeq):
            raise self._refuse("layers is not a YAML list")
        if layers.anchor.value is not None or any(
                v is layers for k, v in data.items() if k != "layers"):
            raise self._refuse("layers is shared with another key through an anchor/alias, "
                               "which would change too")
        if layers.fa.flow_style():
            raise self._refuse("layers is a flow list ('[a, b]')")
        out = []
        for i in range(len(layers)):
            line, col = layers.lc.item(i)
            if self.lines[line].count("- ") != 1:
                raise self._refuse(f"layers item {i + 1} does not have a line of its own")
            out.append((line, self.lines[line][:col]))
        return out

    def apply(self, data: CommentedMap, layer: str | None) -> str:
        lines = list(self.lines)
        inserts: dict[int, list[str]] = {}
        deletes: set[int] = set()
        appended: list[str] = []
        new_conf = str(data.get("local_conf") or "").splitlines()
        if self.local_conf is not None:
            first, end, indent = self.local_conf
            old = [line[len(indent):].rstrip("\r\n") for line in lines[first:end]]
            old_content = [o for o in old if o.strip()]
            new_content = [n for n in new_conf if n.strip()]
            if len(new_content) < len(old_content):
                raise self._refuse("local_conf lost lines")
            changed = iter(new_content)
            for i, raw in enumerate(lines[first:end], first):
                if not raw.strip():
                    continue
                after = next(changed)
                if after != raw[len(indent):].rstrip("\r\n"):
                    lines[i] = indent + after + _eol(raw)
            extra = list(changed)
            if extra:
                at = end - 1
                inserts.setdefault(at, []).extend(indent + e + _eol(lines[at]) for e in extra)
        elif new_conf:
            appended += ["local_conf: |\n", *(f"  {n}\n" for n in new_conf)]
        if layer is not None:
            new_layers = list(data.get("layers") or [])
            if self.layer_lines is not None and self.old_layers is not None:
                if layer in new_layers and layer not in self.old_layers:
                    if not self.layer_lines:
                        raise self._refuse("layers is an empty list")
                    at, prefix = self.layer_lines[-1]
                    inserts.setdefault(at, []).append(prefix + _scalar(layer) + _eol(lines[at]))
                elif layer in self.old_layers and layer not in new_layers:
                    if len(self.old_layers) == 1:
                        raise self._refuse("removing the layer would leave layers empty")
                    deletes.add(self.layer_lines[self.old_layers.index(layer)][0])
            elif layer in new_layers:
                appended += ["layers:\n", f"- {_scalar(layer)}\n"]
        out: list[str] = []
        for i, line in enumerate(lines):
            if i not in deletes:
                out.append(line)
            out.extend(inserts.get(i, []))
        if appended:
            if out and not out[-1].endswith("\n"):
                out[-1] += "\n"
            out += appended
        return "".join(out)


def _eol(line: str) -> str:
    return "\r\n" if line.endswith("\r\n") else "\n"


_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*\Z")


def _scalar(text: str) -> str:
    return text if _PLAIN.match(text) else json.dumps(text)


MAX_BYTES = 1 << 20  # oebuild's template is 2 KiB


def read_compile_yaml(path: Path) -> str:
    try:
        return read_text(path, MAX_BYTES, "compile.yaml")
    except UserError as exc:
        raise CompileYamlError(str(exc)) from None


def switch_file(path: Path, feature: str, *, output: Path | None = None,
                layer: str | None = DEFAULT_LAYER) -> SwitchResult:
    text = read_compile_yaml(path)
    result = switch(text, feature, name=str(path), layer=layer)
    target = output or path
    if result.changes or output is not None:
        try:
            write_file(target, result.text.encode("utf-8"))
        except UserError as exc:
            raise CompileYamlError(str(exc)) from None
    return result

