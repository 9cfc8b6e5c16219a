"""The one Jinja2 environment: strict (a missing value is an error, never "")."""

from __future__ import annotations

from functools import cache

import jinja2

from ..boards import TEMPLATES_DIR


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # C and INI, not HTML
    )


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
