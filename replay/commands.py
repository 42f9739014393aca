"""`heedful replay`, `heedful report`, `heedful rescore`, `heedful agree`: the replay engine's commands."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..verifiers.errors import HeedfulError
from .assistants import Assistant, RecordedAssistant, ReferenceAssistant

ASSISTANTS = ("reference", "recorded", "openai", "command")


def add_commands(sub: argparse._SubParsersAction) -> None:
    _add_import(sub)
    _add_replay(sub)
    _add_report(sub)
    _add_rescore(sub)
    _add_agree(sub)


def _add_replay(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "replay", help="replay conversations through an assistant and the server",
        description="Feed each conversation of DATASET to an assistant, apply its answers as an editor would "
                    "(LSP to `heedful serve`), and log the server's verdicts in RUN_DIR. Re-running the same "
                    "command resumes; `heedful report RUN_DIR` shows the metrics.")
    parser.add_argument("dataset", metavar="DATASET",
                        help="a heedful.conversation/1 JSONL file, or a benchmark file (see --format)")
    parser.add_argument("--format", dest="dataset_format", choices=("heedful", "codeif", "multicodeif", "ifcodebench"),
                        help="the dataset's format (default: detected)")
    parser.add_argument("--out", "-o", required=True, metavar="RUN_DIR", help="the run directory (log, report, plots)")
    parser.add_argument("--assistant", "-a", choices=ASSISTANTS, default="reference")
    parser.add_argument("--mode", choices=("static", "dynamic"), default="static",
                        help="static: fixed order, growing chat; dynamic: feedback rounds from the diagnostics")
    parser.add_argument("--concurrency", "-j", type=int, default=1, metavar="N",
                        help="conversations in parallel, each with its own workspace and server (default 1)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="only these conversations")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N conversations")
    parser.add_argument("--cache", nargs="?", const="", metavar="DIR",
                        help="reuse answers to identical requests (default DIR: RUN_DIR/cache)")
    parser.add_argument("--no-report", action="store_true", help="do not print the report at the end")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    recorded = parser.add_argument_group("recorded assistant")
    recorded.add_argument("--answers", metavar="FILE", help="recorded answers (JSONL) or a previous run's log.jsonl")
    openai = parser.add_argument_group("openai assistant (any OpenAI-compatible endpoint)")
    openai.add_argument("--model", help="the model name the endpoint knows")
    openai.add_argument("--base-url", default=None, help="e.g. http://127.0.0.1:8000/v1 (default: OpenAI)")
    openai.add_argument("--api-key-env", default="OPENAI_API_KEY", metavar="VAR",
                        help="the environment variable holding the key (default OPENAI_API_KEY)")
    openai.add_argument("--temperature", type=float, default=0.0)
    openai.add_argument("--seed", type=int)
    openai.add_argument("--max-tokens", type=int)
    openai.add_argument("--retries", type=int, default=5, help="retries on 429/5xx/timeouts (default 5)")
    tool = parser.add_argument_group("command assistant (a copilot-style command-line tool)")
    tool.add_argument("--command", dest="tool_command", metavar="CMD",
                      help="the tool's command line; {instruction}, {instruction_file}, {workspace}, {turn}, "
                           "{conversation} are replaced")
    tool.add_argument("--settle-ms", type=int, default=500, help="quiet time that ends an edit (default 500)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per request (openai, default 120) or per tool run (command, default 300)")
    judge = parser.add_argument_group("LLM judge (opt-in: the turns' `judge` questions; docs/judge.md)")
    judge.add_argument("--judge-model", metavar="M",
                       help="ask the turns' judge questions of this model (without it they are recorded as skipped)")
    judge.add_argument("--judge-base-url", metavar="URL", default=None,
                       help="the judge's OpenAI-compatible endpoint (default: OpenAI)")
    judge.add_argument("--judge-api-key-env", metavar="VAR", default="OPENAI_API_KEY",
                       help="the environment variable holding the judge's key (default OPENAI_API_KEY)")
    parser.set_defaults(run=run_replay)


def make_assistant(args: argparse.Namespace) -> Assistant:
    kind = args.assistant
    if kind == "reference":
        return ReferenceAssistant()
    if kind == "recorded":
        if not args.answers:
            raise HeedfulError("--assistant recorded needs --answers FILE (recorded answers or a run's log.jsonl)")
        return RecordedAssistant(args.answers)
    if kind == "openai":
        from .openai_assistant import OpenAIAssistant

        if not args.model:
            raise HeedfulError("--assistant openai needs --model NAME (and --base-url for a non-OpenAI endpoint)")
        options: dict[str, Any] = {"model": args.model, "api_key_env": args.api_key_env,
                                   "temperature": args.temperature, "seed": args.seed,
                                   "max_tokens": args.max_tokens, "retries": args.retries}
        if args.base_url:
            options["base_url"] = args.base_url
        if args.timeout is not None:
            options["timeout"] = args.timeout
        return OpenAIAssistant(**options)
    if kind == "command":
        from .command_assistant import CommandAssistant

        if not args.tool_command:
            raise HeedfulError("--assistant command needs --command 'TOOL ARGS {instruction}'")
        options = {"settle_ms": args.settle_ms}
        if args.timeout is not None:
            options["timeout"] = args.timeout
        return CommandAssistant(args.tool_command, **options)
    raise HeedfulError(f"unknown assistant {kind!r}")


def make_judge(args: argparse.Namespace) -> Any:
    """The LLM judge of --judge-model (None without it: judge questions are recorded as skipped)."""
    if not getattr(args, "judge_model", None):
        if getattr(args, "judge_base_url", None):
            raise HeedfulError("--judge-base-url needs --judge-model NAME (the judge is opt-in)")
        return None
    from .judge import LLMJudge

    options: dict[str, Any] = {"model": args.judge_model, "api_key_env": args.judge_api_key_env}
    if args.judge_base_url:
        options["base_url"] = args.judge_base_url
    return LLMJudge(**options)


def run_replay(args: argparse.Namespace) -> int:
    from .engine import ReplayEngine, ReplaySettings

    assistant = make_assistant(args)
    judge = make_judge(args)
    cache_dir = None
    if args.cache is not None:
        cache_dir = args.cache or os.path.join(args.out, "cache")
    settings = ReplaySettings(mode=args.mode, concurrency=args.concurrency, cache_dir=cache_dir,
                              only=args.only, limit=args.limit, progress=not args.quiet,
                              dataset_format=args.dataset_format, judge=judge)
    return _run_and_report(ReplayEngine(args.dataset, assistant, args.out, settings, warn=_warn), args.out, args.no_report)


def _warn(message: str) -> None:
    print(f"heedful: {message}", file=sys.stderr)


def _run_and_report(engine: Any, run_dir: str, no_report: bool) -> int:
    try:
        outcome = engine.run()
    except KeyboardInterrupt:
        print(f"heedful: interrupted; finished rounds are in {os.path.join(run_dir, 'log.jsonl')}: re-run the same "
              "command to resume", file=sys.stderr)
        raise
    print(f"heedful: {outcome.conversations} conversation(s): {outcome.skipped_done} already done, "
          f"{outcome.rounds} round(s) played now; log: {os.path.join(run_dir, 'log.jsonl')}", file=sys.stderr)
    for conversation, error in outcome.failed:
        print(f"heedful: conversation {conversation!r} stopped: {error}", file=sys.stderr)
    if outcome.failed:
        print(f"heedful: {len(outcome.failed)} conversation(s) did not finish; re-run the same command to retry "
              "them (finished rounds are kept)", file=sys.stderr)
    if not no_report and outcome.rounds + outcome.skipped_done > 0:
        from .report import report_main

        report_main(run_dir, "text")
    return 1 if outcome.failed else 0


def _add_import(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("import", help="convert a benchmark's file to heedful conversations",
                            description="Convert a published benchmark's file (CodeIF-Bench, MultiCodeIF, IFCodeBench) "
                                        "to heedful.conversation/1 JSONL. `heedful replay` also reads these files "
                                        "directly; importing lets you inspect or edit the conversations first.")
    parser.add_argument("format", choices=("codeif", "multicodeif", "ifcodebench"), metavar="FORMAT",
                        help="codeif | multicodeif | ifcodebench")
    parser.add_argument("path", metavar="PATH", help="the benchmark's file")
    parser.add_argument("--out", "-o", required=True, metavar="FILE", help="the JSONL file to write")
    parser.set_defaults(run=run_import)


def run_import(args: argparse.Namespace) -> int:
    import json

    from .conversation import ConversationError, parse_conversation
    from .importers import convert

    if not os.path.exists(args.path):
        raise HeedfulError(f"{args.path}: no such file")
    result = convert(args.path, args.format)
    written = 0
    problems = [f"{args.path}:{line}: {message}" for line, message in result.errors]
    with open(args.out, "w", encoding="utf-8") as handle:
        for line, data in result.conversations:
            try:
                parse_conversation(data, args.path, line)  # what replay will accept, checked now
            except ConversationError as exc:
                problems.append(str(exc))
                continue
            handle.write(json.dumps(data, ensure_ascii=False) + "\n")
            written += 1
    for problem in problems:
        print(f"heedful: not imported: {problem}", file=sys.stderr)
    for note in result.notes:
        print(f"heedful: {note}", file=sys.stderr)
    print(f"heedful: wrote {written} conversation(s) to {args.out}"
          + (f"; {len(problems)} record(s) not imported" if problems else ""), file=sys.stderr)
    return 0 if written else 2


def _add_report(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="print a run's metrics and write plots and transcripts",
                            description="Print the per-turn and per-category tables of a run (IA, CA, IFR, IFE, "
                                        "boundary metrics) and write RUN_DIR/report.md, plots/*.png and "
                                        "transcripts/.")
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--format", "-f", choices=("text", "markdown"), default="text")
    parser.set_defaults(run=lambda args: _report(args.run_dir, args.format))


def _report(run_dir: str, fmt: str) -> int:
    from .report import report_main

    return report_main(run_dir, fmt)


def _add_rescore(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rescore", help="re-judge a finished run with the current verifiers",
                            description="Replay a run's recorded answers through the current server and verifiers, "
                                        "without calling the assistant, into a new run directory.")
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--out", "-o", metavar="NEW_RUN_DIR", help="default: RUN_DIR/rescored")
    parser.add_argument("--dataset", help="the dataset, if it moved since the run (default: the path in the header)")
    parser.add_argument("--concurrency", "-j", type=int, default=1, metavar="N")
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--quiet", "-q", action="store_true")
    parser.set_defaults(run=run_rescore)


def run_rescore(args: argparse.Namespace) -> int:
    from .engine import ReplayEngine, ReplaySettings
    from .runlog import log_path, read_log

    log = read_log(args.run_dir)
    header = log.header or {}
    dataset = args.dataset or (header.get("dataset") or {}).get("path")
    if not dataset or not os.path.exists(dataset):
        raise HeedfulError(f"{args.run_dir}: the run's dataset {dataset!r} is not there; pass --dataset PATH")
    out = args.out or os.path.join(args.run_dir, "rescored")
    played = sorted({r["conversation"] for r in log.records if r.get("conversation")})
    if not played:
        raise HeedfulError(f"{args.run_dir}: the run has no conversation to rescore yet")
    settings = ReplaySettings(mode=header.get("mode", "static"), concurrency=args.concurrency, only=played,
                              dataset_format=(header.get("dataset") or {}).get("format"),
                              debounce_ms=(header.get("settings") or {}).get("debounce_ms", 0),
                              progress=not args.quiet)
    assistant = RecordedAssistant(log_path(args.run_dir))
    return _run_and_report(ReplayEngine(dataset, assistant, out, settings, warn=_warn), out, args.no_report)


def _add_agree(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("agree", help="compare heedful's static verdicts with the tests (and the LLM judge)",
                            description="For every instruction of a run judged by two sides (heedful's constraints, "
                                        "the benchmark's tests, the LLM judge), the agreement rate per category, the "
                                        "confusion counts and the disagreeing examples; also writes "
                                        "RUN_DIR/agreement.md. Definitions: replay/agreement.py.")
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--format", "-f", choices=("text", "markdown"), default="text")
    parser.add_argument("--limit", type=int, default=20, metavar="N",
                        help="disagreements listed per comparison and category; the rest are counted (default 20)")
    parser.set_defaults(run=run_agree)


def run_agree(args: argparse.Namespace) -> int:
    from .agreement import agree_main

    return agree_main(args.run_dir, args.format, args.limit)
