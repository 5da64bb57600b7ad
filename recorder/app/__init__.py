"""The `visit` command line and the pipeline that joins capture, transcription, matching and reports."""
