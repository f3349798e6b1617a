"""The commission counts, checks the anomaly report, approves under four eyes and publishes."""
