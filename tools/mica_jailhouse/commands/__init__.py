"""The subcommands of ``mica-jailhouse``, one module each, and the one place exit codes are decided.

Each command module has kas's plugin shape: ``name``, ``help`` (one line for the command list),
``setup_parser(parser)`` (arguments; the parser's description is the module's docstring) and
``run(args) -> int``. Commands print; library code raises. ``guard`` maps what a command raises
to a message and an exit code:

====  =====================================================================================
code  meaning
====  =====================================================================================
0     success
1     a bug in the tool: Python's traceback is printed (nothing catches it)
2     a user error (``UserError``): bad input, a failed check, a missing tool; one line, or
      every diagnostic and a summary line
3     a rig ran and judged the result a failure (``mica-testbed demo``'s FAIL verdict, the
      test-kernel build dropping a requested option)
130   interrupted (Ctrl-C)
128+N terminated by signal N (SIGTERM, SIGHUP)
====  =====================================================================================
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from ..diagnostics import Diagnostic, InvalidSystem, UserError, summary
from ..fsutil import Terminated, terminate_as_exception

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USER = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader left


def print_diags(diags: Sequence[Diagnostic]) -> None:
    for d in diags:
        print(d, file=sys.stderr)


def guard(func: Callable[[argparse.Namespace], int], args: argparse.Namespace,
          prog: str) -> int:
    """Run a command; map what it raises to a message and an exit code (the one place)."""
    try:
        with terminate_as_exception():
            code = func(args)
            sys.stdout.flush()  # a reader that went away is met here, not at the exit
            return code
    except InvalidSystem as exc:
        print_diags(exc.diagnostics)
        print(f"{prog}: {summary(exc.diagnostics)}; nothing written", file=sys.stderr)
        return EXIT_USER
    except UserError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Whoever read stdout went away (`| head`): end quietly, as a pipeline's writer
        # that SIGPIPE killed; what is still buffered goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Terminated as exc:
        print(f"{prog}: terminated", file=sys.stderr)
        return 128 + int(exc.args[0])
