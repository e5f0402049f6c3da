import { basename } from "node:path";
import { InvalidNameError } from "./errors.js";
import { show } from "./validate.js";

const NON_NAME_CHARS = /[^\w\\/.\s-]/g;
const SLASH_RUNS = /[\\/]+/g;
const DASH_RUNS = /[-.\s]+/g;
const COMBINING_OR_NON_ASCII = /[^\x00-\x7f]/g;
const SAFE_NAME = /^[A-Za-z0-9_]+$/;
/** File names are limited to 255 bytes: leave room for `_<step>` and an extension. */
export const MAX_NAME = 200;

/**
 * Polyaxon's `to_fqn_name` (`polyaxon/_utils/fqn_utils.py`): NFKD + ASCII only, drop every
 * character that is not a word character, slash, dot, whitespace or dash, then `/` runs
 * become `__` and runs of `-`, `.` or whitespace become `-`.
 * `val/acc` → `val__acc`, `val.acc` → `val-acc`, `my model (v2)` → `my-model-v2`.
 *
 * @throws InvalidNameError when the name is empty before or after sanitising, or longer than {@link MAX_NAME} after it.
 */
export function toFqnName(name: string): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new InvalidNameError(`a name is required (got ${show(name)}): pass a non-empty string such as "loss".`, name);
  }
  if (SAFE_NAME.test(name) && name.length <= MAX_NAME) return name;
  let value = name.normalize("NFKD").replace(COMBINING_OR_NON_ASCII, "");
  value = value.replace(NON_NAME_CHARS, "").trim();
  value = value.replace(SLASH_RUNS, "__");
  value = value.replace(DASH_RUNS, "-");
  if (value.length > MAX_NAME) {
    throw new InvalidNameError(
      `the name ${JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name)} is ${value.length} characters once sanitised; at most ${MAX_NAME} fit in a file name (with its step and extension).`,
      name,
    );
  }
  if (value.length === 0) {
    throw new InvalidNameError(
      `the name ${JSON.stringify(name)} is empty once sanitised (Polyaxon keeps only letters, digits, _ - . / and spaces): choose a name with at least one letter or digit.`,
      name,
    );
  }
  return value;
}

/** `get_base_filename`: the base name up to its first dot (`model.tar.gz` → `model`). */
export function baseFilename(path: string): string {
  return basename(path).split(".")[0] ?? "";
}

/** `get_path_extension`: everything after the first dot of the base name, lowercased (`file.tar.gz` → `tar.gz`). */
export function pathExtension(path: string): string {
  return basename(path).split(".").slice(1).join(".").toLowerCase();
}
