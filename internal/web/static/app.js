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

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-copy]").forEach((b) => {
    b.hidden = false;
    b.addEventListener("click", () => copyFrom(b));
  });
  document.querySelectorAll("form[data-scopes]").forEach(initScopes);
  document.querySelectorAll("form[data-confirm]").forEach(initConfirm);
  initMenus();
});
