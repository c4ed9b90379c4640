"""The operator's page of the chat window: how the bot is doing, from the answer log.

Ratings and refusals per day, answer time, the same figures by front door, and the
answers people rated 👎 with their citations and comments. Everything people typed and
everything from articles is shown with `st.text`/`st.code`/`st.dataframe` (never as
Markdown or HTML), so a comment holding `<script>` or `[link](...)` reads as those
characters. `rag feedback stats` gives the same figures on the command line.
"""

from __future__ import annotations

import hmac
from typing import Any

import pandas as pd
import streamlit as st

from rag.answerlog import AnswerLog
from rag.answerlog_stats import Point, stats
from rag.config import Settings, load_settings
from rag.errors import RagError
from ui.app_support import escape_markdown

WORST = 20  # down-rated answers listed


def day_frame(body: dict[str, Any]) -> pd.DataFrame:
    """Per-day figures as a table indexed by day (for the charts)."""
    rows = [
        {
            "day": part["day"],
            "answers": part["answers"],
            "rated up": part["up"],
            "rated down": part["down"],
            "refused": part["refused"],
            "refusal rate": part["refusal_rate"] or 0.0,
            "p95 answer time (ms)": part["p95_ms"],
        }
        for part in body["by_day"]
    ]
    return pd.DataFrame(rows).set_index("day") if rows else pd.DataFrame()


def door_frame(body: dict[str, Any]) -> pd.DataFrame:
    rows = [
        {
            "front door": door,
            "answers": part["answers"],
            "rated up": part["up"],
            "rated down": part["down"],
            "refusal rate": part["refusal_rate"],
            "p95 answer time (ms)": part["p95_ms"],
        }
        for door, part in body["by_door"].items()
    ]
    return pd.DataFrame(rows)


def rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def render_summary(body: dict[str, Any]) -> None:
    answers, up, down = body["answers"], body["up"], body["down"]
    columns = st.columns(5)
    columns[0].metric("Answers", f"{answers:,}")
    columns[1].metric("Rated up", f"{up:,}")
    columns[2].metric("Rated down", f"{down:,}")
    columns[3].metric("Refused", rate(body["refusal_rate"]))
    p95 = body["p95_ms"]
    columns[4].metric("p95 answer time", "–" if p95 is None else f"{p95:,.0f} ms")


def render_charts(body: dict[str, Any], rows: list[Point]) -> None:
    days = day_frame(body)
    if days.empty:
        return
    left, right = st.columns(2)
    with left:
        st.subheader("Ratings per day")
        st.bar_chart(
            days[["rated up", "rated down"]], color=["#16a34a", "#dc2626"], stack=True, height=240
        )
    with right:
        st.subheader("Refusals per day")
        st.bar_chart(days[["answers", "refused"]], stack=False, height=240)
    st.subheader("Answer time")
    times = pd.DataFrame({"answer time (ms)": [r.total_ms for r in rows if r.total_ms is not None]})
    left, right = st.columns(2)
    with left:
        st.caption("p95 per day (ms)")
        st.bar_chart(days[["p95 answer time (ms)"]], height=200)
    with right:
        st.caption("every answer, in the order given (ms)")
        st.line_chart(times, height=200)
    st.subheader("By front door")
    st.dataframe(door_frame(body), hide_index=True)


def render_worst(answer_log: AnswerLog) -> None:
    st.subheader("Answers rated down")
    worst = answer_log.rated("down")[:WORST]
    if not worst:
        st.text("No answer has been rated down.")
        return
    for row in worst:
        with st.container(border=True):
            door = f"{row.door} ({row.embed_key})" if row.embed_key else row.door
            st.text(
                f"{row.created} · {door} · {row.mode} · config {row.config}"
                + (" · refused" if row.refused else "")
            )
            st.text(f"Question: {row.question}")
            if row.standalone:
                st.text(f"Understood as: {row.standalone}")
            st.text(f"Answer: {row.answer}")
            for citation in row.citations:
                marked = " (marked wrong)" if citation.get("n") == row.wrong_citation else ""
                quote = " ".join(str(citation.get("quote", "")).split())
                st.code(
                    f"[{citation.get('n')}]{marked} {citation.get('chunk_id')} "
                    f"{citation.get('char_start')}:{citation.get('char_end')}\n“{quote}”",
                    language=None,
                    wrap_lines=True,
                )
            st.text(f"Comment: {row.comment}" if row.comment else "No comment.")
            st.text(f"Answer id: {row.id}")


def unlocked(settings: Settings) -> bool:
    """Whether this session may see the page: no key is set, or the right key was given.

    The key is compared in constant time and kept only as a yes/no in the session.
    """
    if not settings.operator_key:
        st.caption(
            "Anyone who can open the chat window can open this page: set RAG_OPERATOR_KEY "
            "to ask for a key."
        )
        return True
    if st.session_state.get("operator_unlocked"):
        return True
    with st.form("operator-key"):
        given = st.text_input("Operator key", type="password")
        sent = st.form_submit_button("Open")
    if sent:
        if hmac.compare_digest(given.encode(), settings.operator_key.encode()):
            st.session_state["operator_unlocked"] = True
            st.rerun()
        st.error("That is not the operator key.", icon=":material/lock:")
    return False


def render(settings: Settings) -> None:
    st.title("Operator")
    st.caption(
        "How the bot is doing, from the answer log. `rag feedback export --gold FILE` turns "
        "these ratings into gold questions for `rag eval`."
    )
    if not unlocked(settings):
        return
    answer_log = AnswerLog(settings)
    if not answer_log.enabled:
        st.info("The answer log is off (RAG_LOG=off): nothing to show.")
        return
    days = st.select_slider(
        "Period", options=[1, 7, 30, 90, 365], value=30, format_func=lambda d: f"last {d} days"
    )
    try:
        rows = answer_log.points(since_days=float(days))
        body = stats(rows)
        render_summary(body)
        if not rows:
            st.text(f"No answers logged in {answer_log.path} in this period yet.")
            return
        render_charts(body, rows)
        render_worst(answer_log)
    except RagError as exc:
        st.error(escape_markdown(str(exc).splitlines()[0]), icon=":material/error:")


def main() -> None:
    st.set_page_config(
        page_title="newsrag · operator", page_icon=":material/monitoring:", layout="wide"
    )
    try:
        settings = load_settings()
    except RagError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    render(settings)


main()
