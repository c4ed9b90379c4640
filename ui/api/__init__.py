"""The HTTP front door: JSON and streaming answers, an OpenAI-compatible endpoint, the widget.

- `app.py`: `create_app(settings)` and `serve(...)` (that is `rag serve`).
- `routes/`: one router per feature: `ask` (`/api/ask`, `/api/chat`), `openai`
  (`/v1/chat/completions`, `/v1/models`), `widget` (`/widget.js`), `health` (`/healthz`),
  `feedback` (`/api/feedback`).
- `answer_log.py`: every answer written to the answer log with its front door.
- `access.py`: embed keys, origins, rate limits, Bearer auth, CORS, security headers,
  body size.
- `openai_format.py`: OpenAI chat completion requests, completions, stream chunks, usage.
- `answers.py`: questions checked; answers made fit to show (no server paths in `source`).
- `errors.py`: RagError → HTTP status, the JSON error body, validation messages.
- `state.py`: the shared settings and pipeline, as route dependencies.
"""

from ui.api.app import create_app, serve
from ui.api.errors import MAX_BODY_BYTES

__all__ = ["MAX_BODY_BYTES", "create_app", "serve"]
