/** Small DOM helpers: elements built from parts (text always as textContent), and typed lookups. */

export interface ElementParts {
  className?: string;
  /** Set as textContent: never parsed as HTML. */
  text?: string;
  attributes?: Record<string, string>;
}

export function element<Tag extends keyof HTMLElementTagNameMap>(tag: Tag, parts: ElementParts = {}, ...children: Node[]): HTMLElementTagNameMap[Tag] {
  const created = document.createElement(tag);
  if (parts.className !== undefined) created.className = parts.className;
  if (parts.text !== undefined) created.textContent = parts.text;
  for (const [name, value] of Object.entries(parts.attributes ?? {})) created.setAttribute(name, value);
  created.append(...children);
  return created;
}

/** The element with this id, of this type; throws when the page lacks it (a build mistake, not a user's). */
export function byId<Type extends HTMLElement>(id: string, type: new () => Type): Type {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return found;
}
