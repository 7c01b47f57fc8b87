"""BYOM Workbench: test an OpenAI-compatible chat/completions endpoint the way voice platforms call it."""

__version__ = "0.1.0"
