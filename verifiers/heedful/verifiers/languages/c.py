"""C (tree-sitter-c).

A C name hides in its declarator: `char **argv`, `int arr[3]`, `int (*cmp)(int)` all wrap the
identifier in pointer/array/function declarators. The query spells out the common shapes once
(`declarator_shapes`) and C++ (`cpp.py`) reuses them with its reference declarators added.
"""

from __future__ import annotations

import tree_sitter_c
from tree_sitter import Language, Node

from .profile import CommentSyntax, LanguageProfile, node_text


def declarator_shapes(leaf: str, extra_wrappers: tuple[str, ...] = ()) -> list[str]:
    """Declarator patterns that end in `leaf` (e.g. `(identifier) @variable.name`): plain, pointer,
    pointer to pointer, array, 2-D array, pointer to array, function pointer; plus `extra_wrappers`
    (C++ `reference_declarator`, whose child has no field name)."""
    shapes = [
        leaf,
        f"(pointer_declarator declarator: {leaf})",
        f"(pointer_declarator declarator: (pointer_declarator declarator: {leaf}))",
        f"(array_declarator declarator: {leaf})",
        f"(array_declarator declarator: (array_declarator declarator: {leaf}))",
        f"(pointer_declarator declarator: (array_declarator declarator: {leaf}))",
        f"(function_declarator declarator: (parenthesized_declarator (pointer_declarator declarator: {leaf})))",
    ]
    for wrapper in extra_wrappers:
        shapes += [f"({wrapper} {leaf})", f"({wrapper} (pointer_declarator declarator: {leaf}))"]
    return shapes


def _patterns(template: str, leaf: str, extra_wrappers: tuple[str, ...] = ()) -> str:
    return "\n".join(template.format(shape) for shape in declarator_shapes(leaf, extra_wrappers))


def binding_patterns(extra_wrappers: tuple[str, ...] = (), param_holders: tuple[str, ...] = ("function_declarator",),
                     param_declarations: tuple[str, ...] = ("parameter_declaration",)) -> str:
    """Parameters, variables and fields of C declarations (shared with C++, which adds reference
    declarators, lambda parameter lists and parameters with default values)."""
    parts = []
    for holder in param_holders:
        for declaration in param_declarations:
            parts.append(_patterns(f"({holder} parameters: (parameter_list ({declaration} declarator: {{}}) @parameter))",
                                   "(identifier) @parameter.name", extra_wrappers))
    parts += [
        _patterns("(declaration declarator: {})", "(identifier) @variable.name", extra_wrappers),
        _patterns("(declaration declarator: (init_declarator declarator: {}))", "(identifier) @variable.name",
                  extra_wrappers),
        _patterns("(field_declaration declarator: {})", "(field_identifier) @field.name", extra_wrappers),
    ]
    return "\n".join(parts)


# What C and C++ share; node types here exist in both grammars.
COMMON_QUERY = r"""
(function_definition) @function
(struct_specifier body: (_)) @class
(union_specifier body: (_)) @class
(enum_specifier body: (_)) @class

(assignment_expression left: (identifier) @variable.name)
(preproc_def name: (identifier) @constant.name)
(enumerator name: (identifier) @constant.name)

(for_statement) @loop.for
(while_statement) @loop.while
(do_statement) @loop.while
(if_statement) @conditional.if
(switch_statement) @conditional.switch
(conditional_expression) @conditional.ternary
(case_statement) @case
(binary_expression operator: ["&&" "||"]) @boolean_operator
(return_statement) @return
(declaration declarator: [(identifier) (init_declarator) (array_declarator)
                          (pointer_declarator declarator: [(identifier) (pointer_declarator) (array_declarator)])]) @assignment
(assignment_expression) @assignment

(comment) @comment
(preproc_include) @import
(call_expression) @call
(string_literal) @string
(concatenated_string) @string
; a char literal is masked like a string by text-level checks
(char_literal) @string
(number_literal) @number
; `#define MAX_ITEMS 100`: the macro body is unparsed text; a plain number there is a number literal
(preproc_def value: (preproc_arg) @number (#match? @number "^\\s*[0-9][0-9A-Fa-fxX.uUlL]*\\s*$"))
(declaration type: (_) @type)
(parameter_declaration type: (_) @type)
(field_declaration type: (_) @type)
(function_definition type: (_) @type)
(type_descriptor) @type
(binary_expression operator: _ @operator)
(assignment_expression operator: _ @operator)
(init_declarator "=" @operator)

(conditional_expression) @construct.ternary
(preproc_def) @construct.macro
(preproc_function_def) @construct.macro
(enum_specifier body: (_)) @construct.enum
(init_declarator declarator: (array_declarator) value: (initializer_list) @literal.list)
"""

QUERY = COMMON_QUERY + binding_patterns()

_DECLARATOR_WRAPPERS = ("pointer_declarator", "array_declarator", "function_declarator", "parenthesized_declarator",
                        "init_declarator", "reference_declarator", "attributed_declarator")
_NAME_TYPES = ("identifier", "field_identifier", "type_identifier")


def declarator_name(declarator: Node | None) -> Node | None:
    """The identifier a declarator chain ends in: `*(*name)(int)` → `name`."""
    node = declarator
    while node is not None:
        if node.type in ("qualified_identifier", "template_function"):
            node = node.child_by_field_name("name")  # `Box::set` → `set`, `max<T>` → `max`
            continue
        if node.type == "destructor_name":
            # `~Box` is named after its class, like a constructor
            return next((c for c in node.named_children if c.type == "identifier"), node)
        if node.type in ("operator_name", "operator_cast"):
            return None  # `operator+=` has no name a naming convention applies to
        if node.type in _NAME_TYPES:
            return node
        inner = node.child_by_field_name("declarator")
        if inner is None and node.type in ("parenthesized_declarator", "reference_declarator", "attributed_declarator"):
            inner = next((c for c in node.named_children if c.type != "type_qualifier"), None)
        node = inner
    return None


def _enclosing_declaration(name_node: Node) -> tuple[Node | None, bool]:
    """The declaration owning a declared name, and whether a pointer declarator lies between them."""
    through_pointer = False
    parent = name_node.parent
    while parent is not None and parent.type in _DECLARATOR_WRAPPERS:
        if parent.type == "pointer_declarator" and not any(c.type == "type_qualifier" and c.text == b"const"
                                                           for c in parent.children):
            through_pointer = True
        parent = parent.parent
    if parent is not None and parent.type in ("declaration", "field_declaration"):
        return parent, through_pointer
    return None, through_pointer


class CProfile(LanguageProfile):
    name = "c"
    display_name = "C"
    extensions: tuple[str, ...] = (".c", ".h")
    family = "c"
    # Doxygen: /** */ and /*! */ blocks, /// and //! lines
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=("/**", "/*!", "///", "//!"))
    query_source = QUERY
    uses_braces = True
    const_qualifiers: tuple[bytes, ...] = (b"const",)

    def language(self) -> Language:
        return Language(tree_sitter_c.language())

    def function_name(self, node: Node) -> Node | None:
        return declarator_name(node.child_by_field_name("declarator"))

    def class_name(self, node: Node) -> Node | None:
        name = node.child_by_field_name("name")
        if name is None and node.parent is not None and node.parent.type == "type_definition":
            # typedef struct { ... } Point;
            return declarator_name(node.parent.child_by_field_name("declarator"))
        return name

    def class_kind(self, node: Node) -> str:
        return {"struct_specifier": "struct", "union_specifier": "union", "enum_specifier": "enum"}.get(
            node.type, "class")

    def return_type(self, node: Node) -> Node | None:
        return node.child_by_field_name("type")

    def parameter_type(self, node: Node) -> Node | None:
        # the specifier only: `char` for `char *name` (the pointer is part of the declarator)
        return node.child_by_field_name("type")

    def import_modules(self, node: Node, text: str) -> list[str]:
        path = node.child_by_field_name("path")
        if path is None:
            return []
        return [node_text(path).strip().strip('<>"')]

    def call_callee(self, node: Node) -> Node | None:
        return node.child_by_field_name("function")

    def is_constant_name(self, name_node: Node, text: str) -> bool:
        declaration, through_pointer = _enclosing_declaration(name_node)
        if declaration is None or through_pointer:
            return False
        return any(child.type == "type_qualifier" and child.text in self.const_qualifiers
                   for child in declaration.children)

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        declaration, _ = _enclosing_declaration(name_node)
        return declaration.child_by_field_name("type") if declaration is not None else None


PROFILE = CProfile()
