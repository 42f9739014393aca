"""`heedful study`: summarise study logs; `export`, `rescore` and `to-conversation` (docs/studies.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys

SUBCOMMANDS = ("summary", "export", "rescore", "to-conversation")


def add_commands(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "study", help="developer-study logs: tables, CSV, timelines, export, rescore",
        description="heedful study LOG... summarises study logs (.heedful/study.jsonl) per participant, session and "
                    "condition (bootstrap 95 % CIs), writes CSV (and Parquet with pyarrow) and a timeline PNG per "
                    "session. Also: heedful study export LOG --out FILE, heedful study rescore LOG, heedful study "
                    "to-conversation LOG --out FILE. Definitions: docs/studies.md.")
    parser.add_argument("args", nargs="+", metavar="LOG", help="study logs (or a subcommand, then its arguments)")
    parser.add_argument("--out", "-o", metavar="PATH",
                        help="summary: the folder for the tables and plots (default: study-results); export and "
                             "to-conversation: the file to write")
    parser.add_argument("--study", metavar="ID", help="only the sessions of this study (the logs may hold several)")
    parser.add_argument("--session", metavar="ID", help="to-conversation: the session (default: the only one)")
    parser.add_argument("--constraints", "-c", metavar="SPEC.toml",
                        help="rescore and to-conversation: the spec (default: heedful.toml of the log's workspace)")
    parser.add_argument("--no-plots", action="store_true", help="summary: no timeline PNGs")
    parser.add_argument("--format", "-f", choices=("text", "json"), default="text")
    parser.set_defaults(run=run_study)


def _warn(message: str) -> None:
    print(f"heedful: warning: {message}", file=sys.stderr)


def run_study(args: argparse.Namespace) -> int:
    command, logs = ("summary", args.args) if args.args[0] not in SUBCOMMANDS else (args.args[0], args.args[1:])
    from heedful.verifiers.errors import HeedfulError

    if not logs:
        raise HeedfulError(f"heedful study {command}: give at least one LOG")
    for log in logs:
        if not os.path.isfile(log):
            raise HeedfulError(f"{log}: no such study log")
    if command == "export":
        return _export(logs, args.out)
    from .reader import read_logs

    sessions = read_logs(logs, _warn, args.study)
    if not sessions:
        raise HeedfulError(f"{', '.join(logs)}: no session with any record")
    if command == "rescore":
        return _rescore(sessions, args)
    if command == "to-conversation":
        return _to_conversation(sessions, args)
    return _summary(sessions, args)


def _summary(sessions: list, args: argparse.Namespace) -> int:
    from .metrics import measure
    from .summary import by_condition, render_text
    from .tables import write_tables
    from .timeline import plot_timeline

    measures = [measure(s) for s in sessions]
    conditions = by_condition(measures)
    out = args.out or "study-results"
    written = write_tables(out, sessions, measures, conditions)
    if not args.no_plots:
        for index, (session, measured) in enumerate(zip(sessions, measures, strict=True)):
            written.append(plot_timeline(session, measured, os.path.join(out, "timelines"), index + 1))
    if args.format == "json":
        print(json.dumps({"sessions": [m.row() for m in measures], "conditions": [c.row() for c in conditions],
                          "files": written}, indent=2, default=str))
    else:
        print(render_text(measures, conditions), end="")
        print(f"\nwrote {len(written)} files to {out}/ (sessions.csv, conditions.csv, episodes.csv, edits.csv"
              + (", .parquet" if any(p.endswith(".parquet") for p in written) else "; Parquet: pip install "
                 "'heedful[study]'") + (", timelines/*.png)" if not args.no_plots else ")"))
    return 0


def _export(logs: list[str], out: str | None) -> int:
    from heedful.verifiers.errors import HeedfulError

    from .export import export_log

    if not out or len(logs) != 1:
        raise HeedfulError("heedful study export LOG --out FILE: one log and the file to write")
    if os.path.abspath(out) == os.path.abspath(logs[0]):
        raise HeedfulError(f"{out}: export writes a new file, not over the log")
    written, stripped = export_log(logs[0], out)
    print(f"{out}: {written} records, {stripped} fields hashed or removed (what the consent did not allow)")
    return 0


def _spec(args: argparse.Namespace, log: str, required: bool):
    from heedful.verifiers.errors import HeedfulError
    from heedful.verifiers.spec import load_spec_document

    path = args.constraints or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(log))), "heedful.toml")
    if not os.path.isfile(path):
        if required:
            raise HeedfulError(f"{path}: no constraint spec there: pass --constraints SPEC.toml")
        return None, None
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return load_spec_document(path, text), text


def _rescore(sessions: list, args: argparse.Namespace) -> int:
    from .rescore import rescore

    changed = total = 0
    for session in sessions:
        spec, _ = _spec(args, session.info.file, required=True)
        for judged in rescore(session, spec):
            total += 1
            changed += judged.changed
            if args.format == "json":
                print(json.dumps(judged.to_json()))
            elif judged.changed:
                print(f"{session.info.label} {judged.uri} v{judged.version} ({judged.origin}): then "
                      f"{', '.join(judged.then) or 'none'}; now {', '.join(judged.now) or 'none'}")
    if args.format == "text":
        print(f"{total} recorded texts re-judged, {changed} judged differently now")
    return 0


def _to_conversation(sessions: list, args: argparse.Namespace) -> int:
    from heedful.verifiers.errors import HeedfulError

    from .conversation import to_conversation

    chosen = [s for s in sessions if args.session in (None, s.info.session)]
    if len(chosen) != 1:
        raise HeedfulError(f"{len(chosen)} sessions match: pass --session ID (one of "
                           f"{', '.join(str(s.info.session) for s in sessions)})")
    spec, text = _spec(args, chosen[0].info.file, required=False)
    conversation = json.dumps(to_conversation(chosen[0], spec, text), ensure_ascii=False, default=str)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(conversation + "\n")
        print(f"{args.out}: 1 conversation ({chosen[0].info.label})")
    else:
        print(conversation)
    return 0
