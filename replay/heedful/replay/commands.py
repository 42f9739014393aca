"""`heedful replay`, `heedful report`, `heedful rescore`, `heedful agree`: the replay engine's commands."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from heedful.verifiers.errors import HeedfulError

from .assistants import RecordedAssistant, make_assistant
from .assistants.registry import ASSISTANTS, add_assistant_options, describe_choices


class ChoicesHelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, keeping the line breaks of a help text (one line per registered choice)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        lines: list[str] = []
        for paragraph in text.splitlines():
            lines.extend(super()._split_lines(paragraph, width))
        return lines


def add_commands(sub: argparse._SubParsersAction) -> None:
    _add_import(sub)
    _add_replay(sub)
    _add_report(sub)
    _add_rescore(sub)
    _add_agree(sub)
    from .compare import add_command as add_compare
    from .sweep import add_command as add_sweep

    add_sweep(sub)
    add_compare(sub)
    from .viewer.command import add_command as add_view

    add_view(sub)


def _add_replay(sub: argparse._SubParsersAction) -> None:
    from .importers import DATASET_FORMATS, describe_formats

    parser = sub.add_parser(
        "replay", help="replay conversations through an assistant and the server", formatter_class=ChoicesHelpFormatter,
        description="Feed each conversation of DATASET to an assistant, apply its answers as an editor would "
                    "(LSP to `heedful serve`), and log the server's verdicts in RUN_DIR. Re-running the same "
                    "command resumes; `heedful report RUN_DIR` shows the metrics.")
    parser.add_argument("dataset", metavar="DATASET",
                        help="a heedful.conversation/1 JSONL file, or a benchmark file (see --format)")
    parser.add_argument("--format", dest="dataset_format", choices=DATASET_FORMATS.names(), metavar="FORMAT",
                        help="the dataset's format (default: detected):\n" + describe_formats())
    parser.add_argument("--out", "-o", required=True, metavar="RUN_DIR", help="the run directory (log, report, plots)")
    parser.add_argument("--assistant", "-a", choices=ASSISTANTS.names(), default="reference", metavar="KIND",
                        help="who answers (default reference):\n" + describe_choices())
    parser.add_argument("--mode", choices=("static", "dynamic"), default="static",
                        help="static: fixed order, growing chat; dynamic: feedback rounds from the diagnostics")
    parser.add_argument("--protocol", choices=_protocol_names(), default="heedful",
                        help="prompts, answer extraction, test preprocessing and composition: heedful's own "
                             "(default) or a benchmark's authors' (codeif-bench, multicodeif, ifcodebench); "
                             "recorded in the run header (docs/replay.md, Protocols)")
    parser.add_argument("--system-prompt", metavar="FILE|none", default=None,
                        help="another system prompt (a text file) or `none`, over the protocol's; recorded in the "
                             "protocol identity (docs/replay.md, Protocols)")
    parser.add_argument("--instruction-template", metavar="TEXT", default=None,
                        help="another wording of each instruction, with {instruction} (and {turn}), e.g. "
                             "'Change request {turn}: {instruction}'")
    parser.add_argument("--turns", choices=("each", "single"), default=None,
                        help="each: an instruction per round (default); single: the benchmark's single-turn "
                             "setting, one message with every instruction, judged per instruction (ifcodebench)")
    parser.add_argument("--evaluator", metavar="PATH",
                        help="the benchmark authors' evaluator that --protocol ifcodebench or multicodeif scores with "
                             "(ifcodebench/utils.py, default $HEEDFUL_IFCODEBENCH_VALIDATOR, run only in the sandbox; "
                             "MultiCodeIF's evaluation/ folder, default $HEEDFUL_MULTICODEIF_EVALUATION); its sha256 "
                             "recorded in the run header (docs/protocols.md)")
    parser.add_argument("--evaluator-python", metavar="PATH",
                        help="the Python of the authors' environment that runs MultiCodeIF's checkers (default: "
                             ".venv-multicodeif, created by benchmarks/multicodeif_env.sh when missing)")
    parser.add_argument("--context-root", metavar="DIR",
                        help="DevEval's Source_Code checkout: CodeIF-Bench's repository-level tasks run their pytest "
                             "tests in a sandboxed copy of their project (without it those tests are skipped; "
                             "docs/replay.md, Repository-level tasks)")
    parser.add_argument("--context-python", metavar="PATH",
                        help="the interpreter with the DevEval projects' dependencies (default: heedful's)")
    parser.add_argument("--concurrency", "-j", type=int, default=1, metavar="N",
                        help="conversations in parallel, each with its own workspace and server (default 1)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="only these conversations")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N conversations")
    parser.add_argument("--cache", nargs="?", const="", metavar="DIR",
                        help="reuse answers to identical requests (default DIR: RUN_DIR/cache)")
    parser.add_argument("--no-report", action="store_true", help="do not print the report at the end")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--wait", action="store_true",
                        help="if another run is playing RUN_DIR, wait for it to finish (default: refuse at once)")
    parser.add_argument("--honour-assistant-suppressions", action="store_true",
                        help="let `heedful: disable...` comments that the assistant writes silence violations "
                             "(default: they silence nothing and are reported as integrity findings)")
    parser.add_argument("--max-consecutive-errors", type=int, default=3, metavar="N",
                        help="stop after N conversation errors in a row (a dead endpoint, a wrong model); "
                             "0: never (default 3)")
    parser.add_argument("--skip-bad-lines", action="store_true",
                        help="malformed dataset lines do not make the exit status non-zero (they are still "
                             "counted, logged and listed in the report)")
    parser.add_argument("--no-probe", dest="probe", action="store_false",
                        help="do not ask the endpoint (GET /models) before the first conversation")
    add_assistant_options(parser)  # each kind's own (replay/heedful/replay/assistants/)
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
                              dataset_format=args.dataset_format, judge=judge, wait_for_lock=args.wait,
                              protocol=args.protocol, turns=args.turns, evaluator=args.evaluator,
                              evaluator_python=args.evaluator_python, prompts=_prompt_options(args),
                              honour_assistant_suppressions=args.honour_assistant_suppressions,
                              max_consecutive_errors=args.max_consecutive_errors, skip_bad_lines=args.skip_bad_lines,
                              probe=args.probe, context_root=args.context_root, context_python=args.context_python)
    if args.context_python is not None and args.context_root is None:
        raise HeedfulError("--context-python needs --context-root DIR (the DevEval checkout its tests run in)")
    if args.max_consecutive_errors < 0:
        raise HeedfulError(f"--max-consecutive-errors must be 0 or more, got {args.max_consecutive_errors}")
    return _run_and_report(ReplayEngine(args.dataset, assistant, args.out, settings, warn=_warn), args.out, args.no_report,
                           skip_bad_lines=args.skip_bad_lines)


def _prompt_options(args: argparse.Namespace) -> Any:
    """--system-prompt and --instruction-template as PromptOptions (None when neither is given)."""
    from .prompt_variants import PromptOptions, read_system_prompt

    options = PromptOptions(read_system_prompt(args.system_prompt), args.instruction_template)
    return None if options.is_default() else options


def _warn(message: str) -> None:
    print(f"heedful: {message}", file=sys.stderr)


def _run_and_report(engine: Any, run_dir: str, no_report: bool, skip_bad_lines: bool = True) -> int:
    try:
        outcome = engine.run()
    except KeyboardInterrupt as interrupted:
        signum = getattr(interrupted, "signum", None)
        print(f"heedful: interrupted{f' by signal {signum}' if signum else ''}; the tools were stopped and finished "
              f"rounds are in {os.path.join(run_dir, 'log.jsonl')}: re-run the same command to resume", file=sys.stderr)
        if signum:
            return 128 + int(signum)
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
    stopped = getattr(outcome, "stopped", None)
    if stopped:
        print(f"heedful: {stopped}; fix the cause and re-run the same command to resume", file=sys.stderr)
        return 1
    bad = getattr(outcome, "dataset_errors", None) or []
    if bad and not skip_bad_lines:
        print(f"heedful: {len(bad)} malformed dataset line(s) were not played (listed above, in the log and the "
              "report); exit status 1 (--skip-bad-lines accepts them)", file=sys.stderr)
        return 1
    if outcome.rounds and getattr(outcome, "failed_rounds", 0) == outcome.rounds:
        print(f"heedful: every round played now failed ({outcome.rounds}): the assistant gave no answer",
              file=sys.stderr)
        return 1
    return 1 if outcome.failed else 0


def _add_import(sub: argparse._SubParsersAction) -> None:
    from .importers import DATASET_FORMATS, describe_formats

    convertible = DATASET_FORMATS.convertible()
    parser = sub.add_parser("import", help="convert a benchmark's file to heedful conversations",
                            formatter_class=ChoicesHelpFormatter,
                            description="Convert a published benchmark's file (CodeIF-Bench, MultiCodeIF, IFCodeBench) "
                                        "to heedful.conversation/1 JSONL. `heedful replay` also reads these files "
                                        "directly; importing lets you inspect or edit the conversations first.")
    parser.add_argument("format", choices=convertible, metavar="FORMAT",
                        help="the benchmark's format:\n" + describe_formats(convertible))
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
    parser.add_argument("--format", "-f", choices=("text", "markdown", "json", "csv"), default="text",
                        help="text or markdown for people; json (the whole document, schema "
                             "docs/results-schema.json) or csv (one --table) for programs")
    parser.add_argument("--table", choices=("turns", "categories", "conversations", "constraints"), default="turns",
                        help="the table --format csv prints (default turns)")
    parser.set_defaults(run=lambda args: _report(args.run_dir, args.format, args.table))


def _report(run_dir: str, fmt: str, table: str = "turns") -> int:
    if fmt in ("json", "csv"):
        from .export import export_main

        return export_main(run_dir, fmt, table)
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
    parser.add_argument("--protocol", choices=_protocol_names(), default=None,
                        help="the run's protocol (default: the one in its header); another one is refused")
    parser.add_argument("--evaluator", metavar="PATH",
                        help="the authors' evaluator for a run under --protocol ifcodebench or multicodeif "
                             "(default: $HEEDFUL_IFCODEBENCH_VALIDATOR / $HEEDFUL_MULTICODEIF_EVALUATION)")
    parser.add_argument("--evaluator-python", metavar="PATH",
                        help="the Python of the authors' environment (MultiCodeIF; default: .venv-multicodeif)")
    parser.add_argument("--context-root", metavar="DIR",
                        help="the DevEval checkout, if it moved since the run (default: the one in its header)")
    parser.add_argument("--context-python", metavar="PATH",
                        help="the DevEval projects' interpreter, if it moved (default: the one in its header)")
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--quiet", "-q", action="store_true")
    parser.add_argument("--wait", action="store_true", help="if another run is playing NEW_RUN_DIR, wait for it")
    parser.set_defaults(run=run_rescore)


def _protocol_names() -> tuple[str, ...]:
    from .protocols import NAMES

    return NAMES


def run_rescore(args: argparse.Namespace) -> int:
    from .engine import ReplayEngine, ReplaySettings
    from .records import RunHeader
    from .runlog import log_path, read_log

    log = read_log(args.run_dir)  # a log of a version this heedful cannot read is refused here, naming it
    header = RunHeader.from_json(log.header or {})
    recorded_paths = header.dataset
    dataset = args.dataset or recorded_paths.get("path")
    if not args.dataset and recorded_paths.get("path_in_run") and not (dataset and os.path.exists(dataset)):
        dataset = os.path.join(args.run_dir, recorded_paths["path_in_run"])  # the run folder moved with its dataset
    if not dataset or not os.path.exists(dataset):
        raise HeedfulError(f"{args.run_dir}: the run's dataset {dataset!r} is not there; pass --dataset PATH")
    from .protocols import check_same, get_protocol, header_protocol

    recorded = header_protocol(log.header or {})
    # the answers were produced under the run's prompts: judging them under another protocol mixes two
    from .prompt_variants import from_identity, with_prompts

    prompts = from_identity(recorded)  # the run's prompt options (--system-prompt, a sweep's [[prompt]])
    wanted = get_protocol(args.protocol or recorded.get("name"), recorded.get("turns"))
    check_same(recorded, with_prompts(wanted, prompts) if prompts is not None else wanted,
               f"rescore {args.run_dir}")
    out = args.out or os.path.join(args.run_dir, "rescored")
    played = sorted({r["conversation"] for r in log.records if r.get("conversation")})
    if not played:
        raise HeedfulError(f"{args.run_dir}: the run has no conversation to rescore yet")
    settings = ReplaySettings(mode=header.mode or "static", concurrency=args.concurrency, only=played,
                              dataset_format=header.dataset.get("format"),
                              debounce_ms=header.settings.get("debounce_ms", 0),
                              progress=not args.quiet, wait_for_lock=args.wait, protocol=str(recorded.get("name")),
                              turns=recorded.get("turns"), evaluator=args.evaluator,
                              evaluator_python=args.evaluator_python, prompts=prompts,
                              honour_assistant_suppressions=bool(header.settings.get("honour_assistant_suppressions")),
                              context_root=args.context_root or header.settings.get("context_root"),
                              context_python=args.context_python or header.settings.get("context_python"))
    assistant = RecordedAssistant(log_path(args.run_dir))
    return _run_and_report(ReplayEngine(dataset, assistant, out, settings, warn=_warn), out, args.no_report)


def _add_agree(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("agree", help="compare heedful's static verdicts with the tests (and the LLM judge)",
                            description="For every instruction of a run judged by two sides (heedful's constraints, "
                                        "the benchmark's tests, the LLM judge), the agreement rate per category, the "
                                        "confusion counts and the disagreeing examples; also writes "
                                        "RUN_DIR/agreement.md. Definitions: replay/heedful/replay/agreement.py.")
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--format", "-f", choices=("text", "markdown"), default="text")
    parser.add_argument("--limit", type=int, default=20, metavar="N",
                        help="disagreements listed per comparison and category; the rest are counted (default 20)")
    parser.set_defaults(run=run_agree)


def run_agree(args: argparse.Namespace) -> int:
    from .agreement import agree_main

    return agree_main(args.run_dir, args.format, args.limit)
