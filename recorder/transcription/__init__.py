"""Turning audio into a Transcript with Whisper (two engines), and the models they use."""
