"""Shared parameter shapes for count-based constraints ("exactly 2", "at least 1", "at most 3")."""

from __future__ import annotations

from ..params import ParamSpec

COMPARISONS = ("exactly", "at least", "at most")


def comparison_param(default: str = "exactly") -> ParamSpec:
    return ParamSpec("comparison", "str", "How the actual count must compare to `count`.",
                     default=default, choices=COMPARISONS)


def count_param(what: str) -> ParamSpec:
    return ParamSpec("count", "int", f"The number of {what}.", required=True, minimum=0)


def compare(actual: int, comparison: str, count: int) -> bool:
    if comparison == "exactly":
        return actual == count
    if comparison == "at least":
        return actual >= count
    return actual <= count


USE_CHOICES = ("required", "forbidden")


def use_param(what: str, default: str = "required") -> ParamSpec:
    return ParamSpec("use", "str", f"Whether {what} is required or forbidden.", default=default, choices=USE_CHOICES)
