"""Raw files to the tidy table: reading bytes and workbooks, spellings, row checks, outputs.

Also the optional inputs beside the records (judgements, highlights, indicators).
"""
