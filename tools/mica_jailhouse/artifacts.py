"""The whole artifact set of a system, computed in memory, then written.

Everything is rendered before the first byte is written, and the whole set
replaces the output folder in one step, so a failed check, a failing tool
or a kill never leaves a half-generated or mixed folder behind.

What the templates lay out (``emit.texts``) is rendered in a forked child; the cross
check's modules (``evidence``, ``checks.cross``, the ``.cell`` codec) are imported where they
are used, or while dtc runs (``generate_noting``), so that ``generate`` reaches its fork and
its dtc thread sooner.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from . import cells, derive, dtb, mica, outputs, qemu
from .diagnostics import Diagnostic, InvalidSystem, UserError
from .emit import texts
from .external import Background, DumpDtb, Forked
from .fsutil import read_input, replace_folder
from .model import System
from .record import record

if TYPE_CHECKING:
    from . import evidence

FEATURE = mica.FEATURE
DEFAULT_CELL_DIR = mica.CELL_DIR
DEFAULT_FIRMWARE_DIR = mica.FIRMWARE_DIR


@record
class Artifact:
    role: str  # manifest key
    name: str  # file name in the output folder
    data: bytes


@record
class Options:
    revision: int | None = None
    cell_dir: str = DEFAULT_CELL_DIR
    firmware_dir: str = DEFAULT_FIRMWARE_DIR
    #: None: QEMU's tree, dumped here; or QEMU's tree being dumped (``commands/generate``).
    base_dtb: bytes | DumpDtb | None = None
    base_name: str = "QEMU's device tree"


def described_set(system: System, revision: int | None = None,
                  cell_dir: str = DEFAULT_CELL_DIR) -> evidence.ArtifactSet:
    """The artifact set the description implies, without running QEMU or dtc: what
    ``check`` takes from a description for the artifacts a user did not give. The DTB
    view is derived (phandles numbered in order, PSCI ``smc`` as the jailhouse feature
    asks), not read from a built tree: ``generate`` checks the tree it builds."""
    from . import evidence

    plans = cells.plans(system, revision)
    files = [evidence.CellFile(f"{p.stem}.cell", p.config) for p in plans]
    reservations = tuple(
        evidence.DtReservation(r.node_name, (r.span,), r.no_map,
                               (r.compatible,) if r.compatible else (), i + 1)
        for i, r in enumerate(derive.reservations(system))
    )
    by_label = {r.label: v for r, v in zip(derive.reservations(system), reservations,
                                           strict=True)}
    rp = None
    if derive.remoteproc_client(system) is not None:
        rp = (by_label[derive.REMOTEPROC_POOL_LABEL], by_label[derive.REMOTEPROC_CLIENT_LABEL])
    dtb_name = outputs.output_name(system.board.name, FEATURE)
    dt = evidence.DtView(dtb_name, system.board.cpus, system.board.banks, reservations, rp,
                         derive.gicr_span(system, FEATURE), "smc")
    cmd = evidence.parse_cmdline(" ".join(derive.kernel_cmdline(system)))
    confs = [
        evidence.parse_mica_conf(
            texts.mica_conf(system, cell, plan, cell_dir, DEFAULT_FIRMWARE_DIR),
            f"{plan.stem}.conf")
        for cell, plan in zip(system.cells, plans[1:], strict=True)
        if derive.is_mica_client(system, cell)
    ]
    return evidence.ArtifactSet(files, dt, cmd, confs, revision or system.hypervisor.revision)


def written_set(out: list[Artifact], plans: list[cells.CellPlan],
                revision: int) -> evidence.ArtifactSet:
    """The views of what ``generate`` produced: the DTB it built, read back; each cell plan
    as the bytes our encoder writes for it, read back; the .conf files and the command line
    as written."""
    from . import evidence
    from .jailhouse import cellfile

    by_role = {a.role: a for a in out if a.role not in LIST_ROLES}
    return evidence.ArtifactSet(
        cells=[evidence.CellFile(f"{p.stem}.cell",
                                 cellfile.parse(cellfile.encode(p.config), f"{p.stem}.cell"))
               for p in plans],
        dtb=evidence.dt_view(by_role["dtb"].data, by_role["dtb"].name),
        cmdline=evidence.parse_cmdline(by_role["cmdline"].data.decode()),
        confs=[evidence.parse_mica_conf(a.data.decode(), a.name)
               for a in out if a.role == "mica_conf"],
        revision=revision,
    )


def _cross_check(out: list[Artifact], plans: list[cells.CellPlan], revision: int) -> None:
    """What was produced must pass the same cross-artifact check users run on
    their boards; a failure here is a gap in the description's own checks."""
    from .checks import has_errors
    from .checks.cross import check_artifacts

    diags = check_artifacts(written_set(out, plans, revision))
    if has_errors(diags):
        raise InvalidSystem(diags)


def generate(system: System, opts: Options | None = None) -> list[Artifact]:
    return generate_noting(system, opts)[0]


def generate_noting(system: System, opts: Options | None = None,
                    rendering: Forked[list[tuple[str, str, bytes]]] | None = None,
                    ) -> tuple[list[Artifact], list[Diagnostic]]:
    """The artifact set, and the warnings about the base tree it was built on.

    ``rendering``: the child rendering ``emit.texts``, if the caller forked it already
    (``commands.generate`` does, as soon as the description is loaded); closed here."""
    opts = opts or Options()
    dtb_name = outputs.output_name(system.board.name, FEATURE)
    stem = dtb_name.removesuffix(".dtb")
    # A child renders the templates while dtc runs in a thread here (the child first: a
    # process forks safely only before it has threads).
    texts_child = rendering or Forked(texts.rendered, system, opts.revision, opts.cell_dir,
                                      opts.firmware_dir)
    try:
        # QEMU's tree is collected here, not in the thread: QEMU has mostly ended by now,
        # and the thread would wait for the GIL at each of the steps while this one imports.
        base = opts.base_dtb.result() if isinstance(opts.base_dtb, DumpDtb) else opts.base_dtb
        pending = Background(dtb.build, system, FEATURE, base, opts.base_name)
        # What the rest of the run imports, imported while dtc and the child work (see
        # the docstring): the cross check's modules, and hashlib (OpenSSL) for the manifest.
        import hashlib  # noqa: F401

        from . import evidence  # noqa: F401
        from .checks import cross  # noqa: F401
        from .jailhouse import cellfile  # noqa: F401

        plans = cells.plans(system, opts.revision)  # the cross check's, as the child's
        tree = pending.result()
        rendered = [Artifact(role, name, data) for role, name, data in texts_child.result()]
    finally:
        texts_child.close()
    out = [a for a in rendered if a.role != "qemuboot"]
    out.append(Artifact("cmdline", "cmdline.txt",
                        (" ".join(derive.kernel_cmdline(system)) + "\n").encode()))
    if system.board.qemu is not None:
        machine = [*qemu.machine_argv(system, FEATURE), "-dtb", dtb_name]
        qemu_args = {"machine": machine, "append": derive.kernel_cmdline(system),
                     "note": "add -kernel IMAGE and -initrd ROOTFS (and console=) to run"}
        out.append(Artifact("qemu_args", "qemu-args.json",
                            (json.dumps(qemu_args, indent=2) + "\n").encode()))
        out += [a for a in rendered if a.role == "qemuboot"]
    out[:0] = [
        Artifact("dtb", dtb_name, tree.dtb),
        Artifact("dts", f"{stem}.dts", tree.dts.encode()),
        Artifact("dtbo", f"{stem}.dtbo", tree.overlay),
        Artifact("dtso", f"{stem}.dtso", tree.overlay_source.encode()),
    ]
    _cross_check(out, plans, opts.revision or system.hypervisor.revision)
    return out, list(tree.diagnostics)


LIST_ROLES = {"cells_c", "mica_conf"}


def manifest(system: System, artifacts: list[Artifact], revision: int) -> bytes:
    from hashlib import sha256

    files: dict[str, str | list[str]] = {}
    for a in artifacts:
        if a.role in LIST_ROLES:
            entry = files.setdefault(a.role, [])
            assert isinstance(entry, list)
            entry.append(a.name)
        else:
            files[a.role] = a.name
    data = {
        "system": system.name,
        "source": PurePath(system.file).name,
        "revision": revision,
        "files": files,
        "sha256": {a.name: sha256(a.data).hexdigest() for a in artifacts},
    }
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def previous_set(outdir: Path) -> set[str]:
    """The file names an earlier run wrote into ``outdir``, from its manifest."""
    try:
        data = json.loads(read_input(outdir / outputs.MANIFEST, 1 << 20, "manifest"))
    except (UserError, ValueError):
        return set()
    hashes = data.get("sha256") if isinstance(data, dict) else None
    if not isinstance(hashes, dict):
        return set()
    return {outputs.MANIFEST, *(n for n in hashes if isinstance(n, str) and "/" not in n)}


def write(system: System, artifacts: list[Artifact], outdir: Path, revision: int) -> list[Path]:
    """Write the set and its manifest: after any failure or kill, ``outdir`` holds
    the complete old set or the complete new one (see fsutil.replace_folder)."""
    names = [a.name for a in artifacts] + [outputs.MANIFEST]
    if len(set(names)) != len(names):  # the output-name check runs before: a bug here
        raise AssertionError(f"two artifacts share a file name: {sorted(names)}")
    files = [(a.name, a.data) for a in artifacts]
    files.append((outputs.MANIFEST, manifest(system, artifacts, revision)))
    replace_folder(outdir, files, previous_set(outdir))
    return [outdir / name for name in names]
