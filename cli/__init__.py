"""heedful: does a coding assistant keep to what it was told?"""
__version__ = "0.1.0"
