"""Language-server processes for the replay's workers, started once and reused.

Starting `heedful serve` costs about a second of CPU (most of it importing lsprotocol's types),
which would dominate short conversations and, with `--concurrency 8` on a small machine, make the
starts compete for the cores. So each worker keeps one server process: every conversation gets
its own workspace directory and its own documents (opened when it starts, closed when it ends,
with their own constraints), and the next conversation of that worker reuses the process. A
server that failed in a conversation is stopped and replaced, never reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from typing import AsyncIterator

from .lsp_session import ServerSession


class ServerPool:
    def __init__(self, debounce_ms: int = 0, command: list[str] | None = None) -> None:
        self.debounce_ms = debounce_ms
        self.command = command
        self.idle: list[ServerSession] = []
        self.root = tempfile.mkdtemp(prefix="heedful-replay-root-")  # a neutral workspace root: no heedful.toml

    async def _start(self) -> ServerSession:
        session = ServerSession(self.root, self.debounce_ms, self.command)
        await session.__aenter__()
        return session

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[ServerSession]:
        session = self.idle.pop() if self.idle else await self._start()
        try:
            yield session
        except BaseException:
            await _stop(session)
            raise
        if session.alive():
            self.idle.append(session)
        else:
            await _stop(session)

    async def close(self) -> None:
        sessions, self.idle = self.idle, []
        await asyncio.gather(*(_stop(s) for s in sessions))
        import shutil

        shutil.rmtree(self.root, ignore_errors=True)


async def _stop(session: ServerSession) -> None:
    with contextlib.suppress(Exception):
        await session.__aexit__(None, None, None)
