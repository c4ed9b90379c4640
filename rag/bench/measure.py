"""Measurements the bench takes: memory, disk, latency percentiles, the machine, and
child processes timed from outside."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent.parent
GOLD = ROOT / "evals" / "gold" / "news.jsonl"
FALLBACK_QUESTIONS = (
    "What did Kallas say about Article 5?",
    "What happened in the bushfires near Sydney?",
    "Who won the cricket match?",
    "What did the Prime Minister say about the economy?",
    "How many people were killed in the attack?",
    "What did the Reserve Bank decide about interest rates?",
)
Log = Callable[[str], None]


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """Peak resident memory of a process so far (VmHWM), in MB.

    Not `getrusage`: Linux carries the parent's high-water mark into a forked child
    across exec, so a child of this (large) process would report the parent's peak.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    if pid == "self":
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return None


def dir_bytes(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "mean": 0.0}
    array = np.asarray(values, dtype=np.float64)
    return {
        "p50": round(float(np.percentile(array, 50)), 2),
        "p95": round(float(np.percentile(array, 95)), 2),
        "mean": round(float(array.mean()), 2),
    }


def load_questions() -> list[str]:
    """The gold set's questions (real questions about the shipped corpus), else a few."""
    questions: list[str] = []
    try:
        for line in GOLD.read_text(encoding="utf-8").splitlines():
            if line.strip():
                question = str(json.loads(line).get("question", "")).strip()
                if question:
                    questions.append(question)
    except (OSError, ValueError):
        pass
    return questions or list(FALLBACK_QUESTIONS)


def query_latency(pipeline: Pipeline, questions: Sequence[str], count: int) -> dict[str, Any]:
    """Warm latency: three questions to warm up, then `count` timed ones (cycling)."""
    for question in questions[:3]:
        pipeline.ask(question)
    parts: dict[str, list[float]] = {"retrieve": [], "answer": [], "total": []}
    for i in range(count):
        timings = pipeline.ask(questions[i % len(questions)]).timings_ms
        for key in parts:
            parts[key].append(float(timings.get(key, 0.0)))
    return {"queries": count, **{key: percentiles(values) for key, values in parts.items()}}


def machine() -> dict[str, Any]:
    import chromadb
    import onnxruntime

    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "gpu": "none used (ONNX Runtime CPUExecutionProvider)",
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "chromadb": chromadb.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def child_env() -> dict[str, str]:
    """The environment for `rag` subprocesses: this checkout importable, embedded store."""
    from rag.config import environment_for_child

    # the bench measures the embedded store in its own folder
    return environment_for_child({"CHROMA_HOST": ""}, python_path=[ROOT])


def run_timed(command: list[str]) -> tuple[float, float | None, str, int]:
    """Run a process; wall seconds, its peak RSS in MB (VmHWM, sampled every 10 ms
    until it exits), stdout, exit code."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.DEVNULL, env=child_env(), cwd=ROOT
        )
        peak: float | None = None
        while process.poll() is None:
            seen = peak_rss_mb(process.pid)
            if seen is not None:
                peak = max(peak or 0.0, seen)
            time.sleep(0.01)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return wall, peak, text, process.returncode


def rag_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "rag.cli", *args]
