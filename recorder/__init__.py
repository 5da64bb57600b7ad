"""Capture, transcription and the `visit` command line of the appointment recorder."""

__version__ = "0.1.0"
