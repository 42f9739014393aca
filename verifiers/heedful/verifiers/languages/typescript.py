"""TypeScript (tree-sitter-typescript, the `typescript` grammar: .ts, .mts, .cts).

It reuses JavaScript's query (`javascript.COMMON_QUERY`: both grammars name statements and
expressions alike) and adds what differs: parameters are `required_parameter` /
`optional_parameter` nodes, class fields are `public_field_definition`, and there are
interfaces, enums, type annotations and generics. `.tsx` files need the separate `tsx` grammar
(JSX and `<T>expr` casts conflict), so this profile does not claim them.

Types are the written annotations (`x: number`, `): string`), not JSDoc tags. Conventions
beyond JavaScript's: `static readonly` fields are constants; a declaration without
a written type (`let count = 0`) is inferred; constructor parameter properties
(`constructor(private repo: Repo)`) are both parameters and fields.
"""

from __future__ import annotations

import tree_sitter_typescript
from tree_sitter import Language, Node

from .javascript import COMMON_QUERY, COMMON_VALUE_TYPES, JavaScriptProfile, _annotation_type, build_query
from .profile import CommentSyntax

TS_VALUE_TYPES = COMMON_VALUE_TYPES + ("as_expression", "instantiation_expression", "non_null_expression",
                                       "satisfies_expression", "type_assertion")

TS_LAMBDA_PARENTS = (
    "arguments", "array", "arrow_function", "as_expression", "assignment_expression", "assignment_pattern",
    "augmented_assignment_expression", "await_expression", "binary_expression", "call_expression",
    "computed_property_name", "enum_assignment", "export_statement", "expression_statement", "extends_clause",
    "for_in_statement", "for_statement", "instantiation_expression", "member_expression", "new_expression",
    "non_null_expression", "object_assignment_pattern", "optional_parameter", "pair", "parenthesized_expression",
    "required_parameter", "return_statement", "satisfies_expression", "sequence_expression", "spread_element",
    "subscript_expression", "switch_case", "template_substitution", "ternary_expression", "throw_statement",
    "type_assertion", "unary_expression", "update_expression", "yield_expression",
)

TS_QUERY = r"""
(public_field_definition name: (property_identifier) value: [(arrow_function) (function_expression) (generator_function)] @function)
(abstract_class_declaration) @class
(interface_declaration) @class
(enum_declaration) @class

(required_parameter pattern: (identifier) @parameter.name) @parameter
(optional_parameter pattern: (identifier) @parameter.name) @parameter
(required_parameter pattern: (this) @parameter.name) @parameter
(required_parameter pattern: (rest_pattern (identifier) @parameter.name)) @parameter
(required_parameter pattern: [(object_pattern) (array_pattern)]) @parameter
(optional_parameter pattern: [(object_pattern) (array_pattern)]) @parameter
(required_parameter pattern: [
  (object_pattern (shorthand_property_identifier_pattern) @parameter.name)
  (object_pattern (object_assignment_pattern left: (shorthand_property_identifier_pattern) @parameter.name))
  (object_pattern (pair_pattern value: (identifier) @parameter.name))
  (array_pattern (identifier) @parameter.name)])
(optional_parameter pattern: [
  (object_pattern (shorthand_property_identifier_pattern) @parameter.name)
  (object_pattern (pair_pattern value: (identifier) @parameter.name))
  (array_pattern (identifier) @parameter.name)])

(public_field_definition name: (property_identifier) @field.name !value)
(public_field_definition name: (property_identifier) @field.name value: NON_FUNCTION_VALUES)
(interface_body (property_signature name: (property_identifier) @field.name))
(type_alias_declaration value: (object_type (property_signature name: (property_identifier) @field.name)))
(required_parameter (accessibility_modifier) pattern: (identifier) @field.name)
(optional_parameter (accessibility_modifier) pattern: (identifier) @field.name)
(required_parameter "readonly" pattern: (identifier) @field.name)
(optional_parameter "readonly" pattern: (identifier) @field.name)
(public_field_definition "static" "readonly" name: (property_identifier) @constant.name)
(enum_body name: (property_identifier) @constant.name)
(enum_assignment name: (property_identifier) @constant.name)

(type_annotation (_) @type)
(type_arguments (_) @type)
(type_alias_declaration value: (_) @type)
(implements_clause (_) @type)
(extends_type_clause (_) @type)
(as_expression (_) (_) @type)
(satisfies_expression (_) (_) @type)

(type_parameters) @construct.generics
(interface_declaration) @construct.interface
(enum_declaration) @construct.enum
(union_type (literal_type [(null) (undefined)])) @construct.nullable_types
(optional_parameter) @construct.nullable_types
(property_signature "?") @construct.nullable_types
(public_field_definition "?") @construct.nullable_types
(non_null_expression) @construct.nullable_types
"""

QUERY = build_query(COMMON_QUERY, TS_QUERY, TS_VALUE_TYPES, TS_LAMBDA_PARENTS)

# Nodes between a declared name and its variable declarator (destructuring patterns).
_PATTERN_NODES = {"object_pattern", "array_pattern", "pair_pattern", "object_assignment_pattern",
                  "assignment_pattern", "rest_pattern"}


class TypeScriptProfile(JavaScriptProfile):
    name = "typescript"
    display_name = "TypeScript"
    extensions = (".ts", ".mts", ".cts")
    family = "javascript"
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=("/**",))
    query_source = QUERY
    uses_braces = True

    def language(self) -> Language:
        return Language(tree_sitter_typescript.language_typescript())

    def return_type(self, node: Node) -> Node | None:
        return _annotation_type(node.child_by_field_name("return_type"))

    def parameter_type(self, node: Node) -> Node | None:
        return _annotation_type(node.child_by_field_name("type"))

    def parameter_is_receiver(self, node: Node, name: str) -> bool:
        # `function f(this: Window)` declares the type of `this`, not a parameter callers pass
        pattern = node.child_by_field_name("pattern")
        return pattern is not None and pattern.type == "this"

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        declarator = _declarator_of(name_node)
        if declarator is None:
            return None
        annotation = declarator.child_by_field_name("type")
        if annotation is None:
            return None
        return annotation.named_children[0] if annotation.named_children else annotation

    def is_inferred_declaration(self, name_node: Node) -> bool:
        # Loop variables of for-of/for-in cannot be annotated in TypeScript: not inferred by choice.
        declarator = _declarator_of(name_node)
        return declarator is not None and declarator.child_by_field_name("type") is None


def _declarator_of(name_node: Node) -> Node | None:
    """The variable declarator binding `name_node`, through destructuring patterns."""
    node = name_node
    parent = node.parent
    while parent is not None and parent.type in _PATTERN_NODES:
        node, parent = parent, parent.parent
    if parent is not None and parent.type == "variable_declarator" and parent.child_by_field_name("name") == node:
        return parent
    return None


PROFILE = TypeScriptProfile()
