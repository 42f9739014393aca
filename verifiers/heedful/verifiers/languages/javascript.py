"""JavaScript (tree-sitter-javascript), JSX included.

The query is built from pieces that TypeScript (`typescript.py`) reuses: `COMMON_QUERY` uses only
node types both grammars share; parameters and class fields differ and live in the per-grammar
parts. Conventions this profile encodes:

- A function or arrow function bound by `const f = ...` (or a class field `handle = () => ...`)
  is a named function called after the binding; other function expressions and arrow
  functions are lambdas.
- A constant is a name declared with `const` that is either UPPER_CASE or, at module level,
  bound to a literal (`const port = 8080`); other `const` bindings (`const user = await load()`)
  are variables, as JavaScript style guides treat them.
- `import x from 'fs'`, `export ... from 'fs'`, `require('fs')` and `import('fs')` import `fs`.
- Types are written in JSDoc: `@param {number} rate` types the parameter `rate` and
  `@returns {string}` the return value of the function the `/** */` comment documents.
"""

from __future__ import annotations

import re

import tree_sitter_javascript
from tree_sitter import Language, Node

from .profile import CommentSpan, CommentSyntax, LanguageProfile

FUNCTION_VALUES = "[(arrow_function) (function_expression) (generator_function)]"

# Parents an anonymous function expression can have (from the grammar); a function bound by a
# variable declarator or a class field is a named function instead, so those parents are absent.
JS_LAMBDA_PARENTS = (
    "arguments", "array", "arrow_function", "assignment_expression", "assignment_pattern",
    "augmented_assignment_expression", "await_expression", "binary_expression", "call_expression",
    "class_heritage", "computed_property_name", "export_statement", "expression_statement",
    "for_in_statement", "for_statement", "jsx_expression", "member_expression", "new_expression",
    "object_assignment_pattern", "pair", "parenthesized_expression", "return_statement",
    "sequence_expression", "spread_element", "subscript_expression", "switch_case",
    "template_substitution", "ternary_expression", "throw_statement", "unary_expression",
    "update_expression", "yield_expression",
)

# Values of a variable declarator that are neither a function nor a class (those name a function
# or class instead of a variable).
COMMON_VALUE_TYPES = (
    "array", "assignment_expression", "augmented_assignment_expression", "await_expression",
    "binary_expression", "call_expression", "false", "identifier", "member_expression", "meta_property",
    "new_expression", "null", "number", "object", "parenthesized_expression", "regex", "string",
    "subscript_expression", "super", "template_string", "ternary_expression", "this", "true",
    "unary_expression", "undefined", "update_expression", "yield_expression",
)
JS_VALUE_TYPES = COMMON_VALUE_TYPES + ("jsx_element", "jsx_self_closing_element")

# A `require('module')` call; the statement holding it is the import directive, so that "imports
# at the top" sees `const fs = require('fs')` as an import and not as code.
REQUIRE = """(call_expression function: (identifier) @_require arguments: (arguments . (string))
  (#eq? @_require "require"))"""

# Literal values that make a module-level `const` a constant.
LITERAL_VALUES = "[(number) (string) (template_string) (true) (false) (null) (regex) (unary_expression (number))]"


def build_query(common: str, specific: str, value_types: tuple[str, ...], lambda_parents: tuple[str, ...]) -> str:
    """The shared query for one grammar: its non-function value types and lambda parents filled in."""
    values = "[" + " ".join(f"({t})" for t in value_types) + "]"
    # one pattern and a predicate (view.node_predicate), not one pattern per parent: linear in depth
    parents = " ".join(f'"{parent}"' for parent in lambda_parents)
    lambdas = f"({FUNCTION_VALUES} @lambda @construct.lambda (#parent-in? @lambda {parents}))\n"
    return (common + specific).replace("NON_FUNCTION_VALUES", values) + lambdas


COMMON_QUERY = r"""
(function_declaration) @function
(generator_function_declaration) @function
(method_definition) @function
(variable_declarator name: (identifier) value: [(arrow_function) (function_expression) (generator_function)] @function)
(class_declaration) @class
(class) @class

(arrow_function parameter: (identifier) @parameter @parameter.name)

(variable_declarator name: (identifier) @variable.name !value)
(variable_declarator name: (identifier) @variable.name value: NON_FUNCTION_VALUES)
(variable_declarator name: (array_pattern (identifier) @variable.name))
(variable_declarator name: (array_pattern (assignment_pattern left: (identifier) @variable.name)))
(variable_declarator name: (array_pattern (rest_pattern (identifier) @variable.name)))
(variable_declarator name: (object_pattern (shorthand_property_identifier_pattern) @variable.name))
(variable_declarator name: (object_pattern
  (object_assignment_pattern left: (shorthand_property_identifier_pattern) @variable.name)))
(variable_declarator name: (object_pattern (pair_pattern value: (identifier) @variable.name)))
(variable_declarator name: (object_pattern (pair_pattern value: (assignment_pattern left: (identifier) @variable.name))))
(variable_declarator name: (object_pattern (rest_pattern (identifier) @variable.name)))
(assignment_expression left: (identifier) @variable.name)
(for_in_statement left: (identifier) @variable.name)
(for_in_statement left: (array_pattern (identifier) @variable.name))
(for_in_statement left: (object_pattern (shorthand_property_identifier_pattern) @variable.name))

(program (lexical_declaration kind: "const"
  (variable_declarator name: (identifier) @constant.name value: LITERAL_VALUES)))
(program (export_statement declaration: (lexical_declaration kind: "const"
  (variable_declarator name: (identifier) @constant.name value: LITERAL_VALUES))))

(assignment_expression left: (member_expression object: (this) property: (property_identifier) @field.name))

(for_statement) @loop.for
(for_in_statement) @loop.for
(while_statement) @loop.while
(do_statement) @loop.while
(if_statement) @conditional.if
(switch_statement) @conditional.switch
(ternary_expression) @conditional.ternary
(switch_case) @case
(binary_expression operator: ["&&" "||" "??"]) @boolean_operator
(try_statement) @try
(catch_clause) @catch
(throw_statement) @throw
(return_statement) @return
(with_statement) @nesting
(assignment_expression) @assignment
(augmented_assignment_expression) @assignment
(lexical_declaration) @assignment
(variable_declaration) @assignment

(comment) @comment
(import_statement) @import
(export_statement source: (string)) @import
[(lexical_declaration (variable_declarator value: REQUIRE))
 (variable_declaration (variable_declarator value: REQUIRE))
 (lexical_declaration (variable_declarator value: (member_expression object: REQUIRE)))
 (variable_declaration (variable_declarator value: (member_expression object: REQUIRE)))
 (expression_statement REQUIRE)
 (expression_statement (call_expression function: (member_expression object: REQUIRE)))] @import
(call_expression function: (import) arguments: (arguments . (string))) @import
(call_expression) @call
(new_expression) @call
(string) @string
(template_string) @string
(number) @number
(binary_expression operator: _ @operator)
(augmented_assignment_expression operator: _ @operator)

(arrow_function) @construct.arrow_function
(function_declaration body: (statement_block [(function_declaration) (generator_function_declaration)] @construct.closure))
(function_expression body: (statement_block [(function_declaration) (generator_function_declaration)] @construct.closure))
(arrow_function body: (statement_block [(function_declaration) (generator_function_declaration)] @construct.closure))
(method_definition body: (statement_block [(function_declaration) (generator_function_declaration)] @construct.closure))
(function_declaration body: (statement_block (lexical_declaration (variable_declarator value: [(arrow_function) (function_expression)] @construct.closure))))
(function_expression body: (statement_block (lexical_declaration (variable_declarator value: [(arrow_function) (function_expression)] @construct.closure))))
(arrow_function body: (statement_block (lexical_declaration (variable_declarator value: [(arrow_function) (function_expression)] @construct.closure))))
(method_definition body: (statement_block (lexical_declaration (variable_declarator value: [(arrow_function) (function_expression)] @construct.closure))))
(return_statement [(arrow_function) (function_expression)] @construct.closure)
(arrow_function body: [(arrow_function) (function_expression)] @construct.closure)
(ternary_expression) @construct.ternary
(yield_expression) @construct.generator
(generator_function_declaration) @construct.generator
(generator_function) @construct.generator
(method_definition "*") @construct.generator
(function_declaration "async") @construct.async
(function_expression "async") @construct.async
(arrow_function "async") @construct.async
(method_definition "async") @construct.async
(await_expression) @construct.async
(decorator) @construct.decorator
(spread_element) @construct.spread
(template_string) @construct.template_literal
(optional_chain) @construct.optional_chaining
(object_pattern) @construct.destructuring
(array_pattern) @construct.destructuring
(try_statement) @construct.try
(method_definition "get") @construct.properties
(method_definition "set") @construct.properties
(array) @literal.list
(object) @literal.dict
""".replace("LITERAL_VALUES", LITERAL_VALUES).replace("REQUIRE", REQUIRE)

JS_QUERY = r"""
(field_definition property: (property_identifier) value: [(arrow_function) (function_expression) (generator_function)] @function)

(formal_parameters (identifier) @parameter @parameter.name)
(formal_parameters (assignment_pattern left: (identifier) @parameter.name) @parameter)
(formal_parameters (rest_pattern (identifier) @parameter.name) @parameter)
(formal_parameters [(object_pattern) (array_pattern)] @parameter)
(formal_parameters (assignment_pattern left: [(object_pattern) (array_pattern)]) @parameter)
(formal_parameters [
  (object_pattern (shorthand_property_identifier_pattern) @parameter.name)
  (object_pattern (object_assignment_pattern left: (shorthand_property_identifier_pattern) @parameter.name))
  (object_pattern (pair_pattern value: (identifier) @parameter.name))
  (array_pattern (identifier) @parameter.name)
  (assignment_pattern left: (object_pattern (shorthand_property_identifier_pattern) @parameter.name))
  (assignment_pattern left: (object_pattern
    (object_assignment_pattern left: (shorthand_property_identifier_pattern) @parameter.name)))
  (assignment_pattern left: (object_pattern (pair_pattern value: (identifier) @parameter.name)))
  (assignment_pattern left: (array_pattern (identifier) @parameter.name))])

(field_definition property: (property_identifier) @field.name !value)
(field_definition property: (property_identifier) @field.name value: NON_FUNCTION_VALUES)

(using_declaration) @construct.context_manager
(using_declaration) @assignment
"""

QUERY = build_query(COMMON_QUERY, JS_QUERY, JS_VALUE_TYPES, JS_LAMBDA_PARENTS)

# Node types whose `name`-like field names a function bound to them.
_BINDERS = {"variable_declarator": "name", "field_definition": "property", "public_field_definition": "name"}


class JavaScriptProfile(LanguageProfile):
    name = "javascript"
    display_name = "JavaScript"
    extensions: tuple[str, ...] = (".js", ".mjs", ".cjs", ".jsx")
    family = "javascript"
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=("/**",))
    query_source = QUERY
    uses_braces = True

    def language(self) -> Language:
        return Language(tree_sitter_javascript.language())

    def function_name(self, node: Node) -> Node | None:
        if node.type in ("arrow_function", "function_expression", "generator_function"):
            parent = node.parent
            if parent is not None and parent.type in _BINDERS:
                return parent.child_by_field_name(_BINDERS[parent.type])
        return node.child_by_field_name("name")

    def class_name(self, node: Node) -> Node | None:
        name = node.child_by_field_name("name")
        if name is None and node.type == "class":
            parent = node.parent
            if parent is not None and parent.type in _BINDERS:
                return parent.child_by_field_name(_BINDERS[parent.type])
        return name

    def return_type(self, node: Node) -> Node | None:
        """The `{T}` of a JSDoc `@returns {T}` tag above the function (JavaScript's written types)."""
        comment = _jsdoc(node)
        if comment is None:
            return None
        match = _JSDOC_RETURNS.search(comment.text or b"")
        return CommentSpan(comment, match.start(1), match.end(1)) if match else None  # type: ignore[return-value]

    def parameter_type(self, node: Node) -> Node | None:
        """The `{T}` of the JSDoc `@param {T} name` tag documenting this parameter, if any."""
        function = node.parent.parent if node.parent is not None and node.parent.type == "formal_parameters" \
            else node.parent
        name = _parameter_identifier(node)
        comment = _jsdoc(function) if function is not None and name is not None else None
        if comment is None:
            return None
        for match in _JSDOC_PARAM.finditer(comment.text or b""):
            if match.group(2).decode("utf-8", errors="replace") == name:
                return CommentSpan(comment, match.start(1), match.end(1))  # type: ignore[return-value]
        return None

    def import_modules(self, node: Node, text: str) -> list[str]:
        source = None
        if node.type in ("import_statement", "export_statement"):
            source = node.child_by_field_name("source")
            if source is None:  # TypeScript: import fs = require('fs')
                for child in node.named_children:
                    if child.type == "import_require_clause":
                        source = child.child_by_field_name("source")
        else:
            call = _require_call(node)
            arguments = call.child_by_field_name("arguments") if call is not None else None
            if arguments is not None and arguments.named_children:
                source = arguments.named_children[0]
        if source is None or source.type != "string":
            return []
        return [_string_value(source)]

    def call_callee(self, node: Node) -> Node | None:
        if node.type == "new_expression":
            return node.child_by_field_name("constructor")
        return node.child_by_field_name("function")

    def is_constant_name(self, name_node: Node, text: str) -> bool:
        # `const MAX_RETRIES = 3` anywhere: UPPER_CASE const bindings are constants by convention.
        return _is_const_binding(name_node) and text.isupper()


# JSDoc tags: `@param {number} rate`, `@param {string} [label]`, `@param {Object} [opts={}]`, `@returns {T}`.
_JSDOC_PARAM = re.compile(rb"@(?:param|arg|argument)\s+\{([^{}]*)\}\s+\[?\s*(?:\.\.\.)?([A-Za-z_$][\w$]*)")
_JSDOC_RETURNS = re.compile(rb"@returns?\s+\{([^{}]*)\}")
# Statements that hold a function and carry its doc comment: `/** ... */ export const f = () => {}`.
_DOC_HOLDERS = {"variable_declarator", "lexical_declaration", "variable_declaration", "export_statement",
                "field_definition", "public_field_definition"}


def _jsdoc(function: Node) -> Node | None:
    """The `/** ... */` comment right above a function (or the statement declaring it)."""
    target = function
    while target.parent is not None and target.parent.type in _DOC_HOLDERS:
        target = target.parent
    comment = target.prev_named_sibling
    if comment is None or comment.type != "comment" or not (comment.text or b"").startswith(b"/**") \
            or comment.end_point[0] < target.start_point[0] - 1:
        return None
    return comment


def _parameter_identifier(node: Node) -> str | None:
    """The name a simple parameter binds: `rate`, `rate = 1`, `...rates` (not a destructuring)."""
    if node.type == "identifier":
        target: Node | None = node
    elif node.type == "assignment_pattern":
        target = node.child_by_field_name("left")
    elif node.type == "rest_pattern":
        target = node.named_children[0] if node.named_children else None
    else:
        target = node.child_by_field_name("pattern")
    if target is None or target.type != "identifier" or target.text is None:
        return None
    return target.text.decode("utf-8", errors="replace")


def _annotation_type(annotation: Node | None) -> Node | None:
    """The type inside a `: T` annotation (TypeScript); JavaScript has none."""
    if annotation is None:
        return None
    if annotation.type == "type_annotation" and annotation.named_children:
        return annotation.named_children[0]
    return annotation


def _require_call(node: Node) -> Node | None:
    """The `require(...)` / `import(...)` call inside a statement captured as an import."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "call_expression":
            function = current.child_by_field_name("function")
            if function is not None and (function.type == "import" or function.text == b"require"):
                return current
        stack.extend(reversed(current.named_children))
    return None


def _string_value(node: Node) -> str:
    text = node.text.decode("utf-8", errors="replace") if node.text is not None else ""
    if len(text) >= 2 and text[0] in "'\"`" and text[-1] == text[0]:
        return text[1:-1]
    return text


def _is_const_binding(name_node: Node) -> bool:
    declarator = name_node.parent
    if declarator is None or declarator.type != "variable_declarator" \
            or declarator.child_by_field_name("name") != name_node:
        return False
    declaration = declarator.parent
    if declaration is None or declaration.type != "lexical_declaration":
        return False
    kind = declaration.child_by_field_name("kind")
    return kind is not None and kind.type == "const"


PROFILE = JavaScriptProfile()
