"""kawaeval: a city's initiative records in, its policy-evaluation report out.

``from kawaeval import load_records, assess, table`` gives the analyst's API
(:mod:`kawaeval.api`); it is imported on first use, so ``import kawaeval`` stays cheap.
"""

import os

from kawaeval.version import __version__

# openpyxl serialises workbooks with lxml when lxml is installed and with the standard library
# otherwise, and the two give different bytes. kawaeval's workbooks (tables.xlsx, the bureaus'
# forms, the sample records) are byte-stable whatever else is installed (the test extras bring
# lxml), so openpyxl is told to use the standard library, unless the user said otherwise. This
# must happen before openpyxl is first imported, hence here.
os.environ.setdefault("OPENPYXL_LXML", "False")

API = ("load_records", "assess", "table")
__all__ = ["__version__", *API]


def __getattr__(name: str):
    if name in API:
        from kawaeval import api

        return getattr(api, name)
    raise AttributeError(f"module 'kawaeval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *API})
