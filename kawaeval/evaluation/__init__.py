"""The assessment of a fiscal year: counts, shares, periods and the suggested grades."""
