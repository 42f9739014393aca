"""C# (tree-sitter-c-sharp)."""

from __future__ import annotations

import tree_sitter_c_sharp
from tree_sitter import Language, Node

from .profile import CommentSyntax, LanguageProfile, node_text

# LINQ operators that make a method chain a query pipeline (C#'s streams).
_LINQ = ('"Where" "Select" "SelectMany" "OrderBy" "OrderByDescending" "ThenBy" "ThenByDescending" "GroupBy" '
         '"Aggregate" "Join" "GroupJoin" "Zip" "Distinct" "Skip" "Take" "SkipWhile" "TakeWhile" "ToLookup"')

QUERY = r"""
(method_declaration) @function
(constructor_declaration) @function
(destructor_declaration) @function
(local_function_statement) @function
(operator_declaration) @function
(conversion_operator_declaration) @function
(lambda_expression) @lambda
(anonymous_method_expression) @lambda
(class_declaration) @class
(struct_declaration) @class
(interface_declaration) @class
(enum_declaration) @class
(record_declaration) @class

(method_declaration parameters: (parameter_list (parameter name: (identifier) @parameter.name) @parameter))
(constructor_declaration parameters: (parameter_list (parameter name: (identifier) @parameter.name) @parameter))
(local_function_statement parameters: (parameter_list (parameter name: (identifier) @parameter.name) @parameter))
(operator_declaration parameters: (parameter_list (parameter name: (identifier) @parameter.name) @parameter))
(conversion_operator_declaration parameters: (parameter_list (parameter name: (identifier) @parameter.name) @parameter))
(lambda_expression parameters: (parameter_list (parameter name: (identifier) @parameter.name) @parameter))
(anonymous_method_expression parameters: (parameter_list (parameter name: (identifier) @parameter.name) @parameter))
(indexer_declaration parameters: (bracketed_parameter_list (parameter name: (identifier) @parameter.name) @parameter))
(class_declaration (parameter_list (parameter name: (identifier) @parameter.name) @parameter))
(struct_declaration (parameter_list (parameter name: (identifier) @parameter.name) @parameter))
(parameter_list "params" name: (identifier) @parameter @parameter.name)
(lambda_expression parameters: (implicit_parameter) @parameter @parameter.name)

(local_declaration_statement (variable_declaration (variable_declarator name: (identifier) @variable.name)))
(variable_declarator (tuple_pattern name: (identifier) @variable.name))
(for_statement initializer: (variable_declaration (variable_declarator name: (identifier) @variable.name)))
(using_statement (variable_declaration (variable_declarator name: (identifier) @variable.name)))
(fixed_statement (variable_declaration (variable_declarator name: (identifier) @variable.name)))
(foreach_statement left: (identifier) @variable.name)
(foreach_statement left: (tuple_pattern name: (identifier) @variable.name))
(declaration_pattern name: (identifier) @variable.name)
(declaration_expression name: (identifier) @variable.name)
(var_pattern (identifier) @variable.name)

(field_declaration (variable_declaration (variable_declarator name: (identifier) @field.name)))
(event_field_declaration (variable_declaration (variable_declarator name: (identifier) @field.name)))
(property_declaration name: (identifier) @field.name)
(record_declaration (parameter_list (parameter name: (identifier) @field.name)))
(field_declaration (modifier "const") (variable_declaration (variable_declarator name: (identifier) @constant.name)))
(field_declaration (modifier "static") (modifier "readonly")
  (variable_declaration (variable_declarator name: (identifier) @constant.name)))
(field_declaration (modifier "readonly") (modifier "static")
  (variable_declaration (variable_declarator name: (identifier) @constant.name)))
(local_declaration_statement (modifier "const") (variable_declaration (variable_declarator name: (identifier) @constant.name)))
(enum_member_declaration name: (identifier) @constant.name)

(for_statement) @loop.for
(foreach_statement) @loop.for
(while_statement) @loop.while
(do_statement) @loop.while
(if_statement) @conditional.if
(switch_statement) @conditional.switch
(switch_expression) @conditional.switch
(conditional_expression) @conditional.ternary
(switch_section "case") @case
((switch_expression_arm) @case (#not-match? @case "^_\\s*(=>|when)"))
(binary_expression operator: ["&&" "||"]) @boolean_operator
(try_statement) @try
(catch_clause) @catch
(throw_statement) @throw
(throw_expression) @throw
(return_statement) @return
(using_statement) @nesting
(lock_statement) @nesting
(fixed_statement) @nesting
(unsafe_statement) @nesting
(checked_statement) @nesting
(local_declaration_statement) @assignment
(assignment_expression) @assignment

(comment) @comment
(using_directive) @import
(invocation_expression) @call
(object_creation_expression) @call
(constructor_initializer) @call
(string_literal) @string
(verbatim_string_literal) @string
(raw_string_literal) @string
(interpolated_string_expression) @string
(character_literal) @string
(integer_literal) @number
(real_literal) @number
((_ type: (_) @type) (#not-eq? @type "var"))
(_ returns: (_) @type)
(type_argument_list (_) @type)
(base_list (_) @type)
(catch_declaration type: (_) @type)
(parameter_list "params" type: (_) @type)
(binary_expression operator: _ @operator)
(assignment_expression operator: _ @operator)
(variable_declarator "=" @operator)

(lambda_expression) @construct.lambda
(anonymous_method_expression) @construct.lambda
(local_function_statement) @construct.closure
(conditional_expression) @construct.ternary
(yield_statement) @construct.generator
(modifier "async") @construct.async
(await_expression) @construct.async
(switch_expression) @construct.match
(is_pattern_expression) @construct.match
(switch_statement body: (switch_body (switch_section [(declaration_pattern) (recursive_pattern) (type_pattern)
                                                     (relational_pattern) (and_pattern) (or_pattern)
                                                     (negated_pattern) (list_pattern) (var_pattern)]))) @construct.match
(attribute_list) @construct.decorator
(using_statement) @construct.context_manager
(local_declaration_statement "using") @construct.context_manager
(parameter_list "params" @construct.spread)
(spread_element) @construct.spread
(variable_declarator (tuple_pattern) @construct.destructuring)
(foreach_statement left: (tuple_pattern) @construct.destructuring)
(assignment_expression left: (tuple_expression) @construct.destructuring)
(positional_pattern_clause) @construct.destructuring
(type_parameter_list) @construct.generics
(type_argument_list) @construct.generics
((method_declaration parameters: (parameter_list . (parameter (modifier) @_this))) @construct.extension_function
  (#eq? @_this "this"))
(record_declaration) @construct.data_class
(record_declaration) @construct.record
(query_expression) @construct.stream
((invocation_expression function: (member_access_expression name: (identifier) @_linq)) @construct.stream
  (#any-of? @_linq LINQ))
(try_statement) @construct.try
(interface_declaration) @construct.interface
(enum_declaration) @construct.enum
(struct_declaration) @construct.struct
(property_declaration) @construct.properties
(indexer_declaration) @construct.properties
(operator_declaration) @construct.operator_overloading
(conversion_operator_declaration) @construct.operator_overloading
(nullable_type) @construct.nullable_types
(conditional_access_expression) @construct.optional_chaining
(binary_expression operator: "??") @construct.null_coalescing
(assignment_expression operator: "??=") @construct.null_coalescing
(interpolated_string_expression) @construct.template_literal
(collection_expression) @literal.list
(implicit_array_creation_expression) @literal.list
(array_creation_expression (initializer_expression) @literal.list)
(variable_declarator (initializer_expression) @literal.list)
""".replace("LINQ", _LINQ)


class CSharpProfile(LanguageProfile):
    name = "csharp"
    display_name = "C#"
    extensions = (".cs", ".csx")
    family = "dotnet"
    comments = CommentSyntax(line=("//",), block=(("/*", "*/"),), doc=("///", "/**"))
    query_source = QUERY
    uses_braces = True

    def language(self) -> Language:
        return Language(tree_sitter_c_sharp.language())

    def function_name(self, node: Node) -> Node | None:
        if node.type in ("operator_declaration", "conversion_operator_declaration"):
            return None  # `operator +` has no name to check
        return node.child_by_field_name("name")

    def return_type(self, node: Node) -> Node | None:
        if node.type in ("constructor_declaration", "destructor_declaration"):
            return None
        return node.child_by_field_name("returns") or node.child_by_field_name("type")

    def parameter_type(self, node: Node) -> Node | None:
        if node.type == "parameter":
            return node.child_by_field_name("type")
        if node.type == "identifier" and node.parent is not None and node.parent.type == "parameter_list":
            return node.prev_named_sibling  # `params T[] name` is not wrapped in a parameter node
        return None  # implicitly typed lambda parameter

    def import_modules(self, node: Node, text: str) -> list[str]:
        alias = node.child_by_field_name("name")
        names = [c for c in node.named_children if c.type in ("qualified_name", "identifier", "alias_qualified_name")
                 and c != alias]
        return [node_text(names[-1])] if names else []

    def call_callee(self, node: Node) -> Node | None:
        if node.type == "object_creation_expression":
            return node.child_by_field_name("type")
        if node.type == "constructor_initializer":
            return next((c for c in node.children if c.type in ("base", "this")), None)
        return node.child_by_field_name("function")

    def _declared_type(self, name_node: Node) -> Node | None:
        parent = name_node.parent
        if parent is not None and parent.type == "tuple_pattern":
            parent = parent.parent
        if parent is not None and parent.type == "variable_declarator":
            parent = parent.parent
        if parent is not None and parent.type in ("variable_declaration", "foreach_statement", "declaration_pattern",
                                                  "declaration_expression"):
            return parent.child_by_field_name("type")
        return None

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        written = self._declared_type(name_node)
        return None if written is None or written.type == "implicit_type" else written

    def is_inferred_declaration(self, name_node: Node) -> bool:
        written = self._declared_type(name_node)
        return written is not None and written.type == "implicit_type"


PROFILE = CSharpProfile()
