"""One module per command: its parser (add_parser) and what it does (run)."""
