"""Naming constraints: case, prefix, suffix, length, patterns of declared names."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache, partial
from operator import attrgetter
from typing import Any

from ..languages.profile import DEFINITIONS, NAMES
from ..languages.view import Name
from ..model import Violation
from ..params import ParamSpec, PatternTooSlow, RegexBudget, compile_pattern
from ..registry import CheckError, Chunking, NotApplicable, constraint_type
from ..source import Source

ROLE_CHOICES = ("function", "method", "class", "variable", "parameter", "constant", "field", "any")
def letter_shape(name: str) -> str:
    """`saveÉtat2` → `aaaaAaaa0`: upper letters A, other letters a, digits 0, `_`/`-` kept.

    Case rules are written over this shape, so they hold for every script (é, ß, Ж, 名)."""
    return "".join("A" if ch.isupper() else "a" if ch.isalpha() else "0" if ch.isdigit() else ch if ch in "_-" else "x"
                   for ch in name)


class CasePattern:
    """A case rule over a name's letter shape."""

    def __init__(self, shape_pattern: str) -> None:
        self.pattern = re.compile(shape_pattern)

    def match(self, name: str) -> bool:
        return bool(self.pattern.match(letter_shape(name)))


CASES: dict[str, CasePattern] = {
    "snake_case": CasePattern(r"^_*a[a0]*(?:_+[a0]+)*_*$"),
    "camelCase": CasePattern(r"^_*a[aA0]*$"),
    "PascalCase": CasePattern(r"^_*A[aA0]*$"),
    "UPPER_CASE": CasePattern(r"^_*A[A0]*(?:_+[A0]+)*_*$"),
    "kebab-case": CasePattern(r"^a[a0]*(?:-[a0]+)*$"),
    "lowercase": CasePattern(r"^[^A]*a[^A]*$"),
    "uppercase": CasePattern(r"^[^a]*A[^a]*$"),
}


def names_for_role(params: dict[str, Any]) -> frozenset[str]:
    """The captures a naming check reads: definitions only, unless it is about bindings."""
    return DEFINITIONS if params.get("role") in ("function", "method", "class", "parameter") else NAMES


def role_param(default: str = "any") -> ParamSpec:
    return ParamSpec("role", "str", "Which declared names: " + ", ".join(ROLE_CHOICES)
                     + " (`function` includes methods).", default=default, choices=ROLE_CHOICES)


def declared_names(src: Source, role: str, constructors: bool = False) -> list[Name]:
    """Names in a role, without names the language or a convention forces (dunders, `_`), and
    without constructors (methods named after a class) unless `constructors`."""
    view = src.view
    roles = _roles(role)
    if not any(view.role_supported(r) or (r == "constant" and _constants_from_variables(src)) for r in roles):
        raise NotApplicable(f"{src.profile.display_name} has no {role} declarations heedful can see")
    # eight naming types ask for the same roles' names: collected once per view
    cache: dict[tuple[str, bool], list[Name]] = view.__dict__.setdefault("_declared_names", {})
    key = (role, constructors)
    if key not in cache:
        cache[key] = _collect_declared_names(src, roles, constructors)
    return cache[key]


def _collect_declared_names(src: Source, roles: tuple[str, ...], constructors: bool) -> list[Name]:
    view = src.view
    class_names = {c.name for c in view.classes} if "method" in roles and not constructors else set()
    out = []
    for r in roles:
        for name in view.names(r):
            text = name.text
            if text == "_" or (text.startswith("__") and text.endswith("__")):
                continue
            if r == "method" and text in class_names:
                continue  # constructors are named after their class
            out.append(name)
    # by start byte: the order of their ranges' starts, without building a range (or a point)
    # for each of the thousands of names a check passes
    out.sort(key=_START_BYTE)
    return out


_START_BYTE = attrgetter("start")  # the byte span read when the name was collected


def _constants_from_variables(src: Source) -> bool:
    """Does the language tell constants from variables by convention (Python's module-level
    UPPER_CASE names), so that `constant` names exist without a constant declaration?"""
    from ..languages.profile import LanguageProfile

    return type(src.profile).is_constant_name is not LanguageProfile.is_constant_name \
        and src.view.role_supported("variable")


def _roles(role: str) -> tuple[str, ...]:
    return {"any": ("function", "method", "class", "variable", "parameter", "constant", "field"),
            "function": ("function", "method")}.get(role, (role,))


# A naming rule: the violation of one declared name, or None. Each naming type is one rule,
# applied to every declared name (the check) or chunk by chunk (its chunking).
NameRule = Callable[..., "Violation | None"]


def name_violations(src: Source, role: str, rule: NameRule, **params: Any) -> list[Violation]:
    # the rule mapped in C over thousands of names (no generator step and no keyword arguments
    # built per name); `filter(None, ...)` drops the Nones, violations being non-empty tuples
    return list(filter(None, map(partial(rule, **params), declared_names(src, role))))


# Roles whose names a chunk decides alone. Variables, constants and fields are reported where a
# name is first bound in its scope, and a module's scope spans every chunk.
_CHUNK_ROLES = ("function", "method", "class", "parameter")


def name_chunking(rule: NameRule, per_chunk: Callable[[], dict[str, Any]] | None = None,
                  ) -> Callable[[dict[str, Any]], Chunking | None]:
    """Chunking for a naming rule: per chunk, the violations (methods with their names) and the
    class names; combined, the violations less methods named after a class anywhere in the file.
    `per_chunk` gives extra arguments of the rule made fresh for each chunk (a time budget)."""

    def facts(src: Source, role: str, **params: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
        if per_chunk is not None:
            params = {**params, **per_chunk()}
        if "method" in _roles(role):
            for cls in src.view.classes:
                yield cls.node.start_point[0], ("class", cls.name)
        for name in declared_names(src, role, constructors=True):
            violation = rule(name, **params)
            if violation is not None:
                yield violation.range.start.line, ("name", violation, name.text if name.role == "method" else None)

    def combine(src: Source, found: list[tuple[Any, ...]], role: str, **params: Any) -> Iterator[Violation]:
        classes = {fact[1] for fact in found if fact[0] == "class"}
        for fact in found:
            if fact[0] == "name" and (fact[2] is None or fact[2] not in classes):
                yield fact[1]

    plan = Chunking(facts, combine)
    return lambda params: plan if params.get("role") in _CHUNK_ROLES else None


_WORD_SHAPE = re.compile(r"A+(?=Aa)|A?a+|A+|0+")


def split_words(name: str) -> list[str]:
    """`parseHTTPResponse_v2` → ['parse', 'http', 'response', 'v2']."""
    parts = re.split(r"[_\-\s]+", name.strip("_-"))
    words: list[str] = []
    for part in parts:
        shape = letter_shape(part)
        words += [part[m.start():m.end()].lower() for m in _WORD_SHAPE.finditer(shape)]
    return [w for w in words if w]


def convert_case(name: str, case: str) -> str:
    words = split_words(name) or [name]
    if case == "snake_case":
        return "_".join(words)
    if case == "camelCase":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if case == "PascalCase":
        return "".join(w.capitalize() for w in words)
    if case == "UPPER_CASE":
        return "_".join(words).upper()
    if case == "kebab-case":
        return "-".join(words)
    if case == "lowercase":
        return name.lower()
    return name.upper()


def _case_rule(name: Name, case: str, ignore: tuple[str, ...]) -> Violation | None:
    if name.text in ignore or CASES[case].match(name.text):
        return None
    suggestion = convert_case(name.text, case)
    return name.violation(f"{name.role} name '{name.text}' is not {case}",
                          fix_hint=f"rename to '{suggestion}'" if suggestion != name.text else None)


@constraint_type(
    id="naming.case",
    captures=names_for_role,
    chunking=name_chunking(_case_rule),
    instruction="{role} names must be {case}.",
    params=[
        role_param("any"),
        ParamSpec("case", "str", "The required case.", required=True, choices=tuple(CASES)),
        ParamSpec("ignore", "list[str]", "Names exempt from the rule.", default=()),
    ],
    anchors=("MultiCodeIF code_convention/naming_convention", "IFCodeBench check_variable_naming_convention",
             "IFCodeBench check_variable_case"),
)
def naming_case(src: Source, role: str, case: str, ignore: tuple[str, ...]) -> Iterable[Violation]:
    """Declared names of a role follow one letter case.

    What it checks:
    Every declared name of the role (functions and methods, classes, variables, parameters,
    constants, fields, or all of them) matches the case: `snake_case`, `camelCase`,
    `PascalCase`, `UPPER_CASE`, `kebab-case`, `lowercase` or `uppercase`. Leading and trailing
    underscores are allowed; dunder names, `_`, and constructors named after their class are
    exempt. Each name is reported once per scope, where it is first bound.

    Why it matters:
    Naming conventions are the most common style instruction given to assistants, and the one
    they most often drop after a few turns (MultiCodeIF, IFCodeBench).
    """
    return name_violations(src, role, _case_rule, case=case, ignore=ignore)


def _prefix_rule(name: Name, prefix: str) -> Violation | None:
    if name.text.startswith(prefix):
        return None
    return name.violation(f"{name.role} name '{name.text}' does not start with '{prefix}'",
                          fix_hint=f"rename to '{prefix}{name.text}'")


@constraint_type(
    id="naming.prefix",
    captures=names_for_role,
    chunking=name_chunking(_prefix_rule),
    instruction="{role} names must start with '{prefix}'.",
    params=[role_param("variable"), ParamSpec("prefix", "str", "The required prefix.", required=True)],
    anchors=("IFCodeBench check_variable_prefix",),
)
def naming_prefix(src: Source, role: str, prefix: str) -> Iterable[Violation]:
    """Declared names of a role start with a given prefix.

    What it checks:
    Every declared name of the role begins with `prefix` (case-sensitive), e.g. `num_` for
    variables or `I` for interfaces.

    Why it matters:
    Team conventions such as Hungarian-style prefixes are instructions a reviewer can verify at
    a glance; an assistant that forgets them produces code that fails review.
    """
    return name_violations(src, role, _prefix_rule, prefix=prefix)


def _suffix_rule(name: Name, suffix: str) -> Violation | None:
    if name.text.endswith(suffix):
        return None
    return name.violation(f"{name.role} name '{name.text}' does not end with '{suffix}'",
                          fix_hint=f"rename to '{name.text}{suffix}'")


@constraint_type(
    id="naming.suffix",
    captures=names_for_role,
    chunking=name_chunking(_suffix_rule),
    instruction="{role} names must end with '{suffix}'.",
    params=[role_param("variable"), ParamSpec("suffix", "str", "The required suffix.", required=True)],
    anchors=("IFCodeBench check_variable_suffix",),
)
def naming_suffix(src: Source, role: str, suffix: str) -> Iterable[Violation]:
    """Declared names of a role end with a given suffix.

    What it checks:
    Every declared name of the role ends with `suffix` (case-sensitive), e.g. `_flag` for
    booleans or `Service` for classes.

    Why it matters:
    Suffix conventions carry meaning (kind or unit of a value); they are easy to state and
    easy to forget turn after turn.
    """
    return name_violations(src, role, _suffix_rule, suffix=suffix)


def _min_length_rule(name: Name, min: int, ignore: tuple[str, ...]) -> Violation | None:
    if len(name.text) >= min or name.text in ignore:
        return None
    return name.violation(f"{name.role} name '{name.text}' has {len(name.text)} characters (at least {min})")


@constraint_type(
    id="naming.min_length",
    captures=names_for_role,
    chunking=name_chunking(_min_length_rule),
    instruction="{role} names must be at least {min} characters long.",
    params=[role_param("variable"),
            ParamSpec("min", "int", "Minimum length in characters.", required=True, minimum=1),
            ParamSpec("ignore", "list[str]", "Names exempt (e.g. loop counters i, j).", default=())],
    anchors=("IFCodeBench check_variable_name_length (should)",
             "IFCodeBench check_variable_name_length_including_loops (should)"),
)
def naming_min_length(src: Source, role: str, min: int, ignore: tuple[str, ...]) -> Iterable[Violation]:
    """Declared names are not shorter than a minimum.

    What it checks:
    Every declared name of the role has at least `min` characters (names in `ignore` are
    exempt). Loop variables count as variables.

    Why it matters:
    Short names hide intent; "use descriptive names" instructions are commonly stated as a
    minimum length.
    """
    return name_violations(src, role, _min_length_rule, min=min, ignore=ignore)


def _max_length_rule(name: Name, max: int) -> Violation | None:
    if len(name.text) <= max:
        return None
    return name.violation(f"{name.role} name '{name.text}' has {len(name.text)} characters (at most {max})")


@constraint_type(
    id="naming.max_length",
    captures=names_for_role,
    chunking=name_chunking(_max_length_rule),
    instruction="{role} names must be at most {max} characters long.",
    params=[role_param("variable"), ParamSpec("max", "int", "Maximum length in characters.", required=True, minimum=1)],
    anchors=("IFCodeBench check_variable_name_length (should not)",
             "IFCodeBench check_variable_name_length_including_loops (should not)"),
)
def naming_max_length(src: Source, role: str, max: int) -> Iterable[Violation]:
    """Declared names do not exceed a maximum length.

    What it checks:
    Every declared name of the role has at most `max` characters. Loop variables count as
    variables.

    Why it matters:
    Very long names make code hard to read and are a common "keep names short" instruction.
    """
    return name_violations(src, role, _max_length_rule, max=max)


def _pattern_rule(name: Name, pattern: str, budget: RegexBudget | None = None) -> Violation | None:
    """The pattern comes from a spec anyone may write: matched within a time budget (params.py),
    and past it the check's verdict is `error` naming the constraint and the pattern."""
    try:
        if (budget or RegexBudget()).fullmatch(pattern, name.text):
            return None
    except PatternTooSlow as exc:
        raise CheckError(f"naming.pattern: {exc}") from None
    return name.violation(f"{name.role} name '{name.text}' does not match {pattern}")


@constraint_type(
    id="naming.pattern",
    captures=names_for_role,
    chunking=name_chunking(_pattern_rule, lambda: {"budget": RegexBudget()}),
    instruction="{role} names must match the pattern {pattern}.",
    params=[role_param("any"), ParamSpec("pattern", "regex", "A regular expression the whole name must match.",
                                         required=True)],
)
def naming_pattern(src: Source, role: str, pattern: str) -> Iterable[Violation]:
    """Declared names match a regular expression.

    What it checks:
    Every declared name of the role fully matches `pattern` (Python `re` syntax), for naming
    rules no fixed case expresses. A spec may come from anyone's repository, so each match has a
    time budget (0.05 s per name, 1 s per check): a pattern that backtracks past it, such as
    `(a|a)+$`, gives the verdict `error` naming the pattern.

    Why it matters:
    Project conventions (test names `test_*`, interface names `I*`) are easiest to state as a
    pattern, and the pattern makes the instruction unambiguous.
    """
    compile_pattern(pattern)  # a bad pattern fails here, before any name is looked at
    return name_violations(src, role, _pattern_rule, pattern=pattern, budget=RegexBudget())


def _digit_rule(name: Name) -> Violation | None:
    if any(map(str.isdigit, name.text)):
        return None
    return name.violation(f"{name.role} name '{name.text}' contains no digit")


@constraint_type(
    id="naming.contains_digit",
    captures=names_for_role,
    chunking=name_chunking(_digit_rule),
    instruction="{role} names must contain at least one digit.",
    params=[role_param("variable")],
    anchors=("IFCodeBench check_variable_naming_with_digit (with naming.case)",),
)
def naming_contains_digit(src: Source, role: str) -> Iterable[Violation]:
    """Declared names contain a digit.

    What it checks:
    Every declared name of the role contains at least one decimal digit.

    Why it matters:
    An unusual but verifiable instruction from IFCodeBench, useful to see whether an
    assistant follows arbitrary rules rather than habits.
    """
    return name_violations(src, role, _digit_rule)


GENERIC_NAMES = ("data", "tmp", "temp", "foo", "bar", "baz", "obj", "val", "var", "thing", "stuff", "res", "ret")


@lru_cache(maxsize=64)
def _lowered(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(word.lower() for word in words)


def _descriptive_rule(name: Name, allowed: tuple[str, ...], generic: tuple[str, ...]) -> Violation | None:
    if name.text in allowed:
        return None
    if len(name.text.strip("_")) <= 1:
        return name.violation(f"{name.role} name '{name.text}' is a single character")
    if name.text.lower().strip("_") in _lowered(generic):
        return name.violation(f"{name.role} name '{name.text}' is generic; say what it holds")
    return None


@constraint_type(
    id="naming.descriptive",
    captures=names_for_role,
    chunking=name_chunking(_descriptive_rule),
    instruction="Use descriptive names: no single-letter or generic {role} names.",
    params=[role_param("any"),
            ParamSpec("allowed", "list[str]", "Short names still allowed (loop counters, coordinates).",
                      default=("i", "j", "k", "x", "y", "z", "n", "e", "_")),
            ParamSpec("generic", "list[str]", "Names considered not descriptive.", default=GENERIC_NAMES)],
    anchors=("MultiCodeIF code_convention/declaration_style descriptiveNames",),
)
def naming_descriptive(src: Source, role: str, allowed: tuple[str, ...], generic: tuple[str, ...]) -> Iterable[Violation]:
    """Names say what they hold: no single letters (except allowed ones) and no generic words.

    What it checks:
    No declared name of the role is a single character (unless in `allowed`) or one of the
    `generic` words (`data`, `tmp`, `foo`, ...), compared case-insensitively.

    Why it matters:
    "Use descriptive names" is a frequent instruction; this is its decidable core.
    """
    return name_violations(src, role, _descriptive_rule, allowed=allowed, generic=generic)
