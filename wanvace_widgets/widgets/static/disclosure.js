// The button of a folded section (anywidget ES module, no build step): a real <button>
// with aria-expanded, so Tab reaches it, Enter and Space toggle it, and a screen reader says
// whether the section is open. What is changed inside is named after the label.

function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "wanvace-disclosure";
  const mark = document.createElement("span");
  mark.className = "wanvace-disclosure-mark";
  mark.setAttribute("aria-hidden", "true");
  const label = document.createElement("span");
  label.className = "wanvace-disclosure-label";
  const summary = document.createElement("span");
  summary.className = "wanvace-disclosure-summary";
  button.append(mark, label, summary);
  el.append(button);

  function update() {
    const expanded = model.get("expanded");
    button.setAttribute("aria-expanded", String(expanded));
    mark.textContent = expanded ? "▾" : "▸";
    label.textContent = model.get("label");
    const changed = model.get("summary");
    summary.textContent = changed ? ` · changed: ${changed}` : "";
  }

  button.addEventListener("click", () => {
    model.set("expanded", !model.get("expanded"));
    model.save_changes();
  });
  model.on("change:expanded change:label change:summary", update);
  update();
}

export default { render };
