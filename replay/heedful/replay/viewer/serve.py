"""`heedful view --serve`: the written site over HTTP on 127.0.0.1 only, with the same
Content-Security-Policy as a response header (a page opened from disk has only its meta tag)."""

from __future__ import annotations

import functools
import http.server
import sys
from typing import Any

from .site import CSP_HEADER

HOST = "127.0.0.1"  # never another interface: a run's answers and code are not for the network


class _Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP_HEADER)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the terminal shows the URL, not every request


def make_server(directory: str, port: int = 0) -> http.server.ThreadingHTTPServer:
    """A server for `directory` on 127.0.0.1:`port` (0: any free port; see `server_address`)."""
    handler = functools.partial(_Handler, directory=directory)
    return http.server.ThreadingHTTPServer((HOST, port), handler)


def serve(directory: str, port: int = 0) -> int:
    """Serve until interrupted; print the URL first (flushed, so a caller can read it)."""
    with make_server(directory, port) as server:
        print(f"heedful view: serving {directory} at http://{HOST}:{server.server_address[1]}/ (Ctrl-C stops)",
              flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("heedful view: stopped", file=sys.stderr)
    return 0
