"""The project's own exceptions: one route for every error a user can act on.

Library code raises these with one sentence that says what is wrong and how to fix it;
the command line turns them into that sentence and exit code 1, never a traceback.
"""


class VisitError(Exception):
    """A problem the user can fix. The message is one sentence, with the fix."""


class BadInput(VisitError):
    """A file or folder given to the tool cannot be used as it is."""


class NotInstalled(VisitError):
    """An optional engine, model or system package is missing."""


class DeviceError(VisitError):
    """The microphone or the audio system cannot be used."""


class ConsentRefused(VisitError):
    """Not everyone agreed to be recorded, so nothing was recorded."""


class NotEnoughSpace(VisitError):
    """The disk cannot hold the recording that is about to start."""


class RecordingStopped(VisitError):
    """A recording stopped by itself (disk full, microphone gone); what was written is kept."""
