"""Benchmark Worker: runs the pure analysis step (PNG decode + ThumbHash + colours) N times.

`GET /?n=N&side=S` analyses a deterministic S x S photo-like PNG N times and answers 204; the
benchmark times requests with different N from outside (workerd freezes clocks while code runs,
so the difference between N=1 and N=K is the CPU time of K-1 analyses).
"""

from urllib.parse import parse_qs, urlsplit

from entry_png import png_for
from workers import Response, WorkerEntrypoint

from rewind_images.images.analysis import analyse_png


class Default(WorkerEntrypoint):
    """The benchmark entry."""

    async def fetch(self, request):
        """Analyse the test image n times."""
        query = parse_qs(urlsplit(request.url).query)
        n = int(query.get("n", ["1"])[0])
        side = int(query.get("side", ["32"])[0])
        png = png_for(side)
        for _ in range(n):
            analyse_png(png)
        return Response(None, status=204)
