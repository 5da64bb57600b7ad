"""Recording a consented visit from a microphone into the visit folder."""
