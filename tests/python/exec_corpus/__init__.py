"""Notebooks that exercise every kind of cell output, for the nbexec-vs-nbclient test."""
