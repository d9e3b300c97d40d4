"""Training scripts that use the engine and the writer; `python -m examples.<name>`."""
