"""kawaeval: a city's initiative records in, its policy-evaluation report out.

``from kawaeval import load_records, assess, table`` gives the analyst's API
(:mod:`kawaeval.api`); it is imported on first use, so ``import kawaeval`` stays cheap.
"""

from kawaeval.version import __version__

API = ("load_records", "assess", "table")
__all__ = ["__version__", *API]


def __getattr__(name: str):
    if name in API:
        from kawaeval import api

        return getattr(api, name)
    raise AttributeError(f"module 'kawaeval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *API})
