"""What a reader sees: chapters, tables, HTML fragments, charts, the workbook and the PDF."""
