"""The one Jinja2 environment: strict (a missing value is an error, never "")."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from ..boards import TEMPLATES_DIR
from . import escape

if TYPE_CHECKING:
    import jinja2


@cache
def environment() -> jinja2.Environment:
    # Imported on first use: commands that render nothing do not pay for jinja2, and
    # `generate` imports it while QEMU builds the base device tree (artifacts.generate).
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # C and INI, not HTML: see escape.py and the filters
    )
    env.filters.update(comment=escape.comment, conf=escape.conf_value,
                       bitbake=escape.bitbake_value, yaml=escape.yaml_scalar,
                       c_string=escape.c_string)
    # Compiled templates are kept in the user's cache folder (see template_cache).
    from .template_cache import template_cache

    env.bytecode_cache = template_cache(env)
    return env


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
