"""Batch import and export of staff data (spec 4.2.2, 4.2.4, 4.2.5). STUB: replaced by the implementation."""
