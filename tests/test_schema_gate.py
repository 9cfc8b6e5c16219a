"""schema_gate says "surely valid" only where jsonschema finds no error.

``load`` skips jsonschema when the gate says yes, so a yes that jsonschema would refuse lets an
invalid description through: here the two are compared on the shipped systems, every bad-input
fixture and random edits of a real description.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mica_jailhouse import boards
from mica_jailhouse.diagnostics import UserError
from mica_jailhouse.load import _validator, read_document, schema
from mica_jailhouse.schema_gate import surely_valid
from mica_jailhouse.source import parse_yaml
from support import REPO

BAD = sorted((REPO / "tests" / "fixtures" / "bad").glob("*.yaml"))


def jsonschema_errors(data: Any) -> list[str]:
    return [e.message for e in _validator().iter_errors(data)]


def has_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(has_float(v) for v in value)
    return isinstance(value, float)


def agree(data: Any) -> None:
    """The gate's yes implies jsonschema's; on plain data (no floats) they are equal."""
    errors = jsonschema_errors(data)
    if surely_valid(data, schema()):
        assert errors == []
    elif not has_float(data):
        assert errors, "the gate refused a document jsonschema accepts"


@pytest.mark.parametrize("name", boards.builtin_names())
def test_shipped_systems_take_the_fast_path(name: str) -> None:
    data = read_document(boards.builtin_path(name)).data
    assert surely_valid(data, schema())
    assert jsonschema_errors(data) == []


def test_bad_fixtures_agree() -> None:
    refused = 0
    for path in BAD:
        try:
            data = parse_yaml(path.read_text(), path.name).data
        except UserError:  # a YAML error: nothing to validate
            continue
        agree(data)
        refused += not surely_valid(data, schema())
    assert refused >= 10, refused  # the fixtures do reach the schema


SEED = yaml.safe_load((REPO / "systems" / "qemu-a53.yaml").read_text())
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 1 << 65) | st.floats(allow_nan=False)
    | st.sampled_from(["", "zephyr", "4K", "0x1000", "80M", "a" * 40, "x y", "virt", "smc"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["base", "size", "name", "cpus", "extra"]), inner, max_size=3),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += paths(v, (*prefix, i))
    return found


SEED_PATHS = paths(SEED)[1:]


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(SEED_PATHS), st.sampled_from(["set", "drop", "add"]),
                          VALUES), min_size=1, max_size=3))
def test_random_edits_agree(edits: list[tuple[tuple[Any, ...], str, Any]]) -> None:
    data = copy.deepcopy(SEED)
    for path, how, value in edits:
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            key = path[-1]
            if how == "set":
                parent[key] = value
            elif how == "drop":
                del parent[key]
            elif isinstance(parent, dict):
                parent[f"{key}_extra"] = value
            else:
                parent.append(value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced the path
    agree(data)


def test_what_it_does_not_know_is_left_to_jsonschema() -> None:
    assert surely_valid({"a": 1}, {"type": "object"})
    assert not surely_valid("x", {"format": "email"})  # unknown keyword
    assert not surely_valid(1, {"$ref": "other.json#/x"})  # not a local pointer
    assert not surely_valid(1.0, {"type": "number"})  # a float
    assert not surely_valid(1, {"$ref": "#/a", "a": {"$ref": "#/a"}})  # a $ref cycle
    assert not surely_valid(True, {"type": "integer"})
    assert not surely_valid(True, {"enum": [1]}) and surely_valid(1, {"enum": [1]})
