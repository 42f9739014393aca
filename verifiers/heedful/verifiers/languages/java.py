"""Java (tree-sitter-java)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import tree_sitter_java
from tree_sitter import Language, Node

from .profile import CalleeSpan, CommentSyntax, DerivedCapture, LanguageProfile, node_text

if TYPE_CHECKING:
    from .view import SyntaxView

QUERY = r"""
(method_declaration) @function
(constructor_declaration) @function
(compact_constructor_declaration) @function
(lambda_expression) @lambda
(class_declaration) @class
(interface_declaration) @class
(enum_declaration) @class
(record_declaration) @class
(annotation_type_declaration) @class

(method_declaration parameters: (formal_parameters (formal_parameter name: (identifier) @parameter.name) @parameter))
(constructor_declaration parameters: (formal_parameters (formal_parameter name: (identifier) @parameter.name) @parameter))
(lambda_expression parameters: (formal_parameters (formal_parameter name: (identifier) @parameter.name) @parameter))
(method_declaration parameters: (formal_parameters
  (spread_parameter (variable_declarator name: (identifier) @parameter.name)) @parameter))
(constructor_declaration parameters: (formal_parameters
  (spread_parameter (variable_declarator name: (identifier) @parameter.name)) @parameter))
(lambda_expression parameters: (inferred_parameters (identifier) @parameter @parameter.name))
(lambda_expression parameters: (identifier) @parameter @parameter.name)

(local_variable_declaration declarator: (variable_declarator name: (identifier) @variable.name))
(enhanced_for_statement name: (identifier) @variable.name)
(resource name: (identifier) @variable.name)
(instanceof_expression name: (identifier) @variable.name)
(type_pattern (identifier) @variable.name)
(record_pattern_component (identifier) @variable.name)

(field_declaration declarator: (variable_declarator name: (identifier) @field.name))
(record_declaration parameters: (formal_parameters (formal_parameter name: (identifier) @field.name)))
(field_declaration (modifiers "static" "final") declarator: (variable_declarator name: (identifier) @constant.name))
(field_declaration (modifiers "final" "static") declarator: (variable_declarator name: (identifier) @constant.name))
(constant_declaration declarator: (variable_declarator name: (identifier) @constant.name))
(enum_constant name: (identifier) @constant.name)

(for_statement) @loop.for
(enhanced_for_statement) @loop.for
(while_statement) @loop.while
(do_statement) @loop.while
(if_statement) @conditional.if
(switch_expression) @conditional.switch
(ternary_expression) @conditional.ternary
(switch_block_statement_group (switch_label "case") @_label (#not-match? @_label "[ ,]default$")) @case
(switch_rule (switch_label "case") @_label (#not-match? @_label "[ ,]default$")) @case
(binary_expression operator: ["&&" "||"]) @boolean_operator
(try_statement) @try
(try_with_resources_statement) @try
(catch_clause) @catch
(throw_statement) @throw
(return_statement) @return
(synchronized_statement) @nesting
(local_variable_declaration) @assignment
(assignment_expression) @assignment

(line_comment) @comment
(block_comment) @comment
(import_declaration) @import
(method_invocation) @call
(object_creation_expression) @call
(explicit_constructor_invocation) @call
(string_literal) @string
(character_literal) @string
(decimal_integer_literal) @number
(hex_integer_literal) @number
(octal_integer_literal) @number
(binary_integer_literal) @number
(decimal_floating_point_literal) @number
(hex_floating_point_literal) @number
; every node type with a `type` field, by name: a wildcard parent, `(_ type: (_) @type)`, starts a
; match at every node of the tree (a fifth of the whole query's cost); tests/test_query_patterns.py
; derives this list from the grammar, so a grammar that adds such a type fails there
(annotation_type_element_declaration type: (_) @type (#not-eq? @type "var"))
(array_creation_expression type: (_) @type (#not-eq? @type "var"))
(cast_expression type: (_) @type (#not-eq? @type "var"))
(constant_declaration type: (_) @type (#not-eq? @type "var"))
(enhanced_for_statement type: (_) @type (#not-eq? @type "var"))
(field_declaration type: (_) @type (#not-eq? @type "var"))
(for_statement type: (_) @type (#not-eq? @type "var"))
(formal_parameter type: (_) @type (#not-eq? @type "var"))
(local_variable_declaration type: (_) @type (#not-eq? @type "var"))
(method_declaration type: (_) @type (#not-eq? @type "var"))
(object_creation_expression type: (_) @type (#not-eq? @type "var"))
(resource type: (_) @type (#not-eq? @type "var"))
(uses_module_directive type: (_) @type (#not-eq? @type "var"))
(type_arguments (_) @type)
(superclass (_) @type)
(super_interfaces (type_list (_) @type))
(extends_interfaces (type_list (_) @type))
(throws (_) @type)
(catch_type (_) @type)
(spread_parameter . (_) @type)
(binary_expression operator: _ @operator)
(assignment_expression operator: _ @operator)
(variable_declarator "=" @operator)

(lambda_expression) @construct.lambda
(method_reference) @construct.method_reference
(ternary_expression) @construct.ternary
(type_parameters) @construct.generics
(generic_type) @construct.generics
(annotation) @construct.decorator
(marker_annotation) @construct.decorator
(try_with_resources_statement) @construct.context_manager
(spread_parameter) @construct.spread
(switch_expression body: (switch_block (switch_rule (switch_label (pattern))))) @construct.match
(switch_expression body: (switch_block (switch_block_statement_group (switch_label (pattern))))) @construct.match
(instanceof_expression name: (identifier)) @construct.match
(instanceof_expression pattern: (_)) @construct.match
(record_pattern) @construct.destructuring
; construct.stream is derived from @call (JavaProfile.derived_captures)
(try_statement) @construct.try
(try_with_resources_statement) @construct.try
(interface_declaration) @construct.interface
(enum_declaration) @construct.enum
(record_declaration) @construct.record
(object_creation_expression (class_body)) @construct.anonymous_class
(string_literal "\"\"\"") @construct.text_block
(synchronized_statement) @construct.synchronized
(array_initializer) @literal.list
"""

# A stream pipeline: `xs.stream()`, `xs.parallelStream()`, or a factory of a stream type
# (`Stream.of(...)`, `Arrays.stream(...)`, `IntStream.range(...)`). Once two query patterns with
# `#any-of?` on the method name, which the query tested at every method call of every file (a
# fifth of Java's capture pass); now the calls the view already has, filtered when a check asks.
_STREAM_METHODS = frozenset({b"stream", b"parallelStream"})
_STREAM_TYPES = frozenset({b"Stream", b"IntStream", b"LongStream", b"DoubleStream", b"Arrays", b"StreamSupport"})
_STREAM_FACTORIES = frozenset({b"of", b"stream", b"range", b"rangeClosed", b"iterate", b"generate", b"concat",
                               b"empty"})


def is_stream_call(node: Node) -> bool:
    """What the two patterns matched: `(method_invocation name: (identifier) ...)` with the name
    `stream` or `parallelStream`, or with an `object: (identifier)` naming a stream type and a
    factory name."""
    if node.type != "method_invocation":
        return False
    name = node.child_by_field_name("name")
    if name is None or name.type != "identifier":
        return False
    text = name.text
    if text in _STREAM_METHODS:
        return True
    if text not in _STREAM_FACTORIES:
        return False
    receiver = node.child_by_field_name("object")
    return receiver is not None and receiver.type == "identifier" and receiver.text in _STREAM_TYPES


# A stream call's callee text ends with its method name (`Arrays.stream`): calls whose callee ends
# otherwise are skipped without looking at their nodes.
_STREAM_NAME_ENDINGS = tuple(name.decode() for name in _STREAM_METHODS | _STREAM_FACTORIES)


def stream_calls(view: SyntaxView) -> list[Node]:
    """`is_stream_call` over the view's calls, most of them told apart by their callee text."""
    return [call.node for call in view.calls if call.qualified.endswith(_STREAM_NAME_ENDINGS)
            and is_stream_call(call.node)]


class JavaProfile(LanguageProfile):
    name = "java"
    display_name = "Java"
    extensions = (".java",)
    family = "jvm"
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=("/**",))
    query_source = QUERY
    uses_braces = True
    derived_captures: ClassVar[dict[str, DerivedCapture]] = {
        "construct.stream": DerivedCapture("call", is_stream_call, stream_calls)}

    def language(self) -> Language:
        return Language(tree_sitter_java.language())

    def class_kind(self, node: Node) -> str:
        return {"interface_declaration": "interface", "annotation_type_declaration": "interface",
                "enum_declaration": "enum", "record_declaration": "record"}.get(node.type, "class")

    def return_type(self, node: Node) -> Node | None:
        return node.child_by_field_name("type") if node.type == "method_declaration" else None

    def parameter_type(self, node: Node) -> Node | None:
        if node.type == "formal_parameter":
            return node.child_by_field_name("type")
        if node.type == "spread_parameter":
            for child in node.named_children:
                if child.type not in ("modifiers", "variable_declarator"):
                    return child
        return None  # inferred lambda parameter

    def import_modules(self, node: Node, text: str) -> list[str]:
        parts = [node_text(c) for c in node.named_children if c.type in ("scoped_identifier", "identifier")]
        if not parts:
            return []
        name = parts[0]
        if any(c.type == "asterisk" for c in node.named_children):
            name += ".*"
        return [name]

    def call_callee(self, node: Node) -> Node | None:
        if node.type == "method_invocation":
            name = node.child_by_field_name("name")
            receiver = node.child_by_field_name("object")
            if receiver is None or name is None:
                return name
            return CalleeSpan(receiver, name)  # type: ignore[return-value]
        if node.type == "object_creation_expression":
            return node.child_by_field_name("type")
        if node.type == "explicit_constructor_invocation":
            return node.child_by_field_name("constructor")
        return super().call_callee(node)

    def callee_span(self, node: Node) -> tuple[int, int] | None:
        if node.type == "method_invocation":  # the CalleeSpan's bytes, without building it
            name = node.child_by_field_name("name")
            if name is None:
                return None
            receiver = node.child_by_field_name("object")
            return (name.start_byte if receiver is None else receiver.start_byte), name.end_byte
        return super().callee_span(node)

    def _declaration(self, name_node: Node) -> Node | None:
        parent = name_node.parent
        if parent is not None and parent.type == "variable_declarator":
            parent = parent.parent
        if parent is not None and parent.type in ("local_variable_declaration", "resource", "enhanced_for_statement",
                                                  "field_declaration", "constant_declaration"):
            return parent
        return None

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        declaration = self._declaration(name_node)
        if declaration is None:
            return None
        written = declaration.child_by_field_name("type")
        if written is None or written.text == b"var":
            return None
        return written

    def is_inferred_declaration(self, name_node: Node) -> bool:
        declaration = self._declaration(name_node)
        if declaration is None:
            return False
        written = declaration.child_by_field_name("type")
        return written is not None and written.text == b"var"


PROFILE = JavaProfile()
