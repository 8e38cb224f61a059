/**
 * Errors crossing a thread boundary: structured clone keeps only an Error's message, so an
 * error travels as plain data and is rebuilt on the other side as the same class.
 */
import * as errors from "../errors.js";
import { MullamaError } from "../errors.js";

/**
 * An error as it crosses the port: `{code, message}` plus what is needed to rebuild it as
 * the same class. Errors other than MullamaError get the code `"INTERNAL_ERROR"`; their
 * message is kept, since both threads belong to one process.
 */
export interface SerializedError {
  code: string;
  message: string;
  name: string;
  /** The error's own plain fields, for example ContextOverflowError's `contextSize`. */
  details: Record<string, string | number | boolean>;
  /** The stack from the thread that threw. */
  stack: string | undefined;
}

/** Every class of the error tree, by name: errors.ts is the one list, so a new class crosses threads as itself. */
const errorClasses: Record<string, ErrorClass> = Object.fromEntries(
  (Object.values(errors) as unknown[]).filter(isErrorClass).map((errorClass) => [errorClass.name, errorClass]),
);

type ErrorClass = new (...args: never[]) => MullamaError;

function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === "function" && (value === MullamaError || value.prototype instanceof MullamaError);
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { code: "INTERNAL_ERROR", message: String(error), name: "Error", details: {}, stack: undefined };
  const details: SerializedError["details"] = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === "code" || key === "name") continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") details[key] = value;
  }
  const code = error instanceof MullamaError ? error.code : "INTERNAL_ERROR";
  return { code, message: error.message, name: error.name, details, stack: error.stack };
}

/** Rebuilds a serialized error as an instance of its class (MullamaError when the class is unknown), without rerunning its constructor. */
export function deserializeError(serialized: SerializedError): Error {
  const known = Object.hasOwn(errorClasses, serialized.name) ? errorClasses[serialized.name] : undefined;
  const errorClass = known ?? (serialized.code === "INTERNAL_ERROR" ? Error : MullamaError);
  // Constructing Error with the class as new.target gives a real Error with the class's prototype.
  const error = Reflect.construct(Error, [serialized.message], errorClass) as Error & Record<string, unknown>;
  Object.assign(error, serialized.details);
  error.name = serialized.name;
  error.code = serialized.code;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}
