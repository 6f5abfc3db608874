"""The edge: thin adapters over the Workers runtime (D1, R2, Images, fetch, request/response).

Only this package (and src/entry.py) imports `js`, `pyodide` or `workers`.
"""

from rewind_images.errors import DependencyError


class PlatformError(DependencyError):
    """A binding call failed; the original JS error is chained as __cause__."""
