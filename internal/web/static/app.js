// Clavis portal: small enhancements only. Every page works without them.
"use strict";

// Copy buttons: <button data-copy="#id"> copies the value (or text) of the
// element it names, falling back to a selection where the Clipboard API is
// missing (plain HTTP on a non-local address).
function copyFrom(button) {
  const target = document.querySelector(button.dataset.copy);
  if (!target) return;
  const text = "value" in target ? target.value : target.textContent;
  const done = () => {
    const label = button.querySelector(".copy-label") || button;
    const was = label.textContent;
    label.textContent = "Copied";
    button.classList.add("copied");
    const status = document.getElementById("copy-status");
    if (status) status.textContent = "Copied to the clipboard.";
    setTimeout(() => { label.textContent = was; button.classList.remove("copied"); }, 2000);
  };
  const fallback = () => {
    if ("select" in target) {
      target.focus();
      target.select();
    }
    try { if (document.execCommand("copy")) done(); } catch (e) { /* leave the text selected */ }
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, fallback);
  } else {
    fallback();
  }
}

// Scope checkboxes: "All" checks every scope; a scope checks the scopes it
// depends on (data-deps), as ListScopes reports them.
function initScopes(form) {
  const all = form.querySelector('input[name="scope"][value="All"]');
  const boxes = Array.from(form.querySelectorAll('input[name="scope"]')).filter((b) => b !== all);
  const byName = new Map(boxes.map((b) => [b.value, b]));
  const sync = () => {
    if (!all) return;
    boxes.forEach((b) => { b.disabled = all.checked; if (all.checked) b.checked = true; });
  };
  if (all) {
    all.addEventListener("change", () => {
      if (!all.checked) boxes.forEach((b) => { b.checked = false; });
      sync();
    });
    sync();
  }
  boxes.forEach((b) => b.addEventListener("change", () => {
    if (!b.checked || !b.dataset.deps) return;
    b.dataset.deps.split(" ").forEach((d) => { const dep = byName.get(d); if (dep) dep.checked = true; });
  }));
  // Disabled boxes are not submitted; "All" alone says it all.
}

// Confirmations: a form with data-confirm-type enables its submit button
// only once the expected text is typed.
function initConfirm(form) {
  const input = form.querySelector("[data-confirm-type]");
  const button = form.querySelector('button[type="submit"]');
  if (!input || !button) return;
  const check = () => { button.disabled = input.value !== input.dataset.confirmType; };
  input.addEventListener("input", check);
  check();
}

// The profile menu closes on Escape and on a click elsewhere.
function initMenus() {
  document.querySelectorAll("details.menu").forEach((menu) => {
    document.addEventListener("click", (e) => { if (!menu.contains(e.target)) menu.open = false; });
    menu.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  });
}

// The model playground: a file dropped on the drop zone goes into its file
// input; the chosen image is previewed, and refused at once when it is over
// the API's limit (data-max-bytes, in MB).
function initPlayground(form) {
  const zone = form.querySelector(".dropzone");
  const input = zone.querySelector('input[type="file"]');
  const preview = zone.querySelector(".drop-preview");
  const status = document.getElementById(input.getAttribute("aria-describedby"));
  const button = form.querySelector('button[type="submit"]');
  const maxMB = Number(input.dataset.maxBytes);
  const show = () => {
    const file = input.files && input.files[0];
    preview.hidden = true;
    status.textContent = "";
    if (!file) return;
    const mb = (file.size / (1 << 20)).toFixed(1);
    if (maxMB && file.size > maxMB * (1 << 20)) {
      status.textContent = `${file.name} is ${mb} MB: images may be at most ${maxMB} MB.`;
      input.value = "";
      return;
    }
    status.textContent = `${file.name} · ${mb} MB`;
    const reader = new FileReader();
    reader.addEventListener("load", () => { preview.src = reader.result; preview.hidden = false; });
    reader.readAsDataURL(file);
  };
  input.addEventListener("change", show);
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("dragging"); });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.remove("dragging"); });
  }
  zone.addEventListener("drop", (e) => {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      show();
    }
  });
  form.addEventListener("submit", () => {
    button.disabled = true;
    button.textContent = "Predicting…";
  });
  // Back from the result, the page may come from the cache as it was.
  window.addEventListener("pageshow", () => { button.disabled = false; button.textContent = "Predict"; });
}

// Tabs: [data-tabs] holds a hidden role=tablist and its panels, all shown
// without script; with it, one panel at a time, arrow keys between tabs.
function initTabs(box) {
  const list = box.querySelector('[role="tablist"]');
  const tabs = Array.from(list.querySelectorAll('[role="tab"]'));
  const select = (tab, focus) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) tab.focus();
  };
  tabs.forEach((t, i) => {
    t.addEventListener("click", () => select(t, false));
    t.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (step) select(tabs[(i + step + tabs.length) % tabs.length], true);
    });
  });
  list.hidden = false;
  box.classList.add("tabbed");
  select(tabs[0], false);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-copy]").forEach((b) => {
    b.hidden = false;
    b.addEventListener("click", () => copyFrom(b));
  });
  document.querySelectorAll("form[data-scopes]").forEach(initScopes);
  document.querySelectorAll("form[data-confirm]").forEach(initConfirm);
  document.querySelectorAll("form[data-playground]").forEach(initPlayground);
  document.querySelectorAll("[data-tabs]").forEach(initTabs);
  initMenus();
});
