// The job's buttons (anywidget ES module, no build step): Generate, Generate again and the
// job's action. A click disables the whole row AT ONCE, before any round trip, and sends
// one message; the row is enabled again from the kernel's state once it has answered that
// click (`answered` changes). A double-click therefore sends one message: one job.

const ACTIONS = {
  cancel: ["Cancel", "Cancel the job: possible while it waits here or on the server (PENDING)"],
  stop: ["Stop watching", "Stop following the job here; it goes on on the server and is billed"],
  follow: ["Follow again", "Follow the job here again"],
  reconcile: ["Look again", "Search the server's task list for the lost job again; never submits again"],
};

function button(label, className, title) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = `jupyter-button widget-button ${className}`;
  node.textContent = label;
  node.title = title;
  return node;
}

function render({ model, el }) {
  const row = document.createElement("div");
  row.className = "wanvace-buttons";
  const generate = button("▶ Generate", "mod-primary wanvace-generate", "Start one job (paid on the real service)");
  const again = button(
    "Generate again",
    "wanvace-again",
    "Start a second variation now, paid separately; the running job goes on",
  );
  const action = button("", "wanvace-action", "");
  row.append(generate, again, action);
  // the job's stage for screen readers: a live region that stays, so each change is heard
  const live = document.createElement("div");
  live.className = "wanvace-sr-only wanvace-announcement";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  el.append(row, live);
  let waiting = false; // a click was sent and the kernel has not answered it yet

  row.tabIndex = -1; // holds the focus while its buttons are off (see update)

  function update() {
    // a focused button that turns off would drop the focus to the page: the row keeps it,
    // so the keyboard goes on from here (Tab: the status, the result)
    const focused = row.contains(document.activeElement);
    const name = model.get("action");
    const [label, title] = ACTIONS[name] || ["", ""];
    generate.disabled = waiting || !model.get("generate_enabled");
    again.hidden = !model.get("again_enabled");
    again.disabled = waiting || again.hidden;
    action.hidden = !name;
    action.textContent = label;
    action.title = title;
    action.disabled = waiting || !name;
    row.dataset.answered = String(model.get("answered"));
    const active = document.activeElement;
    if (focused && (!row.contains(active) || active.disabled || active.hidden)) row.focus();
  }

  function clicked(name) {
    return () => {
      if (waiting) return;
      waiting = true; // every button of the row, before the kernel hears of it
      update();
      model.send({ click: name });
    };
  }

  generate.addEventListener("click", clicked("generate"));
  again.addEventListener("click", clicked("again"));
  action.addEventListener("click", clicked("action"));
  model.on("change:answered", () => {
    waiting = false;
    update();
  });
  model.on("change:generate_enabled change:again_enabled change:action", update);
  const announce = () => {
    live.textContent = model.get("announcement");
  };
  model.on("change:announcement", announce);
  announce();
  update();
}

export default { render };
