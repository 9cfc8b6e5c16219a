"""Built-in system descriptions shipped in the repository's systems/ folder."""

from __future__ import annotations

from pathlib import Path

from .diagnostics import UserError

REPO = Path(__file__).resolve().parents[2]
SYSTEMS_DIR = REPO / "systems"
TEMPLATES_DIR = REPO / "templates"


def builtin_names() -> list[str]:
    return sorted(p.stem for p in SYSTEMS_DIR.glob("*.yaml"))


def builtin_path(name: str) -> Path:
    path = SYSTEMS_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(builtin_names()) or "none"
        raise UserError(f"unknown board '{name}' (known boards: {known}; or pass a YAML file)")
    return path


def resolve(spec: str) -> Path:
    """A built-in name ("qemu-a53") or a path to a YAML file."""
    if spec.endswith((".yaml", ".yml")) or "/" in spec:
        return Path(spec)
    return builtin_path(spec)
