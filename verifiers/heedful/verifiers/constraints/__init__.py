"""Built-in constraint types, one module per category; importing this registers them all."""

from . import (  # noqa: F401
    annotations,
    calls,
    comments,
    complexity,
    data_structures,
    declarations,
    errors,
    formatting,
    imports,
    naming,
    python_tools,
    response,
    size,
    structure,
    symbols,
    syntax,
    types,
)
