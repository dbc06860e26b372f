"""The directory: reading it (queries), changing it (operations), hours, and HSDS interchange."""
