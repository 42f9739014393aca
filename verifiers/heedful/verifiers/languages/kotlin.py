"""Kotlin (tree-sitter-kotlin)."""

from __future__ import annotations

import re

import tree_sitter_kotlin
from tree_sitter import Language, Node

from .profile import CommentSyntax, LanguageProfile, node_text

QUERY = r"""
(function_declaration) @function
(secondary_constructor) @function
(lambda_literal) @lambda
(anonymous_function) @lambda
(class_declaration) @class
(object_declaration) @class

(function_value_parameters (parameter . (identifier) @parameter.name) @parameter)
(lambda_parameters (variable_declaration . (identifier) @parameter.name) @parameter)
(lambda_parameters (multi_variable_declaration . (variable_declaration . (identifier) @parameter.name)) @parameter)
((class_parameter . (modifiers)? . (identifier) @parameter.name) @parameter
  (#not-match? @parameter "^[^:]*(^|\\s)(val|var)\\s"))

(source_file (property_declaration (variable_declaration . (identifier) @variable.name)))
(block (property_declaration (variable_declaration . (identifier) @variable.name)))
(lambda_literal (property_declaration (variable_declaration . (identifier) @variable.name)))
(property_declaration (multi_variable_declaration (variable_declaration . (identifier) @variable.name)))
(for_statement (variable_declaration . (identifier) @variable.name))
(for_statement (multi_variable_declaration (variable_declaration . (identifier) @variable.name)))
(when_subject (variable_declaration . (identifier) @variable.name))

(class_body (property_declaration (variable_declaration . (identifier) @field.name)))
(enum_class_body (property_declaration (variable_declaration . (identifier) @field.name)))
(class_parameter ["val" "var"] . (identifier) @field.name)
(property_declaration (modifiers (property_modifier "const")) (variable_declaration . (identifier) @constant.name))
(enum_entry . (identifier) @constant.name)

(for_statement) @loop.for
(while_statement) @loop.while
(do_while_statement) @loop.while
(if_expression) @conditional.if
(when_expression) @conditional.switch
(when_entry condition: (_)) @case
(binary_expression operator: ["&&" "||"]) @boolean_operator
(try_expression) @try
(catch_block) @catch
(throw_expression) @throw
(return_expression) @return
(property_declaration) @assignment
(assignment) @assignment

(line_comment) @comment
(block_comment) @comment
(import) @import
; Kotlin rejects an import after code; its partial parse keeps the soft keyword as an identifier
(ERROR . (identifier) @import (#eq? @import "import"))
(_ . (identifier) @import . (ERROR) (#eq? @import "import"))
(call_expression . [(identifier) (navigation_expression) (parenthesized_expression) (index_expression)
                    (this_expression) (super_expression)]) @call
(constructor_delegation_call) @call
(constructor_invocation) @call
(string_literal) @string
(multiline_string_literal) @string
(character_literal) @string
(number_literal) @number
(float_literal) @number
(user_type) @type
(nullable_type) @type
(function_type) @type
(non_nullable_type) @type
(parenthesized_type) @type
(binary_expression operator: _ @operator)
(assignment operator: _ @operator)
(property_declaration "=" @operator)
(class_parameter "=" @operator)

(lambda_literal) @construct.lambda
(anonymous_function) @construct.lambda
(function_body (block (function_declaration) @construct.closure))
(callable_reference) @construct.method_reference
(type_parameters) @construct.generics
(type_arguments) @construct.generics
(annotation) @construct.decorator
(file_annotation) @construct.decorator
(spread_expression) @construct.spread
(parameter_modifier "vararg") @construct.spread
(when_expression) @construct.match
(function_declaration (modifiers (function_modifier "suspend"))) @construct.async
(lambda_literal (property_declaration (multi_variable_declaration) @construct.destructuring))
(block (property_declaration (multi_variable_declaration) @construct.destructuring))
(source_file (property_declaration (multi_variable_declaration) @construct.destructuring))
(for_statement (multi_variable_declaration) @construct.destructuring)
(lambda_parameters (multi_variable_declaration) @construct.destructuring)
(function_declaration (_) . "." . name: (identifier)) @construct.extension_function
(property_declaration (_) . "." . (variable_declaration)) @construct.extension_function
(class_declaration (modifiers (class_modifier "data"))) @construct.data_class
(class_declaration "interface") @construct.interface
(class_declaration (modifiers (class_modifier "enum"))) @construct.enum
(class_declaration (modifiers (class_modifier "sealed"))) @construct.sealed_class
(object_declaration) @construct.object
(companion_object) @construct.object
(object_literal) @construct.anonymous_class
(getter) @construct.properties
(setter) @construct.properties
(property_delegate) @construct.properties
(function_declaration (modifiers (function_modifier "operator"))) @construct.operator_overloading
(nullable_type) @construct.nullable_types
(navigation_expression "?.") @construct.optional_chaining
(binary_expression operator: "?:") @construct.elvis
(interpolation) @construct.template_literal
((string_literal) @construct.template_literal (#match? @construct.template_literal "\\$[A-Za-z_{]"))
(try_expression) @construct.try
(call_expression
  (navigation_expression (identifier) @_use .)
  (annotated_lambda)
  (#eq? @_use "use")) @construct.context_manager
(call_expression
  . (identifier) @_scoped (#any-of? @_scoped "synchronized" "withLock")
  ) @construct.synchronized
(type_alias) @construct.type_alias
"""

_TYPE_NODES = ("user_type", "nullable_type", "function_type", "non_nullable_type", "parenthesized_type",
               "type_modifiers")


def _type_child(node: Node) -> Node | None:
    for child in node.named_children:
        if child.type in _TYPE_NODES:
            return child
    return None


class KotlinProfile(LanguageProfile):
    name = "kotlin"
    display_name = "Kotlin"
    extensions = (".kt", ".kts")
    family = "jvm"
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=("/**",))
    query_source = QUERY
    uses_braces = True

    def language(self) -> Language:
        return Language(tree_sitter_kotlin.language())

    def function_name(self, node: Node) -> Node | None:
        return node.child_by_field_name("name")  # secondary constructors have none

    def class_kind(self, node: Node) -> str:
        if node.type in ("object_declaration", "companion_object"):
            return "object"
        if any(c.type == "interface" for c in node.children):
            return "interface"
        modifiers = next((c for c in node.named_children if c.type == "modifiers"), None)
        if modifiers is not None and any(m.type == "class_modifier" and m.text == b"enum"
                                         for m in modifiers.named_children):
            return "enum"
        return "class"

    def function_body(self, node: Node) -> Node | None:
        body = next((c for c in node.named_children if c.type in ("function_body", "block")), None)
        if body is not None and body.type == "function_body":
            block = next((c for c in body.named_children if c.type == "block"), None)
            return block if block is not None else body
        return body

    def return_type(self, node: Node) -> Node | None:
        if node.type != "function_declaration":
            return None
        seen_parameters = False
        for child in node.named_children:
            if child.type == "function_value_parameters":
                seen_parameters = True
            elif seen_parameters and child.type in _TYPE_NODES:
                return child
            elif child.type == "function_body":
                break
        return None

    def parameter_type(self, node: Node) -> Node | None:
        if node.type == "multi_variable_declaration":
            return None
        return _type_child(node)

    def import_modules(self, node: Node, text: str) -> list[str]:
        if node.type == "identifier":  # a misplaced `import` recovered from the partial parse
            root = node
            while root.parent is not None:
                root = root.parent
            rest = (root.text or b"")[node.end_byte - root.start_byte:].split(b"\n", 1)[0].decode(errors="replace")
            found = re.match(r"\s+([A-Za-z_]\w*(?:\.\w+)*(?:\.\*)?)", rest)
            return [found.group(1)] if found else []
        name = next((c for c in node.named_children if c.type in ("qualified_identifier", "identifier")), None)
        if name is None:
            return []
        module = node_text(name)
        if any(c.type == "*" for c in node.children):
            module += ".*"
        return [module]

    def call_callee(self, node: Node) -> Node | None:
        if node.type == "constructor_delegation_call":
            return node.children[0] if node.children else None  # `this` / `super`
        return node.named_children[0] if node.named_children else None

    def is_constant_name(self, name_node: Node, text: str) -> bool:
        declaration = _declaration(name_node)
        if declaration is None or declaration.type != "property_declaration":
            return False
        modifiers = next((c for c in declaration.named_children if c.type == "modifiers"), None)
        return modifiers is not None and any(m.type == "property_modifier" and m.text == b"const"
                                             for m in modifiers.named_children)

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        parent = name_node.parent
        if parent is None or parent.type != "variable_declaration":
            return None
        return _type_child(parent)

    def is_inferred_declaration(self, name_node: Node) -> bool:
        parent = name_node.parent
        if parent is None or parent.type != "variable_declaration":
            return False
        declaration = _declaration(name_node)
        # `for (x in xs)`: the element type comes from the iterable; Kotlin style never writes it
        return _type_child(parent) is None and declaration is not None and declaration.type != "for_statement"


def _declaration(name_node: Node) -> Node | None:
    """The property_declaration or for_statement binding an identifier of a variable_declaration."""
    parent = name_node.parent
    if parent is None or parent.type != "variable_declaration":
        return None
    parent = parent.parent
    if parent is not None and parent.type == "multi_variable_declaration":
        parent = parent.parent
    if parent is not None and parent.type in ("property_declaration", "for_statement", "when_subject"):
        return parent
    return None


PROFILE = KotlinProfile()
