"""Streamlit pages of the dashboard, one module each (see dashboard.py)."""
