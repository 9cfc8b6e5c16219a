"""Reading inputs and writing outputs safely: the only module that touches files.

Writes (``write_file``): the data goes to a temporary file created exclusively
(``O_EXCL``, never through a link) with an unpredictable name in the target's
own folder, is flushed to disk, gets the mode of the file it replaces, and is
renamed over the target. Only a regular file is ever replaced: a FIFO, a
device, a socket or a folder at the target is refused with a message saying
which. A symlink given as the target is the user's: its target is replaced
(it must be a regular file or not exist yet), the link itself stays. The
temporary file is removed after any failure, Ctrl-C or SIGTERM (see
``terminate_as_exception``).

Reads (``read_input``): only regular files (a FIFO or ``/dev/zero`` would block
or never end), at most ``limit`` bytes, and a failure is a one-line
``UserError`` naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import stat
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from .diagnostics import UserError

DEFAULT_MODE = 0o644
MiB = 1 << 20

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symlink"),
)


def kind(mode: int) -> str:
    """What a file is, in words: 'a FIFO', 'a folder', ..."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C so that every ``finally`` cleans up."""


@contextlib.contextmanager
def terminate_as_exception() -> Iterator[None]:
    """Turn SIGTERM (and SIGHUP) into ``Terminated`` while the block runs."""

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    old = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        # Not in the main thread: leave signals alone.
        with contextlib.suppress(ValueError):
            old[sig] = signal.signal(sig, raise_terminated)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def resolve_target(path: Path) -> tuple[Path, int | None]:
    """The file a write to ``path`` replaces, and the mode to give it.

    A symlink is followed to its final target (the user named it); the
    final target must be a regular file or not exist yet.
    """
    target = path
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return target, None
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({reason(exc)})") from None
    if stat.S_ISLNK(st.st_mode):
        try:
            target = Path(os.path.realpath(path, strict=True))
            st = os.lstat(target)
        except FileNotFoundError:
            # A dangling link: write its target only if its folder exists.
            target = Path(os.path.realpath(path))
            if not target.parent.is_dir():
                raise UserError(f"{path}: is a symlink to {target}, whose folder does not "
                                "exist (fix or remove the link)") from None
            return target, None
        except (OSError, RuntimeError) as exc:
            why = reason(exc) if isinstance(exc, OSError) else "symlink loop"
            raise UserError(f"{path}: cannot write through the symlink ({why})") from None
    if not stat.S_ISREG(st.st_mode):
        shown = path if target == path else f"{path} (-> {target})"
        raise UserError(f"{shown}: is {kind(st.st_mode)}, not a regular file "
                        "(refusing to replace it; choose another path)")
    return target, stat.S_IMODE(st.st_mode)


def _temp_name(target: Path) -> str:
    stem = target.name[:64]
    return f".{stem}.{secrets.token_hex(8)}.tmp"


def _create_temp(folder: Path, target: Path) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        tmp = folder / _temp_name(target)
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise UserError(f"{folder}: cannot create a temporary file (too many name collisions)")


def write_file(path: Path, data: bytes | str, mode: int | None = None) -> Path:
    """Replace ``path`` atomically with ``data``; return the file written.

    ``mode``: for a new file (default 0644 less the umask); a replaced file
    keeps its own mode.
    """
    payload = data.encode() if isinstance(data, str) else data
    target, old_mode = resolve_target(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"{path}: folder {folder} does not exist (create it first)")
    if old_mode is not None:
        new_mode = old_mode
    else:
        new_mode = (DEFAULT_MODE if mode is None else mode) & ~_umask()
    try:
        fd, tmp = _create_temp(folder, target)
    except OSError as exc:
        raise UserError(f"{path}: cannot write in {folder} ({reason(exc)})") from None
    try:
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fchmod(f.fileno(), new_mode)
                os.fsync(f.fileno())
            # The target may have changed since we looked: check again.
            resolve_again, _ = resolve_target(target)
            if resolve_again != target:
                raise UserError(f"{path}: changed while writing (try again)")
            os.replace(tmp, target)
        except OSError as exc:
            raise UserError(f"{path}: cannot write ({reason(exc)})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def read_input(path: Path, limit: int = 16 * MiB, what: str = "file") -> bytes:
    """Read a whole input file: a regular file of at most ``limit`` bytes."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file (check the path)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UserError(f"{path}: cannot read (symlink loop)") from None
        raise UserError(f"{path}: cannot read ({reason(exc)})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UserError(f"{path}: is {kind(st.st_mode)}, not a regular file "
                            f"(give the {what} itself)")
        if st.st_size > limit:
            raise UserError(f"{path}: too large for a {what} ({st.st_size} bytes, at most "
                            f"{limit})")
        os.set_blocking(fd, True)
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, MiB))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UserError(f"{path}: too large for a {what} (more than {limit} bytes)")
        return b"".join(chunks)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({reason(exc)})") from None
    finally:
        os.close(fd)


def read_text(path: Path, limit: int = 16 * MiB, what: str = "file", name: str = "") -> str:
    """``read_input`` decoded as UTF-8; a bad byte is reported with its offset."""
    data = read_input(path, limit, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{name or path}: not UTF-8 text (byte {exc.start}: "
                        f"{data[exc.start:exc.start + 1]!r})") from None
