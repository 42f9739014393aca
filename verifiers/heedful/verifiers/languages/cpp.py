"""C++ (tree-sitter-cpp), built on the C profile: the C++ grammar extends the C one, so the C
query's node types exist here too and the declarator shapes gain reference declarators."""

from __future__ import annotations

import tree_sitter_cpp
from tree_sitter import Language, Node

from .c import COMMON_QUERY, CProfile, binding_patterns, declarator_name
from .profile import CommentSyntax

CPP_QUERY = r"""
(class_specifier body: (_)) @class
(lambda_expression) @lambda

(variadic_parameter_declaration declarator: (variadic_declarator (identifier) @parameter.name)) @parameter
(variadic_parameter_declaration declarator: (reference_declarator (variadic_declarator (identifier) @parameter.name))) @parameter
(for_range_loop declarator: (identifier) @variable.name)
(for_range_loop declarator: (reference_declarator (identifier) @variable.name))
(for_range_loop declarator: (structured_binding_declarator (identifier) @variable.name))
(for_range_loop declarator: (reference_declarator (structured_binding_declarator (identifier) @variable.name)))
(declaration declarator: (init_declarator declarator: (structured_binding_declarator (identifier) @variable.name)))
(declaration declarator: (init_declarator declarator: (reference_declarator (structured_binding_declarator (identifier) @variable.name))))
; `std::ofstream out(path);` in a body parses as a function declaration (the vexing parse): it is a local variable
(compound_statement (declaration declarator: (function_declarator declarator: (identifier) @variable.name)))
; class constants: `static const` / `static constexpr` members
(field_declaration (storage_class_specifier) @_static (type_qualifier) @_const
  declarator: (field_identifier) @constant.name
  (#eq? @_static "static") (#any-of? @_const "const" "constexpr"))

(for_range_loop) @loop.for
(try_statement) @try
(catch_clause) @catch
(throw_statement) @throw

(new_expression) @call
(raw_string_literal) @string
(for_range_loop type: (_) @type)
(optional_parameter_declaration type: (_) @type)
(new_expression type: (_) @type)

(lambda_expression) @construct.lambda
(lambda_expression captures: (lambda_capture_specifier (_))) @construct.closure
(template_declaration) @construct.generics
(template_argument_list) @construct.generics
(try_statement) @construct.try
(enum_specifier body: (_)) @construct.enum
(function_definition declarator: (function_declarator declarator: (operator_name))) @construct.operator_overloading
(function_definition declarator: (reference_declarator (function_declarator declarator: (operator_name)))) @construct.operator_overloading
(field_declaration declarator: (function_declarator declarator: (operator_name))) @construct.operator_overloading
(field_declaration declarator: (reference_declarator (function_declarator declarator: (operator_name)))) @construct.operator_overloading
(attribute_declaration) @construct.decorator
(parameter_pack_expansion) @construct.spread
(structured_binding_declarator) @construct.destructuring
(co_await_expression) @construct.async
(co_return_statement) @construct.async
(co_yield_statement) @construct.generator
"""

QUERY = COMMON_QUERY + CPP_QUERY + binding_patterns(
    extra_wrappers=("reference_declarator",),
    param_holders=("function_declarator", "abstract_function_declarator"),
    param_declarations=("parameter_declaration", "optional_parameter_declaration"),
)


class CppProfile(CProfile):
    name = "cpp"
    display_name = "C++"
    extensions = (".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".tpp")
    family = "c"
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=("/**", "/*!", "///", "//!"))
    query_source = QUERY
    const_qualifiers = (b"const", b"constexpr")

    def language(self) -> Language:
        return Language(tree_sitter_cpp.language())

    def class_kind(self, node: Node) -> str:
        return {"class_specifier": "class", "struct_specifier": "struct", "union_specifier": "union",
                "enum_specifier": "enum"}.get(node.type, "class")

    def function_body(self, node: Node) -> Node | None:
        return node.child_by_field_name("body")

    def call_callee(self, node: Node) -> Node | None:
        if node.type == "new_expression":
            return node.child_by_field_name("type")
        return node.child_by_field_name("function")

    def return_type(self, node: Node) -> Node | None:
        declarator = node.child_by_field_name("declarator")
        # `auto f() -> int`: the trailing return type is the written one
        if declarator is not None:
            for child in declarator.named_children:
                if child.type == "trailing_return_type":
                    return child.named_children[0] if child.named_children else child
        return node.child_by_field_name("type")

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        written = super().variable_declaration_type(name_node)
        if written is None and name_node.parent is not None:
            holder = _range_loop_of(name_node)
            written = holder.child_by_field_name("type") if holder is not None else None
        if written is not None and written.type == "placeholder_type_specifier":
            return None  # `auto` is not a written type
        return written

    def is_inferred_declaration(self, name_node: Node) -> bool:
        from .c import _enclosing_declaration

        declaration, _ = _enclosing_declaration(name_node)
        if declaration is None:
            declaration = _range_loop_of(name_node)
        if declaration is None:
            return False
        written = declaration.child_by_field_name("type")
        return written is not None and written.type == "placeholder_type_specifier"

    def is_method(self, node: Node) -> bool | None:
        """`void Box::set(int v) {...}` defined outside its class is a method too."""
        if self.is_inside_class(node):
            return True
        declarator = node.child_by_field_name("declarator")
        while declarator is not None and declarator.type not in ("function_declarator",):
            declarator = declarator.child_by_field_name("declarator")
        name = declarator.child_by_field_name("declarator") if declarator is not None else None
        return name is not None and name.type == "qualified_identifier"

    @staticmethod
    def is_inside_class(node: Node) -> bool:
        parent = node.parent
        return parent is not None and parent.type == "field_declaration_list"


def _range_loop_of(name_node: Node) -> Node | None:
    parent = name_node.parent
    while parent is not None and parent.type in ("reference_declarator", "structured_binding_declarator",
                                                 "pointer_declarator"):
        parent = parent.parent
    return parent if parent is not None and parent.type == "for_range_loop" else None


__all__ = ["PROFILE", "declarator_name"]

PROFILE = CppProfile()
