import { hostname, userInfo } from "node:os";
import { pyIsoTimestamp } from "../events/pyformat.js";

/** Who wrote a log line, as Polyaxon's `LogStreamHandler` fills `node`, `pod` and `container`. */
export interface LogOrigin {
  node: string;
  pod: string;
  container: string;
}

/**
 * Polyaxon's defaults outside a cluster: `node` from `POLYAXON_K8S_NODE_NAME` else `"local"`,
 * `pod` from `POLYAXON_K8S_POD_ID` else the OS user, `container` the host name.
 */
export function localLogOrigin(env: NodeJS.ProcessEnv = process.env): LogOrigin {
  let user = "";
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? env.USERNAME ?? "";
  }
  return { node: env.POLYAXON_K8S_NODE_NAME || "local", pod: env.POLYAXON_K8S_POD_ID || user, container: hostname() };
}

/** One captured line as `V1Log` reads it back. */
export interface V1Log {
  timestamp: string;
  node?: string;
  pod?: string;
  container?: string;
  value: string;
}

/**
 * The JSON prefix shared by every record of one origin: `{"timestamp":` is written per line, then
 * this tail precedes the value. Fields in `V1Log`'s declaration order (timestamp, node, pod, container, value).
 */
export function v1LogFormatter(origin: LogOrigin): (ms: number, value: string) => string {
  const middle = `,"node":${JSON.stringify(origin.node)},"pod":${JSON.stringify(origin.pod)},"container":${JSON.stringify(origin.container)},"value":`;
  // JSON.stringify escapes control characters and lone surrogates, so any captured text stays valid JSON.
  let lastMs = -1;
  let head = "";
  return (ms, value) => {
    if (ms !== lastMs) {
      lastMs = ms; // a fast printer writes many lines per millisecond: format the time once
      head = `{"timestamp":"${pyIsoTimestamp(ms)}"${middle}`;
    }
    return `${head}${JSON.stringify(value)}}`;
  };
}
