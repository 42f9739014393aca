"""Go (tree-sitter-go)."""

from __future__ import annotations

import tree_sitter_go
from tree_sitter import Language, Node

from .profile import CommentSyntax, LanguageProfile, node_text

QUERY = r"""
(function_declaration) @function
(method_declaration) @function
(func_literal) @lambda
(type_spec) @class
(type_alias) @class

; `func f(a, b int)`: one parameter per name; the parameter node is the name itself
(function_declaration parameters: (parameter_list (parameter_declaration name: (identifier) @parameter @parameter.name)))
(method_declaration parameters: (parameter_list (parameter_declaration name: (identifier) @parameter @parameter.name)))
(func_literal parameters: (parameter_list (parameter_declaration name: (identifier) @parameter @parameter.name)))
(function_declaration parameters: (parameter_list (variadic_parameter_declaration name: (identifier) @parameter.name) @parameter))
(method_declaration parameters: (parameter_list (variadic_parameter_declaration name: (identifier) @parameter.name) @parameter))
(func_literal parameters: (parameter_list (variadic_parameter_declaration name: (identifier) @parameter.name) @parameter))
; the receiver `(p *Point)` is a parameter the view marks as receiver
(method_declaration receiver: (parameter_list (parameter_declaration name: (identifier) @parameter @parameter.name)))

; the blank identifier `_` binds nothing
(var_spec name: (identifier) @variable.name (#not-eq? @variable.name "_"))
(short_var_declaration left: (expression_list (identifier) @variable.name) (#not-eq? @variable.name "_"))
(assignment_statement left: (expression_list (identifier) @variable.name) (#not-eq? @variable.name "_"))
(range_clause left: (expression_list (identifier) @variable.name) (#not-eq? @variable.name "_"))
(receive_statement left: (expression_list (identifier) @variable.name) (#not-eq? @variable.name "_"))
(type_switch_statement alias: (expression_list (identifier) @variable.name) (#not-eq? @variable.name "_"))
; `name:` also tags the comma in `A, B = 1, 2`: match the identifiers as children
(const_spec (identifier) @constant.name)
(field_declaration name: (field_identifier) @field.name)

(for_statement (for_clause)) @loop.for
(for_statement (range_clause)) @loop.for
(for_statement (_expression)) @loop.while
(for_statement . "for" . body: (block)) @loop.while
(if_statement) @conditional.if
(expression_switch_statement) @conditional.switch
(type_switch_statement) @conditional.switch
(expression_case) @case
(type_case) @case
(communication_case) @case
(binary_expression operator: ["&&" "||"]) @boolean_operator
(call_expression function: (identifier) @_panic (#eq? @_panic "panic")) @throw
(return_statement) @return
(select_statement) @nesting
(assignment_statement) @assignment
(short_var_declaration) @assignment
(var_declaration) @assignment

(comment) @comment
; one directive per `import` keyword, like Python's `import os, sys`; a group lists several paths
(import_declaration) @import
(call_expression) @call
(interpreted_string_literal) @string
(raw_string_literal) @string
; a rune literal is masked like a string by text-level checks
(rune_literal) @string
(int_literal) @number
(float_literal) @number
(imaginary_literal) @number
(parameter_declaration type: (_) @type)
(variadic_parameter_declaration type: (_) @type)
(var_spec type: (_) @type)
(const_spec type: (_) @type)
(field_declaration type: (_) @type)
(function_declaration result: (_simple_type) @type)
(method_declaration result: (_simple_type) @type)
(func_literal result: (_simple_type) @type)
(method_elem result: (_simple_type) @type)
(type_spec type: [(type_identifier) (qualified_type) (generic_type) (pointer_type) (slice_type) (map_type) (array_type) (function_type) (channel_type)] @type)
(type_alias type: (_) @type)
(type_case type: (_) @type)
(type_assertion_expression type: (_) @type)
(composite_literal type: (_) @type)
(type_arguments (_) @type)
(call_expression function: (identifier) @_make arguments: (argument_list . (_simple_type) @type)
  (#any-of? @_make "make" "new"))
(binary_expression operator: _ @operator)
(assignment_statement operator: _ @operator)
(short_var_declaration ":=" @operator)

(func_literal) @construct.lambda
(func_literal) @construct.closure
(defer_statement) @construct.defer
(defer_statement) @construct.context_manager
(go_statement) @construct.goroutine
(channel_type) @construct.channel
(send_statement) @construct.channel
(unary_expression operator: "<-") @construct.channel
(select_statement) @construct.select
(slice_expression) @construct.slicing
(type_parameter_list) @construct.generics
(type_arguments) @construct.generics
(variadic_argument) @construct.spread
(interface_type) @construct.interface
(composite_literal type: (slice_type)) @literal.list
(composite_literal type: (array_type)) @literal.list
(composite_literal type: (implicit_length_array_type)) @literal.list
(composite_literal type: (map_type)) @literal.dict
"""


class GoProfile(LanguageProfile):
    name = "go"
    display_name = "Go"
    extensions = (".go",)
    family = "go"
    # Go documents declarations with ordinary comments written just before them.
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=())
    query_source = QUERY
    uses_braces = True

    def language(self) -> Language:
        return Language(tree_sitter_go.language())

    def class_kind(self, node: Node) -> str:
        target = node.child_by_field_name("type")
        if target is not None and target.type == "struct_type":
            return "struct"
        if target is not None and target.type == "interface_type":
            return "interface"
        return "class"

    def return_type(self, node: Node) -> Node | None:
        return node.child_by_field_name("result")

    def function_body(self, node: Node) -> Node | None:
        # a Go block wraps its statements in a statement_list: the body's statements are in there
        body = node.child_by_field_name("body")
        if body is not None:
            for child in body.named_children:
                if child.type == "statement_list":
                    return child
        return body

    def parameter_type(self, node: Node) -> Node | None:
        # a grouped name `a, b int` is captured as the identifier: its type is on the declaration
        if node.type == "identifier":
            node = node.parent if node.parent is not None else node
        return node.child_by_field_name("type")

    def parameter_is_receiver(self, node: Node, name: str) -> bool:
        declaration = node.parent
        params = declaration.parent if declaration is not None else None
        return params is not None and params.parent is not None and params.parent.type == "method_declaration" \
            and params.parent.child_by_field_name("receiver") == params

    def import_modules(self, node: Node, text: str) -> list[str]:
        specs = [node] if node.type == "import_spec" else []
        stack = list(node.named_children)
        while stack:
            child = stack.pop(0)
            if child.type == "import_spec":
                specs.append(child)
            elif child.type == "import_spec_list":
                stack[:0] = child.named_children
        out = []
        for spec in specs:
            path = spec.child_by_field_name("path")
            if path is not None:
                out.append(node_text(path).strip('"`'))
        return out

    def call_callee(self, node: Node) -> Node | None:
        return node.child_by_field_name("function")

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        parent = name_node.parent
        if parent is not None and parent.type == "var_spec":
            return parent.child_by_field_name("type")
        return None

    def is_inferred_declaration(self, name_node: Node) -> bool:
        parent = name_node.parent
        if parent is None:
            return False
        if parent.type == "var_spec":
            return parent.child_by_field_name("type") is None
        if parent.type == "expression_list" and parent.parent is not None:
            holder = parent.parent
            # range, receive and type-switch bindings cannot be given a type: not a style choice
            return holder.type == "short_var_declaration"
        return False


    def is_method(self, node: Node) -> bool | None:
        return node.type == "method_declaration"


PROFILE = GoProfile()
