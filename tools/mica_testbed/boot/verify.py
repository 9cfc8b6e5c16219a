"""Compare what a booted kernel reports with what the system description says.

Used by the demo's verdict and by the boot test, so both judge a boot the
same way. Each finding says what was expected, what the kernel showed, and
whether they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from mica_jailhouse import derive
from mica_jailhouse.model import Span, System
from mica_jailhouse.units import hx

from .report import BootReport


@dataclass(frozen=True)
class Finding:
    ok: bool
    text: str


def _system_ram(report: BootReport) -> list[Span]:
    return [Span(e.start, e.size) for e in report.iomem_named("System RAM")]


def verify_boot(system: System, report: BootReport) -> list[Finding]:
    findings: list[Finding] = []
    ram = _system_ram(report)
    linux = derive.linux_ram(system)
    top = max((s.end for s in ram), default=0)
    findings.append(Finding(top == linux.end,
                            f"System RAM ends at {hx(top - 1)} (mem= gives {hx(linux.last)})"))
    nodes = {n.name: n for n in report.reserved_memory}
    for r in derive.reservations(system):
        node = nodes.get(r.node_name)
        if node is None:
            findings.append(Finding(False, f"/reserved-memory/{r.node_name} missing in the kernel"))
            continue
        same = node.reg == ((r.span.base, r.span.size),) and node.no_map == r.no_map
        as_ram = [s for s in ram if s.overlaps(r.span)]
        where = "below" if r.span.base < linux.end else "above"
        text = (f"{r.node_name}: {hx(r.span.base)}-{hx(r.span.last)} {where} mem=, "
                + ("no-map, " if node.no_map else "") + "not System RAM")
        if as_ram:
            text = f"{r.node_name}: {hx(r.span.base)}-{hx(r.span.last)} is System RAM {as_ram[0]}"
        findings.append(Finding(same and not as_ram, text))
        if r.compatible == "shared-dma-pool":
            created = report.dmesg_matching(
                rf"created DMA memory pool at 0x0*{r.span.base:x}\b")
            findings.append(Finding(bool(created), f"{r.node_name}: DMA pool "
                                    + ("created (dmesg)" if created else "not created")))
    rp = report.mcs_remoteproc
    want = [derive.REMOTEPROC_POOL_LABEL, derive.REMOTEPROC_CLIENT_LABEL]
    expected = [r.node_name for label in want for r in derive.reservations(system)
                if r.label == label]
    if rp is None:
        findings.append(Finding(not expected, "no /mcs-remoteproc node"))
    else:
        got = [report.reserved_memory_by_phandle(p).name for p in rp.memory_region]
        findings.append(Finding(
            got == expected and "oe,mcs_remoteproc" in rp.compatible,
            f"mcs-remoteproc memory-region: {', '.join(got)}"))
    cpus = set(range(system.board.cpus))
    findings.append(Finding(set(report.cpus_online) == cpus,
                            f"CPUs online: {len(report.cpus_online)} of {len(cpus)} "
                            f"({','.join(map(str, sorted(report.cpus_online)))})"))
    return findings
