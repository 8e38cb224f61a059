/**
 * Boundary validation: one schema per public input, which also produces its type.
 * Failures become {@link InvalidArgumentError} naming the offending argument.
 */
import { z } from "zod";
import { InvalidArgumentError } from "./errors.js";

/** Parses `value` with `schema`, or throws InvalidArgumentError naming `argument.path`. */
export function parseArgument<Schema extends z.ZodType>(schema: Schema, value: unknown, argument: string): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [argument, ...issue.path.map(String)].join(".");
  const message = issue.code === "unrecognized_keys" ? `unknown option(s) ${issue.keys.map((key) => `"${key}"`).join(", ")}` : issue.message;
  throw new InvalidArgumentError(path, message);
}

/** A finite number (NaN and Infinity are rejected with a clear message). */
export const finiteNumber = () => z.number({ error: "expected a finite number" }).finite();

/** A whole number >= 1. */
export const positiveInteger = () => z.number({ error: "expected a positive integer" }).int("expected an integer").min(1, "must be at least 1");

/** A whole number >= 0. */
export const nonNegativeInteger = () => z.number({ error: "expected a non-negative integer" }).int("expected an integer").min(0, "must not be negative");

export const abortSignal = () => z.custom<AbortSignal>((value) => value instanceof AbortSignal, { error: "expected an AbortSignal" });
