"""`python -m rag.bench build|query SPEC`: one synthetic-corpus worker (see synthetic.py)."""

import sys

from rag.bench.synthetic import worker_main

sys.exit(worker_main(sys.argv[1:]))
