"""The roster in files: export (xlsx, csv, vCard), the blank template, and import."""
