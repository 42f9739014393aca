"""heedful's version, one definition for the command line and the server.

`heedful` is a namespace package spread over the part folders (`cli/heedful`, `verifiers/heedful`,
...; see the README's Layout), so it has no `__init__.py` to hold this."""

__version__ = "0.1.0"
