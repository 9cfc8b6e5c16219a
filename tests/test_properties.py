"""Random layouts pass every check or yield diagnostics, never a traceback."""

from __future__ import annotations

import itertools
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mica_jailhouse import artifacts, derive
from mica_jailhouse.checks import check_system, has_errors
from mica_jailhouse.checks.cross import check_artifacts
from mica_jailhouse.diagnostics import InvalidSystem, UserError
from mica_jailhouse.emit.devicetree import BaseInfo, our_block, overlay_source
from mica_jailhouse.load import _schema_diagnostics, build
from mica_jailhouse.source import parse_yaml
from strategies import systems, valid_systems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_random_layouts_never_crash(data: dict[str, Any]) -> None:
    doc = parse_yaml(yaml.safe_dump(data), "random.yaml")
    assert _schema_diagnostics(doc) == []
    system = build(doc)
    diags = check_system(system)
    if has_errors(diags):
        # Every diagnostic can be acted on: it names the file, a line in it, the key
        # path, and says what is wrong.
        for d in diags:
            assert d.where.file == "random.yaml", d
            assert d.where.line > 0 and d.where.path, d
            assert d.message.strip() and str(d).startswith(f"{d.where}: "), d
        return
    # A layout that passes must be one a kernel can live with.
    rsv = derive.reservations(system)
    for a, b in itertools.pairwise(rsv):
        assert a.span.end <= b.span.base, (a, b)
    for r in rsv:
        assert system.board.ram.contains(r.span)
    linux = derive.linux_ram(system)
    assert not linux.overlaps(system.hypervisor.memory.span)
    given = {cpu for cell in system.cells for cpu in cell.cpus}
    assert set(range(system.board.cpus)) - given, "Linux keeps a CPU"
    for cell in system.cells:
        for m in cell.memory:
            assert not linux.overlaps(m.span) or m.no_map
    assert "reserved-memory" in our_block(system, "jailhouse", BaseInfo())
    # What passes the description's checks also passes the cross-artifact check
    # that generate runs on its output: no gap between the two.
    cross = check_artifacts(artifacts.described_set(system))
    assert not has_errors(cross), "\n".join(map(str, cross))
    assert "/plugin/;" in overlay_source(system, None, BaseInfo())


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 1 << 40), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "board", "hypervisor", "linux", "cells",
                                        "ivshmem", "extra"]), yaml_values))
def test_random_documents_give_diagnostics_not_tracebacks(data: dict[str, Any]) -> None:
    try:
        doc = parse_yaml(yaml.safe_dump(data), "random.yaml")
        diags = _schema_diagnostics(doc)
        if diags:
            raise InvalidSystem(diags)
        check_system(build(doc))
    except (InvalidSystem, UserError) as exc:
        assert str(exc)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_is_rejected_cleanly(text: str) -> None:
    try:
        parse_yaml(text, "random.yaml")
    except UserError as exc:
        assert str(exc).startswith("random.yaml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_systems())
def test_valid_layouts_pass_every_check(data: dict[str, Any]) -> None:
    system = build(parse_yaml(yaml.safe_dump(data), "valid.yaml"))
    assert check_system(system) == []
    assert check_artifacts(artifacts.described_set(system)) == []
