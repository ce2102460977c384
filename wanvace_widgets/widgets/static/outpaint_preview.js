// The outpainting preview's page side (anywidget ES module, no build step): the widened
// canvas, hatched where the model will paint, with the source frame placed inside. Its
// colours are JupyterLab's theme variables, read when it draws, so it reads in both themes.

const WIDTH = 320; // on screen, in CSS pixels

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "wanvace-outpaint-preview";
  root.style.cssText = "font-size:12px;color:var(--jp-content-font-color1);margin:4px 0 8px";
  const canvas = document.createElement("canvas");
  canvas.style.cssText = "display:block;border:1px solid var(--jp-border-color1);max-width:100%";
  canvas.setAttribute("role", "img");
  const caption = document.createElement("div");
  root.append(canvas, caption);
  el.append(root);
  let frame = null;
  let version = 0;

  function draw() {
    const box = model.get("canvas");
    const message = model.get("message");
    canvas.hidden = !box.width || !frame;
    caption.textContent = message || "";
    if (canvas.hidden) return;
    const scale = WIDTH / Math.max(box.width, box.height);
    canvas.width = Math.round(box.width * scale);
    canvas.height = Math.round(box.height * scale);
    const ctx = canvas.getContext("2d");
    const theme = getComputedStyle(root);
    const colour = (name) => theme.getPropertyValue(name).trim();
    ctx.fillStyle = colour("--jp-layout-color2");
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = colour("--jp-layout-color3");
    for (let d = -canvas.height; d < canvas.width; d += 8) {
      ctx.beginPath();
      ctx.moveTo(d, canvas.height);
      ctx.lineTo(d + canvas.height, 0);
      ctx.stroke();
    }
    const [x, y] = [box.x * scale, box.y * scale];
    const [w, h] = [box.source_width * scale, box.source_height * scale];
    ctx.drawImage(frame, x, y, w, h);
    ctx.strokeStyle = colour("--jp-brand-color1");
    ctx.lineWidth = 2;
    ctx.strokeRect(x, y, w, h);
    caption.textContent =
      `The source (${box.source_width}×${box.source_height}, framed) in the widened ` +
      `canvas (${box.width}×${box.height} before the result is scaled to the 720P tier); ` +
      "the model paints the hatched part.";
    canvas.setAttribute("aria-label", caption.textContent);
    root.dataset.canvas = `${box.width}x${box.height}`;
  }

  async function onFrame() {
    const mine = ++version;
    const bytes = model.get("frame_jpeg");
    const image =
      bytes && bytes.byteLength ? await createImageBitmap(new Blob([bytes], { type: "image/jpeg" })) : null;
    if (mine !== version) return;
    frame = image;
    draw();
  }

  model.on("change:canvas change:message", draw);
  model.on("change:frame_jpeg", onFrame);
  onFrame();
  // a theme switched in JupyterLab redraws it in the new theme's colours
  const theme = new MutationObserver(draw);
  theme.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light"] });
  return () => theme.disconnect();
}

export default { render };
