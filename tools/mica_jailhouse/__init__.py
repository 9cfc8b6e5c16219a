"""meta-mica-jailhouse tooling: one system description, every artifact.

The package is layered so that each step can be tested on its own:
``source`` (YAML with line numbers) -> ``load`` (schema, typed ``model``) ->
``derive`` (every computed value, once) -> ``checks`` (diagnostics) ->
``emit`` (one emitter per artifact) -> ``commands`` + ``cli`` (the only place that
prints). docs/architecture.md has the whole layer map.
"""

__version__ = "0.1.0"  # pyproject.toml's version (tests/test_architecture.py)
