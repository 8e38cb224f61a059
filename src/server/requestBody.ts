/**
 * Request bodies are validated once, at the boundary, by a zod schema that also gives
 * their type. A failure becomes a 400 that names the field (`messages[0].content`) and
 * says what was wrong, in the route's own error shape.
 */
import type { z } from "zod";
import { badRequest } from "./httpErrors.js";

export function parseRequestBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("The request body must be a JSON object");
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const [key] = issue.keys;
    const param = formatPath([...issue.path, key ?? ""]);
    throw badRequest(`Unrecognized request argument supplied: ${param}`, param, "UNKNOWN_PARAMETER");
  }
  const param = issue.path.length === 0 ? null : formatPath(issue.path);
  throw badRequest(param === null ? issue.message : `Invalid ${param}: ${issue.message}`, param);
}

/** `["messages", 0, "content"]` -> `messages[0].content`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}
