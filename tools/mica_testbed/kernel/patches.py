"""Applying the layer's kernel patches the way a careful human would: dry run first, no fuzz."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from .errors import CommandError, PatchError
from .run import run_logged

_TARGET_RE = re.compile(r"^\+\+\+ b/(\S+)", re.MULTILINE)

# --forward: an already applied patch is an error, not a silent reverse
# --fuzz=0: context must match exactly; offsets (moved lines) are still accepted
PATCH_ARGS = ("patch", "-p1", "--batch", "--forward", "--fuzz=0")


def patched_files(patches: Sequence[Path]) -> list[str]:
    """The tree-relative paths the patches change, in first-seen order."""
    seen: dict[str, None] = {}
    for patch in patches:
        for path in _TARGET_RE.findall(patch.read_text()):
            seen.setdefault(path, None)
    return list(seen)


def apply_patches(tree: Path, patches: Sequence[Path], log_dir: Path) -> None:
    """Apply ``patches`` in order to ``tree``, each after a successful ``--dry-run``.

    Raises ``PatchError`` naming the patch and quoting patch's output.
    """
    for patch in patches:
        for dry_run in (True, False):
            argv = [*PATCH_ARGS, *(["--dry-run"] if dry_run else []), "-i", str(patch)]
            stage = "dry-run" if dry_run else "apply"
            try:
                run_logged(argv, cwd=tree, log=log_dir / f"{patch.stem}.{stage}.log",
                           what=f"patch ({stage}) {patch.name}")
            except CommandError as err:
                raise PatchError(
                    f"{patch.name} does not apply cleanly to {tree}: {err}") from err
