"""Excel import/export of the project library and attachment upload/download (filled in by the
file-handling work; see projects/excel.py and projects/uploads.py)."""
