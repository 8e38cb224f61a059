/** Helpers that turn CLI flag strings into validated values, with errors that name the flag. */
import { InvalidArgumentError } from "../errors.js";

export function integerFlag(name: string, value: string | undefined, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min || number > max) {
    throw new InvalidArgumentError(`--${name}`, `expected an integer${rangeText(min, max, Number.MAX_SAFE_INTEGER)}, got "${value}"`);
  }
  return number;
}

export function numberFlag(name: string, value: string | undefined, { min = -Infinity, max = Infinity } = {}): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < min || number > max) {
    throw new InvalidArgumentError(`--${name}`, `expected a number${rangeText(min, max, Infinity)}, got "${value}"`);
  }
  return number;
}

/** " from 0 to 1", " of at least 1" (no upper bound to speak of), " greater than 0", or nothing. */
function rangeText(min: number, max: number, unbounded: number): string {
  if (max < unbounded) return ` from ${min} to ${max}`;
  if (min === -Infinity) return "";
  return min === Number.MIN_VALUE ? " greater than 0" : ` of at least ${min}`;
}

/** The entries whose value is not undefined: flags that were not given fall back to the callee's defaults. */
export function definedOnly<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
