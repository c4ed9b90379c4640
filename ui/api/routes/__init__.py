"""One router per feature: questions (`ask`), the OpenAI-compatible API (`openai`), the
widget script (`widget`) and health (`health`)."""
