"""Print the labelled boundary set's agreement with heedful's edit reports, per field and in all:
`.venv/bin/python -m tests.boundary.measure` (the figures the README and docs/edit-report.md state)."""

from __future__ import annotations

from collections import Counter

from .cases import load_cases
from .test_boundary_labels import agreement


def main() -> None:
    cases = load_cases()
    edits = [edit for case in cases for edit in case.edits]
    languages = Counter(case.language for case in cases for _ in case.edits)
    formats = Counter(edit.format for edit in edits)
    print(f"{len(edits)} labelled edits in {len(cases)} cases; languages: "
          + ", ".join(f"{k} {v}" for k, v in sorted(languages.items()))
          + "; answers: " + ", ".join(f"{k} {v}" for k, v in sorted(formats.items())))
    for name, (right, total) in agreement().items():
        print(f"{name:>20}: {right}/{total}")


if __name__ == "__main__":
    main()
