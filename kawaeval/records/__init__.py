"""Raw files to the tidy table: the raw folder, reading files, spellings, layout, row checks,
the tidy frame, the manifest and the outputs (the README's Layout table names each module).

Also the optional inputs beside the records (judgements, highlights, indicators).
"""
