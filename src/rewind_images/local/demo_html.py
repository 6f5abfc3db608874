"""The HTML of the local placeholder page (`demo.py`); `__CONFIG__` is its JSON config.

A Python string, not a file beside the module, because a Python Worker uploads its modules.
"""

PAGE_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rewind images: placeholders, then images</title>
<link rel="icon" href="data:,">
<style>
  body { margin: 24px; font: 14px/1.4 system-ui, sans-serif; background: #111; color: #ddd; }
  h1 { font-size: 18px; font-weight: 600; }
  .grid { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
  figure { margin: 0; }
  .tile { position: relative; overflow: hidden; background: #333; border-radius: 6px; }
  .tile img { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
  .tile img.placeholder { object-fit: cover; }
  .tile img.image { opacity: 0; transition: opacity 400ms ease-in; }
  .tile img.image.loaded { opacity: 1; }
  .tile .status { position: absolute; left: 8px; bottom: 6px; font-size: 12px; opacity: 0.8; }
  figcaption { margin-top: 6px; font-size: 12px; max-width: 300px; }
</style>
</head>
<body>
<h1>Placeholders first, then the image from the CDN</h1>
<div class="grid" id="grid"></div>
<script>
const CONFIG = __CONFIG__;
const POLL_MS = 500;
const grid = document.getElementById("grid");
const tiles = CONFIG.entities.map((item, index) => {
  const size = item.size || "medium";
  const [width, height] = CONFIG.sizes[size];
  const figure = document.createElement("figure");
  const tile = document.createElement("div");
  tile.className = "tile";
  tile.dataset.index = String(index);
  tile.style.width = width + "px";
  tile.style.height = height + "px";
  const status = document.createElement("span");
  status.className = "status";
  status.textContent = "…";
  tile.appendChild(status);
  const caption = document.createElement("figcaption");
  caption.textContent = item.label || item.entity_id;
  figure.append(tile, caption);
  grid.appendChild(figure);
  return { item: { ...item, size }, tile, status, done: false };
});

function paint(entry, answer) {
  entry.tile.dataset.status = answer.status;
  entry.status.textContent = answer.status;
  if (answer.status !== "ready") {
    if (answer.status !== "pending") entry.done = true;
    return;
  }
  entry.done = true;
  const image = answer.image;
  entry.tile.style.background = image.dominant_color || "#333";
  const placeholder = document.createElement("img");
  placeholder.className = "placeholder";
  placeholder.alt = "";
  placeholder.src = image.placeholder;
  const full = document.createElement("img");
  full.className = "image";
  full.alt = entry.item.label || entry.item.entity_id;
  full.width = image.width;
  full.height = image.height;
  full.addEventListener("load", () => {
    full.classList.add("loaded");
    entry.tile.dataset.loaded = "true";
    entry.status.textContent = "";
  });
  full.src = image.cdn_url;
  entry.tile.append(placeholder, full);
}

async function refresh() {
  const waiting = tiles.filter((entry) => !entry.done);
  if (!waiting.length) return;
  const response = await fetch("/demo/attachments", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ items: waiting.map((entry) => entry.item) }),
  });
  const answers = (await response.json()).data;
  waiting.forEach((entry, i) => paint(entry, answers[i]));
  if (tiles.some((entry) => !entry.done)) setTimeout(refresh, POLL_MS);
}
refresh();
</script>
</body>
</html>
"""
