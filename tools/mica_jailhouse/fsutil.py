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
import re
import shutil
import signal
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from . import cachedir
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


def _token(nbytes: int) -> str:
    """An unpredictable name part: ``secrets.token_hex``, without importing secrets (its
    hmac and OpenSSL cost ~6 ms of every start)."""
    return os.urandom(nbytes).hex()  # a name part, not a number: no 0x


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
    return f".{stem}.{_token(8)}.tmp"


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
    keeps its own mode (and owner, where we may change it).
    """
    payload = data.encode() if isinstance(data, str) else data
    target, old_mode = resolve_target(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"{path}: folder {folder} does not exist (create it first)")
    owner = None
    if old_mode is not None:
        new_mode = old_mode
        with contextlib.suppress(OSError):
            st = os.stat(target)
            if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                owner = (st.st_uid, st.st_gid)
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
                if owner is not None:  # keep the owner where we may (root)
                    with contextlib.suppress(OSError):
                        os.fchown(f.fileno(), *owner)
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


def make_folder(path: Path) -> None:
    """Create ``path`` (and its parents) unless it is a folder already."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        try:
            what = kind(os.stat(path).st_mode)
        except OSError as exc:
            raise UserError(f"{path}: cannot use it as a folder ({reason(exc)})") from None
        raise UserError(f"{path}: is {what}, not a folder (give a folder for the "
                        "output)") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot create the folder ({reason(exc)})") from None


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


# The user's cache (compiled templates) only saves time: any failure means "no cache".

def cache_folder(name: str) -> Path | None:
    """``cachedir.cache_folder`` as a ``Path``: the folder, or None if it cannot be used."""
    folder = cachedir.cache_folder(name)
    return None if folder is None else Path(folder)


def write_cached(path: Path, data: bytes) -> None:
    """Replace a cache file atomically (not flushed to disk: a lost one is made again);
    failures are ignored."""
    try:
        fd, tmp = _create_temp(path.parent, path)
    except (OSError, UserError):
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if not isinstance(exc, OSError):
            raise


def read_text(path: Path, limit: int = 16 * MiB, what: str = "file", name: str = "") -> str:
    """``read_input`` decoded as UTF-8; a bad byte is reported with its offset."""
    data = read_input(path, limit, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{name or path}: not UTF-8 text (byte {exc.start}: "
                        f"{data[exc.start:exc.start + 1]!r})") from None


# --- a whole folder at once ------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where unsupported."""
    import ctypes  # here: only replacing a folder needs it (~4 ms to import)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False  # the file system cannot exchange: fall back to two renames
    raise OSError(err, os.strerror(err), str(b))


def _holds(path: Path, data: bytes, mode: int) -> bool:
    """Is ``path`` a regular file of ours, with this mode, holding exactly ``data``?"""
    try:
        st = os.lstat(path)
        if not (stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid()
                and stat.S_IMODE(st.st_mode) == mode and st.st_size == len(data)):
            return False
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            return f.read(len(data) + 1) == data
    except OSError:
        return False


def _write_new(path: Path, data: bytes, mode: int, same: Path | None = None) -> None:
    """Create ``path`` holding ``data``; ``_flush_all`` puts it on disk. If the file ``same``
    (the last run's) holds exactly that, with that mode and owner, ``path`` is a hard link to
    it instead: the file keeps its time stamps (make rebuilds nothing from it), and removing
    the old set later frees no blocks (on a busy disk ~4 ms a file)."""
    if same is not None and _holds(same, data, mode):
        try:
            os.link(same, path, follow_symlinks=False)
            return
        except OSError:
            pass  # a file system without hard links: write it
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


#: Threads that flush a set's files: enough for the file system to commit them together,
#: few enough that starting them costs less than it saves (measured with 12 small files).
FLUSH_THREADS = 4


def _flush_all(paths: list[Path]) -> None:
    """fsync the files at once, FLUSH_THREADS threads sharing them: the file system commits
    them together (ext4: in one journal commit) instead of one commit after the other, which
    took 7-25 ms for a dozen small files on a busy disk, against 3-7 ms."""
    errors: list[OSError] = []

    def flush(share: list[Path]) -> None:
        for path in share:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=flush, args=(paths[i::FLUSH_THREADS],),
                                name="mica-jailhouse fsync") for i in range(FLUSH_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def private_name(stem: str, kind: str) -> str:
    """A temporary name that says which process made it (see ``sweep_stale``)."""
    return f".{stem[:64]}.{kind}-{os.getpid()}-{_token(6)}"


def sweep_stale(folder: Path, pattern: re.Pattern[str]) -> None:
    """Remove what a killed (SIGKILL) earlier run left in ``folder``: our own
    folders whose whole name matches ``pattern`` (its group ``pid`` names the
    process that made them) and whose process is gone."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match is None or alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            st = os.lstat(folder / entry)
            if st.st_uid == os.getuid() and stat.S_ISDIR(st.st_mode):
                _remove_tree(folder / entry)


def replace_folder(outdir: Path, files: list[tuple[str, bytes]], previous: set[str]) -> Path:
    """Make ``outdir`` hold ``files``: all of them or, after any failure or kill, the
    folder as it was.

    The files are written into a fresh sibling folder (one the last set holds
    unchanged is hard-linked there: see ``_write_new``), which is then swapped
    with ``outdir`` in one step (renameat2 RENAME_EXCHANGE; two renames where
    the file system cannot); a folder that holds this very set already is left as it
    is. Entries of ``outdir`` that are neither ``files``
    nor in ``previous`` (the names the last run wrote) are the user's: they are
    hard-linked into the new folder so that they stay. A folder among them is
    refused before anything is written. Returns the folder written.
    """
    target = Path(os.path.realpath(outdir)) if outdir.is_symlink() else outdir
    names = {name for name, _ in files}
    foreign: list[str] = []
    old_mode = None
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UserError(f"{outdir}: cannot write ({reason(exc)})") from None
    if st is not None:
        if not stat.S_ISDIR(st.st_mode):
            raise UserError(f"{outdir}: is {kind(st.st_mode)}, not a folder (give a folder "
                            "for the output, new or from an earlier run)")
        cwd = Path(os.path.realpath("."))
        real = Path(os.path.realpath(target))
        if cwd == real or real in cwd.parents:
            raise UserError(f"{outdir}: is or holds the current folder; the output folder is "
                            "replaced as a whole (give another folder, e.g. -o out)")
        old_mode = stat.S_IMODE(st.st_mode)
        try:
            entries = sorted(os.listdir(target))
        except OSError as exc:
            raise UserError(f"{outdir}: cannot read ({reason(exc)})") from None
        for entry in entries:
            est = os.lstat(target / entry)
            if entry in names or entry in previous:
                if not (stat.S_ISREG(est.st_mode) or stat.S_ISLNK(est.st_mode)):
                    raise UserError(f"{outdir}: {entry} is {kind(est.st_mode)}, where generate "
                                    "writes a file (move it away)")
                continue
            if stat.S_ISDIR(est.st_mode):
                raise UserError(f"{outdir}: holds the folder {entry}, which generate did not "
                                "write (give generate a folder of its own)")
            foreign.append(entry)
    parent = target.parent if str(target.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{outdir}: cannot create its folder {parent} ({reason(exc)})") from None
    sweep_stale(parent, re.compile(
        rf"\.{re.escape(target.name[:64])}\.(new|old)-(?P<pid>\d+)-[0-9a-f]{{12}}"))
    file_mode = DEFAULT_MODE & ~_umask()
    if st is not None and set(entries) == names | set(foreign) and \
            all(_holds(target / name, data, file_mode) for name, data in files):
        return target  # it holds this very set already (flushed by the run that wrote it)
    staging = parent / private_name(target.name, "new")
    try:
        os.mkdir(staging, 0o700)
    except OSError as exc:
        raise UserError(f"{outdir}: cannot write in {parent} ({reason(exc)})") from None
    try:
        try:
            for name, data in files:
                _write_new(staging / name, data, file_mode,
                           target / name if st is not None else None)
            _flush_all([staging / name for name, _ in files])
            for entry in foreign:
                try:
                    os.link(target / entry, staging / entry, follow_symlinks=False)
                except OSError:
                    shutil.copy2(target / entry, staging / entry, follow_symlinks=False)
            os.chmod(staging, old_mode if old_mode is not None else 0o777 & ~_umask())
            fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            if st is None:
                os.rename(staging, target)
            elif _exchange(staging, target):
                _remove_tree(staging)  # now the old set
            else:
                old = parent / private_name(target.name, "old")
                os.rename(target, old)
                try:
                    os.rename(staging, target)
                except BaseException:
                    os.rename(old, target)
                    raise
                _remove_tree(old)
        except OSError as exc:
            where = exc.filename or outdir
            raise UserError(f"{outdir}: cannot write ({reason(exc)}: {where}); "
                            "the folder is unchanged") from None
    except BaseException:
        if staging.exists():
            _remove_tree(staging)
        raise
    return target
