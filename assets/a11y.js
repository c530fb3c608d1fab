/* Accessibility fixes to Dash 4's own components (issue #21, WCAG 2.1 AA / GB/T 37668; checked by axe-core in
   tests/e2e/test_accessibility.py). Each is re-applied as the components re-render:
   - a dropdown's keyboard entry point is an input marked aria-hidden although it takes focus: it is unhidden and
     named after its control, as the combobox it acts as;
   - a checklist or radio list is a listbox of options that each hold a native input (interactive inside
     interactive): it becomes a group (radiogroup) of the native inputs, which already say what they are;
   - a slider's thumb and an upload's file input get a name from their control's title or visible text. */
(function () {
  function text(el) { return el ? (el.textContent || "").replace(/\s+/g, " ").trim() : ""; }
  function nameOf(el) {  // the label or title of the control `el` sits in
    var host = el.closest("label, [title], [data-a11y-name]");
    if (!host) { return ""; }
    return host.getAttribute("data-a11y-name") || host.getAttribute("title") ||
      text(host.firstChild && host.firstChild.nodeType === 3 ? {textContent: host.firstChild.nodeValue} : host);
  }
  function fix(root) {
    var set = function (el, name, value) { if (el.getAttribute(name) !== value) { el.setAttribute(name, value); } };
    root.querySelectorAll(".dash-dropdown-focus-target").forEach(function (input) {
      var button = input.parentNode && input.parentNode.querySelector("button.dash-dropdown");
      if (input.hasAttribute("aria-hidden")) { input.removeAttribute("aria-hidden"); }
      set(input, "role", "combobox");
      set(input, "aria-haspopup", "listbox");
      set(input, "aria-expanded", button && button.getAttribute("aria-expanded") === "true" ? "true" : "false");
      var label = nameOf(input.parentNode) || text(button);
      if (label) { set(input, "aria-label", label); }
    });
    var lists = ".dash-options-list.dash-checklist, .dash-options-list.dash-radioitems";  // not a dropdown's menu
    root.querySelectorAll(lists.replace(/, /g, "[role=listbox], ") + "[role=listbox]").forEach(function (list) {
      list.setAttribute("role", list.classList.contains("dash-radioitems") ? "radiogroup" : "group");
      var label = list.parentNode && nameOf(list.parentNode);
      if (label) { list.setAttribute("aria-label", label); }
    });
    root.querySelectorAll(lists.split(", ").map(function (l) {
      return l + " > .dash-options-list-option[role], " + l + " > .dash-options-list-option[aria-selected]";
    }).join(", ")).forEach(function (opt) { opt.removeAttribute("role"); opt.removeAttribute("aria-selected"); });
    root.querySelectorAll(".dash-slider-thumb[role=slider]:not([aria-label])").forEach(function (thumb) {
      var label = nameOf(thumb);
      if (label) { thumb.setAttribute("aria-label", label); }
    });
    root.querySelectorAll("input[type=file]:not([aria-label])").forEach(function (input) {
      var label = text(input.parentNode);
      if (label) { input.setAttribute("aria-label", label); }
    });
  }
  var queued = false;
  function soon() {
    if (queued) { return; }
    queued = true;
    window.requestAnimationFrame(function () { queued = false; fix(document); });
  }
  new MutationObserver(soon).observe(document.documentElement, {childList: true, subtree: true, attributes: true,
    attributeFilter: ["aria-hidden", "aria-selected", "role", "aria-expanded"]});
  soon();
})();
