"""Workbooks people fill in: the bureaus' input workbook."""
