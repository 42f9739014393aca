"""A disk cache for the code attrs, cattrs and dataclasses generate: lsprotocol's classes, pygls's
converters and heedful's own records.

Importing `lsprotocol.types` defines about 570 attrs classes, and attrs writes each one's
`__init__`, `__repr__`, `__eq__` and the like as source text and compiles it: 765 `compile()`
calls, about 250 ms of the ~700 ms a `heedful serve` takes to answer `initialize` (cProfile), paid
by every server an editor or a replay starts. The scripts come out the same every time (they
depend only on the class definitions, fixed by the installed versions), so their code objects are
kept in a marshal file, as CPython keeps a module's bytecode in `__pycache__`: the same code,
evaluated by attrs in the same globals as before, only not compiled again.

The file's name holds the interpreter's bytecode magic and the attrs version, and the keys are
the scripts themselves, so no other interpreter or attrs reads it and another lsprotocol only adds
entries. Anything unexpected (no cache folder, a corrupt or unwritable
file, another attrs that does not look `compile` up in its module) means compiling as before.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import hashlib
import importlib
import importlib.util
import marshal
import os
import sys
import tempfile
from typing import Any

CodeKey = bytes  # a digest of (source, filename, mode), as compile() got them: a short key loads fast


def cache_folder() -> str:
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
                        "heedful")


def cache_path(attrs_version: str) -> str:
    """Where the code compiled by this interpreter's attrs is kept. The keys are the scripts
    themselves, so another lsprotocol only adds entries; another interpreter or attrs gets its
    own file."""
    magic = importlib.util.MAGIC_NUMBER.hex()
    return os.path.join(cache_folder(), f"generated-code-v2-{sys.implementation.cache_tag}-{magic}-attrs-{attrs_version}.marshal")


def code_key(source: str, filename: str, mode: str) -> CodeKey:
    return hashlib.blake2b(f"{source}\0{filename}\0{mode}".encode("utf-8", "surrogatepass"), digest_size=16).digest()


def load(path: str) -> dict[CodeKey, Any]:
    try:
        with open(path, "rb") as handle:
            # read whole, then unmarshalled: `marshal.load` on a file reads it in small pieces, 50 ms
            # for the 1.2 MB table against 5 ms from bytes
            codes = marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return codes if isinstance(codes, dict) else {}


def save(path: str, codes: dict[CodeKey, Any]) -> None:
    """Written whole to a temporary file, then renamed: servers starting side by side never read
    half a file."""
    with contextlib.suppress(OSError, ValueError):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                marshal.dump(codes, out)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


# The modules whose generated code is kept: attrs's class builder, and cattrs's (un)structuring
# functions, which pygls's converter generates on the first message of each type (the first
# publishDiagnostics of a server costs tens of ms that way).
MODULES = ("attr._make", "cattrs.gen", "cattrs.gen.typeddicts")
# The modules that `exec` generated source text: dataclasses writes each class's `__init__`,
# `__repr__`, `__eq__` and the like (heedful's own records, about 250 functions at a server's
# start).
EXEC_MODULES = ("dataclasses",)


class CodeCache:
    """The table of compiled scripts, loaded from `path`. What is written back is what this
    process used: a script that differs at every start (attrs's `__hash__` script holds a value
    of the run's string hashing) would otherwise make the file grow with every start.

    Such a script is also why a warm start misses one script or two, every time, so a miss of a
    script whose file (its class) the table already holds under another text counts as a
    variant, not as new: writing 1.4 MB at every server's exit to keep a script that the next
    process will not ask for again cost more (about 10 ms) than compiling the few variants does.
    A cold start, or one after a dependency changed its classes, misses many and is written."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.codes: dict[CodeKey, Any] = load(path)
        self.files = {code.co_filename for code in self.codes.values()}
        self.used: set[CodeKey] = set()
        self.new = 0  # compiled in this process, of a file the table did not hold
        self.variants = 0  # compiled in this process, of a file the table holds with another text

    def compile(self, source: Any, filename: Any, mode: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(source, str) or not isinstance(filename, str):
            return compile(source, filename, mode, *args, **kwargs)
        key = code_key(source, filename, mode)
        code = self.codes.get(key)
        if code is None:
            code = self.codes[key] = compile(source, filename, mode)
            # (dataclasses names every script `<string>`: a new one of those is new)
            if filename in self.files and filename != "<string>":
                self.variants += 1
            else:
                self.new += 1
                self.files.add(filename)
        self.used.add(key)
        return code

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        """`exec` for the modules that run generated source text through it (dataclasses): the
        text compiled as `exec` compiles it (filename `<string>`), through the table."""
        code = self.compile(source, "<string>", "exec") if isinstance(source, str) else source
        builtins.exec(code, globals, locals)

    def install(self) -> None:
        """Shadow `compile` (and `exec`) in the generating modules: they call it by name, looked
        up in their module globals before the builtins, so nothing else sees the change."""
        for names, attribute, function in ((MODULES, "compile", self.compile), (EXEC_MODULES, "exec", self.exec)):
            for name in names:
                try:
                    module = importlib.import_module(name)
                except ImportError:
                    continue
                setattr(module, attribute, function)

    def save(self, minimum_new: int = 1, variants: bool = False) -> None:
        """Write what this process used, if at least `minimum_new` scripts were compiled anew
        (with `variants`, counting the new texts of files the table held too: a start that
        missed many of those follows a change of lsprotocol's classes, and they will be asked
        for again)."""
        if self.new + (self.variants if variants else 0) >= minimum_new:
            save(self.path, {key: self.codes[key] for key in self.used})
            self.new = self.variants = 0


def default_cache() -> CodeCache | None:
    try:
        import attr
    except ImportError:
        return None
    return CodeCache(cache_path(installed_version(attr, "attrs")))


def installed_version(package: Any, distribution: str) -> str:
    """The version of `distribution`, from the name of its `.dist-info` folder beside `package`.
    Not `attr.__version__`: that imports importlib.metadata and reads the metadata file, about 10 ms
    of every server start, for what one directory listing tells."""
    location: str | None = getattr(package, "__file__", None)
    if not location:
        return "unknown"
    prefix = f"{distribution}-"
    with contextlib.suppress(OSError):
        for entry in os.listdir(os.path.dirname(os.path.dirname(location))):
            if entry.startswith(prefix) and entry.endswith(".dist-info"):
                return entry[len(prefix):-len(".dist-info")]
    return "unknown"


def install_for_process() -> CodeCache | None:
    """For a server process: generated code comes from the cache from now on, and the table is
    written when the process exits if anything was compiled anew (and earlier, by the caller,
    when start-up found the cache cold)."""
    cache = default_cache()
    if cache is not None:
        cache.install()
        atexit.register(cache.save)
    return cache
