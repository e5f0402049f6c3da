import { InvalidValueError } from "./errors.js";

/** Any value, shown in an error message without ever throwing (BigInt, cycles, a hostile `toString`). */
export function show(v: unknown): string {
  if (typeof v === "number" || typeof v === "boolean" || v === undefined || v === null) return String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function" || typeof v === "symbol") return `[${typeof v}]`;
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = Object.prototype.toString.call(v);
  }
  s ??= Object.prototype.toString.call(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** A plain object of name → value (`logInputs`, `logOutputs`): not null, an array or a primitive. */
export function checkRecord(values: unknown, method: string): Record<string, unknown> {
  if (values === null || typeof values !== "object" || Array.isArray(values)) {
    throw new InvalidValueError(`${method}: pass an object of name → value, such as { lr: 0.01 } (got ${show(values)}).`, values);
  }
  return values as Record<string, unknown>;
}

/** A step is a non-negative safe integer. */
export function checkStep(step: unknown, method: string): number {
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
    throw new InvalidValueError(
      `${method}: step must be a non-negative integer (got ${show(step)}).`,
      step,
    );
  }
  return step;
}

/** A timestamp is a Date or epoch milliseconds, within years 1–9999. Returns whole epoch ms (a fraction is dropped). */
export function checkTimestamp(t: unknown, method: string): number {
  const ms = t instanceof Date ? t.getTime() : t;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < -62135596800000 || ms > 253402300799999) {
    throw new InvalidValueError(`${method}: timestamp must be a valid Date or epoch milliseconds (got ${show(t)}).`, t);
  }
  return Math.floor(ms); // event files hold milliseconds; a fraction would not format

}

/** A list of finite numbers (a curve's x/y, a histogram's counts). */
export function checkNumbers(values: unknown, what: string, method: string): number[] {
  if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
    throw new InvalidValueError(`${method}: ${what} must be an array of numbers.`, values);
  }
  const arr = Array.from(values as ArrayLike<unknown>);
  arr.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InvalidValueError(`${method}: ${what}[${i}] must be a finite number (got ${show(v)}).`, v);
    }
  });
  return arr as number[];
}
