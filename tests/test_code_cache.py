"""The server's cache of attrs/cattrs generated code (server/heedful/server/code_cache.py): the
same code objects as compiling, written atomically, and a broken file never stops a server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from heedful.replay.lsp_session import ServerSession
from heedful.server.code_cache import CodeCache, load

SCRIPT = "def __init__(self, x):\n    self.x = x\n"


def test_cached_code_is_what_compile_gives_and_survives_a_reload(tmp_path: Path):
    path = str(tmp_path / "codes.marshal")
    cache = CodeCache(path)
    code = cache.compile(SCRIPT, "<attrs generated init demo.Point>", "exec")
    assert cache.compile(SCRIPT, "<attrs generated init demo.Point>", "exec") is code
    assert code.co_filename == "<attrs generated init demo.Point>"
    namespace: dict = {}
    exec(code, namespace)
    assert namespace["__init__"].__code__.co_varnames[:2] == ("self", "x")
    cache.save()
    again = CodeCache(path)
    assert len(again.codes) == 1
    reloaded = again.compile(SCRIPT, "<attrs generated init demo.Point>", "exec")
    assert reloaded.co_code == code.co_code and reloaded.co_consts == code.co_consts
    # another filename is another entry (a traceback must name the right class)
    assert again.compile(SCRIPT, "<attrs generated init demo.Other>", "exec").co_filename.endswith("Other>")
    # what is not a plain source string goes to compile() as it is
    assert cache.compile(SCRIPT.encode(), "<bytes>", "exec").co_filename == "<bytes>"


def test_a_corrupt_or_foreign_file_reads_as_empty(tmp_path: Path):
    path = tmp_path / "codes.marshal"
    for content in (b"", b"\x00garbage", b"\xe3" * 40):
        path.write_bytes(content)
        assert load(str(path)) == {}
    assert load(str(tmp_path / "missing.marshal")) == {}


def test_a_server_starts_with_a_cold_a_warm_and_a_corrupt_cache(tmp_path: Path):
    """`heedful serve` fills the cache, reads it on the next start, and starts despite a file
    that is not marshal data (rewriting it)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def start() -> subprocess.CompletedProcess:
        # stdin at its end at once: the server starts (imports, creates itself) and exits
        return subprocess.run([sys.executable, "-P", "-m", "heedful", "serve"], stdin=subprocess.DEVNULL,
                              capture_output=True, env=env, cwd=tmp_path, timeout=120)

    assert start().returncode == 0
    files = list((tmp_path / "cache" / "heedful").glob("generated-code-*.marshal"))
    assert len(files) == 1
    entries = len(load(str(files[0])))
    assert entries > 300  # lsprotocol's classes
    written = files[0].stat().st_mtime_ns
    assert start().returncode == 0 and len(load(str(files[0]))) == entries  # nothing new to compile
    # and the warm start did not write the file again for the variant scripts it compiled
    assert files[0].stat().st_mtime_ns == written
    files[0].write_bytes(b"not marshal")
    started = start()
    assert started.returncode == 0, started.stderr.decode()
    assert len(load(str(files[0]))) == entries
    assert not list((tmp_path / "cache" / "heedful").glob("*.tmp"))


def test_dataclasses_generated_methods_come_from_the_table(tmp_path: Path):
    """dataclasses runs its generated source through `exec`: with the cache installed, the same
    functions come out (names, behaviour, `<string>` as their file), and a second definition of
    the same class finds its scripts in the table instead of compiling them."""
    script = (
        "import dataclasses, sys\n"
        "from heedful.server.code_cache import CodeCache\n"
        "cache = CodeCache(sys.argv[1])\n"
        "cache.install()\n"
        "def make():\n"
        "    @dataclasses.dataclass(frozen=True, order=True)\n"
        "    class Point:\n"
        "        x: int\n"
        "        y: int = 2\n"
        "        tags: list = dataclasses.field(default_factory=list)\n"
        "    return Point\n"
        "Point = make()\n"
        "first = cache.new\n"
        "assert first >= 4, first  # __init__, __repr__, __eq__, the order methods, __setattr__ ...\n"
        "p = Point(1)\n"
        "assert (p.x, p.y, p.tags) == (1, 2, []) and repr(p) == 'make.<locals>.Point(x=1, y=2, tags=[])'\n"
        "assert Point(1) == p and Point(0) < p and Point.__init__.__code__.co_filename == '<string>'\n"
        "try:\n"
        "    p.x = 3\n"
        "except dataclasses.FrozenInstanceError:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('frozen')\n"
        "make()\n"
        "assert cache.new == first, (cache.new, first)  # the second class: every script from the table\n"
        "cache.save()\n"
        "print('ok', first)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "codes.marshal")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")
    assert len(load(str(tmp_path / "codes.marshal"))) >= 4


def test_the_file_is_named_by_the_installed_attrs_without_reading_its_metadata():
    """The attrs version comes from its .dist-info folder's name: the one importlib.metadata
    reports, found without importing it (10 ms of a server start)."""
    import importlib.metadata

    import attr
    from heedful.server.code_cache import default_cache, installed_version

    assert installed_version(attr, "attrs") == importlib.metadata.version("attrs")
    cache = default_cache()
    assert cache is not None and f"-attrs-{importlib.metadata.version('attrs')}.marshal" in cache.path
    assert installed_version(os, "no-such-distribution") == "unknown"
    import types

    assert installed_version(types.ModuleType("built_in_like"), "attrs") == "unknown"  # no __file__: no guess
    started = subprocess.run([sys.executable, "-c", "import sys, attr\n"
                              "from heedful.server.code_cache import default_cache\n"
                              "default_cache()\nprint('importlib.metadata' in sys.modules)"],
                             capture_output=True, text=True, timeout=60)
    assert started.stdout.strip() == "False", started.stderr


def test_a_variant_of_a_known_script_is_not_written_at_exit_but_a_new_one_or_many_are(tmp_path: Path):
    """A script whose file the table holds under another text (attrs's `__hash__` holds a value
    of the process's string hashing) is compiled, not written back at exit: the next process
    would not ask for it. A script of a new file is written at exit; many variants (a changed
    dependency) are written by the start's `save(variants=True)`."""
    path = str(tmp_path / "codes.marshal")
    first = CodeCache(path)
    first.compile("def __hash__(self):\n    return hash((1, self.x))\n", "<attrs generated hash demo.P>", "exec")
    first.save()
    written = os.stat(path).st_mtime_ns

    warm = CodeCache(path)
    warm.compile("def __hash__(self):\n    return hash((2, self.x))\n", "<attrs generated hash demo.P>", "exec")
    assert (warm.new, warm.variants) == (0, 1)
    warm.save()  # at exit
    assert os.stat(path).st_mtime_ns == written
    warm.save(minimum_new=1, variants=True)  # a start that counts them
    assert len(load(path)) == 1 and os.stat(path).st_mtime_ns != written  # the variant replaced the old text

    again = CodeCache(path)
    again.compile(SCRIPT, "<attrs generated init demo.New>", "exec")
    assert (again.new, again.variants) == (1, 0)
    again.save()
    assert len(load(path)) == 1  # what this process used: the new class's script
    assert again.compile(SCRIPT, "<attrs generated init demo.New>", "exec") is not None and again.new == 0


def test_a_server_ending_its_session_writes_what_its_checks_compiled_and_exits_with_status_0(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The server ends its process at once once the session is over (commands.end_process): the
    exit handlers still run, so the scripts its checks compiled after the start (pygls's converter
    hooks for the messages it sent) are written, and the exit status is the session's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    started = subprocess.run([sys.executable, "-P", "-m", "heedful", "serve"], stdin=subprocess.DEVNULL,
                             capture_output=True, cwd=tmp_path, timeout=120)
    assert started.returncode == 0, started.stderr.decode()
    (table,) = (tmp_path / "cache" / "heedful").glob("generated-code-*.marshal")
    at_start = len(load(str(table)))

    async def session() -> int | None:
        serving = ServerSession(str(tmp_path))
        async with serving:
            uri = serving.open("calc.py", "def addTwo(a, b):\n    return a + b\n", "python")
            await serving.set_constraints(uri, [{"type": "naming.case", "role": "function", "case": "snake_case"}])
            snapshot = await serving.snapshot(uri)
            assert any("addTwo" in d.message for d in snapshot.diagnostics)
        return serving.client._server.returncode  # type: ignore[union-attr]

    assert asyncio.run(session()) == 0
    assert len(load(str(table))) > at_start
