/**
 * Every error runtrail throws on purpose is a {@link RuntrailError}: it has a stable
 * `code`, a message that says what was wrong and what to do, the offending value when
 * there is one, and the underlying `cause` when another error triggered it.
 */
export class RuntrailError extends Error {
  readonly code: string;
  readonly value?: unknown;

  constructor(code: string, message: string, options: { value?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if ("value" in options) this.value = options.value;
  }
}

/** A value passed to a logging method is not acceptable (wrong type, bad step, mismatched lengths…). */
export class InvalidValueError extends RuntrailError {
  constructor(message: string, value?: unknown, cause?: unknown) {
    super("RUNTRAIL_INVALID_VALUE", message, { value, cause });
  }
}

/** A name is empty, or becomes empty once sanitised with Polyaxon's `to_fqn_name` rules. */
export class InvalidNameError extends RuntrailError {
  constructor(message: string, value?: unknown) {
    super("RUNTRAIL_INVALID_NAME", message, { value });
  }
}

/** A path would read or write outside the run folder (`..`, an absolute name, a symlink that escapes). */
export class PathEscapeError extends RuntrailError {
  constructor(message: string, value?: unknown) {
    super("RUNTRAIL_PATH_ESCAPE", message, { value });
  }
}

/** A `tracking.*` call was made before `tracking.init()` / `init()`. */
export class NoActiveRunError extends RuntrailError {
  /** @param caller what was called, e.g. `tracking.logMetric()` or `withOnnxExport()`. */
  constructor(caller: string) {
    super(
      "RUNTRAIL_NO_ACTIVE_RUN",
      `${caller} was called before a run was started: call \`await tracking.init()\` (or \`await init()\`) first, or pass \`run\`.`,
    );
  }
}

/** The run was already ended; logging to it again is refused instead of silently dropped. */
export class RunEndedError extends RuntrailError {
  constructor(uuid: string, method: string) {
    super(
      "RUNTRAIL_RUN_ENDED",
      `run ${uuid} has ended; ${method}() cannot log to it. Resume it with \`init({ runUuid: "${uuid}" })\` to log more.`,
      { value: uuid },
    );
  }
}

/** A file or folder that was named does not exist or cannot be read. */
export class ArtifactNotFoundError extends RuntrailError {
  constructor(message: string, value?: unknown, cause?: unknown) {
    super("RUNTRAIL_NOT_FOUND", message, { value, cause });
  }
}

/** A run folder, event file or lineage file could not be understood. */
export class CorruptRunError extends RuntrailError {
  constructor(message: string, value?: unknown, cause?: unknown) {
    super("RUNTRAIL_CORRUPT", message, { value, cause });
  }
}

/** An optional peer dependency (tfjs, onnxruntime-node, the AWS SDK…) is not installed. */
export class MissingPeerDependencyError extends RuntrailError {
  constructor(pkg: string, feature: string, cause?: unknown, alternatives: string[] = []) {
    const alts = alternatives.length ? ` (or ${alternatives.map((a) => `\`npm install ${a}\``).join(", ")})` : "";
    super(
      "RUNTRAIL_MISSING_PEER",
      `${feature} needs the optional peer dependency "${pkg}", which could not be loaded. Install it with \`npm install ${pkg}\`${alts}.`,
      { value: pkg, cause },
    );
  }
}

/** Writing to the run folder failed (disk full, read-only folder…). The original error is `cause`. */
export class RunWriteError extends RuntrailError {
  constructor(message: string, value?: unknown, cause?: unknown) {
    super("RUNTRAIL_WRITE_FAILED", message, { value, cause });
  }
}

/**
 * A path that runtrail would read, copy or append to is not a regular file (or, where folders are
 * accepted, a folder): a FIFO, socket, character or block device. Reading one can block forever
 * (`/dev/stdin`, `<(cmd)`) or never end (`/dev/zero`), so it is refused before any byte is read.
 */
export class NotRegularFileError extends RuntrailError {
  /** What the path turned out to be: "FIFO (named pipe)", "socket", "character device", "block device", "folder"… */
  readonly fileType: string;

  /**
   * @param path the path as it was given or found
   * @param fileType what it is instead (see {@link NotRegularFileError.fileType})
   * @param context who refused it, e.g. `logArtifact` or `reading the run's events`
   * @param accepted what would have been accepted: "a regular file" or "a regular file or folder"
   */
  constructor(path: string, fileType: string, context: string, accepted = "a regular file or folder") {
    super(
      "RUNTRAIL_NOT_REGULAR_FILE",
      `${context}: ${path} is a ${fileType}, not ${accepted}. runtrail only reads regular files and folders, since a pipe or device can block forever or never end: pass a regular file (write the data to one first), or remove what is in its place.`,
      { value: path },
    );
    this.fileType = fileType;
  }
}

/**
 * A source given to `logArtifact`/`logModel`/`logImage` is part of the run's own bookkeeping
 * (`events/`, `assets/`, `resources/`, `plxlogs/`, `.runtrail/`, `run.plx.json`,
 * `lineages.plx.json`, or something inside them): moving or copying it would break the run.
 */
export class ProtectedRunPathError extends RuntrailError {
  constructor(method: string, path: string, part: string) {
    super(
      "RUNTRAIL_PROTECTED_PATH",
      `${method}: ${path} is the run's own ${part}, which runtrail keeps up to date; it cannot be logged as an artifact. Copy what you need out of the run first, or log a file of your own (outputs/ is yours).`,
      { value: path },
    );
  }
}

/**
 * A `query` or `sort` given to `listRuns` (or `runtrail ls -q/-s`, `GET /api/runs?q=&sort=`) is not
 * Polyaxon's query language. The message says where (the condition or sort term, and its column)
 * and what is allowed there; `value` is the whole query or sort.
 */
export class InvalidQueryError extends RuntrailError {
  constructor(message: string, value?: unknown) {
    super("RUNTRAIL_INVALID_QUERY", message, { value });
  }
}
