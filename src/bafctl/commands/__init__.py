"""One module per CLI command (or group of related commands).

Each module exposes ``register(app)`` and imports only typer and the standard library
at the top, so ``bafctl --help`` stays fast; the core is imported inside the command.
"""
