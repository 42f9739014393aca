"""Ruby (tree-sitter-ruby).

Conventions this profile encodes:

- Methods are `def name` and `def self.name`; operator methods (`def +(other)`, `def [](i)`)
  have no name a naming rule could apply to, so they count as unnamed functions. Setters
  (`def name=(value)`) are named after their attribute.
- Lambdas are `->(x) { }` and every block passed to a call (`{ |x| }`, `do |x| end`, so also
  `lambda { }` and `proc { }`): Ruby's anonymous functions. Their parameters are parameters.
  The `lambda` construct is narrower: `->`, `lambda`, `proc` and `Proc.new`, not every block.
- Variables are bound by assignment (`x = 1`, `a, b = pair`) and `for`; `x += 1` and `x ||= 1`
  update a variable rather than declare it (a block sees its method's locals). Constants
  are assignments to capitalised names (`MAX = 3`, `Config::TIMEOUT = 5`).
- Instance variables (`@name`) and `attr_accessor` symbols keep their sigil in the source
  node, so naming rules cannot see them: fields are not reported (see the module note below).
- `require`, `require_relative` and `load` import modules; `include Mod` is a mixin, not an
  import. `raise`/`fail` throw; `loop do ... end` is an infinite (while-family) loop.
- Types are written in YARD comments above a method: `# @param rate [Float]` types the
  parameter `rate`, `# @return [String]` the return value.
- `Foo.new(...)` is a call of `Foo` (as `new Foo()` in JavaScript), so constructor calls name
  the class they build.
"""

from __future__ import annotations

import re

import tree_sitter_ruby
from tree_sitter import Language, Node

from .profile import CalleeSpan, CommentSpan, CommentSyntax, LanguageProfile

PARAMETER_LISTS = ("method_parameters", "lambda_parameters", "block_parameters")

QUERY = r"""
(method) @function
(singleton_method) @function
(lambda) @lambda
(call block: [(block) (do_block)] @lambda)
(class) @class
(module) @class

(PARAMS (identifier) @parameter @parameter.name)
(PARAMS (optional_parameter name: (identifier) @parameter.name) @parameter)
(PARAMS (splat_parameter name: (identifier) @parameter.name) @parameter)
(PARAMS (hash_splat_parameter name: (identifier) @parameter.name) @parameter)
(PARAMS (keyword_parameter name: (identifier) @parameter.name) @parameter)
(PARAMS (block_parameter name: (identifier) @parameter.name) @parameter)
(PARAMS (destructured_parameter (identifier) @parameter.name) @parameter)

(assignment left: (identifier) @variable.name)
(assignment left: (left_assignment_list (identifier) @variable.name))
(assignment left: (left_assignment_list (rest_assignment (identifier) @variable.name)))
(assignment left: (left_assignment_list (destructured_left_assignment (identifier) @variable.name)))
(for pattern: (identifier) @variable.name)
(for pattern: (left_assignment_list (identifier) @variable.name))

(assignment left: (constant) @constant.name)
(assignment left: (scope_resolution name: (constant) @constant.name))
(assignment left: (left_assignment_list (constant) @constant.name))

(for) @loop.for
(while) @loop.while
(until) @loop.while
(while_modifier) @loop.while
(until_modifier) @loop.while
((call !receiver method: (identifier) @_loop block: [(do_block) (block)]) @loop.while
  (#eq? @_loop "loop"))
(if) @conditional.if
(elsif) @conditional.if
(unless) @conditional.if
(if_modifier) @conditional.if
(unless_modifier) @conditional.if
(case) @conditional.switch
(case_match) @conditional.switch
(conditional) @conditional.ternary
(when) @case
(in_clause) @case
(binary operator: ["&&" "||" "and" "or"]) @boolean_operator
(begin (rescue)) @try
(rescue) @catch
(rescue_modifier) @catch
((call !receiver method: (identifier) @_raise) @throw (#any-of? @_raise "raise" "fail"))
(body_statement (identifier) @throw (#any-of? @throw "raise" "fail"))
(then (identifier) @throw (#any-of? @throw "raise" "fail"))
(else (identifier) @throw (#any-of? @throw "raise" "fail"))
(block_body (identifier) @throw (#any-of? @throw "raise" "fail"))
(begin (identifier) @throw (#any-of? @throw "raise" "fail"))
(ensure (identifier) @throw (#any-of? @throw "raise" "fail"))
(do (identifier) @throw (#any-of? @throw "raise" "fail"))
(program (identifier) @throw (#any-of? @throw "raise" "fail"))
(return) @return
(assignment) @assignment
(operator_assignment) @assignment

(comment) @comment
((call !receiver method: (identifier) @_require arguments: (argument_list . (string)))
  (#any-of? @_require "require" "require_relative" "load")) @import
(call) @call
(string) @string
(heredoc_body) @string
(integer) @number
(float) @number
(rational) @number
(complex) @number
(binary operator: _ @operator)
(operator_assignment operator: _ @operator)

(lambda) @construct.lambda
((call !receiver method: (identifier) @_lambda block: [(block) (do_block)]) @construct.lambda
  (#any-of? @_lambda "lambda" "proc"))
((call receiver: (constant) @_proc method: (identifier) @_new block: [(block) (do_block)]) @construct.lambda
  (#eq? @_proc "Proc") (#eq? @_new "new"))
(lambda) @construct.closure
((call !receiver method: (identifier) @_closure block: [(block) (do_block)]) @construct.closure
  (#any-of? @_closure "lambda" "proc"))
(conditional) @construct.ternary
(case_match) @construct.match
(splat_argument) @construct.spread
(hash_splat_argument) @construct.spread
(string (interpolation)) @construct.template_literal
(heredoc_body (interpolation)) @construct.template_literal
(call operator: "&." @construct.optional_chaining)
(left_assignment_list) @construct.destructuring
(destructured_parameter) @construct.destructuring
(array_pattern) @construct.destructuring
(hash_pattern) @construct.destructuring
(begin (rescue)) @construct.try
(method body: (body_statement (rescue))) @construct.try
(singleton_method body: (body_statement (rescue))) @construct.try
(do_block body: (body_statement (rescue))) @construct.try
(element_reference (range)) @construct.slicing
((call receiver: (constant) @_struct method: (identifier) @_define) @construct.data_class
  (#any-of? @_struct "Struct" "Data") (#any-of? @_define "new" "define"))
((call !receiver method: (identifier) @_attr) @construct.properties
  (#any-of? @_attr "attr_accessor" "attr_reader" "attr_writer"))
(method name: (operator)) @construct.operator_overloading
(array) @literal.list
(string_array) @literal.list
(symbol_array) @literal.list
(hash) @literal.dict
"""
QUERY = "\n".join(
    "\n".join(line.replace("PARAMS", params) for params in PARAMETER_LISTS) if "PARAMS" in line else line
    for line in QUERY.splitlines()
)

# Instance variables, class variables and attr_* symbols are the fields of a Ruby class, but
# their only nodes (`@name`, `@@name`, `:name`) include the sigil, so a naming rule would see
# `@user_name` and reject it as not snake_case. Fields stay unsupported until the view can
# strip a sigil.


class RubyProfile(LanguageProfile):
    name = "ruby"
    display_name = "Ruby"
    extensions = (".rb", ".rake", ".gemspec", ".ru")
    family = "ruby"
    comments = CommentSyntax(line=("#",), block=(("=begin", "=end"),), doc=())
    query_source = QUERY
    uses_braces = False

    def language(self) -> Language:
        return Language(tree_sitter_ruby.language())

    def function_name(self, node: Node) -> Node | None:
        name = node.child_by_field_name("name")
        if name is None or name.type == "operator":
            return None
        if name.type == "setter":
            return name.child_by_field_name("name") or name
        return name

    def class_name(self, node: Node) -> Node | None:
        name = node.child_by_field_name("name")
        if name is not None and name.type == "scope_resolution":
            return name.child_by_field_name("name") or name
        return name

    def class_kind(self, node: Node) -> str:
        return "module" if node.type == "module" else "class"

    def return_type(self, node: Node) -> Node | None:
        """The `[T]` of a YARD `@return [T]` tag in the comment block above the method."""
        for comment in _doc_comments(node):
            match = _YARD_RETURN.search(comment.text or b"")
            if match:
                return CommentSpan(comment, match.start(1), match.end(1))  # type: ignore[return-value]
        return None

    def parameter_type(self, node: Node) -> Node | None:
        """The `[T]` of the YARD `@param name [T]` (or `@param [T] name`) tag for this parameter."""
        parameters = node.parent
        method = parameters.parent if parameters is not None and parameters.type == "method_parameters" else None
        name_node = node if node.type == "identifier" else node.child_by_field_name("name")
        if method is None or name_node is None or name_node.text is None:
            return None
        for comment in _doc_comments(method):
            for match in _YARD_PARAM.finditer(comment.text or b""):
                if name_node.text in (match.group(2), match.group(3)):
                    group = 1 if match.group(1) is not None else 4
                    return CommentSpan(comment, match.start(group), match.end(group))  # type: ignore[return-value]
        return None

    def import_modules(self, node: Node, text: str) -> list[str]:
        arguments = node.child_by_field_name("arguments")
        if arguments is None or not arguments.named_children:
            return []
        first = arguments.named_children[0]
        return ["".join(_text(c) for c in first.named_children if c.type == "string_content")]

    def call_callee(self, node: Node) -> Node | None:
        method = node.child_by_field_name("method")
        receiver = node.child_by_field_name("receiver")
        if receiver is None or method is None:
            return method
        if method.text == b"new" and receiver.type in ("constant", "scope_resolution"):
            return receiver  # `Set.new(...)` constructs a Set, as `new Set()` and `Set()` do elsewhere
        return CalleeSpan(receiver, method)  # type: ignore[return-value]


# YARD tags: `@param rate [Float] the rate`, `@param [Float] rate`, `@return [Array<String>]`.
_YARD_PARAM = re.compile(rb"@param\s+(?:\[([^\]]*)\]\s+(\w+)|(\w+)\s+\[([^\]]*)\])")
_YARD_RETURN = re.compile(rb"@return\s+\[([^\]]*)\]")


def _doc_comments(definition: Node) -> list[Node]:
    """The `#` comment lines directly above a definition, nearest first."""
    out = []
    line = definition.start_point[0]
    comment = definition.prev_named_sibling
    while comment is not None and comment.type == "comment" and comment.end_point[0] >= line - 1:
        out.append(comment)
        line = comment.start_point[0]
        comment = comment.prev_named_sibling
    return out


def _text(node: Node) -> str:
    return node.text.decode("utf-8", errors="replace") if node.text is not None else ""


PROFILE = RubyProfile()
