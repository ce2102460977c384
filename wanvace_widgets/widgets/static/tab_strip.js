// The studio's tab strip (anywidget ES module, no build step): the WAI-ARIA tabs pattern.
// One tab is in the Tab order (the selected one); Left/Right move to the previous/next
// tab and show it, Home/End the first/last, in JupyterLab and Notebook 7 alike (ipywidgets'
// own tab bar does not move on the arrow keys in Notebook 7: the notebook's own shortcuts
// take them first, ArrowLeft/ArrowRight fold and unfold headings; each tab asks Lumino,
// JupyterLab's and Notebook 7's keyboard layer, to leave keys pressed on it to it, as
// ipywidgets' text boxes do).

function render({ model, el }) {
  const list = document.createElement("div");
  list.className = "wanvace-tabs";
  list.setAttribute("role", "tablist");
  el.append(list);
  let tabs = [];

  function select(index, focus) {
    model.set("selected_index", index);
    model.save_changes();
    update();
    if (focus) tabs[index].focus();
  }

  function build() {
    list.setAttribute("aria-label", model.get("description"));
    list.replaceChildren();
    tabs = model.get("labels").map((text, index) => {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.className = "wanvace-tab";
      tab.setAttribute("role", "tab");
      tab.setAttribute("data-lm-suppress-shortcuts", "true"); // on the focused element itself
      tab.textContent = text;
      tab.addEventListener("click", () => select(index, false));
      list.append(tab);
      return tab;
    });
    update();
  }

  function update() {
    const selected = model.get("selected_index");
    tabs.forEach((tab, index) => {
      const on = index === selected;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      tab.classList.toggle("wanvace-tab-selected", on);
    });
  }

  list.addEventListener("keydown", (event) => {
    const at = tabs.indexOf(document.activeElement);
    if (at < 0) return;
    const last = tabs.length - 1;
    const to = { ArrowRight: at === last ? 0 : at + 1, ArrowLeft: at === 0 ? last : at - 1,
                 Home: 0, End: last }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    event.stopPropagation(); // not a notebook shortcut
    select(to, true);
  });
  model.on("change:labels change:description", build);
  model.on("change:selected_index", update);
  build();
}

export default { render };
