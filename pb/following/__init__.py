"""Residents follow proposals and funded projects and hear of each step by e-mail."""
