"""Strings into generated files: each format's escaping, or a refusal.

The schema already limits names to safe characters; these are the last
line for every string that reaches a file (including command-line options
such as --cell-dir and names read from binary .cell files), so that no value
can end a comment, a quoted string or a line and add its own content.
"""

from __future__ import annotations

import re

from ..diagnostics import UserError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PLAIN_YAML = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*\Z")
# YAML 1.1 words that a plain scalar would turn into booleans or null.
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def comment(text: str) -> str:
    """Text inside a /* */ or # comment: one line, cannot close the comment."""
    text = _CONTROL.sub("?", text)
    return text.replace("*/", "*?")


def _refuse(text: str, what: str, why: str) -> UserError:
    return UserError(f"{what} {text!r} cannot be written: {why}")


def conf_value(text: str, what: str = "value") -> str:
    """A value of MICA's .conf (Python configparser): one line, no interpolation."""
    if _CONTROL.search(text):
        raise _refuse(text, what, "it holds a line break or control character")
    if "%" in text or text != text.strip():
        raise _refuse(text, what, "configparser would change it ('%' or surrounding spaces)")
    return text


def bitbake_value(text: str, what: str = "value") -> str:
    """Inside "..." of a bitbake .conf assignment (runqemu's qemuboot.conf)."""
    if _CONTROL.search(text) or any(c in text for c in '"\\$'):
        raise _refuse(text, what, 'bitbake would read " \\ $ or a line break in it as syntax')
    return text


def yaml_scalar(text: str) -> str:
    """A YAML scalar that reads back as exactly ``text`` (a string)."""
    if _PLAIN_YAML.match(text) and text.lower() not in _YAML_WORDS:
        return text
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F or (0xA0 <= code <= 0xD7FF and code not in (0x2028, 0x2029)) \
                or (0xE000 <= code <= 0xFFFD and code != 0xFEFF):
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")  # escape sequences, not numbers: no 0x
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out) + '"'


def c_string(text: str, limit: int | None = None, what: str = "name") -> str:
    """Inside "..." of C source; ``limit``: the byte size of the C field (with its NUL)."""
    data = text.encode()
    if limit is not None and len(data) >= limit:
        raise _refuse(text, what, f"{len(data)} bytes, Jailhouse holds at most {limit - 1}")
    out = []
    for byte in data:
        ch = chr(byte)
        # Octal for everything but plain printable ASCII; '?' too (no trigraphs).
        out.append(ch if 0x20 <= byte < 0x7F and ch not in '"\\?' else f"\\{byte:03o}")
    return "".join(out)
