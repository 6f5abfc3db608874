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
  body { margin: 24px; font: 14px/1.45 system-ui, sans-serif; background: #111; color: #ddd; }
  h1 { font-size: 20px; font-weight: 600; margin: 0 0 8px; }
  p.intro { margin: 0 0 16px; max-width: 72em; color: #bbb; }
  code { font-size: 12px; color: #eee; }
  .legend { display: flex; flex-wrap: wrap; gap: 12px 28px; margin: 0 0 24px; padding: 12px 16px;
            background: #1b1b1b; border-radius: 8px; }
  .legend > div { display: flex; align-items: center; gap: 10px; max-width: 24em;
                  font-size: 13px; }
  .legend .sample { flex: none; width: 40px; height: 40px; border-radius: 4px; overflow: hidden;
                    background: #333; position: relative; }
  .legend .sample img { width: 100%; height: 100%; object-fit: cover; display: block; }
  .legend .sample.bar { height: 6px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr));
          gap: 28px 16px; justify-items: center; align-items: start; }
  figure { margin: 0; }
  .tile { position: relative; overflow: hidden; background: #333; border-radius: 6px 6px 0 0; }
  .tile img { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
  .tile img.placeholder { object-fit: cover; }
  .tile img.image { opacity: 0; transition: opacity 400ms ease-in; }
  .tile img.image.loaded { opacity: 1; }
  .tile .status { position: absolute; left: 8px; bottom: 8px; font-size: 11px; padding: 2px 6px;
                  border-radius: 3px; background: rgba(0, 0, 0, 0.55); color: #fff; }
  .tile[data-loaded] .status { display: none; }
  .accent { height: 6px; background: #444; border-radius: 0 0 6px 6px; }
  figcaption { margin-top: 6px; font-size: 12px; }
  figcaption .colours { color: #999; font-family: ui-monospace, monospace; font-size: 11px;
                        height: 16px; line-height: 16px; }  /* kept when filled: nothing moves */
  .swatch { display: inline-block; width: 9px; height: 9px; border-radius: 2px;
            vertical-align: -1px; margin-right: 3px; }
</style>
</head>
<body>
<h1>Placeholders first, then the image from the CDN</h1>
<p class="intro">Each tile is one entity's attachment, asked for in one batch
(<code>POST /demo/attachments</code>: the batch answer, the key kept on the server). As soon as
it arrives the tile is painted: its background is the image's <b>dominant colour</b>, and over it
the <b>placeholder</b>, the image's ThumbHash (about 25 bytes) decoded by the service into a PNG
at most 32 pixels on its long side, sent inline as a data URL and scaled up by the browser. Then the
<b>image</b> loads from the CDN (here the Worker's local CDN) at its size's pixels and fades in
over the placeholder; the tile was sized from the size's preset, so nothing moves. The bar under
each tile is the <b>accent colour</b>. A tile still being resolved says <i>pending</i> and asks
again.</p>
<div class="legend" id="legend">
  <div><span class="sample" id="legend-dominant"></span><span>dominant colour, painted at once
    (<code>dominant_color</code>, <code>X-Dominant-Color</code>)</span></div>
  <div><span class="sample" id="legend-placeholder"></span><span>placeholder: the ThumbHash
    as a tiny PNG, scaled up (<code>placeholder</code>)</span></div>
  <div><span class="sample" id="legend-image"></span><span>image: the CDN variant, fading in
    (<code>cdn_url</code>)</span></div>
  <div><span class="sample bar" id="legend-accent"></span><span>accent colour
    (<code>accent_color</code>, <code>X-Accent-Color</code>)</span></div>
</div>
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
  status.textContent = "asking";
  tile.appendChild(status);
  const accent = document.createElement("div");
  accent.className = "accent";
  accent.style.width = width + "px";
  const caption = document.createElement("figcaption");
  caption.style.maxWidth = width + "px";
  const label = document.createElement("div");
  label.textContent = item.label || item.entity_id;
  const colours = document.createElement("div");
  colours.className = "colours";
  caption.append(label, colours);
  figure.append(tile, accent, caption);
  grid.appendChild(figure);
  return { item: { ...item, size }, tile, status, accent, colours, done: false };
});

function swatch(colour) {
  const mark = document.createElement("span");
  mark.className = "swatch";
  mark.style.background = colour || "transparent";
  return mark;
}

let legendShown = false;
function showInLegend(image, full) {
  if (legendShown) return;
  legendShown = true;
  document.getElementById("legend-dominant").style.background = image.dominant_color || "#333";
  document.getElementById("legend-accent").style.background = image.accent_color || "#444";
  const placeholder = document.createElement("img");
  placeholder.alt = "";
  placeholder.src = image.placeholder;
  document.getElementById("legend-placeholder").appendChild(placeholder);
  full.addEventListener("load", () => {
    const copy = document.createElement("img");
    copy.alt = "";
    copy.src = full.src;
    document.getElementById("legend-image").appendChild(copy);
  });
}

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
  entry.accent.style.background = image.accent_color || "#444";
  entry.colours.replaceChildren(
    swatch(image.dominant_color), `dominant ${image.dominant_color}  `,
    swatch(image.accent_color), `accent ${image.accent_color}`);
  entry.status.textContent = "placeholder";
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
  });
  showInLegend(image, full);
  full.src = image.cdn_url;
  entry.tile.append(placeholder, full);
  entry.tile.appendChild(entry.status);  // the label stays on top until the image is in
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
