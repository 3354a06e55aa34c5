"""The Streamlit app (started by `qa ui`)."""
