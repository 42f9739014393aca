"""The language-server processes a replay talks to: a few, shared, started on demand.

Starting `heedful serve` costs about half a second of CPU (most of it importing lsprotocol's types).
One process per conversation would make that dominate short conversations, and with
`--concurrency 8` on a small machine the starts would compete for the cores for seconds before the
first answer is judged. A server is built to serve many documents at once (an editor opens a
whole project in one), and a conversation leaves its server idle while the model thinks (a check
takes milliseconds, an answer hundreds of them), so one process serves up to
CONVERSATIONS_PER_SERVER conversations at once; the pool starts another only when every live one
serves that many, keeps at most one process per core, and gives each new conversation the least
busy one. (Two servers where one keeps up cost a second start-up on the same cores: at
`--concurrency 8` on 2 cores, most of the start-up time of the run. Measured again with the
second server started in the background once the first served, taking the conversations that
started later: 5.59 s against 5.41 s for one server, medians of 4 interleaved runs of
benchmarks/replay_speed.py's 32 conversations.) A conversation still has its own workspace directory and its
own documents (their uris, texts, constraints and edit markers are per document), which it
closes when it ends; nothing of one conversation reaches another's verdicts. A process that died
is dropped and replaced by a new one on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator

from .lsp_session import ServerSession, server_command, spawn_server, stop_unused

CONVERSATIONS_PER_SERVER = 8


class ServerPool:
    def __init__(self, debounce_ms: int = 0, command: list[str] | None = None, size: int | None = None,
                 per_server: int = CONVERSATIONS_PER_SERVER) -> None:
        self.debounce_ms = debounce_ms
        self.command = command
        self.size = max(1, size or os.cpu_count() or 1)
        self.per_server = max(1, per_server)
        self.sessions: dict[ServerSession, int] = {}  # live sessions -> conversations using them
        self.spawned: list[asyncio.subprocess.Process] = []  # started by `spawn`, not yet in a session
        self.starting = asyncio.Lock()
        self.root = tempfile.mkdtemp(prefix="heedful-replay-root-")  # a neutral workspace root: no heedful.toml

    def servers_for(self, conversations: int) -> int:
        """How many servers `conversations` at once need."""
        return min(self.size, max(1, -(-conversations // self.per_server)))

    async def spawn(self, count: int = 1) -> None:
        """Start `count` server processes, and only that: each imports for about half a second
        before it reads `initialize`, so a run spawns its first server before it reads its dataset,
        opens its log and probes the model's endpoint, and `prestart` finds it (nearly) ready.
        A process that cannot be spawned is left out: `prestart` starts another and reports why."""
        for _ in range(count):
            with contextlib.suppress(OSError):
                self.spawned.append(await spawn_server(self.command or server_command(), self.root))

    async def prestart(self, conversations: int) -> None:
        """Start the servers `conversations` at once need, side by side (not one after the other
        as conversations ask), on the spawned processes first; a server that fails to start is
        left out, and the conversation that needs it reports why."""
        wanted = max(0, min(self.servers_for(conversations), self.size) - len(self.sessions))
        spawned, unused, self.spawned = self.spawned[:wanted], self.spawned[wanted:], []
        await asyncio.gather(*(stop_unused(process) for process in unused))  # more than the run needs

        async def start(process: asyncio.subprocess.Process | None) -> None:
            session = ServerSession(self.root, self.debounce_ms, self.command, process=process)
            try:
                await session.__aenter__()
            except Exception:  # noqa: BLE001 - reported by _acquire when a conversation asks
                await _stop(session)
                return
            self.sessions[session] = 0

        await asyncio.gather(*(start(process) for process in spawned),
                             *(start(None) for _ in range(wanted - len(spawned))))

    async def _acquire(self) -> ServerSession:
        async with self.starting:
            for session in [s for s in self.sessions if not s.alive()]:
                await self._drop(session)
            idle = [s for s, users in self.sessions.items() if users == 0]
            room = any(users < self.per_server for users in self.sessions.values())
            if idle or room or len(self.sessions) >= self.size:
                session = idle[0] if idle else min(self.sessions, key=self.sessions.__getitem__)
            else:
                session = ServerSession(self.root, self.debounce_ms, self.command)
                try:
                    await session.__aenter__()
                except BaseException:
                    await _stop(session)
                    raise
                self.sessions[session] = 0
            self.sessions[session] += 1
            return session

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[ServerSession]:
        session = await self._acquire()
        try:
            yield session
        finally:
            if session in self.sessions:
                self.sessions[session] -= 1
                if not session.alive():
                    await self._drop(session)

    async def _drop(self, session: ServerSession) -> None:
        self.sessions.pop(session, None)
        await _stop(session)

    async def close(self) -> None:
        sessions, self.sessions = list(self.sessions), {}
        spawned, self.spawned = self.spawned, []
        await asyncio.gather(*(_stop(s) for s in sessions), *(stop_unused(p) for p in spawned))
        shutil.rmtree(self.root, ignore_errors=True)


async def _stop(session: ServerSession) -> None:
    with contextlib.suppress(Exception):
        await session.__aexit__(None, None, None)
