"""Compiled templates kept between runs: jinja2's bytecode cache, its files read and written
through ``fsutil``.

Jinja2 compiles a template to Python code the first time a process uses it, 10-25 ms for
the templates of one ``generate``. This cache keeps that code in the user's cache folder
(``fsutil.cache_folder``), one file per template. Jinja2 checks each file against the
template's source (a checksum) and its own format and Python's version before using it; the
folder's name holds what else shapes the code (jinja2's version, the environment's syntax
options, filters and tests), so a change of any of these starts from an empty folder.
Without a usable folder, templates compile as before. The output is the same either way.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

from ..cachedir import read_cached
from ..fsutil import cache_folder, write_cached


class TemplateCache(jinja2.BytecodeCache):
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, bucket: Bucket) -> Path:
        return self.folder / f"{bucket.key}.code"

    def load_bytecode(self, bucket: Bucket) -> None:
        data = read_cached(self._file(bucket))
        if data is None:
            return
        # A file of another source, jinja2 or Python leaves the bucket empty: the template
        # is compiled and the file replaced. So does a damaged one, whatever unpickling or
        # unmarshalling it raises.
        try:
            bucket.bytecode_from_string(data)
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        write_cached(self._file(bucket), bucket.bytecode_to_string())


def shape(env: jinja2.Environment) -> str:
    """What, beside a template's source, decides the code jinja2 compiles it to."""
    return repr((
        jinja2.__version__, sys.implementation.cache_tag,
        env.block_start_string, env.block_end_string, env.variable_start_string,
        env.variable_end_string, env.comment_start_string, env.comment_end_string,
        env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks,
        env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
        env.optimized, env.autoescape, env.is_async, env.finalize is None,
        sorted(env.extensions), sorted(env.filters), sorted(env.tests),
    ))


def template_cache(env: jinja2.Environment) -> TemplateCache | None:
    """The cache for ``env``'s templates, or None without a usable cache folder."""
    digest = hashlib.sha256(shape(env).encode()).hexdigest()[:16]
    folder = cache_folder(f"templates-{digest}")
    return TemplateCache(folder) if folder is not None else None
