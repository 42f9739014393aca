"""Scala 2 and 3 (tree-sitter-scala)."""

from __future__ import annotations

import tree_sitter_scala
from tree_sitter import Language, Node

from .profile import CommentSyntax, LanguageProfile, node_text

# A `for` with `yield` is a comprehension (it desugars to map/flatMap), not a loop. The grammar
# keeps `yield` as an anonymous token, so the loop pattern tells them apart by text: `yield`
# right after the enumerators, written `(...)`, `{...}` or Scala 3 style without brackets.
_FOR_YIELD = (r"^for\s*(\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)|\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
              r"|[^({\s](?:(?!\bdo\b)[\s\S])*?)\s*yield\b")
# A class whose parameters are fields even without `val`.
_CASE_CLASS = r"^[^(\[{=]*\bcase\s+class\b"

QUERY = r"""
(function_definition) @function
(function_declaration) @function
(lambda_expression) @lambda
(class_definition) @class
(object_definition) @class
(trait_definition) @class
(enum_definition) @class

(parameters (parameter name: (identifier) @parameter.name) @parameter)
(lambda_expression parameters: (bindings (binding name: (identifier) @parameter.name) @parameter))
(lambda_expression parameters: (identifier) @parameter @parameter.name)
((class_definition
   class_parameters: (class_parameters (class_parameter name: (identifier) @parameter.name) @parameter)) @_class
  (#not-match? @_class "CASE_CLASS")
  (#not-match? @parameter "^[^:]*(^|\\s)(val|var)\\s"))

(block (val_definition pattern: (identifier) @variable.name))
(block (var_definition pattern: (identifier) @variable.name))
(indented_block (val_definition pattern: (identifier) @variable.name))
(indented_block (var_definition pattern: (identifier) @variable.name))
(compilation_unit (val_definition pattern: (identifier) @variable.name))
(compilation_unit (var_definition pattern: (identifier) @variable.name))
(val_definition pattern: (tuple_pattern (identifier) @variable.name))
(var_definition pattern: (tuple_pattern (identifier) @variable.name))
(val_definition pattern: (case_class_pattern pattern: (identifier) @variable.name))
(enumerator . (identifier) @variable.name)
(enumerator . (tuple_pattern (identifier) @variable.name))

(template_body (val_definition pattern: (identifier) @field.name))
(template_body (var_definition pattern: (identifier) @field.name))
(template_body (val_declaration name: (identifier) @field.name))
(template_body (var_declaration name: (identifier) @field.name))
(class_parameter ["val" "var"] name: (identifier) @field.name)
((class_definition
   class_parameters: (class_parameters (class_parameter name: (identifier) @field.name))) @_case
  (#match? @_case "CASE_CLASS"))
(template_body (val_definition (modifiers "final") pattern: (identifier) @constant.name))
(simple_enum_case name: (identifier) @constant.name)
(full_enum_case name: (identifier) @constant.name)

((for_expression) @loop.for (#not-match? @loop.for "FOR_YIELD"))
(while_expression) @loop.while
(do_while_expression) @loop.while
(if_expression) @conditional.if
(match_expression) @conditional.switch
(match_expression body: (_ (case_clause pattern: (_) @_pattern) @case) (#not-eq? @_pattern "_"))
((infix_expression operator: (operator_identifier) @_op) @boolean_operator (#any-of? @_op "&&" "||"))
(try_expression) @try
(catch_clause [(case_block (case_clause) @catch) (indented_cases (case_clause) @catch)])
(catch_clause "case") @catch
(throw_expression) @throw
(return_expression) @return
(val_definition) @assignment
(var_definition) @assignment
(assignment_expression) @assignment

(comment) @comment
(block_comment) @comment
(import_declaration) @import
; `f(a)(b)` and `Using(r) { ... }` are one call with two argument lists: the outer node is not another call
(call_expression function: [(identifier) (field_expression) (generic_function) (stable_identifier)
                            (operator_identifier) (parenthesized_expression) (lambda_expression)]) @call
(instance_expression) @call
(string) @string
(interpolated_string_expression) @string
(character_literal) @string
(integer_literal) @number
(floating_point_literal) @number
(_ type: (_) @type)
(_ return_type: (_) @type)
(type_arguments (_) @type)
(infix_expression operator: (_) @operator)
(val_definition "=" @operator)
(var_definition "=" @operator)
(assignment_expression "=" @operator)

(lambda_expression) @construct.lambda
(function_definition body: (block (function_definition) @construct.closure))
(function_definition body: (indented_block (function_definition) @construct.closure))
(for_expression "yield") @construct.list_comprehension
(for_expression "yield") @construct.for_comprehension
(type_parameters) @construct.generics
(type_arguments) @construct.generics
(annotation) @construct.decorator
(vararg) @construct.spread
(repeated_parameter_type) @construct.spread
(match_expression) @construct.match
(val_definition pattern: [(tuple_pattern) (case_class_pattern)] @construct.destructuring)
(var_definition pattern: [(tuple_pattern) (case_class_pattern)] @construct.destructuring)
(enumerator . (tuple_pattern) @construct.destructuring)
(extension_definition) @construct.extension_function
(class_definition (modifiers "implicit")) @construct.extension_function
((class_definition) @construct.data_class (#match? @construct.data_class "CASE_CLASS"))
(trait_definition) @construct.interface
(enum_definition) @construct.enum
(object_definition) @construct.object
(trait_definition (modifiers "sealed")) @construct.sealed_class
(class_definition (modifiers "sealed")) @construct.sealed_class
(function_definition name: (operator_identifier)) @construct.operator_overloading
(interpolated_string_expression) @construct.template_literal
(try_expression) @construct.try
((call_expression function: (call_expression function: (identifier) @_using)) @construct.context_manager
  (#eq? @_using "Using"))
((call_expression function: (call_expression
    function: (field_expression value: (identifier) @_using))) @construct.context_manager
  (#eq? @_using "Using"))
(given_definition) @construct.implicit
(modifiers "implicit") @construct.implicit
(parameters "using") @construct.implicit
(parameters "implicit") @construct.implicit
""".replace("CASE_CLASS", _CASE_CLASS.replace("\\", "\\\\")).replace("FOR_YIELD", _FOR_YIELD.replace("\\", "\\\\"))


class ScalaProfile(LanguageProfile):
    name = "scala"
    display_name = "Scala"
    extensions = (".scala", ".sc")
    family = "jvm"
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=("/**",))
    query_source = QUERY
    uses_braces = True

    def language(self) -> Language:
        return Language(tree_sitter_scala.language())

    def class_kind(self, node: Node) -> str:
        return {"trait_definition": "trait", "object_definition": "object",
                "enum_definition": "enum"}.get(node.type, "class")

    def return_type(self, node: Node) -> Node | None:
        return node.child_by_field_name("return_type")

    def parameter_type(self, node: Node) -> Node | None:
        return node.child_by_field_name("type") if node.type != "identifier" else None

    def import_modules(self, node: Node, text: str) -> list[str]:
        path = ".".join(node_text(c) for c in node.children_by_field_name("path") if c.is_named)
        out = []
        for child in node.named_children:
            if child.type == "namespace_selectors":
                for selector in child.named_children:
                    target = selector.child_by_field_name("name") if selector.type.endswith("renamed_identifier") \
                        else selector
                    if target is not None:
                        out.append(f"{path}.{node_text(target)}")
            elif child.type == "namespace_wildcard":
                out.append(f"{path}.{node_text(child)}")
            elif child.type.endswith("renamed_identifier"):
                name = child.child_by_field_name("name")
                if name is not None:
                    out.append(f"{path}.{node_text(name)}" if path else node_text(name))
        return out or ([path] if path else [])

    def call_callee(self, node: Node) -> Node | None:
        if node.type == "instance_expression":
            return next((c for c in node.named_children if c.type != "arguments"), None)
        return node.child_by_field_name("function")

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        parent = name_node.parent
        if parent is not None and parent.type in ("val_definition", "var_definition") \
                and parent.child_by_field_name("pattern") == name_node:
            return parent.child_by_field_name("type")
        return None

    def is_inferred_declaration(self, name_node: Node) -> bool:
        parent = name_node.parent
        if parent is not None and parent.type == "tuple_pattern":
            parent = parent.parent
        return parent is not None and parent.type in ("val_definition", "var_definition") \
            and parent.child_by_field_name("type") is None


PROFILE = ScalaProfile()
