"""`heedful serve`: start the language server over stdio (default) or TCP."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("serve", help="run the language server (stdio by default)",
                            description="Run the heedful language server. Editors start it with "
                                        "`heedful serve` (stdio); `--tcp HOST:PORT` listens on a socket instead.")
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP address instead of stdio")
    parser.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"),
                        help="log to stderr at this level (pygls logs every message at info)")
    parser.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import gc

    from heedful.verifiers.errors import HeedfulError

    from .code_cache import install_for_process

    gc.disable()  # start-up allocates for good; its garbage is frozen, not collected (tune_garbage_collector)
    code_cache = install_for_process()
    from .server import create_server

    logging.basicConfig(stream=sys.stderr, level=getattr(logging, args.log_level.upper()),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    server = create_server()
    if code_cache is not None:
        # a cold cache is written now (a server that is killed never reaches its exit); a warm
        # one misses a variant script or two per start (CodeCache), and what is new after the
        # start (a check's records) is written at exit, off the start-up's path
        code_cache.save(minimum_new=COLD_CACHE_MISSES, variants=True)
    tune_garbage_collector()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise HeedfulError(f"--tcp wants HOST:PORT with a port from 1 to 65535, got {args.tcp!r}")
        try:
            server.start_tcp(host, int(port))
        except OSError as exc:  # an unknown host, a port in use or not allowed
            raise HeedfulError(f"--tcp {args.tcp}: cannot listen there: {exc.strerror or exc}") from None
    else:
        server.start_io()
    end_process(server.exit_status)  # 1 when the client's stream broke (it restarts the server)
    return server.exit_status  # not reached


def end_process(status: int) -> None:
    """Exit at once once the session is over: the exit handlers run (the code cache's write,
    logging's flush) and the streams are flushed, then the process ends without the interpreter's
    teardown of its modules and objects (about 20 ms of a server's exit, which every replay run
    and every editor waits for). Any check thread still running is abandoned: its client is gone."""
    import atexit
    import os

    try:
        atexit._run_exitfuncs()  # CPython's own exit handlers, run as at a normal exit
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(status)


COLD_CACHE_MISSES = 32


def tune_garbage_collector() -> None:
    """Checks allocate many short-lived objects and almost no cycles; the default thresholds make
    a full collection run every few edits (tens of ms on a large file, the server's p95). Freeze
    what start-up allocated and collect the young generation less often.

    Start-up's garbage is frozen with the rest, not collected first: it is the ~570 classes attrs
    builds and throws away for lsprotocol's slotted ones (17,000 objects, 8 MB), and collecting
    them took 48-90 ms of every start, which every first round of a replay waits for
    (benchmarks/server_start.py). The memory is never touched again."""
    import gc

    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    gc.enable()
