"""Programs that satisfy or violate each MultiCodeIF rule-checked item, for the agreement harness.

MultiCodeIF's rule-checked types carry a small spec as their `answer` (`python;class:PascalCase`,
`Cpp;std::string::substr`, `Rust;process_users;[Vec,bool]`) and no program. To compare the
authors' checker with heedful on every item, each item's own spec is turned into a few short
programs in the item's language: one written to satisfy the instruction as its plain words say
(`passing`), and variants that break it in one way each (`failing:<how>`). Each program carries the
verdict it was written to get (`expected`), so a disagreement between the two checkers can be
judged: whichever one matches the program's construction is right.

The programs are written the way a model answering the prompt would write them (a qualified
function name is called the idiomatic way, `s.substr(0, 3)` for `std::string::substr`; a Go
library is imported by its full module path). Where no program can satisfy the spec (a kebab-case
identifier in a language whose names cannot hold `-`), only failing variants are made and the
reason is recorded in `skipped`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Program:
    """One program written against one item's spec, with the verdict it was written to get."""

    item: str          # the item's key: `<type file stem>#<id>`
    kind: str          # `category/constraint`
    language: str      # heedful's language name
    answer: str        # the item's own spec, as the data gives it
    variant: str       # `passing`, `failing:<how>`, or `reference:<item>` (a benchmark reference program)
    expected: bool | None  # the verdict it was written to get; None: not known (a reference program)
    code: str

    @property
    def key(self) -> str:
        return f"{self.item}/{self.variant}"


@dataclass
class Corpus:
    """The programs made for a set of items, and the items for which some or all could not be made."""

    programs: list[Program] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (item, why)


# -- identifiers in a case ------------------------------------------------------------------------

def cased(words: list[str], case: str) -> str:
    """`["compute", "total"]` in `snake_case`, `camelCase`, `PascalCase`, `UPPER_CASE` or `kebab-case`."""
    if case == "snake_case":
        return "_".join(words)
    if case == "camelCase":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if case == "PascalCase":
        return "".join(w.capitalize() for w in words)
    if case == "UPPER_CASE":
        return "_".join(w.upper() for w in words)
    if case == "kebab-case":
        return "-".join(words)
    raise ValueError(f"unknown case {case!r}")


OTHER_CASE = {"snake_case": "camelCase", "camelCase": "snake_case", "PascalCase": "snake_case",
              "kebab-case": "camelCase", "UPPER_CASE": "camelCase"}
CASE_NAMES = {"pascalcase": "PascalCase", "camelcase": "camelCase", "snake_case": "snake_case",
              "kebab-case": "kebab-case", "upper_case": "UPPER_CASE"}

NAMING = {
    "python": ("class {C}:\n    def __init__(self, {P}):\n        self.{D} = {P}\n\n\n"
               "def {F}({P}):\n    {V} = {P} + 1\n    return {V}\n"),
    "java": ("public class {C} {{\n    private int {D};\n\n    public static int {F}(int {P}) {{\n"
             "        int {V} = {P} + 1;\n        return {V};\n    }}\n}}\n"),
    "javascript": "class {C} {{}}\n\nfunction {F}({P}) {{\n    const {V} = {P} + 1;\n    return {V};\n}}\n",
    "typescript": ("class {C} {{}}\n\nfunction {F}({P}: number): number {{\n    const {V} = {P} + 1;\n"
                   "    return {V};\n}}\n"),
    "go": ("package main\n\ntype {C} struct {{\n\t{D} int\n}}\n\nfunc {F}({P} int) int {{\n\t{V} := {P} + 1\n"
           "\treturn {V}\n}}\n"),
    "rust": "struct {C} {{\n    {D}: i32,\n}}\n\nfn {F}({P}: i32) -> i32 {{\n    let {V} = {P} + 1;\n    {V}\n}}\n",
    "cpp": ("class {C} {{\npublic:\n    int {D};\n}};\n\nint {F}(int {P}) {{\n    int {V} = {P} + 1;\n"
            "    return {V};\n}}\n"),
    "kotlin": "class {C}(val {D}: Int)\n\nfun {F}({P}: Int): Int {{\n    val {V} = {P} + 1\n    return {V}\n}}\n",
    "csharp": ("public class {C}\n{{\n    private int {D};\n\n    public static int {F}(int {P})\n    {{\n"
               "        int {V} = {P} + 1;\n        return {V};\n    }}\n}}\n"),
}
WORDS = {"class": ["order", "record"], "function": ["compute", "total"], "variable": ["item", "count"]}
# parameters and fields are variables too ("variable names snake_case"): written in the variable's case
VARIABLE_WORDS = {"P": ["input", "value"], "D": ["stored", "value"]}


def _naming(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    if language not in NAMING:
        yield f"no naming template for {language}"
        return
    roles: dict[str, str] = {}
    for item in spec.split(","):
        role, case = (x.strip() for x in item.split(":", 1))
        roles["class" if role.lower() == "struct" else role.lower()] = CASE_NAMES[case.lower()]
    default = {"class": "PascalCase", "function": "snake_case" if language in ("python", "rust") else "camelCase",
               "variable": "snake_case" if language in ("python", "rust") else "camelCase"}

    def program(cases: dict[str, str]) -> str:
        names = {role[0].upper(): cased(WORDS[role], cases.get(role, default[role])) for role in WORDS}
        names |= {key: cased(words, cases.get("variable", default["variable"])) for key, words in VARIABLE_WORDS.items()}
        return NAMING[language].format(**names)

    if "kebab-case" in roles.values():
        yield f"kebab-case cannot be an identifier in {language}: no passing program"
    else:
        yield "passing", True, program(roles)
    for role, case in roles.items():
        wrong = dict(roles)
        wrong[role] = OTHER_CASE[case]
        if "kebab-case" in wrong.values():
            wrong = {r: ("snake_case" if c == "kebab-case" and r != role else c) for r, c in wrong.items()}
        yield f"failing:{role}", False, program(wrong)


# -- indentation and spacing ----------------------------------------------------------------------

INDENTATION = {
    "python": "def add(a,{c}b):\n{i}total{s}={s}a{s}+{s}b\n{i}if total{s}>{s}10:\n{i}{i}total{s}={s}total{s}-{s}1\n"
              "{i}return total\n",
    "c": "int add(int a,{c}int b) {{\n{i}int total{s}={s}a{s}+{s}b;\n{i}if (total{s}>{s}10) {{\n"
         "{i}{i}total{s}={s}total{s}-{s}1;\n{i}}}\n{i}return total;\n}}\n",
    "java": "class Adder {{\n{i}int add(int a,{c}int b) {{\n{i}{i}int total{s}={s}a{s}+{s}b;\n{i}{i}if (total{s}>{s}10) {{\n"
            "{i}{i}{i}total{s}={s}total{s}-{s}1;\n{i}{i}}}\n{i}{i}return total;\n{i}}}\n}}\n",
    "javascript": "function add(a,{c}b) {{\n{i}let total{s}={s}a{s}+{s}b;\n{i}if (total{s}>{s}10) {{\n"
                  "{i}{i}total{s}={s}total{s}-{s}1;\n{i}}}\n{i}return total;\n}}\n",
    "go": "package main\n\nfunc add(a int,{c}b int) int {{\n{i}total{s}:={s}a{s}+{s}b\n{i}if total{s}>{s}10 {{\n"
          "{i}{i}total{s}={s}total{s}-{s}1\n{i}}}\n{i}return total\n}}\n",
    "rust": "fn add(a: i32,{c}b: i32) -> i32 {{\n{i}let mut total{s}={s}a{s}+{s}b;\n{i}if total{s}>{s}10 {{\n"
            "{i}{i}total{s}={s}total{s}-{s}1;\n{i}}}\n{i}total\n}}\n",
    "kotlin": "fun add(a: Int,{c}b: Int): Int {{\n{i}var total{s}={s}a{s}+{s}b\n{i}if (total{s}>{s}10) {{\n"
              "{i}{i}total{s}={s}total{s}-{s}1\n{i}}}\n{i}return total\n}}\n",
}
INDENTATION["cpp"] = INDENTATION["c"]


def _indentation(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    if language not in INDENTATION:
        yield f"no indentation template for {language}"
        return
    tokens = [t.strip().lower() for t in spec.split(";")]
    indent, spacing = tokens[0], tokens[1] == "spacing"
    unit = "\t" if indent == "tabs" else " " * int(indent.split(":")[1])
    template = INDENTATION[language]

    def program(unit: str, spacing: bool) -> str:
        return template.format(i=unit, s=" " if spacing else "", c=" " if spacing else "")

    yield "passing", True, program(unit, spacing)
    if indent == "tabs":
        yield "failing:spaces-for-tabs", False, program("    ", spacing)
    else:
        size = int(indent.split(":")[1])
        yield "failing:tabs-for-spaces", False, program("\t", spacing)
        yield "failing:other-width", False, program(" " * (3 if size != 3 else 2), spacing)
        if size == 2:
            yield "failing:double-width", False, program("    ", spacing)
    yield "failing:spacing", False, program(unit, not spacing)


# -- braces ---------------------------------------------------------------------------------------

BRACES = {
    "c": ("int sign(int x)", "if (x > 0)", "return 1;", "return -1;", ""),
    "java": ("static int sign(int x)", "if (x > 0)", "return 1;", "return -1;", "class Sign"),
    "javascript": ("function sign(x)", "if (x > 0)", "return 1;", "return -1;", ""),
    "rust": ("fn sign(x: i32) -> i32", "if x > 0", "1", "-1", ""),
    "go": ("func sign(x int) int", "if x > 0", "return 1", "return -1", ""),
    "csharp": ("static int Sign(int x)", "if (x > 0)", "return 1;", "return -1;", "class Sign"),
    "kotlin": ("fun sign(x: Int): Int", "if (x > 0)", "return 1", "return -1", ""),
}
BRACES["cpp"] = BRACES["c"]
BRACES["typescript"] = ("function sign(x: number): number", "if (x > 0)", "return 1;", "return -1;", "")


def _brace_program(language: str, style: str) -> str:
    header, condition, then, otherwise, wrapper = BRACES[language]
    if style == "Allman":
        body = (f"{header}\n{{\n    {condition}\n    {{\n        {then}\n    }}\n    else\n    {{\n"
                f"        {otherwise}\n    }}\n}}\n")
    elif style == "split-else":
        body = f"{header} {{\n    {condition} {{\n        {then}\n    }}\n    else {{\n        {otherwise}\n    }}\n}}\n"
    else:
        body = f"{header} {{\n    {condition} {{\n        {then}\n    }} else {{\n        {otherwise}\n    }}\n}}\n"
    if wrapper:
        inner = "".join("    " + line + "\n" if line else "\n" for line in body.splitlines())
        opening = f"{wrapper}\n{{\n" if style == "Allman" else f"{wrapper} {{\n"
        return opening + inner + "}\n"
    return body


def _braces(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    if language not in BRACES:
        yield f"braces do not apply to {language} (or no template)"
        return
    style = {"k&r": "K&R", "1tbs": "1TBS", "allman": "Allman"}[spec.strip().lower()]
    yield "passing", True, _brace_program(language, style)
    if style == "Allman":
        yield "failing:K&R", False, _brace_program(language, "K&R")
    else:
        yield "failing:Allman", False, _brace_program(language, "Allman")
    if style == "1TBS":
        yield "failing:else-on-its-own-line", False, _brace_program(language, "split-else")


# -- comments -------------------------------------------------------------------------------------

# (line comment, block opener, block closer, doc opener, function text with {doc} and {inline})
COMMENTS = {
    "python": ("#", None, None, None, "{doc}def area(width, height):\n{body}    return width * height{inline}\n"),
    "c": ("//", "/*", "*/", "/**", "{doc}int area(int width, int height) {{\n{body}    return width * height;{inline}\n}}\n"),
    "java": ("//", "/*", "*/", "/**",
             ("public class Shapes {{\n{doc}    public static int area(int width, int height) {{\n{body}"
             "        return width * height;{inline}\n    }}\n}}\n")),
    "javascript": ("//", "/*", "*/", "/**", "{doc}function area(width, height) {{\n{body}    return width * height;{inline}\n}}\n"),
    "go": ("//", "/*", "*/", None, ("package shapes\n\n{doc}func Area(width int, height int) int {{\n{body}"
           "    return width * height{inline}\n}}\n")),
    "rust": ("//", "/*", "*/", "///", "{doc}fn area(width: i32, height: i32) -> i32 {{\n{body}    width * height{inline}\n}}\n"),
    "kotlin": ("//", "/*", "*/", "/**", ("{doc}fun area(width: Int, height: Int): Int {{\n{body}"
               "    return width * height{inline}\n}}\n")),
}
COMMENTS["cpp"] = COMMENTS["c"]


def _comment_program(language: str, how: str) -> str:
    line, opener, closer, _, template = COMMENTS[language]
    indent = "    " if language == "java" else ""
    body_indent = indent + "    "
    doc_text, body, inline = "", "", ""
    if how == "line":
        doc_text = f"{indent}{line} Computes the area of a rectangle.\n"
        body = f"{body_indent}{line} width times height\n"
    elif how == "block":
        doc_text = f"{indent}{opener}\n{indent}   Computes the area of a rectangle.\n{indent}   width and height in metres.\n{indent}{closer}\n"
    elif how == "doc-block":
        doc_text = f"{indent}/**\n{indent} * Computes the area of a rectangle.\n{indent} * @param width the width\n{indent} */\n"
    elif how == "mixed":
        doc_text = f"{indent}{opener}\n{indent}   Computes the area of a rectangle.\n{indent}{closer}\n"
        body = f"{body_indent}{line} width times height\n"
    elif how == "inline":
        inline = f"  {line} width times height"
    elif how == "rustdoc":
        doc_text = "/// Computes the area of a rectangle.\n"
    elif how == "godoc":
        doc_text = "// Area computes the area of a rectangle.\n"
    elif how == "godoc-wrong":
        doc_text = "// Computes the area of a rectangle.\n"
    elif how == "none":
        pass
    elif how == "javadoc":
        doc_text = (f"{indent}/**\n{indent} * Computes the area of a rectangle.\n{indent} * @param width the width\n"
                    f"{indent} * @param height the height\n{indent} * @return the area\n{indent} */\n")
    elif how == "docstring":
        return 'def area(width, height):\n    """Return the area of a rectangle."""\n    return width * height\n'
    return template.format(doc=doc_text, body=body, inline=inline)


def _comments(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    if language not in COMMENTS:
        yield f"no comment template for {language}"
        return
    style = spec.strip().lower()
    opener = COMMENTS[language][1]
    if style == "single-line comment":
        yield "passing", True, _comment_program(language, "line")
        if opener:
            yield "failing:block", False, _comment_program(language, "block")
        yield "failing:none", False, _comment_program(language, "none")
    elif style in ("multi-line comment", "block comment"):
        if opener is None:
            yield f"{language} has no block comment syntax: no passing program"
        else:
            yield "passing", True, _comment_program(language, "block")
            if style == "block comment" and language in ("java", "javascript", "kotlin", "c", "cpp"):
                yield "passing:doc-block", True, _comment_program(language, "doc-block")
            if style == "block comment":
                yield "passing:with-line-comments", True, _comment_program(language, "mixed")
        yield "failing:none", False, _comment_program(language, "none")
        if style == "multi-line comment":
            yield "failing:line", False, _comment_program(language, "line")
    elif style == "inline comment":
        yield "passing", True, _comment_program(language, "inline")
        yield "failing:own-line", False, _comment_program(language, "line")
        yield "failing:none", False, _comment_program(language, "none")
    elif style in ("javadoc", "kotlindoc") and language in ("java", "kotlin"):
        yield "passing", True, _comment_program(language, "javadoc")
        yield "failing:line", False, _comment_program(language, "line")
        yield "failing:none", False, _comment_program(language, "none")
    elif style == "rustdoc" and language == "rust":
        yield "passing", True, _comment_program(language, "rustdoc")
        yield "failing:none", False, _comment_program(language, "none")
    elif style == "godoc" and language == "go":
        yield "passing", True, _comment_program(language, "godoc")
        yield "failing:none", False, _comment_program(language, "none")
    elif style == "python docstring" and language == "python":
        yield "passing", True, _comment_program(language, "docstring")
        yield "failing:line", False, _comment_program(language, "line")
    else:
        yield f"no template for {style} in {language}"


# -- advanced syntax ------------------------------------------------------------------------------

SYNTAX = {
    ("python", "generator and yield"): ("def evens(limit):\n    for n in range(limit):\n        if n % 2 == 0:\n            yield n\n",
                                        ("def evens(limit):\n    out = []\n    for n in range(limit):\n        if n % 2 == 0:\n"
                                        "            out.append(n)\n    return out\n")),
    ("python", "list comprehension"): ("def squares(values):\n    return [v * v for v in values]\n",
                                       "def squares(values):\n    out = []\n    for v in values:\n        out.append(v * v)\n    return out\n"),
    ("python", "dictionary comprehension"): ("def lengths(words):\n    return {w: len(w) for w in words}\n",
                                             "def lengths(words):\n    out = {}\n    for w in words:\n        out[w] = len(w)\n    return out\n"),
    ("python", "set comprehension"): ("def initials(words):\n    return {w[0] for w in words}\n",
                                      "def initials(words):\n    out = set()\n    for w in words:\n        out.add(w[0])\n    return out\n"),
    ("javascript", "async/await"): ("async function load(url) {\n    const response = await fetch(url);\n    return response.json();\n}\n",
                                    "function load(url) {\n    return fetch(url).then((r) => r.json());\n}\n"),
    ("javascript", "arrow functions"): ("const double = (n) => n * 2;\n", "function double(n) {\n    return n * 2;\n}\n"),
    ("javascript", "spread operator"): ("function merge(a, b) {\n    return [...a, ...b];\n}\n",
                                        "function merge(a, b) {\n    return a.concat(b);\n}\n"),
    ("go", "goroutine and channel"): (("package main\n\nfunc sum(values []int) int {\n    results := make(chan int)\n"
                                      "    go func() {\n        total := 0\n        for _, v := range values {\n"
                                      "            total += v\n        }\n        results <- total\n    }()\n    return <-results\n}\n"),
                                      ("package main\n\nfunc sum(values []int) int {\n    total := 0\n    for _, v := range values {\n"
                                      "        total += v\n    }\n    return total\n}\n")),
    ("go", "defer statement"): (("package main\n\nimport \"os\"\n\nfunc read(path string) error {\n    f, err := os.Open(path)\n"
                                "    if err != nil {\n        return err\n    }\n    defer f.Close()\n    return nil\n}\n"),
                                ("package main\n\nimport \"os\"\n\nfunc read(path string) error {\n    f, err := os.Open(path)\n"
                                "    if err != nil {\n        return err\n    }\n    return f.Close()\n}\n")),
    ("kotlin", "lambda expression"): ("fun doubled(values: List<Int>): List<Int> {\n    return values.map { it * 2 }\n}\n",
                                      ("fun doubled(values: List<Int>): List<Int> {\n    val out = mutableListOf<Int>()\n"
                                      "    for (v in values) {\n        out.add(v * 2)\n    }\n    return out\n}\n")),
    ("kotlin", "when expression"): (("fun label(n: Int): String {\n    return when {\n        n < 0 -> \"negative\"\n"
                                    "        else -> \"non-negative\"\n    }\n}\n"),
                                    ("fun label(n: Int): String {\n    if (n < 0) {\n        return \"negative\"\n    }\n"
                                    "    return \"non-negative\"\n}\n")),
    ("rust", "match expression"): ("fn label(n: i32) -> &'static str {\n    match n {\n        0 => \"zero\",\n        _ => \"other\",\n    }\n}\n",
                                   "fn label(n: i32) -> &'static str {\n    if n == 0 {\n        \"zero\"\n    } else {\n        \"other\"\n    }\n}\n"),
    ("rust", "if let syntax sugar"): (("fn first(values: &[i32]) -> i32 {\n    if let Some(v) = values.first() {\n        *v\n"
                                      "    } else {\n        0\n    }\n}\n"),
                                      ("fn first(values: &[i32]) -> i32 {\n    if values.is_empty() {\n        0\n    } else {\n"
                                      "        values[0]\n    }\n}\n")),
    ("rust", "closures"): ("fn doubled(values: &[i32]) -> Vec<i32> {\n    values.iter().map(|v| v * 2).collect()\n}\n",
                           ("fn doubled(values: &[i32]) -> Vec<i32> {\n    let mut out = Vec::new();\n    for v in values {\n"
                           "        out.push(v * 2);\n    }\n    out\n}\n")),
}


def _advanced_syntax(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    pair = SYNTAX.get((language, " ".join(spec.lower().split())))
    if pair is None:
        yield f"no template for {spec!r} in {language}"
        return
    yield "passing", True, pair[0]
    yield "failing:without", False, pair[1]
    if (language, " ".join(spec.lower().split())) == ("rust", "if let syntax sugar"):
        yield "failing:while-let", False, ("fn drain(mut values: Vec<i32>) -> i32 {\n    let mut total = 0;\n"
                                           "    while let Some(v) = values.pop() {\n        total += v;\n    }\n"
                                           "    total\n}\n")


# -- function calls -------------------------------------------------------------------------------

def _call(language: str, name: str) -> str:
    """The idiomatic call of `name` in `language` (a type-qualified method on a receiver)."""
    idiom = {
        ("cpp", "std::string::substr"): "s.substr(0, 3)", ("python", "DataFrame.fillna"): "frame.fillna(0)",
        ("python", "str.upper"): "text.upper()", ("csharp", "string.Split"): "text.Split(',')",
        ("csharp", "List.Count"): "items.Count()", ("java", "stream.count"): "items.stream().count()",
        ("rust", "Vec::push"): "items.push(1)", ("rust", "std::iter::Iterator::map"): "items.iter().map(|v| v + 1)",
        ("rust", "f64::sqrt"): "x.sqrt()", ("rust", "std::env::args"): "std::env::args()",
    }
    if (language, name) in idiom:
        return idiom[(language, name)]
    if "::" in name or "." in name:
        return f"{name}(x)"
    if language in ("python", "go", "cpp", "c") and name in ("any", "len", "namedtuple", "fetch"):
        return f"{name}(x)"
    if language == "javascript" and name == "fetch":
        return "fetch(x)"
    return f"items.{name}(x)"


CALL_WRAPPERS = {
    "python": "def run(items, x, s, text, frame):\n    return {call}\n",
    "javascript": "function run(items, x, s, text) {{\n    return {call};\n}}\n",
    "java": "class Runner {{\n    Object run(java.util.List<String> items, String x, String text) {{\n        return {call};\n    }}\n}}\n",
    "csharp": "class Runner\n{{\n    object Run(System.Collections.Generic.List<string> items, string x, string text)\n    {{\n"
              "        return {call};\n    }}\n}}\n",
    "go": "package main\n\nfunc run(items []string, x string) {{\n    {call}\n}}\n",
    "rust": "fn run(items: &mut Vec<i32>, x: f64) {{\n    let _ = {call};\n}}\n",
    "cpp": "#include <string>\n\nint run(std::string s, double x) {{\n    auto r = {call};\n    return 0;\n}}\n",
}
NO_CALL = {"python": "x", "javascript": "x", "java": "x", "csharp": "x", "go": "_ = x", "rust": "x", "cpp": "x"}


def _function(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    name = spec.strip().strip("`")
    if language not in CALL_WRAPPERS:
        yield f"no call template for {language}"
        return
    if name in ("go", "await", "Wait"):
        yield f"{name!r} is a keyword or needs a sync.WaitGroup program: no template"
        return
    wrapper = CALL_WRAPPERS[language]
    call = _call(language, name)
    if language == "go" and not call.startswith(("fmt.", "len(")):
        call = "_ = " + call if "(" in call else call
    elif language == "go" and call.startswith("len("):
        call = "_ = " + call
    yield "passing", True, wrapper.format(call=call)
    yield "failing:without", False, wrapper.format(call=NO_CALL[language])


# -- libraries ------------------------------------------------------------------------------------

GO_MODULES = {"gin": "github.com/gin-gonic/gin", "cobra": "github.com/spf13/cobra", "ent": "entgo.io/ent",
              "gorm": "gorm.io/gorm", "go-chi/chi": "github.com/go-chi/chi/v5", "gorilla/mux": "github.com/gorilla/mux",
              "urfave/cli": "github.com/urfave/cli/v2", "asynkron/protoactor-go": "github.com/asynkron/protoactor-go/actor",
              "go-co-op/gocron": "github.com/go-co-op/gocron", "go-resty/resty": "github.com/go-resty/resty/v2",
              "encoding/json": "encoding/json", "sync": "sync"}
TS_MODULES = {"nestjs": "@nestjs/common"}


def _import(language: str, library: str) -> str:
    if language == "python":
        return f"import {library}\n\n\ndef run():\n    return {library}\n"
    if language == "javascript":
        return f"const lib = require('{library}');\n\nmodule.exports = lib;\n"
    if language == "typescript":
        return f"import * as lib from '{TS_MODULES.get(library.lower(), library)}';\n\nexport default lib;\n"
    if language == "go":
        path = GO_MODULES.get(library.lower(), library)
        return f"package main\n\nimport (\n\t\"fmt\"\n\n\tlib \"{path}\"\n)\n\nvar _ = lib.New\n\nfunc main() {{\n\tfmt.Println()\n}}\n"
    if language == "rust":
        return f"use {library.replace('-', '_')}::prelude::*;\n\nfn main() {{}}\n"
    raise KeyError(language)


OTHER_LIBRARY = {"python": "json", "javascript": "path", "typescript": "path", "go": "strings", "rust": "std"}


def _library(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    if language not in OTHER_LIBRARY:
        yield f"no import template for {language}"
        return
    yield "passing", True, _import(language, spec.strip())
    yield "failing:other", False, _import(language, OTHER_LIBRARY[language])


# -- parameter and return types -------------------------------------------------------------------

TYPES = {
    "python": {"list": "list[int]", "set": "set[int]", "map": "dict[str, int]", "tuple": "tuple[int, int]",
               "matrix": "list[list[int]]", "tree": "TreeNode", "graph": "Graph", "string": "str", "str": "str",
               "jsonobject": "dict", "boolean": "bool", "bool": "bool", "integer": "int", "int": "int",
               "float": "float", "deque": "deque", "node": "Node", "none": "None"},
    "java": {"list": "List<Integer>", "set": "Set<Integer>", "map": "Map<String, Integer>", "tuple": "Pair<Integer, Integer>",
             "matrix": "int[][]", "tree": "TreeNode", "graph": "Graph", "string": "String", "jsonobject": "JSONObject",
             "boolean": "boolean", "integer": "int", "float": "double"},
    "cpp": {"list": "std::vector<int>", "set": "std::set<int>", "map": "std::map<std::string, int>",
            "tuple": "std::pair<int, int>", "matrix": "std::vector<std::vector<int>>", "tree": "TreeNode*",
            "graph": "Graph", "string": "std::string", "jsonobject": "Json::Value", "boolean": "bool",
            "integer": "int", "float": "double", "linkedlist": "ListNode*"},
    "rust": {"list": "Vec<i32>", "set": "HashSet<i32>", "map": "HashMap<String, i32>", "tuple": "(i32, i32)",
             "matrix": "Vec<Vec<i32>>", "tree": "TreeNode", "graph": "Graph", "string": "String",
             "jsonobject": "serde_json::Value", "boolean": "bool", "integer": "i32", "float": "f64"},
}
PRELUDE = {
    "python": "from collections import deque\n\n\nclass TreeNode:\n    pass\n\n\nclass Node:\n    pass\n\n\nGraph = dict[int, list[int]]\n\n\n",
    "java": "import java.util.*;\nimport org.json.JSONObject;\n\nclass TreeNode {}\nclass Graph {}\nclass Pair<A, B> {}\n\n",
    "cpp": "#include <map>\n#include <set>\n#include <string>\n#include <vector>\n#include <json/json.h>\n\n"
           "struct TreeNode {};\nstruct ListNode {};\nstruct Graph {};\n\n",
    "rust": "use std::collections::{HashMap, HashSet};\n\nstruct TreeNode;\nstruct Graph;\n\n",
}


def _type_name(language: str, word: str) -> str | None:
    word = word.strip()
    if word.lower().startswith("struct:"):
        return word.split(":", 1)[1].strip()
    return TYPES[language].get(word.lower())


def _struct_prelude(language: str, name: str) -> str:
    return {"python": f"class {name}:\n    pass\n\n\n", "java": f"class {name} {{}}\n\n", "cpp": f"struct {name} {{}};\n\n",
            "rust": f"struct {name};\n\n"}[language]


def _function_text(language: str, name: str, params: list[str], returns: str | None) -> str:
    names = [f"arg{i}" for i in range(len(params))]
    if language == "python":
        args = ", ".join(f"{n}: {t}" for n, t in zip(names, params))
        arrow = f" -> {returns}" if returns else ""
        return f"def {name}({args}){arrow}:\n    raise NotImplementedError\n"
    if language == "java":
        args = ", ".join(f"{t} {n}" for n, t in zip(names, params))
        return f"public class Solution {{\n    public static {returns or 'void'} {name}({args}) {{\n        throw new UnsupportedOperationException();\n    }}\n}}\n"
    if language == "cpp":
        args = ", ".join(f"{t} {n}" for n, t in zip(names, params))
        return f"{returns or 'void'} {name}({args}) {{\n    throw 0;\n}}\n"
    if language == "rust":
        args = ", ".join(f"{n}: {t}" for n, t in zip(names, params))
        arrow = f" -> {returns}" if returns else ""
        return f"fn {name}({args}){arrow} {{\n    unimplemented!()\n}}\n"
    if language == "go":
        args = ", ".join(f"{n} int" for n in names)
        return f"package main\n\nfunc {name}({args}) {returns} {{\n    panic(\"todo\")\n}}\n"
    raise KeyError(language)


def _other(language: str, word: str) -> str:
    """A type of another family than `word`."""
    return TYPES[language]["string"] if word.lower() not in ("string", "str") else TYPES[language]["integer"]


def _io_prelude(language: str, words: list[str]) -> str:
    prelude = PRELUDE[language]
    for word in words:
        if word.strip().lower().startswith("struct:"):
            prelude += _struct_prelude(language, word.split(":", 1)[1].strip())
    return prelude


def _input_type(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    if language not in TYPES:
        yield f"no type template for {language}"
        return
    function, word = (f.strip() for f in spec.split(";", 1))
    wanted = _type_name(language, word)
    if wanted is None:
        yield f"no {language} type for {word!r}"
        return
    prelude = _io_prelude(language, [word])
    extra = _other(language, word)
    yield "passing", True, prelude + _function_text(language, function, [wanted], None)
    yield "passing:among-others", True, prelude + _function_text(language, function, [wanted, extra], None)
    yield "failing:other-type", False, prelude + _function_text(language, function, [extra], None)


def _output_type(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    if language not in TYPES:
        yield f"no type template for {language}"
        return
    function, word = (f.strip() for f in spec.split(";", 1))
    wanted = _type_name(language, word)
    if wanted is None:
        yield f"no {language} type for {word!r}"
        return
    prelude = _io_prelude(language, [word])
    yield "passing", True, prelude + _function_text(language, function, [TYPES[language]["integer"]], wanted)
    yield "failing:other-type", False, prelude + _function_text(language, function, [TYPES[language]["integer"]],
                                                                 _other(language, word))


def _type_list(value: str) -> list[str]:
    inner, out, depth, current = value.strip()[1:-1], [], 0, ""
    for ch in inner:
        depth += (ch in "[<(" and 1) or (-1 if ch in "]>)" else 0)
        if ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += ch
    return out + ([current.strip()] if current.strip() else [])


def _input_order(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    if language not in TYPES:
        yield f"no type template for {language}"
        return
    function, value = (f.strip() for f in spec.split(";", 1))
    words = _type_list(value)
    types = [_type_name(language, w) for w in words]
    if None in types:
        yield f"no {language} type for one of {words}"
        return
    prelude = _io_prelude(language, words)
    yield "passing", True, prelude + _function_text(language, function, types, None)
    if len(types) > 1 and types != types[::-1]:
        yield "failing:reversed", False, prelude + _function_text(language, function, types[::-1], None)
    yield "failing:missing-last", False, prelude + _function_text(language, function, types[:-1], None) \
        if len(types) > 1 else prelude + _function_text(language, function, [_other(language, words[0])], None)


RETURN_ORDER = {
    "python": lambda ts: f"tuple[{', '.join(ts)}]",
    "rust": lambda ts: f"({', '.join(ts)})",
    "go": lambda ts: f"({', '.join(ts)})",
}
RUST_GENERIC = {"Vec": "Vec<i32>", "HashMap": "HashMap<String, i32>", "HashSet": "HashSet<i32>",
                "BTreeMap": "BTreeMap<String, i32>", "BTreeSet": "BTreeSet<i32>", "VecDeque": "VecDeque<i32>",
                "LinkedList": "LinkedList<i32>", "SmallVec": "SmallVec<[i32; 4]>", "ArrayVec": "ArrayVec<i32, 4>",
                "float": "f64", "dict": "HashMap<String, i32>"}


def _output_order(language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    if language not in RETURN_ORDER:
        yield f"no return template for {language}"
        return
    function, value = (f.strip() for f in spec.split(";", 1))
    words = _type_list(value)
    if language == "rust":
        types = [RUST_GENERIC.get(w, w) for w in words]
    elif language == "go":
        types = ["struct{}" if w == "struct" else w for w in words]
    else:
        types = words
    if language == "go":
        prelude = "package main\n\nimport \"time\"\n\nvar _ time.Time\n\n" if "time.Time" in types else "package main\n\n"
        code = f"func {function}() {RETURN_ORDER['go'](types)} {{\n    panic(\"todo\")\n}}\n"
        yield "passing", True, prelude + code
        if types != types[::-1]:
            yield "failing:reversed", False, prelude + code.replace(RETURN_ORDER["go"](types), RETURN_ORDER["go"](types[::-1]))
        return
    prelude = {"python": "import collections\nimport heapq\nimport queue\n\n\n",
               "rust": "use std::collections::*;\n\n"}[language]
    yield "passing", True, prelude + _function_text(language, function, [], RETURN_ORDER[language](types))
    if types != types[::-1]:
        yield "failing:reversed", False, prelude + _function_text(language, function, [], RETURN_ORDER[language](types[::-1]))
    if language == "python":
        yield "failing:bare-tuple", False, prelude + _function_text(language, function, [], "tuple")


# -- data structures ------------------------------------------------------------------------------

def _structure_use(language: str, structure: str, size: int | None, operations: list[str]) -> str | None:
    """A program that declares `structure`, optionally bounds it at `size`, and calls `operations` on it."""
    s = structure
    ops = operations
    limit = size if size is not None else None
    if language == "python":
        module = s.split(".")[0] if "." in s else None
        short = s.split(".")[-1]
        head = f"import {module}\n\n\n" if module else ""
        if short in ("Counter", "defaultdict", "deque", "OrderedDict") and not module:
            head, s = "import collections\n\n\n", f"collections.{short}"
        ctor = {"dict": "dict()", "list": "list()", "set": "set()", "tuple": "tuple()", "heapq": "list()",
                "collections.defaultdict": "collections.defaultdict(int)", "stack": "list()"}.get(s, f"{s}()")
        if s == "heapq":
            head = "import heapq\n\n\n"
        lines = [f"def run(values):\n    store = {ctor}\n"]
        if limit is not None:
            lines.append(f"    if len(store) >= {limit}:\n        raise OverflowError('full')\n")
        for op in ops:
            lines.append(f"    heapq.{op}(store, 1)\n" if s == "heapq" else f"    store.{op}(values)\n")
        if s == "heapq" and not ops:
            lines.append("    heapq.heappush(store, 1)\n")
        return head + "".join(lines) + "    return store\n"
    if language == "java":
        generic = "<Integer, Integer>" if "Map" in s else "<Integer>"
        lines = [(f"import java.util.*;\nimport java.util.concurrent.*;\n\nclass Store {{\n    void run() {{\n"
                 f"        {s}{generic} store = new {s}<>();\n")]
        if limit is not None:
            lines.append(f"        if (store.size() >= {limit}) {{\n            throw new IllegalStateException();\n        }}\n")
        for op in ops:
            lines.append(f"        store.{op}(1);\n")
        return "".join(lines) + "    }\n}\n"
    if language == "cpp":
        header = {"unordered_map": "unordered_map", "unordered_set": "unordered_set", "priority_queue": "queue",
                  "stack": "stack", "deque": "deque", "list": "list", "map": "map", "set": "set", "vector": "vector",
                  "array": "array", "queue": "queue"}.get(s, s)
        decl = {"map": "std::map<int, int>", "unordered_map": "std::unordered_map<int, int>",
                "array": "std::array<int, 8>"}.get(s, f"std::{s}<int>")
        lines = [f"#include <{header}>\n\nvoid run() {{\n    {decl} store;\n"]
        if limit is not None:
            lines.append(f"    if (store.size() >= {limit}) {{\n        return;\n    }}\n")
        for op in ops:
            lines.append(f"    store.{op}({'{1, 1}' if s == 'map' and op == 'insert' else '1' if op not in ('pop', 'pop_front', 'pop_back') else ''});\n")
        return "".join(lines) + "}\n"
    if language == "rust":
        decl = {"HashMap": "HashMap<i32, i32>", "BTreeMap": "BTreeMap<i32, i32>"}.get(s, f"{s}<i32>")
        use = "use std::collections::*;\n" if s not in ("Vec", "SmallVec", "ArrayVec") else ""
        if s == "SmallVec":
            use, decl = "use smallvec::SmallVec;\n", "SmallVec<[i32; 8]>"
        if s == "ArrayVec":
            use, decl = "use arrayvec::ArrayVec;\n", "ArrayVec<i32, 8>"
        lines = [f"{use}\nfn run() {{\n    let mut store: {decl} = {s}::new();\n"]
        if limit is not None:
            lines.append(f"    if store.len() >= {limit} {{\n        return;\n    }}\n")
        for op in ops:
            args = "1, 1" if op == "insert" and "Map" in s else "0, 1" if op == "insert" and s == "Vec" else \
                "&1" if op in ("contains", "remove") and ("Set" in s or "Map" in s) else "" if op.startswith("pop") else "1"
            lines.append(f"    store.{op}({args});\n")
        return "".join(lines) + "}\n"
    if language == "go":
        if s in ("map",):
            decl = "store := make(map[string]int)"
        elif s in ("slice",):
            decl = "store := make([]int, 0)"
        elif s == "array":
            decl = f"var store [{limit or 8}]int"
        elif s == "chan":
            decl = f"store := make(chan int, {limit or 8})"
        elif s == "struct":
            decl = "type entry struct {\n        id int\n    }\n    store := []entry{}"
        elif s == "sync.Map":
            decl = "var store sync.Map"
        elif s == "buffer.Buffer":
            return None
        elif s == "list":
            decl = "store := list.New()"
        else:
            return None
        imports = {"sync.Map": "import \"sync\"\n\n", "list": "import \"container/list\"\n\n"}.get(s, "")
        lines = [f"package main\n\n{imports}func run() {{\n    {decl}\n"]
        if limit is not None and s not in ("array", "chan"):
            length = "0" if s == "sync.Map" else "len(store)"
            lines.append(f"    if {length} >= {limit} {{\n        return\n    }}\n")
        for op in ops:
            if op == "append":
                lines.append("    store = append(store, 1)\n")
            elif op == "copy":
                lines.append("    copy(store, store)\n")
            elif op == "delete":
                lines.append("    delete(store, \"a\")\n")
            elif op == "assign":
                lines.append("    store[\"a\"] = 1\n")
            else:
                lines.append(f"    store.{op}(1)\n")
        return "".join(lines) + "    _ = store\n}\n"
    return None


OTHER_STRUCTURE = {"python": ("set", "list"), "java": ("HashSet", "ArrayList"), "cpp": ("set", "vector"),
                   "rust": ("HashSet", "Vec"), "go": ("map", "slice")}
GO_OPS = {"pushback": "PushBack", "pushfront": "PushFront", "insertbefore": "InsertBefore", "remove": "Remove"}
JAVA_NAMES = {"arraylist": "ArrayList", "priorityqueue": "PriorityQueue", "tree_map": "TreeMap", "treemap": "TreeMap"}
JAVA_OPS = {"addfirst": "addFirst", "removefirst": "removeFirst"}


def _data_structure(kind: str, language: str, spec: str) -> Iterator[tuple[str, bool, str] | str]:
    if language not in OTHER_STRUCTURE:
        yield f"no data-structure template for {language}"
        return
    fields = [f.strip() for f in spec.split(";")]
    structure = fields[0]
    if language == "java":
        structure = JAVA_NAMES.get(structure.lower(), structure)
    if language == "rust" and structure.lower() == "hashmap":
        structure = "HashMap"
    other = OTHER_STRUCTURE[language][0] if structure.lower() != OTHER_STRUCTURE[language][0].lower() \
        else OTHER_STRUCTURE[language][1]
    if kind == "data_structure/type":
        passing, failing = _structure_use(language, structure, None, []), _structure_use(language, other, None, [])
        variants = [("passing", True, passing), ("failing:other-structure", False, failing)]
    elif kind == "data_structure/size":
        size = int(fields[1])
        variants = [("passing", True, _structure_use(language, structure, size, [])),
                    ("failing:no-limit", False, _structure_use(language, structure, None, [])),
                    ("failing:other-limit", False, _structure_use(language, structure, int(f"{size}0"), [])),
                    ("failing:other-structure", False, _structure_use(language, other, size, []))]
    else:
        import ast

        ops = [str(o) for o in ast.literal_eval(fields[1])]
        if language == "go":
            ops = [GO_OPS.get(o.lower(), o) for o in ops]
        if language == "java":
            ops = [JAVA_OPS.get(o.lower(), o) for o in ops]
        variants = [("passing", True, _structure_use(language, structure, None, ops))]
        if len(ops) > 1:
            variants.append(("failing:missing-operation", False, _structure_use(language, structure, None, ops[:-1])))
        variants.append(("failing:other-structure", False, _structure_use(language, other, None, [])))
    for _variant, _expected, code in variants:
        if code is None:
            yield f"no {language} template for {structure!r}"
            return
    yield from variants


# -- the corpus -----------------------------------------------------------------------------------

Generator = Callable[[str, str], Iterator["tuple[str, bool, str] | str"]]
GENERATORS: dict[str, Generator] = {
    "code_convention/naming_convention": _naming,
    "code_convention/indentation_spacing": _indentation,
    "code_convention/brace_block_formatting": _braces,
    "code_convention/comment_formatting": _comments,
    "syntax/advanced_syntax": _advanced_syntax,
    "syntax/function": _function,
    "syntax/library": _library,
    "input_output/input_type": _input_type,
    "input_output/output_type": _output_type,
    "input_output/input_order": _input_order,
    "input_output/output_order": _output_order,
    "data_structure/type": lambda language, spec: _data_structure("data_structure/type", language, spec),
    "data_structure/size": lambda language, spec: _data_structure("data_structure/size", language, spec),
    "data_structure/operation": lambda language, spec: _data_structure("data_structure/operation", language, spec),
}


def programs_for(item: str, kind: str, language: str, answer: str) -> tuple[list[Program], list[str]]:
    """The programs for one item (its spec after the language tag), and why any could not be made."""
    generator = GENERATORS.get(kind)
    if generator is None:
        return [], [f"no program generator for {kind}"]
    spec = answer.split(";", 1)[1] if ";" in answer else ""
    spec = spec.split("\n", 1)[0] if kind == "syntax/library" else spec
    programs, notes = [], []
    try:
        for made in generator(language, spec.strip()):
            if isinstance(made, str):
                notes.append(made)
            else:
                variant, expected, code = made
                programs.append(Program(item, kind, language, answer, variant, expected, code))
    except (KeyError, ValueError, IndexError, SyntaxError) as exc:
        notes.append(f"spec {spec[:60]!r} not understood by the generator: {type(exc).__name__}: {exc}")
    return programs, notes


def words_in(text: str) -> list[str]:
    """The identifier-like words of a spec (used by the harness to name items in tables)."""
    return re.findall(r"[A-Za-z_][\w.:]*", text)
