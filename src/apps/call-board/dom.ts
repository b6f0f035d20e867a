/**
 * The only way the board makes DOM: elements with attributes and text. Text goes in as text nodes (textContent),
 * never as markup, so a caller name like `<img onerror=...>` shows as those characters. No markup sink is used
 * anywhere in the view (a test reads the sources for one).
 */

type Attrs = Record<string, string | boolean | undefined>;
type Child = Node | string | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== undefined && c !== false) el.append(c);
  return el;
}

/** Set an element's text only when it changed (keeps the DOM still between identical reads). */
export function text(el: Node, value: string): void {
  if (el.textContent !== value) el.textContent = value;
}

/** Set or remove an attribute only when it changed. */
export function attr(el: Element, name: string, value: string | undefined): void {
  if (value === undefined) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

let ids = 0;
/** A fresh element id, for aria-describedby and label links. */
export const newId = (prefix: string) => `${prefix}-${++ids}`;

/** A row of a keyed list: its element and how to bring it up to date. */
export interface Row<T> {
  el: HTMLElement;
  update(item: T): void;
}

const rowsOf = new WeakMap<HTMLElement, Map<string, Row<unknown>>>();

/**
 * Make `list` show `items` in order, one row per key: existing rows are updated in place (so focus, an open
 * transfer form and typed text survive a refresh), new ones made, gone ones removed. When the focused row goes,
 * focus moves to `fallback` rather than to nowhere.
 */
export function syncList<T>(list: HTMLElement, items: readonly T[], key: (item: T) => string, make: (item: T) => Row<T>, fallback: HTMLElement): void {
  let rows = rowsOf.get(list) as Map<string, Row<T>> | undefined;
  if (!rows) rowsOf.set(list, (rows = new Map()) as Map<string, Row<unknown>>);
  const wanted = new Set(items.map(key));
  for (const [k, row] of rows) {
    if (wanted.has(k)) continue;
    if (row.el.contains(document.activeElement)) fallback.focus();
    row.el.remove();
    rows.delete(k);
  }
  items.forEach((item, i) => {
    const k = key(item);
    let row = rows.get(k);
    if (!row) rows.set(k, (row = make(item)));
    row.update(item);
    if (list.children[i] !== row.el) list.insertBefore(row.el, list.children[i] ?? null);
  });
}
