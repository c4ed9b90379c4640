"""Front doors that are not the CLI: the Streamlit chat app, the HTTP API and the widget."""
