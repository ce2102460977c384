// The mask painter's page side (anywidget ES module, no build step).
// The shape being drawn lives only here; when the pointer is released it is sent to the
// kernel as ONE message (see wanvace_widgets/masks.py for the format). The kernel draws
// the mask at the video's resolution, saves it and sends back `mask_png`, a tinted preview
// that replaces the shapes still pending here, and `growth_png`, the line a tracking mask
// grows to. Nothing is sent while the pointer moves.
// Keyboard: every control is a button or a labelled range input; on the canvas the arrow
// keys move a cursor (Shift: finer) and Space paints (see HELP); B, E, R, L pick a tool,
// [ and ] change the size, I inverts, U or Ctrl+Z undoes. These keys are kept from
// JupyterLab's notebook shortcuts (data-lm-suppress-shortcuts).

const TINT = "rgba(255, 0, 90, 0.55)"; // media.MASK_TINT at media.MASK_TINT_ALPHA
const ERASE = "rgba(30, 30, 30, 0.55)";
const TOOLS = [
  ["brush", "Brush", "paint the region to edit (B)", "b"],
  ["eraser", "Eraser", "unpaint: keep this region (E)", "e"],
  ["rect", "Rectangle", "drag a rectangle to edit (R)", "r"],
  ["lasso", "Lasso", "drag around a region to fill it (L)", "l"],
];
const ACTIONS = [
  ["invert", "Invert", "edit what is kept, keep what is edited (I)"],
  ["clear", "Clear", "keep everything (undo brings it back)"],
  ["undo", "Undo", "take the last operation back (U or Ctrl+Z)"],
];
const HELP =
  "Tinted = edited (white in the mask), the rest is kept. The mask belongs to the frame " +
  "shown. With mask type 'tracking' (the default) the region follows what it covers, " +
  "grown by 'expand ratio' into the outline 'expand mode' names: the cyan line shows " +
  "about how far (hull = a polygon, bbox = a rectangle, original = the painted shape). " +
  "With 'fixed' the painted pixels stay where they are. Keys on the canvas: arrows move " +
  "the cursor (Shift: finer), Space paints (brush, eraser: press, move, press again; " +
  "rectangle: one corner, then the other; lasso: each corner, Enter closes it), Escape " +
  "cancels. B, E, R, L pick a tool, [ and ] change the size, I inverts, U undoes.";
const FRAME_THROTTLE_MS = 120;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(kind, [name, label, title]) {
  const node = element("button", `wp-button wp-${kind}`, label);
  node.type = "button";
  node.title = title;
  node.dataset[kind] = name;
  return node;
}

function labelled(text, input, className) {
  const label = element("label", `wp-label ${className}`);
  label.append(element("span", "", text), input);
  return label;
}

async function bitmap(bytes, type) {
  if (!bytes || bytes.byteLength === 0) return null;
  return createImageBitmap(new Blob([bytes], { type }));
}

function render({ model, el }) {
  let tool = "brush";
  let size = 0; // brush diameter in video pixels; chosen once the video's size is known
  let active = null; // the shape being drawn
  let pending = []; // finished shapes the kernel has not answered yet
  let seq = 0;
  let frameImage = null;
  let maskImage = null;
  let hover = null;
  let frameTimer = null;
  let growthImage = null;

  const root = element("div", "wanvace-painter");
  root.dataset.lmSuppressShortcuts = "true"; // its keys are the painter's, not the notebook's
  const toolbar = element("div", "wp-toolbar");
  const toolButtons = TOOLS.map((t) => button("tool", t));
  const actionButtons = ACTIONS.map((a) => button("action", a));
  const sizeInput = element("input", "wp-size");
  sizeInput.type = "range";
  sizeInput.title = "brush size in video pixels ([ and ])";
  const sizeLabel = element("span", "wp-size-label");
  sizeLabel.setAttribute("aria-hidden", "true"); // the input says its own value
  const tools = element("div", "wp-tools");
  tools.setAttribute("role", "group");
  tools.setAttribute("aria-label", "tool");
  tools.append(...toolButtons);
  toolbar.append(
    tools,
    labelled("brush size", sizeInput, "wp-size-field"),
    sizeLabel,
    element("span", "wp-gap"),
    ...actionButtons,
  );

  const frameRow = element("div", "wp-frame-row");
  const frameInput = element("input", "wp-frame");
  frameInput.type = "range";
  frameInput.min = "1";
  frameInput.title = "the frame the mask belongs to (mask_frame_id)";
  const frameLabel = element("span", "wp-frame-label");
  frameLabel.setAttribute("aria-hidden", "true");
  frameRow.append(labelled("frame", frameInput, "wp-frame-field"), frameLabel);

  const stage = element("div", "wp-stage");
  const base = element("canvas", "wp-base");
  base.setAttribute("aria-hidden", "true");
  const draft = element("canvas", "wp-draft");
  draft.tabIndex = 0; // the keyboard paints here too
  draft.setAttribute("role", "img");
  const placeholder = element("div", "wp-placeholder", "Choose a local source video to paint its mask.");
  stage.append(base, draft);
  const status = element("div", "wp-status");
  status.setAttribute("role", "status"); // "mask saved as …" or why an operation was refused
  const help = element("div", "wp-help", HELP);
  root.append(toolbar, frameRow, stage, placeholder, status, help);
  el.append(root);

  // -- drawing ---------------------------------------------------------------------------

  function drawBase() {
    const ctx = base.getContext("2d");
    ctx.clearRect(0, 0, base.width, base.height);
    if (frameImage) ctx.drawImage(frameImage, 0, 0, base.width, base.height);
    if (maskImage) ctx.drawImage(maskImage, 0, 0, base.width, base.height);
    if (growthImage) ctx.drawImage(growthImage, 0, 0, base.width, base.height);
  }

  function traceShape(ctx, shape) {
    const p = shape.points;
    ctx.beginPath();
    if (shape.shape === "rect") {
      ctx.rect(p[0], p[1], p[2] - p[0], p[3] - p[1]);
      return;
    }
    if (shape.shape === "stroke" && p.length === 2) {
      ctx.arc(p[0], p[1], shape.radius, 0, 2 * Math.PI);
      return;
    }
    ctx.moveTo(p[0], p[1]);
    for (let i = 2; i < p.length; i += 2) ctx.lineTo(p[i], p[i + 1]);
    if (shape.shape === "polygon") ctx.closePath();
  }

  function drawShape(ctx, shape) {
    const color = shape.erase ? ERASE : TINT;
    traceShape(ctx, shape);
    if (shape.shape === "stroke" && shape.points.length > 2) {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2 * shape.radius;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.stroke();
    } else {
      ctx.fillStyle = color;
      ctx.fill("evenodd");
    }
  }

  function drawDraft() {
    const ctx = draft.getContext("2d");
    ctx.clearRect(0, 0, draft.width, draft.height);
    for (const shape of pending) drawShape(ctx, shape);
    if (active) drawShape(ctx, active);
    if (!hover) return;
    const line = Math.max(1, draft.width / 400);
    ctx.beginPath();
    if (tool === "brush" || tool === "eraser") {
      ctx.arc(hover[0], hover[1], size / 2, 0, 2 * Math.PI);
    } else {
      const arm = Math.max(6, draft.width / 60);
      ctx.moveTo(hover[0] - arm, hover[1]);
      ctx.lineTo(hover[0] + arm, hover[1]);
      ctx.moveTo(hover[0], hover[1] - arm);
      ctx.lineTo(hover[0], hover[1] + arm);
    }
    // white on a dark edge: seen on light and dark frames alike
    ctx.lineWidth = 3 * line;
    ctx.strokeStyle = "rgba(0, 0, 0, 0.7)";
    ctx.stroke();
    ctx.lineWidth = line;
    ctx.strokeStyle = "rgba(255, 255, 255, 0.95)";
    ctx.stroke();
  }

  // -- pointer ---------------------------------------------------------------------------

  function videoPoint(event) {
    const box = draft.getBoundingClientRect();
    return [
      Math.round(((event.clientX - box.left) * draft.width) / box.width),
      Math.round(((event.clientY - box.top) * draft.height) / box.height),
    ];
  }

  function farEnough(points, [x, y], step) {
    const n = points.length;
    return Math.hypot(x - points[n - 2], y - points[n - 1]) >= step;
  }

  draft.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !model.get("frame_limit")) return;
    draft.setPointerCapture(event.pointerId);
    const point = videoPoint(event);
    const shape = tool === "rect" ? "rect" : tool === "lasso" ? "polygon" : "stroke";
    active = { shape, erase: tool === "eraser", radius: size / 2, points: [...point] };
    if (shape === "rect") active.points.push(...point);
    drawDraft();
  });

  draft.addEventListener("pointermove", (event) => {
    const point = videoPoint(event);
    hover = point;
    if (active) {
      const step = active.shape === "stroke" ? Math.max(1, active.radius / 3) : 2;
      if (active.shape === "rect") active.points.splice(2, 2, ...point);
      else if (farEnough(active.points, point, step) && active.points.length < 8000) {
        active.points.push(...point);
      }
    }
    drawDraft();
  });

  function finish(event) {
    if (!active) return;
    const shape = active;
    active = null;
    if (event.type === "pointerup") {
      const point = videoPoint(event);
      if (shape.shape === "rect") shape.points.splice(2, 2, ...point);
      else if (farEnough(shape.points, point, 1)) shape.points.push(...point);
    }
    const p = shape.points;
    const empty =
      (shape.shape === "rect" && (p[0] === p[2] || p[1] === p[3])) ||
      (shape.shape === "polygon" && p.length < 6) ||
      event.type === "pointercancel";
    if (event.type === "keyboard" && shape.shape === "stroke" && p.length > 4) {
      shape.points = thin(p, Math.max(1, shape.radius / 3));
    }
    if (!empty) send({ action: "draw", shape: shape.shape, erase: shape.erase, radius: shape.radius, points: p }, shape);
    drawDraft();
  }
  draft.addEventListener("pointerup", finish);
  draft.addEventListener("pointercancel", finish);

  // -- keyboard on the canvas: a cursor moved by the arrow keys, Space to paint -----------

  function moveCursor(dx, dy, fine) {
    const step = Math.max(1, Math.round(Math.min(draft.width, draft.height) / (fine ? 100 : 20)));
    const [x, y] = hover || [Math.round(draft.width / 2), Math.round(draft.height / 2)];
    hover = [
      Math.min(draft.width, Math.max(0, x + dx * step)),
      Math.min(draft.height, Math.max(0, y + dy * step)),
    ];
    if (active) {
      if (active.shape === "rect") active.points.splice(2, 2, ...hover);
      else if (active.shape === "stroke") active.points.push(...hover);
    }
    drawDraft();
  }

  function place() {
    hover = hover || [Math.round(draft.width / 2), Math.round(draft.height / 2)];
    if (!active) {
      const shape = tool === "rect" ? "rect" : tool === "lasso" ? "polygon" : "stroke";
      active = { shape, erase: tool === "eraser", radius: size / 2, points: [...hover] };
      if (shape === "rect") active.points.push(...hover);
    } else if (active.shape === "polygon") {
      active.points.push(...hover);
    } else {
      finish({ type: "keyboard" });
      return;
    }
    drawDraft();
  }

  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  draft.addEventListener("keydown", (event) => {
    if (!model.get("frame_limit")) return;
    if (ARROWS[event.key]) moveCursor(...ARROWS[event.key], event.shiftKey);
    else if (event.key === " ") place();
    else if (event.key === "Enter" && active && active.shape === "polygon") finish({ type: "keyboard" });
    else if (event.key === "Escape" && active) {
      active = null;
      drawDraft();
    } else return;
    event.preventDefault();
    event.stopPropagation();
  });
  draft.addEventListener("focus", () => {
    hover = hover || [Math.round(draft.width / 2), Math.round(draft.height / 2)];
    drawDraft();
  });
  draft.addEventListener("blur", () => {
    hover = null;
    drawDraft();
  });

  function setSize(value) {
    size = Math.min(Number(sizeInput.max), Math.max(Number(sizeInput.min), value));
    sizeInput.value = String(size);
    sizeLabel.textContent = `${size} px`;
    drawDraft();
  }

  // the painter's keys, anywhere in it but in its range inputs (whose arrows are theirs)
  root.addEventListener("keydown", (event) => {
    if (event.altKey || event.metaKey || !model.get("frame_limit")) return;
    const key = event.key.toLowerCase();
    const undo = key === "u" || (event.ctrlKey && key === "z");
    if (event.ctrlKey && !undo) return;
    const pick = TOOLS.find((t) => t[3] === key);
    if (pick) {
      tool = pick[0];
      showTool();
    } else if (key === "[" || key === "]") {
      setSize(size + (key === "]" ? 1 : -1) * Math.max(1, Math.round(size / 8)));
    } else if (key === "i") {
      send({ action: "invert" });
    } else if (undo) {
      if (model.get("can_undo")) send({ action: "undo" });
    } else return;
    event.preventDefault();
    event.stopPropagation();
  });
  draft.addEventListener("pointerleave", () => {
    hover = null;
    if (!active) drawDraft();
  });

  function thin(points, step) {
    const kept = points.slice(0, 2);
    for (let i = 2; i < points.length; i += 2) {
      if (farEnough(kept, [points[i], points[i + 1]], step)) kept.push(points[i], points[i + 1]);
    }
    return kept;
  }

  function send(message, shape) {
    seq = Math.max(seq + 1, Date.now());
    model.send({ ...message, seq });
    if (shape) pending.push({ ...shape, seq });
  }

  // -- controls --------------------------------------------------------------------------

  function showTool() {
    for (const b of toolButtons) b.setAttribute("aria-pressed", String(b.dataset.tool === tool));
  }
  for (const b of toolButtons) {
    b.addEventListener("click", () => {
      tool = b.dataset.tool;
      showTool();
    });
  }
  for (const b of actionButtons) {
    b.addEventListener("click", () => send({ action: b.dataset.action }));
  }
  sizeInput.addEventListener("input", () => setSize(Number(sizeInput.value)));

  function setFrame() {
    clearTimeout(frameTimer);
    frameTimer = null;
    const value = Number(frameInput.value);
    if (value !== model.get("mask_frame_id")) {
      model.set("mask_frame_id", value);
      model.save_changes();
    }
  }
  frameInput.addEventListener("input", () => {
    frameLabel.textContent = `${frameInput.value} / ${model.get("frame_limit")}`;
    if (frameTimer === null) frameTimer = setTimeout(setFrame, FRAME_THROTTLE_MS);
  });
  frameInput.addEventListener("change", setFrame);

  // -- state from the kernel --------------------------------------------------------------

  function onSize() {
    const width = model.get("width");
    const height = model.get("height");
    const known = width > 0 && height > 0;
    stage.hidden = frameRow.hidden = !known;
    placeholder.hidden = known;
    for (const b of [...toolButtons, ...actionButtons, sizeInput]) b.disabled = !known;
    if (!known) return;
    if (base.width !== width || base.height !== height) {
      base.width = draft.width = width;
      base.height = draft.height = height;
      stage.style.aspectRatio = `${width} / ${height}`;
      pending = [];
    }
    const short = Math.min(width, height);
    sizeInput.min = "2";
    sizeInput.max = String(Math.max(8, Math.round(short / 3)));
    setSize(Math.max(2, Math.round(short / 18)));
    onFrameId();
    onCanUndo();
    drawBase();
  }

  function onFrameId() {
    frameInput.max = String(Math.max(1, model.get("frame_limit")));
    if (frameTimer === null) frameInput.value = String(model.get("mask_frame_id"));
    frameLabel.textContent = `${frameInput.value} / ${model.get("frame_limit")}`;
  }

  let frameVersion = 0;
  async function onFrameImage() {
    const version = ++frameVersion;
    const image = await bitmap(model.get("frame_jpeg"), "image/jpeg");
    if (version !== frameVersion) return;
    frameImage = image;
    drawBase();
    stage.dataset.shownFrame = String(model.get("shown_frame"));
    describe();
  }

  function describe() {
    const frame = model.get("shown_frame");
    const painted = maskImage ? "with the painted region tinted" : "nothing painted yet";
    draft.setAttribute(
      "aria-label",
      `Frame ${frame} of the source video, ${painted}. Arrow keys move the cursor, ` +
        "Space paints with the chosen tool.",
    );
  }

  let growthVersion = 0;
  async function onGrowthImage() {
    const version = ++growthVersion;
    const image = await bitmap(model.get("growth_png"), "image/png");
    if (version !== growthVersion) return;
    growthImage = image;
    drawBase();
  }

  let maskVersion = 0;
  async function onMaskImage() {
    const version = ++maskVersion;
    const applied = model.get("applied_seq");
    const image = await bitmap(model.get("mask_png"), "image/png");
    if (version !== maskVersion) return;
    maskImage = image;
    pending = pending.filter((shape) => shape.seq > applied);
    drawBase();
    drawDraft();
    stage.dataset.applied = String(applied);
    describe();
  }

  const undoButton = actionButtons.find((b) => b.dataset.action === "undo");
  function onCanUndo() {
    undoButton.disabled = !model.get("can_undo") || !model.get("frame_limit");
  }

  function onStatus() {
    const saved = model.get("saved_as");
    const message = model.get("message");
    status.textContent = "";
    if (saved) status.append("mask saved as ", element("code", "wp-saved", saved));
    else status.append("not saved yet: each finished stroke saves the mask");
    if (message) status.append(" · ", element("span", "wp-message", message));
  }

  const handlers = {
    "change:width change:height": onSize,
    "change:frame_limit change:mask_frame_id": onFrameId,
    "change:frame_jpeg change:shown_frame": onFrameImage,
    "change:mask_png change:applied_seq": onMaskImage,
    "change:growth_png": onGrowthImage,
    "change:can_undo": onCanUndo,
    "change:saved_as change:message": onStatus,
  };
  // anywidget removes these listeners with the view
  for (const [events, handler] of Object.entries(handlers)) model.on(events, handler);
  showTool();
  onSize();
  onStatus();
  onFrameImage();
  onMaskImage();
  onGrowthImage();
  return () => clearTimeout(frameTimer);
}

export default { render };
