"""Helpers shared by tests and benchmarks (corpora, speech synthesis, the virtual microphone).

Not installed with the tool: importable from the repository root only.
"""
