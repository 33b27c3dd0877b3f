"""Everything a person sees: the command line and, later, the Textual app."""
