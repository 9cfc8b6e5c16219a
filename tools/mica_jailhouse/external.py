"""Running the real tools (qemu-system-aarch64, dtc, fdtoverlay).

Command lines are argument lists, never shell strings. A missing tool is a
``ToolMissing`` user error that names the Debian package to install.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from . import prefetch
from .diagnostics import ToolMissing, UserError
from .fsutil import sweep_stale

PACKAGES = {
    "qemu-system-aarch64": "qemu-system-arm",
    "dtc": "device-tree-compiler",
    "fdtoverlay": "device-tree-compiler",
}


def which(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolMissing(tool, PACKAGES.get(tool, tool))
    return path


# dtc and QEMU's dumpdtb take well under a second here; a tool that takes
# this long is stuck (a QEMU waiting on a terminal, a dtc wrapper that hangs).
TIMEOUT = 60.0


class Running:
    """A tool started now (``subprocess.Popen``); ``wait()`` returns its stdout or raises
    what ``run`` raises. Starting in the calling thread and waiting elsewhere (``Background``)
    lets a tool start at once, not when a busy thread lets the waiting one run."""

    def __init__(self, argv: list[str], stdin: bytes | None = None,
                 timeout: float | None = None) -> None:
        self.argv = argv
        self._stdin = stdin
        self._timeout = timeout or TIMEOUT
        exe = which(argv[0])
        try:
            self._proc = subprocess.Popen(
                [exe, *argv[1:]], stdin=subprocess.PIPE if stdin is not None
                else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise UserError(f"{argv[0]}: cannot run {exe} ({exc.strerror or exc})") from None

    def wait(self) -> bytes:
        try:
            out, err = self._proc.communicate(self._stdin, timeout=self._timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise UserError(f"{self.argv[0]} did not finish in {self._timeout:g} s "
                            "(stopped it)") from None
        except BaseException:  # Ctrl-C, SIGTERM: the tool goes too (as subprocess.run does)
            self.stop()
            raise
        if self._proc.returncode != 0:
            raise _failed(self.argv[0], self._proc.returncode, err)
        return out

    def stop(self) -> None:
        """Kill the tool if it still runs, and reap it."""
        self._proc.kill()
        self._proc.communicate()


def _failed(tool: str, code: int, stderr: bytes) -> UserError:
    """A tool's failure: the last line it wrote to stderr, or its exit code."""
    msg = stderr.decode(errors="replace").strip().splitlines()
    tail = msg[-1] if msg else f"exit code {code}"
    if "failed to find romfile" in tail:  # QEMU installed without its Recommends
        tail += " (install Debian's ipxe-qemu, or run scripts/setup.sh)"
    return UserError(f"{tool} failed: {tail}")


def run(argv: list[str], stdin: bytes | None = None, timeout: float | None = None) -> bytes:
    return Running(argv, stdin, timeout).wait()


def dtc_compile(dts: str) -> bytes:
    """DTS text -> DTB bytes. dtc warnings are not fatal, errors are.

    Overlays are compiled without -@: their references are local
    (__local_fixups__), and exporting __symbols__ would leak our labels into
    the base tree when the overlay is applied.
    """
    out = run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "-", "-"], stdin=dts.encode())
    if not out.startswith(FDT_MAGIC):
        what = "no output" if not out else f"{len(out)} bytes that are not a DTB"
        raise UserError(f"dtc exited 0 but wrote {what} (check the dtc installed)")
    return out


FDT_MAGIC = bytes.fromhex("d00dfeed")


def dtc_decompile(dtb: bytes) -> str:
    out = run(["dtc", "-q", "-I", "dtb", "-O", "dts", "-o", "-", "-"], stdin=dtb)
    if not out.startswith(b"/dts-v1/"):
        what = "no output" if not out else "output that is not DTS source"
        raise UserError(f"dtc exited 0 but wrote {what} (check the dtc installed)")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"dtc wrote DTS that is not UTF-8 (byte {exc.start}); a string "
                        "property of the base DTB holds bytes that are not text") from None


_TMP_PREFIX = prefetch.TMP_PREFIX
_STALE_TMP = re.compile(rf"{_TMP_PREFIX}(?P<pid>\d+)-[A-Za-z0-9_]{{8}}")


def _scratch() -> tempfile.TemporaryDirectory[str]:
    """A scratch folder named after this process; what a killed (SIGKILL) earlier
    run left is removed first (Ctrl-C and SIGTERM clean up after themselves)."""
    sweep_stale(Path(tempfile.gettempdir()), _STALE_TMP)
    return tempfile.TemporaryDirectory(prefix=f"{_TMP_PREFIX}{os.getpid()}-")


def fdtoverlay(base: bytes, overlay: bytes) -> bytes:
    with _scratch() as tmp:
        b, o, out = Path(tmp, "base.dtb"), Path(tmp, "ovl.dtbo"), Path(tmp, "out.dtb")
        b.write_bytes(base)
        o.write_bytes(overlay)
        run(["fdtoverlay", "-i", str(b), "-o", str(out), str(o)])
        return out.read_bytes()


class DumpDtb:
    """QEMU's dumpdtb, started now (``prefetch.spawn``) or taken over from ``prefetch``;
    ``result()`` waits and returns the DTB, ``close()`` stops it unread. Either removes the
    scratch folder.

    ``argv`` must contain exactly one ``-M`` option; ``dumpdtb=`` and
    ``dtb-randomness=off`` (no random rng-seed/kaslr-seed) are appended to it.
    """

    def __init__(self, argv: list[str], started: prefetch.Spawned | None = None) -> None:
        if started is None:
            exe = which(argv[0])
            root = tempfile.gettempdir()
            sweep_stale(Path(root), _STALE_TMP)
            try:
                started = prefetch.spawn(argv, root, exe)
            except OSError as exc:
                raise UserError(f"{argv[0]}: cannot run {exe} ({exc.strerror or exc})") from None
        else:  # what a killed earlier run left beside it goes, as for one started here
            sweep_stale(Path(started.folder).parent, _STALE_TMP)
        self.argv = started.argv
        self._qemu = started

    def result(self) -> bytes:
        qemu = self._qemu
        try:
            code = qemu.wait(TIMEOUT)
            if code is None:
                raise UserError(f"{self.argv[0]} did not finish in {TIMEOUT:g} s (stopped it)")
            if code != 0:
                with open(qemu.err, "rb") as f:
                    f.seek(0, os.SEEK_END)
                    f.seek(max(0, f.tell() - 4096))
                    raise _failed(self.argv[0], code, f.read())
            if not os.path.isfile(qemu.out):
                raise UserError(f"{self.argv[0]} did not write a device tree")
            return Path(qemu.out).read_bytes()
        finally:  # Ctrl-C, SIGTERM included: QEMU goes too
            qemu.stop()

    def close(self) -> None:
        self._qemu.stop()


def qemu_dumpdtb(argv: list[str]) -> bytes:
    """Run QEMU's dumpdtb with the given argv (without dumpdtb=) and return the DTB
    (see ``DumpDtb``)."""
    return DumpDtb(argv).result()


T = TypeVar("T")


class Background(Generic[T]):
    """``func(*args)`` in a thread; ``result()`` waits, then returns it or raises what it raised.

    For functions that mostly wait for a tool (QEMU, dtc): the tool runs as a child process,
    so the calling thread goes on meanwhile. The thread is not a daemon: after Ctrl-C or
    SIGTERM in the main thread the interpreter waits for it (the tools are bounded by
    ``TIMEOUT``), and its scratch folder is removed as usual. What it raises is kept for
    ``result()``; a result never asked for (the checks failed first) is dropped.
    """

    def __init__(self, func: Callable[..., T], *args: object) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(func, args),
                                        name=f"mica-jailhouse {getattr(func, '__name__', '')}")
        self._thread.start()

    def _run(self, func: Callable[..., T], args: tuple[object, ...]) -> None:
        try:
            self._value = func(*args)
        except BaseException as exc:  # handed to result(), in the calling thread
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


class Forked(Generic[T]):
    """``func(*args)`` in a forked child process; ``result()`` waits, then returns its value
    (one ``marshal`` can carry: bytes, str, numbers, lists and tuples of them) or raises what
    it raised, with the child's traceback as a note. ``close()`` stops it unread.

    Why: what ``generate`` renders from templates (Jinja2's import alone is ~20 ms) needs
    nothing of the device tree, so a child renders it on the second core while this
    process builds the tree. Start it before any thread: the child has only the thread that
    forked, and leaves with ``os._exit`` (no exit handlers, no flush of inherited buffers).
    """

    def __init__(self, func: Callable[..., T], *args: object) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                os.close(read)
                try:
                    value: Any = func(*args)
                    payload = b"v" + marshal.dumps(value)
                except BaseException as exc:  # handed to result(), in the parent
                    payload = b"e" + _pickled(exc)
                with os.fdopen(write, "wb") as f:
                    f.write(payload)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid: int | None = pid
        self._read: int | None = read

    def result(self) -> T:
        assert self._read is not None
        read, self._read = self._read, None
        try:
            with os.fdopen(read, "rb") as f:
                data = f.read()
        except BaseException:  # Ctrl-C, SIGTERM: the child goes too
            self.close()
            raise
        assert self._pid is not None
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if data[:1] == b"v":
            value: T = marshal.loads(data[1:])
            return value
        if data[:1] == b"e":
            import pickle  # only for a failure

            raise pickle.loads(data[1:])
        raise RuntimeError(f"a forked child ended without a result "
                           f"(exit code {os.waitstatus_to_exitcode(status)})")

    def close(self) -> None:
        """Kill the child if it still runs, reap it."""
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None
        if self._read is not None:
            os.close(self._read)
            self._read = None


def _pickled(exc: BaseException) -> bytes:
    """A child's exception for its parent, its traceback noted; one that pickle cannot carry
    becomes a RuntimeError that names it."""
    import pickle
    import traceback

    trace = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"raised in a forked child:\n{trace}")
        data = pickle.dumps(exc)
        pickle.loads(data)  # an exception whose __init__ does not take its args back
        return data
    except Exception:
        error = RuntimeError(f"{type(exc).__name__}: {exc}")
        error.add_note(f"raised in a forked child:\n{trace}")
        return pickle.dumps(error)
