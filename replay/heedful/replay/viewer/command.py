"""`heedful view RUN_DIR`: write the run viewer (and optionally serve it on 127.0.0.1)."""

from __future__ import annotations

import argparse
import os


def add_command(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "view", help="write a run's browsable site (metrics, conversations, transcripts)",
        description="Write a static site for RUN_DIR (default RUN_DIR/view/index.html): the metrics with the "
                    "plots, the conversations with filters (failed, regressed, out of scope), and each "
                    "transcript with every edit's diff and its diagnostics inline. It loads nothing from "
                    "the network; --serve serves it on 127.0.0.1.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (its log.jsonl)")
    parser.add_argument("--out", "-o", metavar="DIR", help="where to write the site (default RUN_DIR/view)")
    parser.add_argument("--serve", action="store_true", help="serve the site on 127.0.0.1 until Ctrl-C")
    parser.add_argument("--port", type=int, default=8000, help="the port for --serve (default 8000; 0: any free one)")
    parser.set_defaults(run=run_view)


def run_view(args: argparse.Namespace) -> int:
    from .site import write_site

    index = write_site(args.run_dir, args.out)
    print(f"heedful view: wrote {index}", flush=True)
    if args.serve:
        from .serve import serve

        return serve(os.path.dirname(index), args.port)
    return 0
