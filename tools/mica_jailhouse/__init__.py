"""meta-mica-jailhouse tooling: one system description, every artifact.

The package is layered so that each step can be tested on its own:
``source`` (YAML with line numbers) -> ``load`` (schema, typed ``model``) ->
``derive`` (every computed value, once) -> ``checks`` (diagnostics) ->
``emit`` (one emitter per artifact) -> ``cli`` (the only place that prints).
"""

__version__ = "0.1.0"
