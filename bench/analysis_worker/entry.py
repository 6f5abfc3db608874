"""Benchmark Worker: runs the pure analysis step (PNG decodes + ThumbHash + colours) N times.

`GET /?n=N&hash=H&colour=C` analyses deterministic H x H (hash) and C x C (colour) photo-like
PNGs N times and answers 204; the benchmark times requests with different N from outside
(workerd freezes clocks while code runs, so the difference between N=1 and N=K is the CPU time
of K-1 analyses).
"""

from urllib.parse import parse_qs, urlsplit

from entry_png import png_for
from workers import Response, WorkerEntrypoint

from rewind_images.pipeline import analyse_png


class Default(WorkerEntrypoint):
    """The benchmark entry."""

    async def fetch(self, request):
        """Analyse the test images n times."""
        query = parse_qs(urlsplit(request.url).query)
        n = int(query.get("n", ["1"])[0])
        hash_png = png_for(int(query.get("hash", ["32"])[0]))
        colour_png = png_for(int(query.get("colour", ["64"])[0]))
        for _ in range(n):
            analyse_png(hash_png, colour_png)
        return Response(None, status=204)
