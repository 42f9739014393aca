r"""PHP (tree-sitter-php, the `php` grammar: code between `<?php` tags, HTML around it).

Conventions this profile encodes:

- Names are reported without their sigil: `$userCount` is the variable `userCount`, so case
  and length rules apply to the name itself.
- Variables are bound by assignment (`$x = ...`, `[$a, $b] = ...`, `list(...)`), `foreach`,
  `global` and `static`; `$this` is never a variable.
- Constants are `const` declarations (top level and in classes), enum cases and `define('NAME', ...)`.
- Fields are declared properties, promoted constructor parameters and `$this->x = ...` targets.
- A local variable's type is written in a `/** @var Type $name */` docblock right above its
  assignment, the PHPDoc convention static analysers read.
- `use Foo\Bar;` and `require`/`include` (and their `_once` forms) import modules; `use` of a
  trait inside a class does not.
- PHP arrays are lists and maps at once: every array literal is a list literal, and those with
  `key => value` elements are also dict literals.
"""

from __future__ import annotations

import re

import tree_sitter_php
from tree_sitter import Language, Node

from .profile import CalleeSpan, CommentSyntax, LanguageProfile

REQUIRES = "[(require_expression) (require_once_expression) (include_expression) (include_once_expression)]"

QUERY = r"""
(function_definition) @function
(method_declaration body: (compound_statement)) @function
(anonymous_function) @lambda
(arrow_function) @lambda
(class_declaration) @class
(interface_declaration) @class
(trait_declaration) @class
(enum_declaration) @class

(simple_parameter name: (variable_name (name) @parameter.name)) @parameter
(variadic_parameter name: (variable_name (name) @parameter.name)) @parameter
(property_promotion_parameter name: (variable_name (name) @parameter.name)) @parameter

((assignment_expression left: (variable_name (name) @variable.name))
  (#not-eq? @variable.name "this"))
(reference_assignment_expression left: (variable_name (name) @variable.name))
(assignment_expression left: (list_literal (variable_name (name) @variable.name)))
(assignment_expression left: (list_literal (by_ref (variable_name (name) @variable.name))))
(foreach_statement "as" . (variable_name (name) @variable.name))
(foreach_statement "as" . (by_ref (variable_name (name) @variable.name)))
(foreach_statement (pair (variable_name (name) @variable.name)))
(foreach_statement (pair (by_ref (variable_name (name) @variable.name))))
(foreach_statement (list_literal (variable_name (name) @variable.name)))
(global_declaration (variable_name (name) @variable.name))
(static_variable_declaration name: (variable_name (name) @variable.name))

(const_element (name) @constant.name)
(enum_case name: (name) @constant.name)
((function_call_expression function: (name) @_define
   arguments: (arguments . (argument (string (string_content) @constant.name))))
  (#eq? @_define "define"))

(property_element name: (variable_name (name) @field.name))
(property_promotion_parameter name: (variable_name (name) @field.name))
((assignment_expression left: (member_access_expression
    object: (variable_name (name) @_this) name: (name) @field.name))
  (#eq? @_this "this"))

(for_statement) @loop.for
(foreach_statement) @loop.for
(while_statement) @loop.while
(do_statement) @loop.while
(if_statement) @conditional.if
(else_if_clause) @conditional.if
(switch_statement) @conditional.switch
(match_expression) @conditional.switch
(conditional_expression) @conditional.ternary
(case_statement) @case
(match_conditional_expression) @case
(binary_expression operator: ["&&" "||" "and" "or" "??"]) @boolean_operator
(try_statement) @try
(catch_clause) @catch
(throw_expression) @throw
(return_statement) @return
(declare_statement (compound_statement)) @nesting
(assignment_expression) @assignment
(augmented_assignment_expression) @assignment
(reference_assignment_expression) @assignment
(const_declaration) @assignment

(comment) @comment
(namespace_use_declaration) @import
(expression_statement REQUIRES) @import
(expression_statement (assignment_expression right: REQUIRES)) @import
(function_call_expression) @call
(member_call_expression) @call
(nullsafe_member_call_expression) @call
(scoped_call_expression) @call
(object_creation_expression) @call
(string) @string
(encapsed_string) @string
(heredoc) @string
(nowdoc) @string
(integer) @number
(float) @number
(simple_parameter type: (_) @type)
(variadic_parameter type: (_) @type)
(property_promotion_parameter type: (_) @type)
(property_declaration type: (_) @type)
(function_definition return_type: (_) @type)
(method_declaration return_type: (_) @type)
(arrow_function return_type: (_) @type)
(anonymous_function return_type: (_) @type)
(binary_expression operator: _ @operator)
(augmented_assignment_expression operator: _ @operator)

(anonymous_function) @construct.lambda
(arrow_function) @construct.lambda
(arrow_function) @construct.arrow_function
(anonymous_function (anonymous_function_use_clause)) @construct.closure
(arrow_function) @construct.closure
(conditional_expression) @construct.ternary
(yield_expression) @construct.generator
(match_expression) @construct.match
(attribute_list) @construct.decorator
(variadic_unpacking) @construct.spread
(encapsed_string [(variable_name) (member_access_expression) (subscript_expression)
                  (nullsafe_member_access_expression) (dynamic_variable_name)]) @construct.template_literal
(heredoc_body [(variable_name) (member_access_expression) (subscript_expression)]) @construct.template_literal
(nullsafe_member_access_expression) @construct.optional_chaining
(nullsafe_member_call_expression) @construct.optional_chaining
(list_literal) @construct.destructuring
(try_statement) @construct.try
(interface_declaration) @construct.interface
(enum_declaration) @construct.enum
(property_hook_list) @construct.properties
(optional_type) @construct.nullable_types
(union_type (primitive_type) @_null (#eq? @_null "null")) @construct.nullable_types
(array_creation_expression) @literal.list
(array_creation_expression (array_element_initializer "=>")) @literal.dict
""".replace("REQUIRES", REQUIRES)

_REQUIRE_TYPES = {"require_expression", "require_once_expression", "include_expression", "include_once_expression"}


class PhpProfile(LanguageProfile):
    name = "php"
    display_name = "PHP"
    extensions = (".php", ".phtml", ".php8")
    family = "php"
    comments = CommentSyntax(line=("//", "#"), block=(("/*", "*/"),), doc=("/**",))
    query_source = QUERY
    uses_braces = True

    def language(self) -> Language:
        return Language(tree_sitter_php.language_php())

    def parameter_type(self, node: Node) -> Node | None:
        return node.child_by_field_name("type")

    def return_type(self, node: Node) -> Node | None:
        return node.child_by_field_name("return_type")

    def import_modules(self, node: Node, text: str) -> list[str]:
        if node.type == "namespace_use_declaration":
            return _use_modules(node)
        require = _find(node, _REQUIRE_TYPES)
        if require is None:
            return []
        parts = [_string_text(s) for s in _strings(require)]
        return ["".join(parts)] if parts else [_text(require).split(None, 1)[-1].rstrip(";")]

    def call_callee(self, node: Node) -> Node | None:
        if node.type == "function_call_expression":
            return node.child_by_field_name("function")
        if node.type == "object_creation_expression":
            for child in node.named_children:
                if child.type in ("name", "qualified_name", "relative_name", "variable_name"):
                    return child
            return None
        name = node.child_by_field_name("name")
        receiver = node.child_by_field_name("object") or node.child_by_field_name("scope")
        if receiver is None or name is None:
            return name
        return CalleeSpan(receiver, name)  # type: ignore[return-value]

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        """The `/** @var Type $name */` docblock right above the statement binding the variable."""
        statement: Node | None = name_node
        while statement is not None and statement.type not in ("expression_statement", "foreach_statement",
                                                             "global_declaration", "function_static_declaration"):
            statement = statement.parent
        if statement is None:
            return None
        comment = statement.prev_named_sibling
        if comment is None or comment.type != "comment" or comment.end_point[0] < statement.start_point[0] - 1:
            return None
        match = re.search(r"@var\s+([^\s*]+)(?:\s+\$(\w+))?", _text(comment))
        if match is None or (match.group(2) is not None and match.group(2) != _text(name_node)):
            return None
        return comment


def _text(node: Node) -> str:
    return node.text.decode("utf-8", errors="replace") if node.text is not None else ""


def _find(node: Node, types: set[str]) -> Node | None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in types:
            return current
        stack.extend(reversed(current.named_children))
    return None


def _strings(node: Node) -> list[Node]:
    out = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in ("string", "encapsed_string"):
            out.append(current)
            continue
        stack.extend(reversed(current.named_children))
    return out


def _string_text(node: Node) -> str:
    return "".join(_text(c) for c in node.named_children if c.type == "string_content")


def _use_modules(node: Node) -> list[str]:
    """`use App\\Models\\User;` → App\\Models\\User; `use Psr\\Log\\{A, B};` → Psr\\Log\\A, Psr\\Log\\B."""
    prefix = ""
    out = []
    for child in node.named_children:
        if child.type == "namespace_name":
            prefix = _text(child).lstrip("\\") + "\\"
        elif child.type == "namespace_use_clause":
            out.append(prefix + _clause_name(child))
        elif child.type == "namespace_use_group":
            for clause in child.named_children:
                if clause.type == "namespace_use_clause":
                    out.append(prefix + _clause_name(clause))
    return out


def _clause_name(clause: Node) -> str:
    for child in clause.named_children:
        if child.type in ("qualified_name", "name", "namespace_name"):
            return _text(child).lstrip("\\")
    return _text(clause)


PROFILE = PhpProfile()
