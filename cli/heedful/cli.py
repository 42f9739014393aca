"""The `heedful` command: one entry point, a subcommand per job.

Each part contributes its subcommands (`check` and `constraints` from the verifiers; the server
and replay add theirs); all of them exit 0 on success, 1 when the code under test fails a
constraint, and 2 on a usage, spec or input error, always with a message, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from heedful.version import __version__


def _add_check(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("check", help="check files against constraints",
                            description="Check source files against a constraint spec (TOML). Without "
                                        "--constraints, the nearest heedful.toml above each file is used.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to check")
    parser.add_argument("--constraints", "-c", metavar="SPEC.toml", help="the constraint spec to apply")
    parser.add_argument("--language", "-l", help="the language of every file (default: from the extension)")
    parser.add_argument("--format", "-f", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--verbose", "-v", action="store_true", help="also list passing and n/a constraints")
    parser.set_defaults(run=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from heedful.verifiers.formats.json_format import render_json
    from heedful.verifiers.formats.sarif import render_sarif
    from heedful.verifiers.formats.text import render_text
    from heedful.verifiers.project import check_paths, exit_code

    results = check_paths(args.paths, args.constraints, args.language)
    if args.format == "json":
        print(render_json(results))
    elif args.format == "sarif":
        print(render_sarif(results))
    else:
        print(render_text(results, verbose=args.verbose))
    return exit_code(results)


def _add_constraints(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("constraints", help="list the constraint types",
                            description="List every constraint type with its parameters.")
    parser.add_argument("--format", "-f", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--category", help="only this category")
    parser.set_defaults(run=_run_constraints)


def _run_constraints(args: argparse.Namespace) -> int:
    from heedful.verifiers.docs import render_reference
    from heedful.verifiers.registry import REGISTRY

    types = [t for t in REGISTRY.all() if args.category in (None, t.category)]
    if args.format == "json":
        print(json.dumps([t.to_json() for t in types], indent=2))
    elif args.format == "markdown":
        print(render_reference(), end="")
    else:
        for ctype in types:
            params = ", ".join(f"{p.name}{'' if p.required else '?'}" for p in ctype.params)
            print(f"{ctype.id:34} {ctype.kind.value:6} {ctype.summary}" + (f"  [{params}]" if params else ""))
        print(f"{len(types)} constraint types")
    return 0


def _add_schema(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("schema", help="print the JSON Schema of heedful.toml",
                            description="Print the JSON Schema of heedful.toml, generated from the constraint "
                                        "registry, for editor completion and validation (docs/code-scanning.md).")
    parser.set_defaults(run=_run_schema)


def _run_schema(args: argparse.Namespace) -> int:
    from heedful.verifiers.schema import render_schema

    print(render_schema(), end="")
    return 0


PART_COMMANDS = ("heedful.server.commands", "heedful.replay.commands", "heedful.study.commands")
# Commands started often enough that their start-up counts, each built with its own part only:
# an editor starts `heedful serve` at every launch, a replay once per server (issue 15), and the
# other parts' commands cost it 0.15 s of CPU (their modules: importers, tools, sweeps, ...).
ONE_PART_COMMANDS = {"serve": "heedful.server.commands"}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `command` one of ONE_PART_COMMANDS, only that command's part
    (the same parser for that command, the others left out)."""
    parser = argparse.ArgumentParser(prog="heedful", description="Does a coding assistant keep to what it was told?")
    parser.add_argument("--version", action="version", version=f"heedful {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_check(sub)
    _add_constraints(sub)
    _add_schema(sub)
    part = ONE_PART_COMMANDS.get(command) if command is not None else None
    for module in (part,) if part is not None else PART_COMMANDS:
        try:
            contributed = __import__(module, fromlist=["add_commands"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        contributed.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from heedful.verifiers.errors import HeedfulError

    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(words[0] if words else None)
    args = parser.parse_args(words)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except HeedfulError as exc:
        print(f"heedful: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file or folder that cannot be created or read (--out, an unwritable dir)
        print(f"heedful: error: {_os_error_text(exc)}", file=sys.stderr)
        return 2


def _os_error_text(exc: OSError) -> str:
    """An OSError as the user needs it: the path and what the system said, never a traceback."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{exc.filename}: {reason}" if exc.filename else reason


if __name__ == "__main__":
    sys.exit(main())
