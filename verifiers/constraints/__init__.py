"""Built-in constraint types, one module per category; importing this registers them all."""

from . import naming  # noqa: F401
