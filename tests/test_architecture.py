"""The package's layers (docs/architecture.md): imports only go down, and never in a circle.

Every import counts, at module level, inside functions and under ``TYPE_CHECKING``: an import
that is hidden from the interpreter's start-up still ties the two modules together.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
PACKAGES = ("mica_jailhouse", "mica_testbed")

#: Lowest first. A module may import modules of its own layer or of a lower one.
#: A module is placed by its longest listed prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("units", "record", "diagnostics", "geometry", "mica", "cachedir", "prefetch",
              "fsutil", "external", "bootstrap")),
    ("syntax", ("source", "schema_gate", "dtread", "jailhouse.abi", "jailhouse.codec",
                "jailhouse.raw", "jailhouse.cellfile", "oebuild")),
    ("views", ("jailhouse.view", "evidence", "client_image")),
    ("model", ("model", "boards", "load", "derive", "cells", "outputs")),
    ("checks", ("checks",)),
    ("emitters", ("emit", "dtb", "qemu", "memmap", "artifacts", "importer")),
    ("commands", ("commands", "cli", "oebuild_cli", "__main__")),
)
#: Package roots (their __init__ only holds a docstring) belong to the lowest layer.
ROOTS = {"mica_jailhouse", "mica_jailhouse.jailhouse", "mica_jailhouse.emit"}
#: Checks judge views and the model; they read no file and drive no tool.
CHECKS_MUST_NOT_IMPORT = ("source", "dtread", "jailhouse.cellfile", "jailhouse.codec",
                          "fsutil", "external")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(TOOLS).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((TOOLS / pkg).rglob("*.py"))}


def _exists(name: str) -> bool:
    base = TOOLS.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported project module, line) for every import in the file, wherever it stands."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if _exists(sub) else target), node.lineno


def graph() -> dict[str, list[tuple[str, int]]]:
    return {name: sorted(set(imports(name, path))) for name, path in modules().items()}


def layer_of(module: str) -> int:
    if module.startswith("mica_testbed"):
        return len(LAYERS)
    if module in ROOTS:
        return 0
    local = module.removeprefix("mica_jailhouse.")
    best, found = -1, None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (local == prefix or local.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    if found is None:
        raise AssertionError(f"{module}: in no layer; add it to LAYERS and docs/architecture.md")
    return found


def layer_name(index: int) -> str:
    return LAYERS[index][0] if index < len(LAYERS) else "testbed"


def test_every_module_has_a_layer() -> None:
    for name in modules():
        layer_of(name)


def test_imports_only_go_down() -> None:
    wrong = []
    for name, deps in graph().items():
        for dep, line in deps:
            if layer_of(dep) > layer_of(name):
                wrong.append(f"{modules()[name].relative_to(ROOT)}:{line}: {name} "
                             f"({layer_name(layer_of(name))}) imports {dep} "
                             f"({layer_name(layer_of(dep))})")
    assert wrong == []


def test_checks_import_no_reader_or_tool() -> None:
    wrong = []
    for name, deps in graph().items():
        if not name.startswith("mica_jailhouse.checks"):
            continue
        for dep, line in deps:
            local = dep.removeprefix("mica_jailhouse.")
            if any(local == m or local.startswith(m + ".") for m in CHECKS_MUST_NOT_IMPORT):
                wrong.append(f"{name}:{line} imports {dep}")
    assert wrong == []


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    edges = {name: [d for d, _ in deps if d != name] for name, deps in graph().items()}
    cycle = find_cycle(edges)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b"], "b": []}) is None


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from mica_jailhouse import cli\n")
    assert list(imports("mica_jailhouse.checks.m", source)) == [("mica_jailhouse.cli", 2)]
    assert layer_of("mica_jailhouse.cli") > layer_of("mica_jailhouse.checks.m")


# --- what the layer's native recipe installs and needs ----------------------------------

RECIPE = (ROOT / "meta-mica-jailhouse" / "recipes-devtools" / "mica-jailhouse-tools"
          / "mica-jailhouse-tools-native_0.1.bb")
#: Imported only by commands the recipe does not run (the oebuild switcher, check --firmware).
NOT_AT_BUILD_TIME = {"ruamel", "elftools", "_typeshed"}  # _typeshed: for mypy only


def third_party(package: str) -> set[str]:
    stdlib = set(sys.stdlib_module_names)
    found: set[str] = set()
    for path in (TOOLS / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            found |= {n.split(".")[0] for n in names}
    return {m for m in found if m and m not in stdlib and m not in PACKAGES}


def test_the_native_recipe_installs_only_the_generator() -> None:
    text = RECIPE.read_text()
    assert "file://tools/mica_jailhouse " in text
    assert "mica_testbed" not in text and "mica-testbed" not in text


def _templates_used(text: str) -> set[str]:
    return set(re.findall(r'"([\w/.-]+\.j2)"', text))


def test_the_native_recipe_fetches_the_generators_templates_only() -> None:
    """Every template the generator renders (or a template of it includes) is fetched;
    templates/jailhouse-abi, the testbed's header renderer, is not."""
    fetched = re.findall(r"file://templates/(\S+)", RECIPE.read_text())
    used = set().union(*(_templates_used(p.read_text())
                         for p in (TOOLS / "mica_jailhouse").rglob("*.py")))
    assert used, "no template names found in the generator: the pattern is stale"
    for name in sorted(used):
        used |= _templates_used((ROOT / "templates" / name).read_text())
    for name in sorted(used):
        assert any(name == f or name.startswith(f + "/") for f in fetched), name
    assert [f for f in fetched if f.startswith("jailhouse-abi")] == []
    assert (ROOT / "templates" / "jailhouse-abi").is_dir()  # still the testbed's


def test_the_start_up_check_asks_for_what_the_generator_imports() -> None:
    """bootstrap.REQUIRED is what the generator imports; tests/layer/test_layer_native.py
    holds the native recipe's RDEPENDS to REQUIRED."""
    from mica_jailhouse.bootstrap import REQUIRED

    needed = third_party("mica_jailhouse") - NOT_AT_BUILD_TIME
    assert {m.split(".")[0] for m in REQUIRED} == needed


def test_the_generator_never_imports_the_testbed() -> None:
    for name, deps in graph().items():
        if name.startswith("mica_jailhouse"):
            assert not [d for d, _ in deps if d.startswith("mica_testbed")], name


def test_every_command_has_the_plugin_shape_and_a_description() -> None:
    from mica_jailhouse import cli

    for command in cli.COMMANDS:
        assert isinstance(command.name, str) and isinstance(command.help, str)
        assert callable(command.setup_parser) and callable(command.run)
        assert command.__doc__ and command.__doc__.strip(), command.name
    parser = cli.main_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(sub.choices) == sorted(c.name for c in cli.COMMANDS)
    assert all(s.description for s in sub.choices.values())


def test_testbed_commands_are_subcommands_of_one_cli() -> None:
    """mica-testbed's rigs run as its subcommands (one error path: guard), not as
    ``python -m`` modules of their own."""
    from mica_testbed import cli

    for command in cli.COMMANDS:
        assert isinstance(command.name, str) and isinstance(command.help, str)
        assert callable(command.setup_parser) and callable(command.run)
        assert command.__doc__ and command.__doc__.strip(), command.name
    assert [c.name for c in cli.COMMANDS] == ["demo", "boot", "kernel"]
    testbed = TOOLS / "mica_testbed"
    assert [p.relative_to(testbed) for p in testbed.rglob("__main__.py")] == [Path("__main__.py")]
    mains = [p for p in testbed.rglob("*.py") if '__name__ == "__main__"' in p.read_text()]
    assert mains == []


def test_version_is_pyproject_s(capsys: pytest.CaptureFixture[str]) -> None:
    import tomllib

    from mica_jailhouse import __version__, cli

    with (ROOT / "pyproject.toml").open("rb") as f:
        assert tomllib.load(f)["project"]["version"] == __version__
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"mica-jailhouse {__version__}\n"
