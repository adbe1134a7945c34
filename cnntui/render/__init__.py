"""Arrays to terminal cells, and what the terminal can show (numpy + rich, no textual)."""
