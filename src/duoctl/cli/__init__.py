"""The command-line layer: Typer commands that parse, call the core, and render."""
