"""Python (tree-sitter-python)."""

from __future__ import annotations

import tree_sitter_python
from tree_sitter import Language, Node

from .profile import CommentSyntax, LanguageProfile, node_text

QUERY = r"""
(function_definition) @function
(lambda) @lambda
(class_definition) @class

(parameters (identifier) @parameter @parameter.name)
(lambda_parameters (identifier) @parameter @parameter.name)
(typed_parameter . (identifier) @parameter.name) @parameter
(default_parameter name: (identifier) @parameter.name) @parameter
(typed_default_parameter name: (identifier) @parameter.name) @parameter
(list_splat_pattern (identifier) @parameter.name) @parameter
(dictionary_splat_pattern (identifier) @parameter.name) @parameter
(typed_parameter (list_splat_pattern (identifier) @parameter.name))
(typed_parameter (dictionary_splat_pattern (identifier) @parameter.name))

(assignment left: (identifier) @variable.name)
(assignment left: (pattern_list (identifier) @variable.name))
(assignment left: (tuple_pattern (identifier) @variable.name))
(augmented_assignment left: (identifier) @variable.name)
(for_statement left: (identifier) @variable.name)
(for_statement left: (pattern_list (identifier) @variable.name))
(for_statement left: (tuple_pattern (identifier) @variable.name))
(for_in_clause left: (identifier) @variable.name)
(for_in_clause left: (pattern_list (identifier) @variable.name))
(for_in_clause left: (tuple_pattern (identifier) @variable.name))
(except_clause (as_pattern alias: (as_pattern_target (identifier) @variable.name)))
(named_expression name: (identifier) @variable.name)
(with_item value: (as_pattern alias: (as_pattern_target (identifier) @variable.name)))
(assignment left: (attribute object: (identifier) @_self attribute: (identifier) @field.name)
  (#eq? @_self "self"))
(class_definition body: (block (expression_statement (assignment left: (identifier) @field.name))))

(for_statement) @loop.for
(while_statement) @loop.while
(if_statement) @conditional.if
(elif_clause) @conditional.if
(match_statement) @conditional.switch
(conditional_expression) @conditional.ternary
(case_clause) @case
(boolean_operator) @boolean_operator
(try_statement) @try
(except_clause) @catch
(raise_statement) @throw
(return_statement) @return
(with_statement) @nesting
(assignment) @assignment
(augmented_assignment) @assignment

(comment) @comment
(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import
(call) @call
(string) @string
(concatenated_string) @string
(integer) @number
(float) @number
(type) @type
(binary_operator operator: _ @operator)
(comparison_operator operators: _ @operator)
(boolean_operator operator: _ @operator)
(augmented_assignment operator: _ @operator)

(list_comprehension) @construct.list_comprehension
(dictionary_comprehension) @construct.dict_comprehension
(set_comprehension) @construct.set_comprehension
(generator_expression) @construct.generator_expression
(lambda) @construct.lambda
(conditional_expression) @construct.ternary
(slice) @construct.slicing
(subscript subscript: (slice (_) (_) (_))) @construct.extended_slicing
(slice ":" ":" (_)) @construct.extended_slicing
(yield) @construct.generator
(decorator) @construct.decorator
(function_definition "async") @construct.async
(await) @construct.async
(match_statement) @construct.match
(with_statement) @construct.context_manager
(named_expression) @construct.walrus
(list_splat) @construct.spread
(dictionary_splat) @construct.spread
(function_definition body: (block (function_definition) @construct.closure))
(try_statement) @construct.try
(list) @literal.list
(dictionary) @literal.dict
(set) @literal.set
(tuple) @literal.tuple
(list_comprehension) @literal.list
(dictionary_comprehension) @literal.dict
(set_comprehension) @literal.set
"""


class PythonProfile(LanguageProfile):
    name = "python"
    display_name = "Python"
    extensions = (".py", ".pyi", ".pyw")
    family = "python"
    comments = CommentSyntax(line=("#",), block=(), doc=())
    query_source = QUERY
    uses_braces = False
    docstrings = True

    def language(self) -> Language:
        return Language(tree_sitter_python.language())

    def parameter_type(self, node: Node) -> Node | None:
        if node.type in ("list_splat_pattern", "dictionary_splat_pattern") and node.parent is not None \
                and node.parent.type == "typed_parameter":  # `*args: int`: the type is on the wrapper
            return node.parent.child_by_field_name("type")
        return node.child_by_field_name("type")

    def parameter_is_receiver(self, node: Node, name: str) -> bool:
        if name not in ("self", "cls") or node.type != "identifier":
            return False
        params = node.parent
        if params is None or params.type != "parameters" or params.named_children[0] != node:
            return False
        function = params.parent
        # a receiver only in a method: function_definition inside a class body
        body = function.parent if function is not None else None
        if body is not None and body.type == "decorated_definition":
            body = body.parent
        return body is not None and body.type == "block" and body.parent is not None \
            and body.parent.type == "class_definition"

    def return_type(self, node: Node) -> Node | None:
        return node.child_by_field_name("return_type")

    def import_modules(self, node: Node, text: str) -> list[str]:
        if node.type == "import_statement":
            out = []
            for child in node.children_by_field_name("name"):
                target = child.child_by_field_name("name") if child.type == "aliased_import" else child
                if target is not None:
                    out.append(node_text(target))
            return out
        if node.type == "future_import_statement":
            return ["__future__"]
        module = node.child_by_field_name("module_name")
        return [node_text(module)] if module is not None else []

    def call_callee(self, node: Node) -> Node | None:
        return node.child_by_field_name("function")

    def docstring(self, definition: Node) -> Node | None:
        body = definition if definition.type == "module" else definition.child_by_field_name("body")
        if body is None:
            return None
        # the first statements only: `named_children` would build a node for every statement
        for index in range(body.named_child_count):
            child = body.named_child(index)
            if child is None or child.type == "comment":
                continue
            if child.type == "expression_statement" and child.named_child_count == 1:
                first = child.named_child(0)
                if first is not None and first.type in ("string", "concatenated_string"):
                    return first
            return None
        return None

    def is_constant_name(self, name_node: Node, text: str) -> bool:
        # PEP 8: module-level names in UPPER_CASE are constants.
        return text.isupper() and _is_module_level_assignment(name_node)

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        parent = name_node.parent
        if parent is not None and parent.type == "assignment":
            return parent.child_by_field_name("type")
        return None

    def is_inferred_declaration(self, name_node: Node) -> bool:
        parent = name_node.parent
        return parent is not None and parent.type == "assignment" \
            and parent.child_by_field_name("left") == name_node and parent.child_by_field_name("type") is None


def _is_module_level_assignment(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in ("function_definition", "class_definition", "lambda"):
            return False
        parent = parent.parent
    return True


PROFILE = PythonProfile()
