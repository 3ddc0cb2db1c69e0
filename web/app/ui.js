// Small DOM helpers: building elements, money and time for people, and showing what the API said.

/** An element: h("button", {class: "primary", onclick: f, "aria-label": "…"}, "text", child, …). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

const formats = new Map();
/** 4500, "CNY" → "¥45.00". */
export function money(cents, currency = "CNY") {
  if (!formats.has(currency)) {
    formats.set(currency, new Intl.NumberFormat(undefined, {style: "currency", currency}));
  }
  return formats.get(currency).format(cents / 100);
}

/** "45" or "45.5" or "45.50" (yuan, as a person types it) → 4550 cents; throws a readable error otherwise. */
export function cents(text, field = "amount") {
  const value = String(text).trim();
  if (!/^\d{1,6}(\.\d{1,2})?$/.test(value)) throw new Error(`${field}: enter an amount such as 45 or 45.50`);
  const [whole, part = ""] = value.split(".");
  return Number(whole) * 100 + Number(part.padEnd(2, "0"));
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

export function distance(metres) {
  return metres < 1000 ? `${metres} m` : `${(metres / 1000).toFixed(1)} km`;
}

/** Tell the person something (a polite live region: screen readers read it). */
export function notify(text) {
  const region = document.getElementById("notice");
  const item = h("p", {class: "notice"}, text);
  region.append(item);
  while (region.children.length > 4) region.firstElementChild.remove();
  setTimeout(() => item.remove(), 8000);
}

/** Show an error as the API's Message (or the browser's, when the API could not be reached). */
export function showError(error, where = null) {
  const text = error && error.message ? error.message : String(error);
  const target = where || document.getElementById("error");
  fill(target, h("span", {}, text));
  target.hidden = false;
  if (!where) setTimeout(() => { if (target.textContent === text) target.hidden = true; }, 10000);
}

/** Wire a form: on submit, run action(values) with its button disabled; errors show in the form's .error. */
export function onSubmit(form, action) {
  const error = form.querySelector(".error") || form.appendChild(h("p", {class: "error", role: "alert", hidden: true}));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      await action(Object.fromEntries(new FormData(form).entries()), form);
    } catch (failure) {
      showError(failure, error);
    } finally {
      if (button) button.disabled = false;
    }
  });
  return form;
}

/** A labelled field: label("Title", h("input", {name: "title"})). */
export function field(text, control, hint = null) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("div", {class: "field"}, h("label", {for: id}, text), control, hint ? h("small", {}, hint) : null);
}

/** A button that runs an async action and shows its error next to it. */
export function action(text, run, attrs = {}) {
  const button = h("button", {type: "button", ...attrs}, text);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await run();
    } catch (failure) {
      showError(failure);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export function categorySelect(categories, {name = "category", any = false, value = "", id = null} = {}) {
  return h("select", {name, id},
    any ? h("option", {value: ""}, "Any category") : null,
    categories.map((c) => h("option", {value: c.id, selected: c.id === value ? "selected" : false}, c.name)));
}

/** Where a listing or a need is shown: exactly (a shop, a public place) or at its ~150 m cell's centre (a home). */
export function precisionSelect(id) {
  return h("select", {id, name: "precision"}, h("option", {value: "exact"}, "exactly (a shop, a public place)"),
    h("option", {value: "approximate"}, "roughly (~150 m: e.g. my home)"));
}
