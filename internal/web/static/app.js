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

// Expiry: the custom date field shows, and is required, only while
// "Custom date" is chosen.
function initExpiry(box) {
  const select = box.querySelector('select[name="expires"]');
  const field = box.querySelector("[data-expiry-date]");
  const date = field.querySelector('input[type="date"]');
  const sync = () => {
    const custom = select.value === "custom";
    field.hidden = !custom;
    date.required = custom;
  };
  select.addEventListener("change", () => { sync(); if (select.value === "custom") date.focus(); });
  sync();
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
  dropFiles(zone, input, show);
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

// The inputs grid: its part of the page (the search box and the grid) is
// fetched again and swapped in while some input is not final yet
// (data-poll), and after uploads; the selection of inputs to delete
// survives the swap.
const inputsSection = () => document.getElementById("inputs-section");

async function refreshInputs(url) {
  const section = inputsSection();
  if (!section) return;
  let doc;
  try {
    const r = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!r.ok) return;
    doc = new DOMParser().parseFromString(await r.text(), "text/html");
  } catch (e) {
    return; // the next poll tries again
  }
  const fresh = doc.getElementById("inputs-section");
  if (!fresh) return;
  const checked = new Set(Array.from(document.querySelectorAll(".input-select:checked"), (b) => b.value));
  const node = document.importNode(fresh, true);
  node.querySelectorAll(".input-select").forEach((b) => { b.checked = checked.has(b.value); });
  section.replaceWith(node);
  initSelection();
  pollInputs();
}

let pollTimer = null;
let polls = 0;
// pollInputs refreshes the grid every 2 s while some input is queued or
// processing, for at most 10 minutes.
function pollInputs() {
  const grid = document.getElementById("inputs-grid");
  clearTimeout(pollTimer);
  if (!grid || grid.dataset.poll !== "true" || polls >= 300) return;
  polls++;
  pollTimer = setTimeout(() => refreshInputs(location.pathname + location.search), 2000);
}

// initSelection: "Select all", and "Delete selected" enabled once some
// input is selected.
function initSelection() {
  const form = document.getElementById("delete-form");
  if (!form) return;
  const all = form.querySelector("[data-select-all]");
  const button = form.querySelector("[data-delete-selected]");
  const boxes = () => Array.from(document.querySelectorAll(".input-select"));
  const sync = () => {
    const n = boxes().filter((b) => b.checked).length;
    button.disabled = n === 0;
    button.textContent = n ? `Delete selected (${n})` : "Delete selected";
    all.checked = n > 0 && n === boxes().length;
  };
  all.closest("label").hidden = false;
  all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); sync(); });
  boxes().forEach((b) => b.addEventListener("change", sync));
  sync();
}

// The uploader sends each chosen (or dropped) image in a request of its
// own, with the form's anti-forgery token and the session's cookie, and
// shows the progress of all the bytes and each file's outcome.
function initUploader(form) {
  const zone = form.querySelector(".dropzone");
  const input = form.querySelector('input[type="file"]');
  const status = document.getElementById(input.getAttribute("aria-describedby"));
  const box = form.querySelector(".upload-progress");
  const bar = box.querySelector("progress");
  const list = box.querySelector(".upload-list");
  const button = form.querySelector('button[type="submit"]');
  const csrf = form.querySelector('input[name="csrf"]').value;
  const limit = Number(input.dataset.maxBytes) * (1 << 20);
  const mb = (n) => (n / (1 << 20)).toFixed(1);
  const describe = () => {
    const files = Array.from(input.files || []);
    const bytes = files.reduce((s, f) => s + f.size, 0);
    status.textContent = files.length ? `${files.length} image${files.length === 1 ? "" : "s"} chosen · ${mb(bytes)} MB` : "Each image is sent on its own, with its progress shown.";
  };
  describe();
  input.addEventListener("change", describe);
  dropFiles(zone, input, describe);
  const send = (file, progress) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) progress(file.size * e.loaded / e.total); });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON: said below */ }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener("error", () => reject(new Error("the connection failed")));
    const data = new FormData();
    data.append("csrf", csrf);
    data.append("image", file, file.name);
    xhr.send(data);
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const files = Array.from(input.files || []);
    if (!files.length) {
      status.textContent = "Choose one or more images first.";
      return;
    }
    button.disabled = true;
    box.hidden = false;
    box.querySelector("label").textContent = "Uploading";
    list.textContent = "";
    bar.value = 0;
    const total = files.reduce((s, f) => s + f.size, 0) || 1;
    let sent = 0;
    let ok = 0;
    for (const file of files) {
      const item = document.createElement("li");
      const name = document.createElement("span");
      const outcome = document.createElement("span");
      name.textContent = file.name;
      outcome.textContent = "uploading…";
      item.append(name, outcome);
      list.append(item);
      if (limit && file.size > limit) {
        outcome.className = "failed";
        outcome.textContent = `${mb(file.size)} MB: over the limit of ${mb(limit)} MB, not sent`;
      } else {
        try {
          const r = await send(file, (n) => { bar.value = 100 * (sent + n) / total; });
          const res = r.body && r.body.inputs && r.body.inputs[0];
          if (res && !res.error) {
            ok++;
            outcome.className = "ok";
            outcome.textContent = "added";
          } else {
            outcome.className = "failed";
            outcome.textContent = (res && res.error) || (r.body && r.body.error) || `refused (HTTP ${r.status})`;
          }
        } catch (err) {
          outcome.className = "failed";
          outcome.textContent = err.message;
        }
      }
      sent += file.size;
      bar.value = 100 * sent / total;
    }
    status.textContent = `${ok} of ${files.length} image${files.length === 1 ? "" : "s"} uploaded.`;
    box.querySelector("label").textContent = "Uploaded";
    input.value = "";
    button.disabled = false;
    if (ok) {
      // New inputs are on the first page.
      if (location.search) history.replaceState(null, "", form.action);
      polls = 0;
      refreshInputs(form.action);
    }
  });
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
  document.querySelectorAll("form[data-uploader]").forEach(initUploader);
  document.querySelectorAll("[data-expiry]").forEach(initExpiry);
  initSelection();
  pollInputs();
  initMenus();
});

// dropFiles makes zone take files dropped on it into the file input, then
// calls changed, as choosing them would.
function dropFiles(zone, input, changed) {
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("dragging"); });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.remove("dragging"); });
  }
  zone.addEventListener("drop", (e) => {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      changed();
    }
  });
}
