"""The visit folder on disk: private files, the manifest, audio files in and out, transcript files."""
