"""Swift (tree-sitter-swift).

The Swift grammar reuses the field name `name` for both a declaration's identifier and its
types (`func f(x: Int) -> Int` has `name:` on `f`, `Int` and `Int`), so the hooks pick types by
node type; `defer { }` parses as a call of `defer` with a trailing closure, which the query tells
apart from real calls and closures.
"""

from __future__ import annotations

import tree_sitter_swift
from tree_sitter import Language, Node

from .profile import CommentSyntax, LanguageProfile, node_text

TYPE_NODES = ("user_type", "array_type", "dictionary_type", "optional_type", "function_type", "tuple_type",
              "opaque_type", "existential_type", "metatype", "protocol_composition_type")
_TYPES = "[" + " ".join(f"({t})" for t in TYPE_NODES) + "]"

# Where closures appear besides trailing-closure position (`defer { }` also looks like one).
_LAMBDA_PARENTS = ("property_declaration", "value_argument", "assignment", "control_transfer_statement",
                   "tuple_expression", "array_literal", "dictionary_literal", "ternary_expression", "statements",
                   "call_expression", "nil_coalescing_expression", "as_expression", "navigation_expression",
                   "try_expression", "await_expression", "interpolated_expression")

# Swift calls its anonymous functions closures: both constructs name them.
_CLOSURE = "@lambda @construct.lambda @construct.closure"

QUERY = r"""
(function_declaration) @function
(init_declaration) @function
(deinit_declaration) @function
(class_declaration declaration_kind: ["class" "struct" "enum" "actor"]) @class
(protocol_declaration) @class
""" + "\n".join(f"({parent} (lambda_literal) {_CLOSURE})" for parent in _LAMBDA_PARENTS) + f"""
(call_expression (simple_identifier) @_callee (call_suffix (lambda_literal) {_CLOSURE}) (#not-eq? @_callee "defer"))
(call_expression (navigation_expression) (call_suffix (lambda_literal) {_CLOSURE}))
(call_expression (call_expression) (call_suffix (lambda_literal) {_CLOSURE}))
""" + r"""
(parameter name: (simple_identifier) @parameter.name) @parameter
(lambda_parameter name: (simple_identifier) @parameter.name) @parameter

(source_file (property_declaration name: (pattern bound_identifier: (simple_identifier) @variable.name)))
(statements (property_declaration name: (pattern bound_identifier: (simple_identifier) @variable.name)))
(source_file (property_declaration name: (pattern (pattern (simple_identifier) @variable.name))))
(statements (property_declaration name: (pattern (pattern (simple_identifier) @variable.name))))
(assignment target: (directly_assignable_expression (simple_identifier) @variable.name))
(if_statement bound_identifier: (simple_identifier) @variable.name)
(guard_statement bound_identifier: (simple_identifier) @variable.name)
(while_statement bound_identifier: (simple_identifier) @variable.name)
(for_statement item: (pattern bound_identifier: (simple_identifier) @variable.name))
(for_statement item: (pattern (pattern (simple_identifier) @variable.name)))
; `static let` members are the type's constants; a plain `let` is an immutable binding (like `val`)
(class_body (property_declaration (modifiers (property_modifier "static")) (value_binding_pattern mutability: "let")
  name: (pattern bound_identifier: (simple_identifier) @constant.name)))
(enum_class_body (property_declaration (modifiers (property_modifier "static")) (value_binding_pattern mutability: "let")
  name: (pattern bound_identifier: (simple_identifier) @constant.name)))
(class_body (property_declaration name: (pattern bound_identifier: (simple_identifier) @field.name)))
(enum_class_body (property_declaration name: (pattern bound_identifier: (simple_identifier) @field.name)))
(protocol_body (protocol_property_declaration name: (pattern bound_identifier: (simple_identifier) @field.name)))

(for_statement) @loop.for
(while_statement) @loop.while
(repeat_while_statement) @loop.while
(if_statement) @conditional.if
(guard_statement) @conditional.if
(switch_statement) @conditional.switch
(ternary_expression) @conditional.ternary
(switch_entry) @case
(conjunction_expression) @boolean_operator
(disjunction_expression) @boolean_operator
(do_statement (catch_block)) @try
(catch_block) @catch
(control_transfer_statement (throw_keyword)) @throw
(control_transfer_statement "return") @return
(source_file (property_declaration) @assignment)
(statements (property_declaration) @assignment)
(assignment) @assignment

(comment) @comment
(multiline_comment) @comment
(import_declaration) @import
; a call has parentheses or a trailing closure; `xs[1...2]` (brackets) is a subscript
(call_expression (call_suffix (value_arguments "("))) @call
(call_expression (simple_identifier) @_callee (call_suffix (lambda_literal)) (#not-eq? @_callee "defer")) @call
(call_expression [(navigation_expression) (call_expression)] (call_suffix (lambda_literal))) @call
(constructor_expression) @call
(line_string_literal) @string
(multi_line_string_literal) @string
(raw_string_literal) @string
(integer_literal) @number
(real_literal) @number
(hex_literal) @number
(bin_literal) @number
(oct_literal) @number
""" + "\n".join([
    # the grammar's `name` field is unreliable in queries for types: match types as children
    f"(type_annotation {_TYPES} @type)",
    f"(parameter {_TYPES} @type)",
    f"(lambda_parameter {_TYPES} @type)",
    f"(function_declaration {_TYPES} @type)",
    f"(protocol_function_declaration {_TYPES} @type)",
    f"(lambda_function_type {_TYPES} @type)",
    f"(type_arguments {_TYPES} @type)",
    f"(as_expression {_TYPES} @type)",
    "(inheritance_specifier inherits_from: [(user_type) (function_type)] @type)",
]) + r"""
(additive_expression op: _ @operator)
(multiplicative_expression op: _ @operator)
(comparison_expression op: _ @operator)
(equality_expression op: _ @operator)
(conjunction_expression op: _ @operator)
(disjunction_expression op: _ @operator)
(nil_coalescing_expression "??" @operator)
(infix_expression op: _ @operator)
(bitwise_operation op: _ @operator)
(assignment operator: _ @operator)
(property_declaration "=" @operator)

(ternary_expression) @construct.ternary
(function_declaration "async") @construct.async
(await_expression) @construct.async
(switch_statement) @construct.match
(attribute) @construct.decorator
(call_expression (simple_identifier) @_defer (call_suffix (lambda_literal)) (#eq? @_defer "defer")) @construct.defer
(call_expression (simple_identifier) @_defer (call_suffix (lambda_literal)) (#eq? @_defer "defer")) @construct.context_manager
(if_statement condition: (value_binding_pattern)) @construct.if_let
(while_statement condition: (value_binding_pattern)) @construct.while_let
(call_expression (call_suffix (value_arguments "[" (value_argument value: [(range_expression) (open_start_range_expression) (open_end_range_expression)])))) @construct.slicing
(line_string_literal interpolation: (_)) @construct.template_literal
(multi_line_string_literal interpolation: (_)) @construct.template_literal
(navigation_expression "?") @construct.optional_chaining
(property_declaration name: (pattern (pattern))) @construct.destructuring
(type_parameters) @construct.generics
(type_arguments) @construct.generics
(class_declaration declaration_kind: "extension") @construct.extension_function
(do_statement (catch_block)) @construct.try
(protocol_declaration) @construct.interface
(class_declaration declaration_kind: "enum") @construct.enum
(computed_property) @construct.properties
(willset_didset_block) @construct.properties
(function_declaration name: _ @_op (#match? @_op "^[-+*/%=<>!&|^~?.]+$")) @construct.operator_overloading
(optional_type) @construct.nullable_types
(macro_invocation) @construct.macro
(macro_declaration) @construct.macro
(array_literal) @literal.list
(dictionary_literal) @literal.dict
(tuple_expression) @literal.tuple
"""


_BINARY_EXPRESSIONS = ("additive_expression", "multiplicative_expression", "comparison_expression",
                       "equality_expression", "conjunction_expression", "disjunction_expression",
                       "nil_coalescing_expression", "infix_expression", "range_expression", "bitwise_operation")


def _first_child_of_types(children: list[Node], types: tuple[str, ...]) -> Node | None:
    return next((child for child in children if child.type in types), None)


class SwiftProfile(LanguageProfile):
    name = "swift"
    display_name = "Swift"
    extensions = (".swift",)
    family = "swift"
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=("///", "/**"))
    query_source = QUERY
    uses_braces = True

    def language(self) -> Language:
        return Language(tree_sitter_swift.language())

    def function_name(self, node: Node) -> Node | None:
        if node.type in ("init_declaration", "deinit_declaration"):
            return next((c for c in node.children if c.type in ("init", "deinit")), None)
        name = node.child_by_field_name("name")
        # `static func + (...)`: an operator has no name a naming convention applies to
        return name if name is not None and name.type == "simple_identifier" else None

    def class_name(self, node: Node) -> Node | None:
        return node.child_by_field_name("name")

    def class_kind(self, node: Node) -> str:
        if node.type == "protocol_declaration":
            return "protocol"
        kind = node.child_by_field_name("declaration_kind")
        text = kind.type if kind is not None else "class"
        return {"struct": "struct", "enum": "enum"}.get(text, "class")

    def function_body(self, node: Node) -> Node | None:
        body = node.child_by_field_name("body")
        if body is not None:
            statements = _first_child_of_types(body.named_children, ("statements",))
            if statements is not None:
                return statements
        return body

    def return_type(self, node: Node) -> Node | None:
        seen_arrow = False
        for child in node.children:
            if child.type == "->":
                seen_arrow = True
            elif seen_arrow and child.type in TYPE_NODES:
                return child
        return None

    def parameter_type(self, node: Node) -> Node | None:
        return _first_child_of_types(node.children_by_field_name("name"), TYPE_NODES)

    def import_modules(self, node: Node, text: str) -> list[str]:
        module = _first_child_of_types(node.named_children, ("identifier",))
        return [node_text(module)] if module is not None else []

    def call_callee(self, node: Node) -> Node | None:
        if node.type == "constructor_expression":
            return node.named_children[0] if node.named_children else None
        callee = next((c for c in node.named_children if c.type != "call_suffix"), None)
        # tree-sitter-swift parses `n * f(x)` as `(n * f)(x)` (alex-pinkus/tree-sitter-swift#153,
        # #513): the call belongs to the rightmost operand
        while callee is not None and callee.type in _BINARY_EXPRESSIONS:
            callee = callee.child_by_field_name("rhs")
        while callee is not None and callee.type == "prefix_expression":
            callee = callee.child_by_field_name("target")
        return callee

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        declaration = _property_of(name_node)
        if declaration is None:
            return None
        annotation = _first_child_of_types(declaration.named_children, ("type_annotation",))
        return annotation.child_by_field_name("name") if annotation is not None else None

    def is_inferred_declaration(self, name_node: Node) -> bool:
        declaration = _property_of(name_node)
        return declaration is not None and \
            _first_child_of_types(declaration.named_children, ("type_annotation",)) is None


def _property_of(name_node: Node) -> Node | None:
    parent = name_node.parent
    while parent is not None and parent.type == "pattern":
        parent = parent.parent
    return parent if parent is not None and parent.type == "property_declaration" else None


PROFILE = SwiftProfile()
