"""Benchmark Worker: runs the pure analysis step (PNG decodes + ThumbHash + colours) N times.

`GET /?n=N&hash=H&colour=C` analyses deterministic H x H (hash) and C x C (colour) photo-like
PNGs N times and answers 204; `GET /?n=N&step=S&side=X` runs one step of it instead (`decode`
the X x X PNG, `hash` or `colours` its pixels). The benchmark times requests with different N
from outside (workerd freezes clocks while code runs, so the difference between N=1 and N=K is
the CPU time of K-1 runs).
"""

from urllib.parse import parse_qs, urlsplit

from entry_png import png_for
from workers import Response, WorkerEntrypoint

from rewind_images.config import ANALYSIS_MAX_SIDE
from rewind_images.images.resolution.analysis import analyse_png
from rewind_images.imaging import COLOUR_MAX_SIDE, decode_png, extract_colors, rgba_to_thumbhash


class Default(WorkerEntrypoint):
    """The benchmark entry."""

    async def fetch(self, request):
        """Analyse the test images (or run one step) n times."""
        query = parse_qs(urlsplit(request.url).query)
        n = int(query.get("n", ["1"])[0])
        step = query.get("step", [""])[0]
        if step:
            png = png_for(int(query.get("side", [str(ANALYSIS_MAX_SIDE)])[0]))
            image = decode_png(png)
            for _ in range(n):
                if step == "decode":
                    decode_png(png)
                elif step == "hash":
                    rgba_to_thumbhash(image.width, image.height, image.rgba)
                else:
                    extract_colors(image.width, image.height, image.rgba)
            return Response(None, status=204)
        hash_png = png_for(int(query.get("hash", [str(ANALYSIS_MAX_SIDE)])[0]))
        colour_png = png_for(int(query.get("colour", [str(COLOUR_MAX_SIDE)])[0]))
        for _ in range(n):
            analyse_png(hash_png, colour_png)
        return Response(None, status=204)
