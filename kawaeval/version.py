"""The installed version of kawaeval, as the package metadata gives it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kawaeval")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
