/**
 * `GET /generate?prompt=...&maxTokens=...`: the same request as `POST /generate`, in a
 * query string, so that a browser's `EventSource` (which can only GET) can read the
 * stream. The prompt is text, `model` (optional) a model's name; every other parameter is a generation option by its own
 * name. Query values are all text, so numbers and booleans are read back as such; stop
 * strings stay text, and `stop` may repeat.
 */

/** Turns a parsed query string into the body `POST /generate` takes; the route's schema validates it. */
export function generateRequestFromQuery(query: unknown): unknown {
  const { prompt, model, ...options } = (query ?? {}) as Record<string, string | string[]>;
  const converted = Object.fromEntries(Object.entries(options).map(([name, value]) => [name, name === "stop" || Array.isArray(value) ? value : optionValue(value)]));
  return { prompt, ...(model === undefined ? {} : { model }), ...(Object.keys(converted).length === 0 ? {} : { options: converted }) };
}

function optionValue(text: string): string | number | boolean {
  if (text === "true" || text === "false") return text === "true";
  const number = Number(text);
  return text.trim() !== "" && Number.isFinite(number) ? number : text;
}
