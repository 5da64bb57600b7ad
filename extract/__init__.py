"""Finding the patient's prepared questions, and the surgeon's verbatim answers, in a Transcript."""
