"""Spec files and parameter validation: every error names the file, line, table and key."""

from __future__ import annotations

import pytest
from heedful.verifiers import REGISTRY, SpecError, parse_spec
from heedful.verifiers.errors import ConstraintParamError, UnknownConstraintType
from heedful.verifiers.languages import EXTENSIONS, LANGUAGES, get_profile


def test_valid_spec_with_file_sections():
    document = parse_spec('''
[[constraint]]
type = "complexity.cyclomatic"
max = 8
label = "keep it simple"

[[files]]
glob = "*.py"

[[files.constraint]]
type = "naming.case"
role = "function"
case = "snake case"

[server]
debounce_ms = 100
''', "heedful.toml")
    assert [c.id for c in document.constraints] == ["complexity.cyclomatic"]
    assert document.constraints[0].label == "keep it simple"
    assert [c.id for c in document.constraints_for("src/app.py")] == ["complexity.cyclomatic", "naming.case"]
    assert document.constraints_for("src/App.java") == document.constraints
    assert document.sections[0].constraints[0].params["case"] == "snake_case"  # spelling normalised
    assert document.extra == {"server": {"debounce_ms": 100}}


@pytest.mark.parametrize(("text", "message", "line"), [
    ('[[constraint]]\ntype = "size.max_parameters"\n', "missing required parameter 'max'", 1),
    ('[[constraint]]\ntype = "size.max_parameters"\nmax = -1\n', "parameter 'max' must be at least 0", 3),
    ('[[constraint]]\ntype = "size.max_parameters"\nmax = 3\nmaxx = 4\n', "unknown parameter 'maxx'", 4),
    ('[[constraint]]\ntype = "naming.case"\ncase = "screaming"\n', "parameter 'case' must be one of", 3),
    ('[[constraint]]\nrole = "x"\n', "missing `type", 1),
    ('[constraint]\ntype = "naming.case"\n', "must be an array of tables", None),
    ('[[constraint]]\ntype = "naming.case"\ncase = \n', "invalid TOML", 3),
    ('[[constrain]]\ntype = "naming.case"\n', "unknown top-level key 'constrain'", None),
    ('[[constraint]]\ntype = "calls.forbidden"\nnames = [1, 2]\n', "must be a list of strings", 3),
    ('[[constraint]]\ntype = "naming.pattern"\npattern = "(["\n', "not a valid regular expression", 3),
    ('[[files]]\npattern = "*.py"\n', "needs `glob", 1),
])
def test_spec_errors_are_located(text, message, line):
    with pytest.raises(SpecError) as info:
        parse_spec(text, "spec.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("spec.toml")
    if line is not None:
        assert info.value.line == line, str(info.value)


def test_unknown_type_and_bad_params_in_the_api():
    with pytest.raises(UnknownConstraintType, match=r"did you mean naming.case"):
        REGISTRY.make("naming.cas")
    with pytest.raises(ConstraintParamError, match="must be an integer"):
        REGISTRY.make("size.function_length", {"max_lines": "ten"})
    with pytest.raises(ConstraintParamError, match="must be an integer"):
        REGISTRY.make("size.function_length", {"max_lines": 2.5})


def test_benchmark_style_lists_are_accepted():
    constraint = REGISTRY.make("calls.required", {"names": "map, all"})
    assert constraint.params["names"] == ("map", "all")
    assert constraint.instruction() == "Use map, all."


def test_constraint_identity_ignores_labels_but_not_params():
    a = REGISTRY.make("size.max_parameters", {"max": 3}, label="a")
    b = REGISTRY.make("size.max_parameters", {"max": 3}, label="b")
    c = REGISTRY.make("size.max_parameters", {"max": 4})
    assert a.key == b.key != c.key


def test_registry_has_the_taxonomy_size_and_documents_every_type():
    types = REGISTRY.all()
    assert len(types) >= 60
    for ctype in types:
        assert ctype.section("What it checks") and ctype.section("Why it matters"), ctype.id
        assert ctype.summary, ctype.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_profiles_agree_with_the_extension_table(language):
    profile = get_profile(language)
    assert profile.name == language
    assert tuple(profile.extensions) == EXTENSIONS[language]


def test_every_language_agnostic_type_covers_all_14_languages():
    agnostic = ["naming.case", "naming.min_length", "size.function_length", "size.max_parameters",
                "complexity.nesting_depth", "complexity.cyclomatic", "structure.forbidden_loop",
                "structure.conditional_count", "structure.recursion", "comments.ratio", "calls.forbidden",
                "calls.required", "imports.forbidden", "imports.required", "format.max_line_length",
                "format.indentation"]
    for type_id in agnostic:
        assert set(REGISTRY.get(type_id).languages) == set(LANGUAGES), type_id


def test_naming_cases_hold_for_every_script():
    from heedful.verifiers.constraints.naming import CASES, convert_case

    assert CASES["snake_case"].match("save_état") and not CASES["snake_case"].match("saveÉtat")
    assert CASES["camelCase"].match("saveÉtat") and CASES["PascalCase"].match("Ключ")
    assert CASES["UPPER_CASE"].match("MAX_ÉTAGE") and not CASES["lowercase"].match("saveÉtat")
    assert convert_case("saveÉtat", "snake_case") == "save_état"
    assert convert_case("parseHTTPResponse", "snake_case") == "parse_http_response"


def test_no_parameter_takes_a_name_the_spec_keeps_for_itself():
    from heedful.verifiers.registry import REGISTRY, RESERVED_KEYS

    clashes = [(t.id, p.name) for t in REGISTRY.all() for p in t.params if p.name in RESERVED_KEYS]
    assert clashes == []


def test_signature_return_type_can_be_written_in_a_spec(tmp_path):
    from heedful.verifiers.spec import constraint_from_table

    constraint = constraint_from_table({"type": "signature.return_type", "function": "f", "returns": "int"}, "x")
    assert constraint.instruction() == "f returns type int."
