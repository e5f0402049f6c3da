/**
 * Keys from user data (often `JSON.parse` output) may be any string, `__proto__` included.
 * Plain assignment (`obj[key] = v`, `Object.assign`) would set the object's prototype for that
 * key instead of storing it, so the value would be dropped without a word. These store it as an
 * ordinary own property, which `JSON.stringify` and `compactJson` then write like any other.
 */

/** `obj[key] = value`, as an own enumerable property whatever `key` is. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** `Object.assign(target, source)` that keeps every own enumerable key of `source`, `__proto__` included. */
export function assignOwn(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(source)) setOwn(target, key, source[key]);
}
