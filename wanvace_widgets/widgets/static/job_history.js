// The job history's page side (anywidget ES module, no build step). Every row lives in this
// one component, so a history of hundreds of jobs is one widget model. Rows, posters and
// totals come from the kernel (history.py); a click sends one message {action, job, target}.
// The elapsed time of the jobs followed here ticks in the page: the kernel sends nothing
// for it. Every text is written with textContent, never as HTML.

const LABELS = {
  play: ["▶ Play", "play the saved video below"],
  load: ["Load into form", "fill this function's form with the job's request"],
  code: ["Copy code", "copy the request as Python code (wv.<Request>(...))"],
  resume: ["Resume", "follow this job again (it may still run on the server)"],
};

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

function render({ model, el }) {
  const root = element("div", "wanvace-jobs");
  const head = element("div", "wj-head");
  const totals = element("span", "wj-totals");
  const refresh = element("button", "wj-button", "⟳");
  refresh.type = "button";
  refresh.title = "read the journal again (jobs of other kernels)";
  head.append(element("b", "", "History"), totals, refresh);
  const list = element("div", "wj-list");
  const foot = element("div", "wj-foot");
  const more = element("button", "wj-button wj-more");
  more.type = "button";
  const message = element("span", "wj-message");
  foot.append(more, message);
  const codePanel = element("div", "wj-code");
  const codeHead = element("div", "wj-code-head");
  const codeTitle = element("span");
  const copy = element("button", "wj-button", "Copy");
  copy.type = "button";
  const closeCode = element("button", "wj-button", "×");
  closeCode.type = "button";
  closeCode.title = "hide the code";
  const codeText = element("pre", "wj-code-text");
  codeHead.append(codeTitle, copy, closeCode);
  codePanel.append(codeHead, codeText);
  // the journal's trouble: jobs are not safe on disk while it lasts
  const journalProblem = element("div", "wj-journal-problem");
  journalProblem.setAttribute("role", "alert");
  root.append(head, journalProblem, list, foot, codePanel);
  el.append(root);

  let receivedAt = performance.now();
  let shownCode = "";
  const send = (action, job, target) => model.send({ action, job, target });

  function actionButton(row, action) {
    const [label, title] = LABELS[action];
    const node = element("button", "wj-button", label);
    node.type = "button";
    node.title = title;
    node.dataset.action = action;
    node.addEventListener("click", () => send(action, row.id));
    return node;
  }

  function useSelect(row) {
    const select = element("select", "wj-use");
    select.dataset.action = "use";
    select.title = "send the video to another function's form";
    select.setAttribute("aria-label", `use the video of #${row.n} as input of another form`);
    select.append(element("option", "", "Use as input…"));
    for (const target of model.get("targets")) {
      if (target.function === row.function) continue;
      const option = element("option", "", target.label);
      option.value = target.label;
      select.append(option);
    }
    select.addEventListener("change", () => {
      if (select.selectedIndex > 0) send("use", row.id, select.value);
      select.selectedIndex = 0;
    });
    return select;
  }

  function rowNode(row, posters, playing) {
    const node = element("div", `wj-row wj-${row.tone}`);
    node.dataset.job = row.id;
    node.dataset.status = row.status;
    if (row.id === playing) node.classList.add("wj-playing");
    const poster = element("div", "wj-poster");
    if (posters[row.id]) {
      const img = element("img");
      img.src = posters[row.id];
      img.alt = `poster of #${row.n}`;
      poster.append(img);
    }
    const main = element("div", "wj-main");
    const line = element("div", "wj-line");
    line.append(
      element("span", "wj-number", `#${row.n}`),
      element("span", "", `${row.title} · ${row.when}`),
      element("span", "wj-status", row.status),
    );
    const elapsed = element("span", "wj-elapsed", duration(row.elapsed));
    elapsed.dataset.base = row.elapsed === null ? "" : String(row.elapsed);
    elapsed.dataset.ticking = row.ticking ? "1" : "";
    line.append(elapsed);
    if (row.cost) line.append(element("span", "wj-cost", row.cost));
    const prompt = element("div", "wj-prompt", row.prompt || "(no prompt)");
    main.append(line, prompt);
    if (row.path || row.note) {
      const detail = element("div", "wj-detail");
      if (row.path) detail.append(element("code", "", row.path));
      if (row.note) detail.append(element("span", "wj-note", row.note));
      main.append(detail);
    }
    if (row.actions.length) {
      const actions = element("div", "wj-actions");
      for (const action of row.actions) {
        actions.append(action === "use" ? useSelect(row) : actionButton(row, action));
      }
      main.append(actions);
    }
    node.append(poster, main);
    return node;
  }

  function draw() {
    receivedAt = performance.now();
    const rows = model.get("rows");
    const posters = model.get("posters");
    const playing = model.get("playing");
    totals.textContent = model.get("totals");
    list.replaceChildren(
      ...(rows.length
        ? rows.map((row) => rowNode(row, posters, playing))
        : [element("div", "wj-empty", "No jobs yet: fill a form and press Generate.")]),
    );
    const hidden = model.get("hidden");
    more.hidden = hidden === 0;
    more.textContent = `Show older jobs (${hidden} more)`;
    message.textContent = model.get("message");
    const problem = model.get("journal_problem");
    journalProblem.hidden = !problem;
    journalProblem.textContent = problem ? `⚠ The journal: ${problem}` : "";
  }

  function tick() {
    const extra = (performance.now() - receivedAt) / 1000;
    for (const node of list.querySelectorAll(".wj-elapsed[data-ticking='1']")) {
      node.textContent = duration(Number(node.dataset.base) + extra);
    }
  }

  async function showCode() {
    const code = model.get("code");
    codePanel.hidden = !code.text;
    if (!code.text) return;
    codeTitle.textContent = `Python code of #${code.n}`;
    codeText.textContent = code.text;
    if (code.text === shownCode) return;
    shownCode = code.text;
    await copyCode(); // right after the click: the browser still allows the clipboard
  }

  async function copyCode() {
    try {
      await navigator.clipboard.writeText(codeText.textContent);
      copy.textContent = "Copied ✓";
    } catch {
      copy.textContent = "Copy";
      const range = document.createRange();
      range.selectNodeContents(codeText); // select it, so Ctrl+C copies it
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }

  refresh.addEventListener("click", () => send("refresh"));
  more.addEventListener("click", () => send("more"));
  copy.addEventListener("click", copyCode);
  closeCode.addEventListener("click", () => {
    codePanel.hidden = true;
  });
  for (const name of ["rows", "posters", "playing", "hidden", "message", "totals", "targets",
                      "journal_problem"]) {
    model.on(`change:${name}`, draw);
  }
  model.on("change:code", showCode);
  draw();
  codePanel.hidden = true;
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}

export default { render };
