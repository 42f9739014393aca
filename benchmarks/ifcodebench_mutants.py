"""Programs that flip each IFCodeBench check, generated from the check's params.

For a check (`function`, `params`) as `mutation` holds it, `mutants(function, params)` writes small
Python programs that keep the instruction and programs that break it, one construct at a time:
a variable renamed to break a naming rule (bound by each binding form Python has: assignment,
annotated or augmented assignment, unpacking, loop and comprehension targets, `with ... as`,
`:=`), one loop, conditional, comment, construct or line more or fewer than the count, an
annotation removed, a call, import or definition added or written another way.

Each program carries `intended`: the verdict the instruction's plain words give it (what a reader
of "All variable names must start with 'arr_'" would say), or None where the words do not settle
it (is `if/elif` one if statement or two?). The agreement harness
(benchmarks/agreement_ifcodebench.py) uses it to tell, when heedful and upstream's checker differ,
which of the two follows the instruction; a program with None is reported as open.

Only the harness's own code is here: nothing of upstream's is run or copied.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Mutant:
    """One generated program: what it changes (`label`), its source, and the intended verdict."""

    label: str
    program: str
    intended: bool | None


def meets(actual: int, comparison: str, target: int) -> bool:
    """`actual` against `target` by IFCodeBench's comparison words."""
    if comparison == "at least":
        return actual >= target
    if comparison == "at most":
        return actual <= target
    return actual == target


def _counts(target: int) -> list[int]:
    return sorted({max(target - 1, 0), target, target + 1})


def _indent(lines: list[str], depth: int = 1) -> str:
    return "\n".join("    " * depth + line if line else "" for line in lines)


# -- naming rules: a good and a bad name per rule --------------------------------------------------

WORDS = ("total", "item", "count", "value", "result", "pair", "handle", "seen", "flag")


@dataclass(frozen=True)
class NamingRule:
    """Makes a name that keeps the rule from a word, and one that breaks it."""

    good: Callable[[str], str]
    bad: Callable[[str], str]


def _snake(word: str, second: str = "sum") -> str:
    return f"{word}_{second}"


def _camel(word: str, second: str = "sum") -> str:
    return f"{word}{second.capitalize()}"


def _pascal(word: str, second: str = "sum") -> str:
    return f"{word.capitalize()}{second.capitalize()}"


CONVENTIONS: dict[str, tuple[Callable[[str], str], Callable[[str], str]]] = {
    "snake_case": (_snake, _camel),
    "camelCase": (_camel, _snake),
    "PascalCase": (_pascal, _snake),
}


def naming_rule(function: str, params: dict[str, Any]) -> NamingRule | None:
    """The good/bad name makers for the naming checkers, or None for other checkers."""
    p = params
    if function == "check_variable_prefix":
        prefix = str(p.get("prefix", ""))
        return NamingRule(lambda w: prefix + w, lambda w: w if not w.startswith(prefix) else "z" + w)
    if function == "check_variable_suffix":
        suffix = str(p.get("suffix", ""))
        return NamingRule(lambda w: w + suffix, lambda w: w if not w.endswith(suffix) else w + "z")
    if function == "check_variable_naming_convention":
        good, bad = CONVENTIONS[p["convention"]]
        return NamingRule(good, bad)
    if function == "check_variable_naming_with_digit":
        good, bad = CONVENTIONS[p["convention"]]
        return NamingRule(lambda w: good(w) + "2", lambda w: good(w))
    if function == "check_variable_case":
        if p.get("case_type") == "uppercase":
            return NamingRule(lambda w: w.upper(), lambda w: w)
        return NamingRule(lambda w: w, lambda w: w.capitalize())
    if function in ("check_variable_name_length", "check_variable_name_length_including_loops"):
        length = int(p["length"])
        if p.get("comparison") == "should not":  # at most `length` characters
            if length < 1:
                return None
            return NamingRule(lambda w: (w * 4)[:length], lambda w: (w * 4)[:length + 1])
        # "should exceed N": longer than N characters (a name of N or fewer breaks it; none has 0)
        return NamingRule(lambda w: (w * 6)[:length + 1], lambda w: (w * 6)[:length])
    return None


def _names(rule: NamingRule, bad_slot: str | None) -> dict[str, str]:
    """One good name per binding slot; the slot `bad_slot` gets a bad one."""
    out = {}
    for i, slot in enumerate(BINDING_SLOTS):
        word = WORDS[i % len(WORDS)]
        maker = rule.bad if slot == bad_slot else rule.good
        name = maker(word)
        out[slot] = name
    return out


BINDING_SLOTS = ("assign", "annotated", "augmented", "for", "unpack", "with", "comprehension", "walrus",
                 "module", "parameter", "except", "global_for", "comprehension_unpack", "for_unpack")


def _binding_program(names: dict[str, str], slot: str) -> str:
    """A program binding each slot's name; only `slot` is varied, the rest keep the rule by plain
    assignment (so the program is about that one binding form)."""
    n = names
    if slot == "assign":
        return f"def solve(data):\n    {n['assign']} = len(data)\n    return {n['assign']}\n"
    if slot == "annotated":
        return (f"def solve(data):\n    {n['assign']} = 0\n    {n['annotated']}: int = len(data)\n"
                f"    return {n['assign']} + {n['annotated']}\n")
    if slot == "augmented":
        return f"def solve(data):\n    {n['assign']} = 0\n    {n['assign']} += len(data)\n    return {n['assign']}\n"
    if slot == "for":
        return (f"def solve(data):\n    {n['assign']} = 0\n    for {n['for']} in data:\n"
                f"        {n['assign']} = {n['assign']} + {n['for']}\n    return {n['assign']}\n")
    if slot == "unpack":
        return (f"def solve(data):\n    {n['assign']} = 1\n    {n['unpack']}, {n['annotated']} = data[0], data[1]\n"
                f"    return {n['assign']} + {n['unpack']} + {n['annotated']}\n")
    if slot == "with":
        return (f"def solve(path):\n    {n['assign']} = 0\n    with open(path) as {n['with']}:\n"
                f"        {n['assign']} = len({n['with']}.read())\n    return {n['assign']}\n")
    if slot == "comprehension":
        return (f"def solve(data):\n    {n['assign']} = [{n['comprehension']} * 2 for {n['comprehension']} in data]\n"
                f"    return {n['assign']}\n")
    if slot == "walrus":
        return (f"def solve(data):\n    {n['assign']} = 0\n    if ({n['walrus']} := len(data)) > 2:\n"
                f"        {n['assign']} = {n['walrus']}\n    return {n['assign']}\n")
    if slot == "module":
        return (f"{n['module']} = 10\n\n\ndef solve(data):\n    {n['assign']} = len(data) + {n['module']}\n"
                f"    return {n['assign']}\n")
    if slot == "parameter":
        return f"def solve({n['parameter']}):\n    {n['assign']} = len({n['parameter']})\n    return {n['assign']}\n"
    if slot == "except":
        return (f"def solve(data):\n    {n['assign']} = 0\n    try:\n        {n['assign']} = int(data)\n"
                f"    except ValueError as {n['except']}:\n        {n['assign']} = len(str({n['except']}))\n"
                f"    return {n['assign']}\n")
    if slot == "comprehension_unpack":
        return (f"def solve(data):\n    {n['assign']} = [{n['comprehension_unpack']} for {n['comprehension_unpack']}, "
                f"{n['for_unpack']} in data]\n    return {n['assign']}\n")
    if slot == "for_unpack":
        return (f"def solve(data):\n    {n['assign']} = 0\n    for {n['for_unpack']}, {n['for']} in data:\n"
                f"        {n['assign']} = {n['for_unpack']} + {n['for']}\n    return {n['assign']}\n")
    if slot == "global_for":
        return f"{n['module']} = 0\nfor {n['global_for']} in range(3):\n    {n['module']} = {n['module']} + {n['global_for']}\n"
    raise ValueError(slot)


# "All variable names ...": which slots bind a variable (a parameter is a parameter, not a variable)
VARIABLE_SLOTS = {"assign": True, "annotated": True, "augmented": True, "for": True, "unpack": True, "with": True,
                  "comprehension": True, "walrus": True, "module": True, "parameter": False, "except": True,
                  "global_for": True, "comprehension_unpack": True, "for_unpack": True}


def naming_mutants(function: str, params: dict[str, Any]) -> Iterator[Mutant]:
    """Each binding form with every name keeping the rule, then with that form's name breaking it."""
    rule = naming_rule(function, params)
    if rule is None:
        return
    try:
        all_good = _names(rule, None)
    except TypeError:
        return
    if any(not _valid_name(v) for v in all_good.values()):
        return
    for slot in BINDING_SLOTS:
        yield Mutant(f"every name keeps the rule ({slot})", _binding_program(all_good, slot), True)
        try:
            names = _names(rule, slot)
        except TypeError:
            continue
        if not _valid_name(names[slot]) or names[slot] == all_good[slot]:
            continue
        if slot == "augmented":
            continue  # an augmented assignment rebinds a name bound before: nothing of its own to rename
        yield Mutant(f"the {slot} binding breaks the rule", _binding_program(names, slot),
                     not VARIABLE_SLOTS[slot])


def _valid_name(name: Any) -> bool:
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


# -- counts of things -----------------------------------------------------------------------------

LOOPS = {
    "for": "for i{k} in range(n):\n    total += i{k}",
    "while": "while total < {k}:\n    total += 1",
}


def _function(body: list[str], params: str = "n") -> str:
    return f"def solve({params}):\n" + _indent(body) + "\n"


def loop_mutants(function: str, params: dict[str, Any]) -> Iterator[Mutant]:
    """One loop of the type more or fewer than the count, next to loops that do not count (the other type, comprehensions, nested functions)."""
    loop = params.get("loop_type")
    if loop not in ("for", "while"):
        return
    other = "while" if loop == "for" else "for"
    if function == "check_forbidden_loop_type":
        target, comparison = 0, "exactly"
    else:
        target, comparison = int(params["count"]), params["comparison"]
    for k in _counts(target):
        body = ["total = 0"]
        for i in range(k):
            body += LOOPS[loop].format(k=i).split("\n")
        body += LOOPS[other].format(k=9).split("\n")
        body.append("return total")
        yield Mutant(f"{k} {loop} loop(s) and one {other} loop", _function(body), meets(k, comparison, target))
    body = ["total = 0", "squares = [i * i for i in range(n)]" if loop == "for" else "squares = [n]"]
    for i in range(target):
        body += LOOPS[loop].format(k=i).split("\n")
    body.append("return total + len(squares)")
    yield Mutant(f"{target} {loop} loop(s) and a comprehension", _function(body), True)
    if target >= 1:
        nested = ["total = 0"] + LOOPS[loop].format(k=0).split("\n")
        nested += ["    " + line for line in LOOPS[loop].format(k=1).split("\n")]
        for i in range(2, target):
            nested += LOOPS[loop].format(k=i).split("\n")
        nested.append("return total")
        yield Mutant(f"two nested {loop} loops, {max(target, 2)} in all", _function(nested),
                     meets(max(target, 2), comparison, target))
    inner = ["total = 0", "def step(m):", "    acc = 0"] + ["    " + line for i in range(target)
                                                     for line in LOOPS[loop].format(k=i).replace("total", "acc")
                                                     .replace("range(n)", "range(m)").split("\n")]
    inner += ["    return acc", "return step(n)"]
    yield Mutant(f"{target} {loop} loop(s) inside a nested function", _function(inner), True)
    if loop == "for" and target >= 1:
        body = ["total = 0"] + [line for i in range(target) for line in LOOPS[loop].format(k=i).split("\n")]
        body += ["else:", "    total -= 1", "return total"]
        yield Mutant(f"{target} for loop(s), the last with an else", _function(body), True)
    if loop == "for":
        body = ["total = 0"] + [f"async for i{i} in n:\n    total += i{i}" for i in range(max(target, 1))]
        yield Mutant(f"{max(target, 1)} async for loop(s)", "async " + _function(
            "\n".join(body).split("\n")), meets(max(target, 1), comparison, target))


CONDITIONAL = "if n > {k}:\n    total += {k}"


def conditional_mutants(params: dict[str, Any]) -> Iterator[Mutant]:
    """One if statement more or fewer than the count, next to conditionals that are no if statement."""
    target, comparison = int(params["count"]), params["comparison"]
    for k in _counts(target):
        body = ["total = 0"]
        for i in range(k):
            body += CONDITIONAL.format(k=i).split("\n")
        body.append("return total if total else -1")
        yield Mutant(f"{k} if statement(s) and a conditional expression", _function(body), meets(k, comparison, target))
        if k:
            body = ["total = 0"]
            for i in range(k):
                body += (CONDITIONAL.format(k=i) + "\nelse:\n    total -= 1").split("\n")
            body.append("return total")
            yield Mutant(f"{k} if-else statement(s)", _function(body), meets(k, comparison, target))
    body = ["if n > 1:", "    return 1", "elif n > 0:", "    return 0", "else:", "    return -1"]
    yield Mutant("one if / elif / else chain", _function(body), None)  # one statement, or two ifs?
    body = ["return [x for x in range(n) if x % 2]"]
    yield Mutant("only a comprehension filter", _function(body), meets(0, comparison, target))


CONSTRUCT_SNIPPETS = {
    "list comprehension": "[x{k} * 2 for x{k} in data]",
    "generator expression": "sum(x{k} for x{k} in data)",
    "lambda function": "(lambda x{k}: x{k} + 1)(len(data))",
    "ternary operator": "(len(data) if data else {k})",
    "slicing": "data[{k}:]",
    "extended slicing": "data[::{k2}]",
}
# a near miss of each construct: looks alike, is another construct
CONSTRUCT_LOOKALIKES = {
    "list comprehension": ("a set comprehension", "{x * 2 for x in data}"),
    "generator expression": ("a list comprehension", "[x * 2 for x in data]"),
    "lambda function": ("a nested function", None),
    "ternary operator": ("an if statement", None),
    "slicing": ("an index", "data[0]"),
    "extended slicing": ("a slice without a step", "data[1:]"),
}


def _construct_program(construct: str, k: int, extra: str | None = None) -> str:
    body = ["parts = []"]
    for i in range(k):
        body.append(f"parts.append({CONSTRUCT_SNIPPETS[construct].format(k=i, k2=i + 2)})")
    if extra:
        body.append(f"parts.append({extra})")
    body.append("return parts")
    return _function(body, "data")


def construct_mutants(function: str, params: dict[str, Any]) -> Iterator[Mutant]:
    """The construct present or absent, or one more or fewer than the count, next to look-alikes."""
    construct = params.get("construct_type")
    if construct not in CONSTRUCT_SNIPPETS:
        return
    if function == "check_syntactic_sugar_usage":
        must = params.get("should_use") == "must"
        for k in (0, 1, 2):
            yield Mutant(f"{k} {construct}(s)", _construct_program(construct, k), (k > 0) == must)
        what, extra = CONSTRUCT_LOOKALIKES[construct]
        if extra:
            yield Mutant(f"only {what}", _construct_program(construct, 0, extra), not must)
        if construct == "extended slicing":
            yield Mutant("a slice with a step of None", _construct_program(construct, 0, "data[1:5:None]"), None)
            yield Mutant("a slice with two colons and no step", _construct_program(construct, 0, "data[::]"), not must)
            yield Mutant("a reversing slice", _construct_program(construct, 0, "data[::-1]"), must)
        if construct == "slicing":
            yield Mutant("only an extended slice", _construct_program("extended slicing", 1), must)
            yield Mutant("a slice assigned to", "def solve(data):\n    data[1:] = [0]\n    return data\n", must)
        if construct == "lambda function":
            yield Mutant("a lambda as a default argument", "def solve(data, key=lambda x: x):\n    return key(data)\n",
                         must)
        if construct == "ternary operator":
            yield Mutant("a ternary inside a comprehension", "def solve(data):\n    return [x if x else 0 for x in data]\n",
                         must)
        return
    target, comparison = int(params["count"]), params["comparison"]
    for k in _counts(target):
        yield Mutant(f"{k} {construct}(s)", _construct_program(construct, k), meets(k, comparison, target))
        what, extra = CONSTRUCT_LOOKALIKES[construct]
        if extra:
            yield Mutant(f"{k} {construct}(s) and {what}", _construct_program(construct, k, extra),
                         meets(k, comparison, target))
    if construct == "list comprehension" and target >= 1:
        inner = "[[y for y in range(x)] for x in data]"
        yield Mutant("a nested list comprehension (2)", _construct_program(construct, max(target - 2, 0), inner),
                     meets(max(target - 2, 0) + 2, comparison, target))


# -- builtins -------------------------------------------------------------------------------------

def _split(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(n).strip() for n in raw if str(n).strip()]
    if isinstance(raw, str):
        return [n.strip() for n in raw.split(",") if n.strip()]
    return []


def _is_builtin(name: str) -> bool:
    return "." not in name and callable(getattr(builtins, name, None)) and not name.startswith("_")


def _call(name: str, bare_receiver: str = "data") -> str:
    """A call of `name` as code would write it: `sum(data)`, `data.count(1)`, `math.sqrt(data)`."""
    if "." in name:
        owner, attr = name.rsplit(".", 1)
        if owner in ("str", "list", "dict", "set", "tuple", "int", "float", "bytes"):
            receiver = {"str": "'ab'", "list": "[1, 2]", "dict": "{}", "set": "set()", "tuple": "(1,)"}.get(owner, "1")
            return f"{receiver}.{attr}()"
        return f"{name}({bare_receiver})"
    if _is_builtin(name):
        return f"{name}({bare_receiver})"
    return f"{bare_receiver}.{name}()"


def _imports_for(names: list[str]) -> list[str]:
    out = []
    for name in names:
        if "." in name:
            owner = name.rsplit(".", 1)[0]
            if owner not in ("str", "list", "dict", "set", "tuple", "int", "float", "bytes"):
                out.append(f"import {owner.split('.')[0]}")
    return sorted(set(out))


def _calls_program(calls: list[str], imports: list[str]) -> str:
    body = ["parts = []"] + [f"parts += [{c}]" for c in calls] + ["return parts"]
    head = "\n".join(imports) + ("\n\n\n" if imports else "")
    return head + _function(body, "data")


def builtin_mutants(function: str, params: dict[str, Any]) -> Iterator[Mutant]:
    """Each named function called or not, and written as a method, a qualified call or a string."""
    key = "forbidden_functions" if function == "check_forbidden_builtins" else "required_functions"
    if function == "check_forbidden_builtins" and params.get(key) is None:  # "any built-in functions"
        yield Mutant("a built-in called", _calls_program(["len(data)"], []), False)
        yield Mutant("a built-in type called", _calls_program(["str(data)"], []), False)
        yield Mutant("only its own function called",
                     "def helper(data):\n    return data\n\n\ndef solve(data):\n    return helper(data)\n", True)
        yield Mutant("only methods called", "def solve(data):\n    return data.strip().split()\n", True)
        yield Mutant("nothing called", "def solve(data):\n    return data + 1\n", True)
        return
    names = [n for n in _split(params.get(key)) if re.fullmatch(r"[A-Za-z_][\w.]*", n)]
    if not names:
        return
    forbidding = function == "check_forbidden_builtins"
    imports = _imports_for(names)
    neutral = "len(data)" if "len" not in names else "abs(1)"
    yield Mutant("none of the names is called", _calls_program([neutral], []), forbidding)
    yield Mutant("every name is called", _calls_program([_call(n) for n in names] + [neutral], imports), not forbidding)
    for name in names:
        others = [_call(n) for n in names if n != name]
        if forbidding:
            yield Mutant(f"only {name} is called", _calls_program([_call(name), neutral], imports), False)
        else:
            yield Mutant(f"every name but {name} is called", _calls_program(others + [neutral], imports),
                         False)
        if _is_builtin(name):
            # `data.sum()` is a method of that name, not the built-in function the instruction names
            method = ([] if forbidding else others) + [f"data.{name}()", neutral]
            yield Mutant(f"{name} only as a method", _calls_program(method, imports), forbidding)
            ref = ([] if forbidding else others) + [f"list(map({name}, [data]))"]
            yield Mutant(f"{name} passed, not called", _calls_program(ref, imports), None)
        elif "." not in name:
            # no built-in of that name: the instruction means the method (`s.count(x)`)
            yield Mutant(f"{name} as a method call", _calls_program(others + [f"data.{name}(1)", neutral], imports),
                         not forbidding)
        else:
            owner, attr = name.rsplit(".", 1)
            if owner in ("str", "list", "dict", "set", "tuple"):
                yield Mutant(f"{name} written as {owner}.{attr}(value)",
                             _calls_program(others + [f"{name}({_call(name).split('.')[0]})", neutral], imports),
                             not forbidding)
        lookalike = ([] if forbidding else others) + [f"'{name}'", neutral]
        yield Mutant(f"{name} only in a string", _calls_program(lookalike, [] if forbidding else imports), forbidding)


# -- data structures ------------------------------------------------------------------------------

STRUCTURE_FORMS = {
    "list": [("a list literal", "[1, 2]", True), ("list()", "list(data)", True),
             ("a list comprehension", "[x for x in data]", True), ("a list annotation only", None, False)],
    "dict": [("a dict literal", "{'a': 1}", True), ("dict()", "dict(a=1)", True),
             ("a dict comprehension", "{x: 1 for x in data}", True), ("a dict annotation only", None, False)],
    "set": [("a set literal", "{1, 2}", True), ("set()", "set(data)", True),
            ("a set comprehension", "{x for x in data}", True), ("a set annotation only", None, False)],
    "tuple": [("a tuple literal", "(1, 2)", True), ("tuple()", "tuple(data)", True),
              ("a bare tuple", "1, 2", True), ("a tuple annotation only", None, False)],
}


def structure_mutants(params: dict[str, Any]) -> Iterator[Mutant]:
    """The structure built by a literal, a constructor, a comprehension, or only named in an annotation."""
    structure = params.get("data_structure")
    if structure not in STRUCTURE_FORMS:
        return
    must = params.get("must_use") == "must"
    base = "def solve(data):\n    count = 0\n    count += len(data)\n    return count\n"
    yield Mutant(f"no {structure}", base, not must)
    for label, expr, uses in STRUCTURE_FORMS[structure]:
        if expr is None:
            program = f"def solve(data: {structure}) -> int:\n    count = 0\n    count += len(data)\n    return count\n"
            # an annotation that names the type uses it (check_data_structure_usage.toml, "only a parameter
            # annotation names it")
            yield Mutant(label, program, must)
            continue
        program = f"def solve(data):\n    store = {expr}\n    return len(store)\n"
        yield Mutant(label, program, uses == must)
    extra = {"dict": [("dict.fromkeys()", "dict.fromkeys(data)", True)],
             "tuple": [("an empty tuple", "()", True), ("a tuple formatted into a string", "'%d-%d' % (1, 2)", True)],
             "list": [("a list returned by sorted()", "sorted(data)", None)],
             "set": [("a frozenset", "frozenset(data)", None)]}
    for label, expr, uses in extra.get(structure, []):
        program = f"def solve(data):\n    store = {expr}\n    return len(store)\n"
        yield Mutant(label, program, None if uses is None else uses == must)
    if structure == "tuple":
        yield Mutant("tuple unpacking in a for loop only",
                     "def solve(data):\n    count = 0\n    for key, value in data:\n        count += value\n"
                     "    return count\n", not must)  # unpacking builds no tuple (the .toml's for-loop case)


# -- definitions: variables, classes, functions --------------------------------------------------

def variable_forms(name: str) -> list[tuple[str, str, bool]]:
    """Ways to define variable `name` (label, program, does the instruction call it defined)."""
    return [
        ("assignment", f"def solve(data):\n    {name} = len(data)\n    return {name}\n", True),
        ("annotated assignment", f"def solve(data):\n    {name}: int = len(data)\n    return {name}\n", True),
        ("for-loop target", f"def solve(data):\n    out = 0\n    for {name} in data:\n        out = {name}\n    return out\n",
         True),
        ("unpacking target", f"def solve(data):\n    {name}, rest = data[0], data[1:]\n    return {name}\n", True),
        ("with target", f"def solve(path):\n    with open(path) as {name}:\n        return {name}.read()\n", True),
        ("assignment expression", f"def solve(data):\n    if ({name} := len(data)):\n        return {name}\n    return 0\n",
         True),
        ("module level", f"{name} = 3\n\n\ndef solve(data):\n    return len(data) + {name}\n", True),
        ("parameter only", f"def solve({name}):\n    return len({name})\n", False),
        ("name in a string only", f"def solve(data):\n    label = '{name}'\n    return label\n", False),
        ("not defined", "def solve(data):\n    out = len(data)\n    return out\n", False),
        ("attribute only", f"def solve(data):\n    data.{name} = 1\n    return data\n", False),
    ]


def existence_mutants(function: str, params: dict[str, Any]) -> Iterator[Mutant]:
    """The variable defined by each binding form, or only named as a parameter, a string or an attribute."""
    name = str(params.get("variable_name", "")).strip()
    if not _valid_name(name):
        return
    should = params.get("should_define", "should") == "should"
    for label, program, defined in variable_forms(name):
        if function == "check_annotated_variable" and should:
            annotated = label in ("annotated assignment",)
            yield Mutant(f"{name} by {label}", program, annotated)
            continue
        yield Mutant(f"{name} by {label}", program, defined == should)
    if function == "check_annotated_variable" and should:
        yield Mutant(f"{name} annotated without a value",
                     f"def solve(data):\n    {name}: int\n    {name} = len(data)\n    return {name}\n", True)
        yield Mutant(f"{name} annotated at module level",
                     f"{name}: int = 3\n\n\ndef solve(data):\n    return len(data) + {name}\n", True)


def global_mutants(params: dict[str, Any]) -> Iterator[Mutant]:
    """The name defined at module level in each way, or only locally, as a class attribute, or not at all."""
    name = str(params.get("variable_name", "")).strip()
    if not _valid_name(name):
        return
    yield Mutant("module-level assignment", f"{name} = 0\n\n\ndef solve(data):\n    return {name} + len(data)\n", True)
    yield Mutant("module-level annotated assignment",
                 f"{name}: int = 0\n\n\ndef solve(data):\n    return {name} + len(data)\n", True)
    yield Mutant("declared global in a function",
                 f"def solve(data):\n    global {name}\n    {name} = len(data)\n    return {name}\n", True)
    yield Mutant("local variable only", f"def solve(data):\n    {name} = len(data)\n    return {name}\n", False)
    yield Mutant("module-level unpacking", f"{name}, other = 0, 1\n\n\ndef solve(data):\n    return {name}\n", True)
    yield Mutant("not defined", "def solve(data):\n    return len(data)\n", False)
    yield Mutant("a class attribute only",
                 f"class Store:\n    {name} = 0\n\n\ndef solve(data):\n    return Store.{name}\n", False)
    yield Mutant("declared global, never assigned", f"def solve(data):\n    global {name}\n    return {name}\n", None)
    yield Mutant("module-level under if",
                 f"if True:\n    {name} = 0\n\n\ndef solve(data):\n    return {name} + len(data)\n", True)


def class_mutants(params: dict[str, Any]) -> Iterator[Mutant]:
    """The class defined (plain, protocol, nested), or the name used otherwise."""
    name = str(params.get("interface_name", "")).strip()
    if not _valid_name(name):
        return
    yield Mutant("class defined", f"class {name}:\n    def run(self, data):\n        return len(data)\n", True)
    yield Mutant("protocol class", f"from typing import Protocol\n\n\nclass {name}(Protocol):\n"
                                   "    def run(self, data) -> int: ...\n", True)
    yield Mutant("class nested in a function", f"def solve(data):\n    class {name}:\n        pass\n"
                                               f"    return {name}\n", True)
    yield Mutant("name only as a variable", f"def solve(data):\n    {name} = len(data)\n    return {name}\n", False)
    yield Mutant("another class", f"class {name}Helper:\n    pass\n", False)
    yield Mutant("no class", "def solve(data):\n    return len(data)\n", False)


def function_mutants(function: str, params: dict[str, Any]) -> Iterator[Mutant]:
    """The function defined in each way, or with one parameter more or fewer, counted in each way Python declares one."""
    name = str(params.get("function_name", "")).strip()
    if not _valid_name(name):
        return
    if function == "check_function_definition":
        yield Mutant("defined", f"def {name}(data):\n    return len(data)\n", True)
        yield Mutant("async def", f"async def {name}(data):\n    return len(data)\n", True)
        yield Mutant("a method", f"class Solver:\n    def {name}(self, data):\n        return len(data)\n", True)
        yield Mutant("nested function", f"def solve(data):\n    def {name}(x):\n        return x\n"
                                        f"    return {name}(data)\n", True)
        yield Mutant("another function", f"def {name}_helper(data):\n    return len(data)\n", False)
        yield Mutant("a lambda bound to the name", f"{name} = lambda data: len(data)\n", None)
        yield Mutant("a decorated function", f"import functools\n\n\n@functools.cache\ndef {name}(data):\n"
                                             "    return len(data)\n", True)
        yield Mutant("defined inside an if", f"if True:\n    def {name}(data):\n        return len(data)\n", True)
        return
    num = int(params["num"])
    plist = ", ".join(f"p{i}" for i in range(num))
    yield Mutant(f"{num} parameter(s)", f"def {name}({plist}):\n    return 0\n", True)
    more = ", ".join(f"p{i}" for i in range(num + 1))
    yield Mutant(f"{num + 1} parameter(s)", f"def {name}({more}):\n    return 0\n", False)
    if num:
        fewer = ", ".join(f"p{i}" for i in range(num - 1))
        yield Mutant(f"{num - 1} parameter(s)", f"def {name}({fewer}):\n    return 0\n", False)
        defaults = ", ".join(f"p{i}=None" for i in range(num))
        yield Mutant(f"{num} parameter(s) with defaults", f"def {name}({defaults}):\n    return 0\n", True)
        # self is not one of the parameters the instruction counts (the .toml's "method: self is not one of the two")
        yield Mutant(f"a method with self and {num} parameter(s)",
                     f"class Solver:\n    def {name}(self, {plist}):\n        return 0\n", True)
        kwonly = ", ".join(f"p{i}" for i in range(num - 1))
        sep = ", " if kwonly else ""
        yield Mutant(f"{num - 1} positional and one keyword-only parameter",
                     f"def {name}({kwonly}{sep}*, last):\n    return 0\n", True)  # a keyword-only one is one
    if num >= 2:
        posonly = ", ".join(f"p{i}" for i in range(num - 1))
        yield Mutant(f"{num} parameters, the first positional-only",
                     f"def {name}({posonly}, /, last):\n    return 0\n", True)
    # `**options` is a parameter too (as `*args` is: the .toml's "variadic parameter")
    yield Mutant(f"{num} parameter(s) and **kwargs",
                 f"def {name}({plist}{', ' if plist else ''}**options):\n    return 0\n", False)
    yield Mutant("no such function", f"def other_{name}({plist}):\n    return 0\n", False)


def _value_variants(value: str) -> list[tuple[str, str, bool | None]]:
    """Ways to write the initial value: exactly, respaced, requoted, and a different value."""
    out: list[tuple[str, str, bool | None]] = [("written as given", value, True)]
    if re.fullmatch(r"'[^'\"]*'", value):
        out.append(("with double quotes", '"' + value[1:-1] + '"', True))
    if ", " in value:
        out.append(("without spaces after commas", value.replace(", ", ","), True))
    out.append(("another value", "12345", False))
    return out


def initial_value_mutants(function: str, params: dict[str, Any]) -> Iterator[Mutant]:
    """The variable first given the value as written, respaced or requoted, annotated, in or outside a block, or another value."""
    name = str(params.get("variable_name", "")).strip()
    value = str(params.get("initial_value", "")).strip()
    if not _valid_name(name) or not value:
        return
    try:
        compile(value, "<value>", "eval")
    except SyntaxError:
        return
    nested = function == "check_variable_initial_value_in_nested_block"
    for label, written, keeps in _value_variants(value):
        if nested:
            yield Mutant(f"{label}, in a for loop", f"def solve(data):\n    for ele in data:\n        {name} = {written}\n"
                                                   f"    return {name}\n", keeps)
            yield Mutant(f"{label}, in an if block", f"def solve(data):\n    if data:\n        {name} = {written}\n"
                                                     f"        return {name}\n    return None\n", keeps)
            yield Mutant(f"{label}, at the function's top level",
                         f"def solve(data):\n    {name} = {written}\n    return {name}\n", False)
        else:
            yield Mutant(f"{label}", f"def solve(data, res=1, ele=(1, 2)):\n    {name} = {written}\n    return {name}\n",
                         keeps)
            yield Mutant(f"{label}, annotated", f"def solve(data, res=1, ele=(1, 2)):\n    {name}: object = {written}\n"
                                                f"    return {name}\n", keeps)
    if not nested:
        yield Mutant("given value, then another", f"def solve(data, res=1, ele=(1, 2)):\n    {name} = {value}\n"
                                                  f"    {name} = 12345\n    return {name}\n", True)
        yield Mutant("another value first, given value later",
                     f"def solve(data, res=1, ele=(1, 2)):\n    {name} = 12345\n    {name} = {value}\n"
                     f"    return {name}\n", None)


# -- imports --------------------------------------------------------------------------------------

def import_mutants(function: str, params: dict[str, Any]) -> Iterator[Mutant]:
    """The library imported by each import form, inside a function, next to another module, or not at all."""
    lib = str(params.get("library_name", "")).strip()
    if not re.fullmatch(r"[A-Za-z_][\w.]*", lib):
        return
    must = params.get("should_import", "must") == "must"
    evolved = function == "check_evolved_import"
    other = "os" if lib != "os" else "sys"
    body = "\n\ndef solve(data):\n    return len(data)\n"
    forms = [(f"import {lib}", True), (f"from {lib} import *", True), (f"import {lib} as alias", True),
             (f"import {lib}.sub", True), (f"from {lib}.sub import part", True)]
    for statement, imports in forms:
        yield Mutant(f"`{statement}` and `import {other}`", f"{statement}\nimport {other}\n{body}", imports == must)
        if evolved:
            yield Mutant(f"`{statement}` alone", f"{statement}\n{body}", False if must else None)
    third = "json" if lib != "json" else "sys"
    # the evolved instruction asks for "a minimum of two import statements": one statement is one
    yield Mutant(f"`import {other}, {lib}` in one statement", f"import {other}, {lib}\n{body}",
                 False if evolved else must)
    yield Mutant(f"`from {lib} import part as alias`", f"from {lib} import part as alias\nimport {other}\n{body}", must)
    yield Mutant(f"only `import {other}`", f"import {other}\nimport {third} as alias\n{body}", not must)
    yield Mutant(f"`import {lib}x`, another module", f"import {lib}x\nimport {other}\n{body}", not must)
    yield Mutant(f"`import {lib}` inside the function",
                 f"import {other}\n\n\ndef solve(data):\n    import {lib}\n    return len(data)\n", must)
    yield Mutant("no imports", body.lstrip(), False if evolved else not must)


def no_import_mutants() -> Iterator[Mutant]:
    """No import, or an import in each form (`from __future__` and `__import__` left open)."""
    body = "\n\ndef solve(data):\n    return len(data)\n"
    yield Mutant("no imports", body.lstrip(), True)
    yield Mutant("import", f"import math\n{body}", False)
    yield Mutant("from import", f"from math import sqrt\n{body}", False)
    yield Mutant("import inside the function", "def solve(data):\n    import math\n    return math.sqrt(len(data))\n",
                 False)
    yield Mutant("from __future__ import", f"from __future__ import annotations\n{body}", None)
    yield Mutant("__import__ call", "def solve(data):\n    return __import__('math').sqrt(len(data))\n", None)
    yield Mutant("the word import in a string", "def solve(data):\n    return 'import math' + data\n", True)


# -- comments -------------------------------------------------------------------------------------

def comment_mutants(function: str, params: dict[str, Any]) -> Iterator[Mutant]:
    """One comment line more or fewer than the count (own line, inline), next to docstrings, shebangs, pragmas and '#' in strings; or comments in each language."""
    if function == "check_comment_language":
        zh = params.get("language") == "zh"
        yield Mutant("English comments", "def solve(data):\n    # count the items\n    return len(data)  # the size\n",
                     not zh)
        yield Mutant("Chinese comments", "def solve(data):\n    # 计算元素个数\n    return len(data)  # 长度\n", zh)
        # no comment is in another language (check_comment_language.toml, "no comments, zh")
        yield Mutant("no comments", "def solve(data):\n    return len(data)\n", True)
        # a docstring is commentary in a language too: "comments in English" is not met by a Chinese one
        yield Mutant("English comment, Chinese docstring",
                     "def solve(data):\n    \"\"\"计算元素个数\"\"\"\n    # count the items\n    return len(data)\n", False)
        yield Mutant("Chinese text in a string with '#', English comment",
                     "def solve(data):\n    # count the items\n    return '# 长度' + data\n", not zh)
        yield Mutant("a Chinese comment naming an identifier",
                     "def solve(data):\n    # 计算 data 的长度\n    return len(data)\n", zh)
        yield Mutant("one English and one Chinese comment",
                     "def solve(data):\n    # count the items\n    # 长度\n    return len(data)\n", False)
        return
    target, comparison = int(params["count"]), params["comparison"]
    for k in _counts(target):
        body = [f"# step {i}" for i in range(k)] + ["return len(data)"]
        yield Mutant(f"{k} comment line(s)", _function(body, "data"), meets(k, comparison, target))
        inline = ["total = 0"] + [f"total += {i}  # add {i}" for i in range(k)] + ["return total"]
        yield Mutant(f"{k} inline comment(s)", _function(inline, "data"), meets(k, comparison, target))
        doc = ['"""Count the items."""'] + [f"# step {i}" for i in range(k)] + ["return len(data)"]
        # a docstring is not a comment (the reading of check_comment_count.toml's "two comments plus a docstring")
        yield Mutant(f"a docstring and {k} comment line(s)", _function(doc, "data"), meets(k, comparison, target))
    body = ['text = """', '# not a comment either', '"""'] + [f"# step {i}" for i in range(target)] + ["return text"]
    yield Mutant(f"{target} comment line(s) and a '#' line inside a multi-line string", _function(body, "data"),
                 meets(target, comparison, target))
    shebang = "#!/usr/bin/env python3\n" + _function([f"# step {i}" for i in range(max(target - 1, 0))]
                                                       + ["return len(data)"], "data")
    # a `#!` line is a comment to the tokenizer but a directive for the machine, not a comment for a
    # reader (heedful's comments.count documents this reading); pragmas likewise
    yield Mutant(f"a shebang and {max(target - 1, 0)} comment line(s)", shebang,
                 meets(max(target - 1, 0), comparison, target))
    pragma = _function(["total = len(data)  # type: ignore"] + [f"# step {i}" for i in range(target)]
                       + ["return total"], "data")
    yield Mutant(f"a type: ignore pragma and {target} comment line(s)", pragma, meets(target, comparison, target))
    body = ["text = '# not a comment'"] + [f"# step {i}" for i in range(target)] + ["return text"]
    yield Mutant(f"{target} comment line(s) and a '#' inside a string", _function(body, "data"), True)


# -- structure ------------------------------------------------------------------------------------

def switch_mutants() -> Iterator[Mutant]:
    """A match statement, or the alternatives that are none."""
    yield Mutant("a match statement", "def solve(n):\n    match n:\n        case 0:\n            return 'zero'\n"
                                      "        case _:\n            return 'many'\n", True)
    yield Mutant("an if chain", "def solve(n):\n    if n == 0:\n        return 'zero'\n    return 'many'\n", False)
    yield Mutant("a dict dispatch", "def solve(n):\n    return {0: 'zero'}.get(n, 'many')\n", False)
    yield Mutant("match as a variable name", "def solve(n):\n    match = n\n    return match\n", False)


def recursion_mutants() -> Iterator[Mutant]:
    """Recursion direct, through self, in an inner function or a decorated one, or none."""
    yield Mutant("direct recursion", "def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)\n", True)
    yield Mutant("no recursion", "def fact(n):\n    out = 1\n    for i in range(2, n + 1):\n        out *= i\n"
                                 "    return out\n", False)
    yield Mutant("a recursive method", "class Solver:\n    def fact(self, n):\n"
                                       "        return 1 if n < 2 else n * self.fact(n - 1)\n", True)
    yield Mutant("a recursive inner function", "def solve(n):\n    def go(k):\n        return 0 if k == 0 else go(k - 1)\n"
                                               "    return go(n)\n", True)
    yield Mutant("calls another function of the same name prefix",
                 "def fact_helper(n):\n    return n\n\n\ndef fact(n):\n    return fact_helper(n)\n", False)
    yield Mutant("an inner function calls the outer one",
                 "def walk(node):\n    def visit(child):\n        return walk(child)\n    return [visit(c) for c in node]\n",
                 True)
    yield Mutant("a decorated recursive function",
                 "import functools\n\n\n@functools.cache\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
                 True)
    yield Mutant("mutual recursion", "def even(n):\n    return True if n == 0 else odd(n - 1)\n\n\n"
                                     "def odd(n):\n    return False if n == 0 else even(n - 1)\n", None)


def intermediate_mutants() -> Iterator[Mutant]:
    """One expression, or a variable bound in each way."""
    yield Mutant("one expression", "def solve(data):\n    return sum(x * 2 for x in data)\n", True)
    yield Mutant("an assignment", "def solve(data):\n    total = sum(data)\n    return total * 2\n", False)
    yield Mutant("an annotated assignment", "def solve(data):\n    total: int = sum(data)\n    return total\n", False)
    yield Mutant("an assignment expression", "def solve(data):\n    return (total := sum(data)) * 2\n", False)
    yield Mutant("unpacking", "def solve(data):\n    low, high = min(data), max(data)\n    return high - low\n", False)
    yield Mutant("a for loop", "def solve(data):\n    for x in data:\n        print(x)\n", None)
    # a module-level constant is not intermediate (the .toml's "module-level constant")
    yield Mutant("a module-level constant", "LIMIT = 3\n\n\ndef solve(data):\n    return data[:LIMIT]\n", True)
    yield Mutant("attribute assignment", "def solve(data):\n    data.size = len(data)\n    return data\n", None)


def annotation_mutants() -> Iterator[Mutant]:
    """Every parameter and return annotated, or one annotation missing in each place."""
    yield Mutant("every parameter and return annotated",
                 "def solve(data: list, k: int) -> int:\n    return len(data) + k\n", True)
    yield Mutant("parameters annotated, no return type", "def solve(data: list, k: int):\n    return len(data) + k\n",
                 False)
    yield Mutant("half the parameters annotated", "def solve(data: list, k) -> int:\n    return len(data) + k\n", False)
    yield Mutant("no annotations", "def solve(data, k):\n    return len(data) + k\n", False)
    yield Mutant("a method, self not annotated",
                 "class Solver:\n    def solve(self, data: list) -> int:\n        return len(data)\n", True)
    yield Mutant("two functions, one without annotations",
                 "def solve(data: list) -> int:\n    return helper(data)\n\n\ndef helper(data):\n    return len(data)\n",
                 False)
    yield Mutant("no functions", "data = [1, 2]\nprint(len(data))\n", True)
    yield Mutant("an unannotated nested function",
                 "def solve(data: list) -> int:\n    def size(x):\n        return len(x)\n    return size(data)\n", False)
    yield Mutant("a keyword-only parameter without a type",
                 "def solve(data: list, *, k) -> int:\n    return len(data) + k\n", False)
    yield Mutant("*args and **kwargs annotated",
                 "def solve(*data: int, **options: str) -> int:\n    return len(data)\n", True)
    # PEP 484: `__init__` with annotated parameters is taken as `-> None` (heedful's reading too)
    yield Mutant("__init__ without a return type",
                 "class Box:\n    def __init__(self, size: int):\n        self.size = size\n", True)
    yield Mutant("annotated but for *args", "def solve(*data, k: int) -> int:\n    return len(data) + k\n", False)


def lines_mutants(params: dict[str, Any]) -> Iterator[Mutant]:
    """One line of code more or fewer than the count, with blank and comment lines beside them."""
    target, comparison = int(params["number"]), params["comparison"]
    for k in _counts(max(target, 1)):
        if k < 1:
            continue
        body = [f"x{i} = {i}" for i in range(k - 2)] + ["return 0"] if k >= 2 else []
        program = "def solve(data):\n" + _indent(body) + "\n" if k >= 2 else "solve = len\n"
        yield Mutant(f"{k} line(s)", program, meets(k, comparison, target))
        with_blank = program.replace("\n", "\n\n", 1) + "\n"
        yield Mutant(f"{k} line(s) and blank lines", with_blank, meets(k, comparison, target))
    body = ["# a comment"] * 2 + ["return len(data)"]
    # comment lines are not lines of code (the .toml's "three lines 'including one line of comments'")
    yield Mutant("2 comment lines and 2 lines of code", _function(body, "data"), meets(2, comparison, target))


# -- the dispatch ---------------------------------------------------------------------------------

def mutants(function: str, params: dict[str, Any]) -> list[Mutant]:
    """Every generated program for one check; [] for a checker with no generator (non_checkable)."""
    p = params if isinstance(params, dict) else {}
    generators: dict[str, Callable[[], Iterator[Mutant]]] = {
        "check_forbidden_loop_type": lambda: loop_mutants(function, p),
        "check_loop_count": lambda: loop_mutants(function, p),
        "check_conditional_count": lambda: conditional_mutants(p),
        "check_inline_construct_count": lambda: construct_mutants(function, p),
        "check_syntactic_sugar_usage": lambda: construct_mutants(function, p),
        "check_forbidden_builtins": lambda: builtin_mutants(function, p),
        "check_mandatory_builtins": lambda: builtin_mutants(function, p),
        "check_data_structure_usage": lambda: structure_mutants(p),
        "check_variable_existence": lambda: existence_mutants(function, p),
        "check_annotated_variable": lambda: existence_mutants(function, p),
        "check_global_variable_existence": lambda: global_mutants(p),
        "check_interface_existence": lambda: class_mutants(p),
        "check_function_definition": lambda: function_mutants(function, p),
        "check_function_parameter_count": lambda: function_mutants(function, p),
        "check_variable_initial_value": lambda: initial_value_mutants(function, p),
        "check_variable_initial_value_in_nested_block": lambda: initial_value_mutants(function, p),
        "check_library_import": lambda: import_mutants(function, p),
        "check_evolved_import": lambda: import_mutants(function, p),
        "check_library_no_import": no_import_mutants,
        "check_comment_count": lambda: comment_mutants(function, p),
        "check_comment_language": lambda: comment_mutants(function, p),
        "check_switch_statement_existence": switch_mutants,
        "check_recursion_usage": recursion_mutants,
        "check_no_intermediate_variables": intermediate_mutants,
        "check_type_annotation_coverage": annotation_mutants,
        "check_lines_of_code": lambda: lines_mutants(p),
    }
    if function in generators:
        try:
            out = list(generators[function]())
        except (KeyError, ValueError, TypeError):
            return []  # params the generator cannot read (a missing count): the check is still in the corpus
    else:
        out = list(naming_mutants(function, p))
    seen: set[str] = set()
    unique = []
    for mutant in out:
        if mutant.program not in seen:
            compile(mutant.program, f"<{function} {mutant.label}>", "exec")
            seen.add(mutant.program)
            unique.append(mutant)
    return unique
