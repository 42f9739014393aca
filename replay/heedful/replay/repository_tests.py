"""Repository-level tests: CodeIF-Bench's DevEval tasks run against a DevEval checkout
(`heedful replay --context-root DIR`).

A DevEval task (CodeIF-Bench L_1_part_2, L_2, L_3) asks for one function of a real project; its
tests are pytest tests of that project. The authors' harness
(`dynamic_conversation/multi_turn_repo_eval.py`, `SetUp_evaluation` / `execution_tests`):

1. dedents the completion and indents it to the task's `indent`
   (`textwrap.indent(textwrap.dedent(code), " " * indent)`),
2. puts it in place of lines `signature_position[0]` .. `body_position[1]` (1-based, inclusive)
   of `completion_path` (`lines[:sos] + ["\\n", completion, "\\n"] + lines[eos:]`),
3. runs `python setup.py pytest --addopts NODE` in `project_path` for each test node, a test
   passing when the command exits 0 (60 s limit, 5 GiB of memory), and puts the file back.

heedful does the same on a copy of the project inside its sandbox (replay/heedful/replay/sandbox.py:
the code under test is the model's), so the checkout is never modified and several
conversations can run at once. What a test runs:

- `node` mode (`--protocol codeif-bench`): the requirement's DevEval node id when the checkout's
  test file defines it, as the authors ran it. CodeIF-Bench's requirement tests were added to the
  authors' own DevEval copy, which is not published; a stock DevEval checkout lacks them, so a
  node the checkout does not define gets the requirement's `unit_test` code added to its test
  file (in its class, for `file::Class::test`) and the added test runs (`injected` in the result).
- `snippet` mode (heedful's protocol): always the requirement's `unit_test` code, added to the
  node's test file as above: the test the dataset shows is the test that decides, whatever copy
  of DevEval is given. A base test (the repository's own, whose code the dataset also carries)
  runs the same way.

The command: `python -m pytest -q -p no:cacheprovider NODE` (heedful), or the authors'
`python setup.py pytest --addopts NODE` (`--protocol codeif-bench`; it needs the project's
`setup.py` and pytest-runner, as in DevEval's environment). The interpreter is
`--context-python PATH` (DevEval's environment, with the projects' dependencies), else heedful's.
Everything about it goes into the run header (`repository`), so a verdict can be reproduced.

A task whose project is not in the checkout, or whose positions are missing, gets its tests
`skipped` with the reason (the run goes on; the report counts skipped tests apart).
"""

from __future__ import annotations

import ast
import io
import os
import textwrap
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heedful.verifiers.errors import HeedfulError

from .conversation import Conversation, TestCase

MODES = ("snippet", "node")
HEEDFUL_COMMAND = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "{node}")
AUTHORS_COMMAND = ("setup.py", "pytest", "--addopts", "{node}")  # CodeIF-Bench's execution_tests
# what each protocol runs (replay/heedful/replay/protocols/); others: heedful's
PROTOCOL_RULES: dict[str, tuple[str, tuple[str, ...]]] = {"codeif-bench": ("node", AUTHORS_COMMAND)}
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv", "venv", "node_modules",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs"})
MAX_PROJECT_BYTES = 256 * 1024 * 1024  # a project copied into each test's sandbox; larger is refused


class RepositoryError(HeedfulError):
    """A repository test cannot be set up (the checkout, the task or the test does not fit)."""


@dataclass(frozen=True)
class RepositoryContext:
    """Where the DevEval projects are and how their tests run."""

    root: str  # DevEval's Source_Code directory: a task's project is root/<project_path>
    python: str | None = None  # the interpreter with the projects' dependencies (None: heedful's)
    mode: str = "snippet"
    command: tuple[str, ...] = HEEDFUL_COMMAND
    _projects: dict[str, dict[str, str | bytes]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise RepositoryError(f"repository test mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if "{node}" not in self.command:
            raise RepositoryError("a repository test command must have a {node} argument")

    @classmethod
    def for_protocol(cls, root: str, python: str | None, protocol: str) -> RepositoryContext:
        """The context for `--context-root root` under `protocol`; the root must be a directory."""
        if not os.path.isdir(root):
            raise RepositoryError(f"--context-root {root}: not a directory (expected DevEval's Source_Code, "
                                  "holding one folder per project, e.g. Utilities/boltons)")
        if python is not None and not os.access(python, os.X_OK):
            raise RepositoryError(f"--context-python {python}: not an executable interpreter")
        mode, command = PROTOCOL_RULES.get(protocol, ("snippet", HEEDFUL_COMMAND))
        return cls(os.path.abspath(root), python, mode, command)

    def identity(self) -> dict[str, Any]:
        """The run header's `repository` record."""
        return {"root": self.root, "python": self.python, "mode": self.mode, "command": list(self.command)}

    def project_files(self, project_path: str) -> dict[str, str | bytes]:
        """The project's files (relative paths), read once per run; VCS and cache folders left out."""
        if project_path not in self._projects:
            self._projects[project_path] = read_project(os.path.join(self.root, project_path))
        return self._projects[project_path]


@dataclass(frozen=True)
class RepositoryTask:
    """Where a DevEval task's function goes in its project."""

    project_path: str  # relative to the root, e.g. Utilities/boltons
    file: str  # the function's file, relative to the project, e.g. boltons/socketutils.py
    workspace_file: str  # the conversation's file holding the function
    start: int  # 0-based first line replaced (signature_position[0] - 1)
    end: int  # 0-based line after the last one replaced (body_position[1])
    indent: int

    @classmethod
    def of(cls, conversation: Conversation) -> RepositoryTask:
        meta = conversation.metadata
        repository = meta.get("requires_repository")
        project = meta.get("project_path")
        completion = meta.get("completion_path")
        signature, body, indent = meta.get("signature_position"), meta.get("body_position"), meta.get("indent")
        if not isinstance(project, str) or not isinstance(completion, str):
            raise RepositoryError("the task names no project_path and completion_path")
        if (not isinstance(signature, list) or not isinstance(body, list) or not (_positions(signature)
                                                                              and _positions(body))
                or not isinstance(indent, int) or indent < 0):
            raise RepositoryError("the task has no signature_position, body_position and indent")
        relative = os.path.relpath(os.path.normpath(completion), os.path.normpath(project))
        if relative.startswith(".."):
            raise RepositoryError(f"completion_path {completion} is not inside project_path {project}")
        workspace = repository.get("file") if isinstance(repository, dict) else None
        if not isinstance(workspace, str):
            workspace = next(iter(conversation.files), relative)
        return cls(project, relative, workspace, signature[0] - 1, body[1], indent)


def _positions(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value))


def read_project(directory: str) -> dict[str, str | bytes]:
    """Every file under `directory` (text as str, the rest as bytes), VCS and cache folders and
    compiled files left out; refused when it would not fit a sandbox."""
    if not os.path.isdir(directory):
        raise RepositoryError(f"the context root has no project {directory}")
    files: dict[str, str | bytes] = {}
    total = 0
    for top, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(top, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            data = Path(path).read_bytes()
            total += len(data)
            if total > MAX_PROJECT_BYTES:
                raise RepositoryError(f"{directory}: more than {MAX_PROJECT_BYTES >> 20} MiB of files; too large "
                                      "to copy into a sandbox per test")
            relative = os.path.relpath(path, directory)
            try:
                files[relative] = data.decode("utf-8")
            except UnicodeDecodeError:
                files[relative] = data
    return files


# -- the authors' set-up, as pure functions ---------------------------------------------------

def lines_of(text: str) -> list[str]:
    """Lines as `file.readlines()` gives them (split at "\\n" only, ends kept)."""
    return io.StringIO(text).readlines()


def splice(original: str, completion: str, task: RepositoryTask) -> str:
    """`original` with the task's lines replaced by `completion`, re-indented, as upstream's
    `SetUp_evaluation` writes it."""
    block = textwrap.indent(textwrap.dedent(completion), " " * task.indent)
    lines = lines_of(original)
    return "".join(lines[:task.start] + ["\n", block, "\n"] + lines[task.end:])


def defined_name(snippet: str) -> str:
    """The test function a snippet defines (its first top-level `def`)."""
    try:
        tree = ast.parse(textwrap.dedent(snippet))
    except SyntaxError as exc:
        raise RepositoryError(f"the test's code does not parse: {exc.msg} (line {exc.lineno})") from None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node.name
    raise RepositoryError("the test's code defines no test function")


def split_node(node: str) -> tuple[str, list[str], str]:
    """`tests/test_x.py::Class::test_y` as (file, [Class], test_y)."""
    parts = node.split("::")
    if len(parts) < 2 or not parts[0].endswith(".py") or not all(parts):
        raise RepositoryError(f"test node {node!r} is not path.py::[Class::]test")
    return parts[0], parts[1:-1], parts[-1].split("[")[0]


def defines(test_source: str, classes: Sequence[str], name: str) -> bool:
    """Whether the test file defines test `name` (in the class chain `classes`, or anywhere in
    the file for an inherited test method)."""
    try:
        tree = ast.parse(test_source)
    except SyntaxError:
        return False
    scope = _class_chain(tree, classes)
    if classes and scope is None:
        return False
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name for n in ast.walk(tree))


def inject(test_source: str, node: str, snippet: str) -> tuple[str, str]:
    """The test file with `snippet` added where `node` points (at the end of its class, or of the
    module), and the node id that runs the added test. A test of the same name defined before is
    overridden by the added one, as Python's later definition wins."""
    path, classes, _ = split_node(node)
    name = defined_name(snippet)
    code = textwrap.dedent(snippet).rstrip("\n") + "\n"
    lines = lines_of(test_source)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if not classes:
        return "".join(lines + ["\n\n", code]), "::".join([path, name])
    try:
        tree = ast.parse(test_source)
    except SyntaxError as exc:
        raise RepositoryError(f"{path} does not parse ({exc.msg}, line {exc.lineno})") from None
    scope = _class_chain(tree, classes)
    if scope is None:
        raise RepositoryError(f"{path} defines no class {'.'.join(classes)} for test node {node}")
    first = scope.body[0]
    indent = len(lines[first.lineno - 1]) - len(lines[first.lineno - 1].lstrip())
    end = scope.end_lineno or len(lines)
    block = indent_code(code, lines[first.lineno - 1][:indent])
    return "".join(lines[:end] + ["\n", block] + lines[end:]), "::".join([path, *classes, name])


def indent_code(code: str, prefix: str) -> str:
    """`code` indented by `prefix`, except the lines that continue a multi-line string (indenting
    those would change the string)."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    return "".join(line if number in inside or not line.strip() else prefix + line
                   for number, line in enumerate(lines_of(code), 1))


def _class_chain(tree: ast.Module, classes: Sequence[str]) -> ast.ClassDef | None:
    body: list[ast.stmt] = tree.body
    found: ast.ClassDef | None = None
    for name in classes:
        found = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == name), None)
        if found is None:
            return None
        body = found.body
    return found


@dataclass(frozen=True)
class PreparedTest:
    """One repository test ready for the sandbox: the files that differ from the checkout's,
    the node to run, and whether its code was added."""

    changed: Mapping[str, str]
    node: str
    injected: bool


def prepare(context: RepositoryContext, task: RepositoryTask, files: Mapping[str, str | bytes],
            completion: str, test: TestCase) -> PreparedTest:
    """The checkout's files a test changes: the function's file with the completion spliced in,
    and (when the test's code must be added) its test file."""
    original = files.get(task.file)
    if not isinstance(original, str):
        raise RepositoryError(f"the project has no text file {task.file} (the task's completion_path)")
    changed = {task.file: splice(original, completion, task)}
    if test.node is None:
        raise RepositoryError("the test names no pytest node of the repository")
    path, classes, name = split_node(test.node)
    source = files.get(path)
    source = source if isinstance(source, str) else None
    use_node = not test.code.strip() or (context.mode == "node" and source is not None
                                          and defines(source, classes, name))
    if use_node:
        if source is None:
            raise RepositoryError(f"the project has no test file {path} (test node {test.node})")
        return PreparedTest(changed, test.node, False)
    if source is None and classes:
        raise RepositoryError(f"the project has no test file {path} for test node {test.node}")
    text, node = inject(source or "", test.node, test.code)
    changed[path] = text
    return PreparedTest(changed, node, True)


RUNNER = '''\
import subprocess, sys
argv = [sys.executable, *{command!r}]
done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
sys.stdout.write(done.stdout)
if done.returncode != 0:
    lines = [l for l in done.stdout.splitlines() if l.startswith(("FAILED ", "ERROR ")) or l.startswith("E   ")]
    detail = "; ".join(lines[:4]) or (done.stdout.strip().splitlines() or ["no output"])[-1]
    message = {shown!r} + " exited with code %d: %s" % (done.returncode, detail[:600])
    raise AssertionError(message)
'''


def runner_code(command: Sequence[str], node: str) -> str:
    """The sandboxed script that runs one test node with the context's command."""
    argv = [node if part == "{node}" else part for part in command]
    return RUNNER.format(command=argv, shown="python " + " ".join(argv))


def run_tests(context: RepositoryContext, conversation: Conversation, program: str,
              tests: Sequence[TestCase], limits: Any = None) -> list[dict[str, Any]]:
    """Each test on the project with `program` (the task's function file) spliced in, one
    sandbox each; a test that cannot be set up is `skipped` with the reason."""
    from .sandbox import Limits, run_python

    limits = limits or Limits(cpu_seconds=60, wall_seconds=60, memory_mb=8192, processes=128, file_size_mb=64,
                              disk_mb=512, open_files=1024)
    try:
        task = RepositoryTask.of(conversation)
        files = context.project_files(task.project_path)
    except RepositoryError as exc:
        return [{"name": t.name, "status": "skipped", "reason": str(exc)} for t in tests]
    results: list[dict[str, Any]] = []
    for test in tests:
        try:
            prepared = prepare(context, task, files, program, test)
        except RepositoryError as exc:
            results.append({"name": test.name, "status": "skipped", "reason": str(exc),
                            **({"node": test.node} if test.node else {})})
            continue
        sandbox_files = {**files, **prepared.changed}
        result = run_python("", runner_code(context.command, prepared.node), limits, sandbox_files,
                            python=context.python)
        results.append({"name": test.name, "status": result.status, "reason": result.reason,
                        "seconds": round(result.seconds, 3), "output": result.stdout + result.stderr,
                        "isolation": result.isolation, "node": prepared.node, "injected": prepared.injected})
    return results
