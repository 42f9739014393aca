"""Rust (tree-sitter-rust)."""

from __future__ import annotations

import tree_sitter_rust
from tree_sitter import Language, Node

from .profile import CommentSyntax, LanguageProfile, node_text

QUERY = r"""
(function_item) @function
(closure_expression) @lambda
(struct_item) @class
(enum_item) @class
(union_item) @class
(trait_item) @class

(parameter pattern: (identifier) @parameter.name) @parameter
(parameter pattern: "_" @parameter.name) @parameter
(parameter pattern: (self) @parameter.name) @parameter
(parameter pattern: (tuple_pattern (identifier) @parameter.name)) @parameter
(parameter pattern: (mut_pattern (identifier) @parameter.name)) @parameter
(parameter pattern: (ref_pattern (identifier) @parameter.name)) @parameter
(self_parameter (self) @parameter.name) @parameter
(closure_parameters (identifier) @parameter @parameter.name)
(closure_parameters (tuple_pattern (identifier) @parameter.name) @parameter)
(closure_parameters (reference_pattern (identifier) @parameter.name) @parameter)

(let_declaration pattern: (identifier) @variable.name)
(let_declaration pattern: (mut_pattern (identifier) @variable.name))
(let_declaration pattern: (tuple_pattern (identifier) @variable.name))
(let_declaration pattern: (tuple_pattern (mut_pattern (identifier) @variable.name)))
(let_declaration pattern: (struct_pattern (field_pattern name: (shorthand_field_identifier) @variable.name)))
(let_declaration pattern: (struct_pattern (field_pattern pattern: (identifier) @variable.name)))
(let_declaration pattern: (tuple_struct_pattern "(" (identifier) @variable.name))
(let_condition pattern: (identifier) @variable.name)
(let_condition pattern: (tuple_struct_pattern "(" (identifier) @variable.name))
(let_condition pattern: (tuple_pattern (identifier) @variable.name))
(for_expression pattern: (identifier) @variable.name)
(for_expression pattern: (tuple_pattern (identifier) @variable.name))
(for_expression pattern: (reference_pattern (identifier) @variable.name))
(assignment_expression left: (identifier) @variable.name)
(compound_assignment_expr left: (identifier) @variable.name)
; `static` items are globals; the profile treats the immutable ones as constants
(static_item name: (identifier) @variable.name)
(const_item name: (identifier) @constant.name)
(field_declaration name: (field_identifier) @field.name)

(for_expression) @loop.for
(while_expression) @loop.while
(loop_expression) @loop.while
(if_expression) @conditional.if
(match_expression) @conditional.switch
(match_arm) @case
(binary_expression operator: ["&&" "||"]) @boolean_operator
(macro_invocation macro: (identifier) @_panic
  (#any-of? @_panic "panic" "unreachable" "todo" "unimplemented")) @throw
(return_expression) @return
(unsafe_block) @nesting
(let_declaration) @assignment
(assignment_expression) @assignment
(compound_assignment_expr) @assignment

(line_comment) @comment
(block_comment) @comment
(use_declaration) @import
(extern_crate_declaration) @import
(call_expression) @call
(macro_invocation) @call
(string_literal) @string
(raw_string_literal) @string
; a char literal is masked like a string by text-level checks
(char_literal) @string
(integer_literal) @number
(float_literal) @number
(parameter type: (_) @type)
(let_declaration type: (_) @type)
(field_declaration type: (_) @type)
(ordered_field_declaration_list type: (_) @type)
(const_item type: (_) @type)
(static_item type: (_) @type)
(function_item return_type: (_) @type)
(function_signature_item return_type: (_) @type)
(closure_expression return_type: (_) @type)
(type_item type: (_) @type)
(type_arguments (_type) @type)
(binary_expression operator: _ @operator)
(compound_assignment_expr operator: _ @operator)
(assignment_expression "=" @operator)
(let_declaration "=" @operator)

(closure_expression) @construct.closure
(closure_expression) @construct.lambda
(macro_invocation) @construct.macro
(macro_definition) @construct.macro
(match_expression) @construct.match
(if_expression condition: (let_condition)) @construct.if_let
(if_expression condition: (let_chain)) @construct.if_let
(while_expression condition: (let_condition)) @construct.while_let
(type_parameters) @construct.generics
(type_arguments) @construct.generics
(function_modifiers "async") @construct.async
(async_block) @construct.async
(await_expression) @construct.async
(index_expression (range_expression)) @construct.slicing
(let_declaration pattern: [(tuple_pattern) (struct_pattern) (tuple_struct_pattern) (slice_pattern)]) @construct.destructuring
(attribute_item) @construct.decorator
(inner_attribute_item) @construct.decorator
(trait_item) @construct.interface
(enum_item) @construct.enum
(base_field_initializer) @construct.spread
(impl_item trait: [(type_identifier) (scoped_type_identifier name: (type_identifier))] @_op
  (#match? @_op "(^|::)(Add|Sub|Mul|Div|Rem|Neg|Not|BitAnd|BitOr|BitXor|Shl|Shr|Index|IndexMut)(Assign)?$")) @construct.operator_overloading
(array_expression) @literal.list
(macro_invocation macro: (identifier) @_vec (#eq? @_vec "vec")) @literal.list
(tuple_expression) @literal.tuple
"""

_DOC_PREFIXES = ("///", "//!", "/**", "/*!")


class RustProfile(LanguageProfile):
    name = "rust"
    display_name = "Rust"
    extensions = (".rs",)
    family = "rust"
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=_DOC_PREFIXES)
    query_source = QUERY
    uses_braces = True

    def language(self) -> Language:
        return Language(tree_sitter_rust.language())

    def class_kind(self, node: Node) -> str:
        return {"struct_item": "struct", "enum_item": "enum", "union_item": "union",
                "trait_item": "trait"}.get(node.type, "class")

    def return_type(self, node: Node) -> Node | None:
        return node.child_by_field_name("return_type")

    def parameter_type(self, node: Node) -> Node | None:
        if node.type in ("parameter",):
            return node.child_by_field_name("type")
        return None

    def parameter_is_receiver(self, node: Node, name: str) -> bool:
        return node.type == "self_parameter" or (node.type == "parameter" and name == "self")

    def import_modules(self, node: Node, text: str) -> list[str]:
        if node.type == "extern_crate_declaration":
            name = node.child_by_field_name("name")
            return [node_text(name)] if name is not None else []
        argument = node.child_by_field_name("argument")
        return _use_paths(argument, "") if argument is not None else []

    def is_method(self, node: Node) -> bool | None:
        """A function in an `impl` or `trait` block is a method, an associated function without
        `self` included: Rust's naming conventions (RFC 430) treat them alike."""
        body = node.parent
        owner = body.parent if body is not None else None
        return owner is not None and owner.type in ("impl_item", "trait_item")

    def call_callee(self, node: Node) -> Node | None:
        if node.type == "macro_invocation":
            return node.child_by_field_name("macro")
        callee = node.child_by_field_name("function")
        # `xs.iter().sum::<i32>()`: the callee without its turbofish
        if callee is not None and callee.type == "generic_function":
            return callee.child_by_field_name("function")
        return callee

    def is_constant_name(self, name_node: Node, text: str) -> bool:
        parent = name_node.parent
        return parent is not None and parent.type == "static_item" \
            and not any(child.type == "mutable_specifier" for child in parent.children)

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        declaration = _let_of(name_node)
        return declaration.child_by_field_name("type") if declaration is not None else None

    def is_inferred_declaration(self, name_node: Node) -> bool:
        declaration = _let_of(name_node)
        return declaration is not None and declaration.child_by_field_name("type") is None


def _let_of(name_node: Node) -> Node | None:
    """The `let` declaration binding this name (through `mut`, tuple and struct patterns)."""
    parent = name_node.parent
    while parent is not None and parent.type in ("mut_pattern", "tuple_pattern", "struct_pattern", "field_pattern",
                                                 "tuple_struct_pattern", "reference_pattern", "ref_pattern"):
        parent = parent.parent
    if parent is not None and parent.type in ("let_declaration", "static_item"):
        return parent
    return None


def _use_paths(node: Node, prefix: str) -> list[str]:
    """`std::io::{self, Read}` → std::io, std::io::Read; `serde::Serialize as Ser` → serde::Serialize."""
    def join(tail: str) -> str:
        return f"{prefix}::{tail}" if prefix else tail

    if node.type == "use_as_clause":
        path = node.child_by_field_name("path")
        return _use_paths(path, prefix) if path is not None else []
    if node.type == "scoped_use_list":
        path = node.child_by_field_name("path")
        inner = join(node_text(path)) if path is not None else prefix
        items = node.child_by_field_name("list")
        return _use_paths(items, inner) if items is not None else [inner]
    if node.type == "use_list":
        out: list[str] = []
        for child in node.named_children:
            out += _use_paths(child, prefix)
        return out
    if node.type == "use_wildcard":
        path = next((c for c in node.named_children), None)
        return [join(node_text(path))] if path is not None else ([prefix] if prefix else [])
    if node.type == "self":
        return [prefix] if prefix else ["self"]
    return [join(node_text(node))]


PROFILE = RustProfile()
