"""QEMU's dumpdtb for `generate` and `dtb`, as early as it can start (see ``prefetch``)."""

from __future__ import annotations

from pathlib import Path

from .. import external, prefetch
from ..cachedir import read_cached
from ..external import DumpDtb
from ..fsutil import write_cached


class EarlyDump:
    """The dump of QEMU's tree for a description: the one the entry script started, else
    one started now from the last run's command line; ``settle`` once the description is
    loaded. Nothing of it is used unless the caller's checks pass; ``close`` stops it."""

    def __init__(self, system: str, feature: str | None, wanted: bool) -> None:
        self._system, self._feature = system, feature
        self._file = prefetch.guess_file(system, feature) if wanted else None
        self._guess = (prefetch.parse_guess(read_cached(self._file, 4096))
                       if self._file is not None else None)
        self.dump = self._start(self._guess)

    def _start(self, argv: list[str] | None) -> DumpDtb | None:
        started = prefetch.take(self._system, self._feature)
        if started is not None and started.argv == argv:
            return external.DumpDtb(started.argv, started)
        if started is not None:
            started.stop()
        if argv is None:
            return None
        try:
            return external.DumpDtb(argv)
        except Exception:  # the checks speak first; dtb.build tries again after them
            return None

    def settle(self, argv: list[str] | None) -> DumpDtb | None:
        """The dump for ``argv``, the QEMU command line the loaded description gives (None:
        no QEMU): the one running if it is, else a new one; the command line is kept as the
        next run's guess (an empty one for none)."""
        if argv != self._guess:
            self.close()
            self.dump = self._start(argv)
            if self._file is not None:
                write_cached(Path(self._file), prefetch.format_guess(argv or []))
            self._guess = argv
        return self.dump

    def close(self) -> None:
        if self.dump is not None:
            self.dump.close()
            self.dump = None
