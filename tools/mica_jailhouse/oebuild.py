"""Switch an oebuild ``compile.yaml`` between MICA's openamp and jailhouse.

openEuler Embedded's documentation tells users to edit ``compile.yaml`` by
hand ("change openamp to jailhouse in MCS_FEATURES"). This does it on the YAML
itself with ruamel.yaml's round trip, so that comments, key order, quoting and
every unrelated setting survive:

- in ``local_conf`` (a block of local.conf lines), every ``MCS_FEATURES``
  assignment gets ``jailhouse`` in place of ``openamp`` (or back); without
  one, ``MCS_FEATURES ?= "<feature>"`` is added;
- in ``layers``, meta-mica-jailhouse's layer is added for jailhouse and
  removed for openamp (unless no layer is given).

A file that is not YAML, or not shaped like a compile.yaml, is refused with
a message; nothing is written then.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from .diagnostics import UserError
from .fsutil import read_text, write_file

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


class CompileYamlError(Exception):
    """The file cannot be switched (not YAML, or not a compile.yaml)."""


@dataclass(frozen=True)
class SwitchResult:
    text: str
    changes: tuple[str, ...]


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    return yaml


def load(text: str, name: str) -> CommentedMap:
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise CompileYamlError(f"{where}: not valid YAML: {exc.problem}") from None
    except YAMLError as exc:
        raise CompileYamlError(f"{name}: not valid YAML: {exc}") from None
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


def _move_comment(seq: CommentedSeq, src: int, dst: int) -> None:
    """ruamel keeps what follows a sequence (blank lines, the next key's comment)
    on its last item: keep it after the sequence when the last item changes."""
    comment = seq.ca.items.pop(src, None)
    if comment is not None and dst >= 0 and dst not in seq.ca.items:
        seq.ca.items[dst] = comment


def _switch_layers(data: CommentedMap, feature: str, layer: str, changes: list[str]) -> None:
    layers = data.get("layers")
    if feature == "jailhouse":
        if layers is None:
            layers = CommentedSeq()
            data["layers"] = layers
        if layer not in layers:
            layers.append(layer)
            if isinstance(layers, CommentedSeq):
                _move_comment(layers, len(layers) - 2, len(layers) - 1)
            changes.append(f"layers: added {layer}")
    elif layers is not None and layer in layers:
        index = layers.index(layer)
        last = index == len(layers) - 1
        if last and isinstance(layers, CommentedSeq):
            _move_comment(layers, index, index - 1)
        del layers[index]
        changes.append(f"layers: removed {layer}")


def switch(text: str, feature: str, *, name: str = "compile.yaml",
           layer: str | None = DEFAULT_LAYER) -> SwitchResult:
    """The file switched to ``feature``; ``changes`` is empty if it already was."""
    if feature not in FEATURES:
        raise ValueError(f"feature must be one of {FEATURES}, not {feature!r}")
    data = load(text, name)
    changes: list[str] = []
    _switch_local_conf(data, feature, changes)
    if layer:
        _switch_layers(data, feature, layer, changes)
    if not changes:
        return SwitchResult(text, ())
    out = io.StringIO()
    _yaml().dump(data, out)
    return SwitchResult(out.getvalue(), tuple(changes))


MAX_BYTES = 4 << 20  # oebuild's template is 2 KiB


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

