"""Tables of rules registered by name, as the importers keep them (a checker function's
mapping, its cues, a constraint type's reading of its spec): each rule reads on its own, and a
new one is one decorated function, instead of a branch in a long if-chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")


def registrar(table: dict[str, R]) -> Callable[..., Callable[[R], R]]:
    """The decorator factory of `table`: `@register("a", "b")` puts the decorated rule in the
    table under each of the names (rules that share their meaning share a function)."""

    def register(*names: str) -> Callable[[R], R]:
        def add(rule: R) -> R:
            for name in names:
                table[name] = rule
            return rule

        return add

    return register
