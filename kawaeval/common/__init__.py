"""What every stage uses and no stage owns: file digests and writes, spreadsheet cells.

The ground floor with ``plan``, ``exceptions`` and ``paths``: it imports no stage.
"""
