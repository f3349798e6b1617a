"""Public results: pages per edition and group, open-data downloads."""
