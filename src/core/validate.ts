import { InvalidValueError } from "./errors.js";

/** A step is a non-negative safe integer. */
export function checkStep(step: unknown, method: string): number {
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
    throw new InvalidValueError(
      `${method}: step must be a non-negative integer (got ${typeof step === "number" ? step : JSON.stringify(step)}).`,
      step,
    );
  }
  return step;
}

/** A timestamp is a Date or epoch milliseconds, within years 1–9999. Returns epoch ms. */
export function checkTimestamp(t: unknown, method: string): number {
  const ms = t instanceof Date ? t.getTime() : t;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < -62135596800000 || ms > 253402300799999) {
    throw new InvalidValueError(`${method}: timestamp must be a valid Date or epoch milliseconds (got ${String(t)}).`, t);
  }
  return ms;
}

/** A list of finite numbers (a curve's x/y, a histogram's counts). */
export function checkNumbers(values: unknown, what: string, method: string): number[] {
  if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
    throw new InvalidValueError(`${method}: ${what} must be an array of numbers.`, values);
  }
  const arr = Array.from(values as ArrayLike<unknown>);
  arr.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InvalidValueError(`${method}: ${what}[${i}] must be a finite number (got ${String(v)}).`, v);
    }
  });
  return arr as number[];
}
