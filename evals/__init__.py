"""Evaluation suite: gold Q&A sets, offline metrics, the `rag eval` runner and its report.

`evals` imports `rag`, never the reverse (only `rag/cli.py` loads `evals.runner`, lazily).
"""
