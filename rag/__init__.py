"""Question answering over news articles with checked, numbered citations."""

__version__ = "0.1.0"
