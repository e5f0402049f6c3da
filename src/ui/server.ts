import { openRegular, readRegularFile } from "../core/fs-safe.js";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { RootJail } from "./paths.js";
import { route, type Reply } from "./routes.js";
import { resolveRunsRoot } from "../core/read/runs-root.js";

/** A response produced without a socket (see {@link DashboardApp.handle}). */
export interface DashboardResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Options of {@link createDashboardApp}. */
export interface DashboardAppOptions {
  /**
   * Host names (without port) the `Host` header may carry; a request naming another host is
   * refused with 403 so a DNS-rebinding page cannot read runs. Default: no check.
   */
  allowedHosts?: readonly string[];
  /** Take `root` as the folder of run folders as it is, without looking for `root/runs`. Default false. */
  literalRoot?: boolean;
}

/** The dashboard as a `node:http` request handler, plus a socket-free entry point. */
export interface DashboardApp {
  (req: IncomingMessage, res: ServerResponse): void;
  /** The folder that holds the run folders (`<root>/runs` for an offline root such as `./plx`). */
  readonly runsRoot: string;
  /**
   * Answers one request in memory: `await app.handle("GET", "/api/runs")`. Used by tests and
   * by `runtrail report` to snapshot exactly what the live dashboard would serve.
   */
  handle(method: string, url: string, headers?: Record<string, string | undefined>): Promise<DashboardResponse>;
}

const COMMON_HEADERS = { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY" };

function hostAllowed(allowed: readonly string[] | undefined, host: string | undefined): boolean {
  if (!allowed || host === undefined) return true;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  return allowed.includes(name.toLowerCase());
}

function errorReply(status: number, message: string): Reply {
  return { status, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify({ error: message }) };
}

async function answer(jail: RootJail, opts: DashboardAppOptions, method: string, url: string, host: string | undefined): Promise<Reply> {
  if (method !== "GET" && method !== "HEAD") {
    const r = errorReply(405, "the dashboard is read-only");
    r.headers.allow = "GET, HEAD";
    return r;
  }
  if (!hostAllowed(opts.allowedHosts, host)) return errorReply(403, "unexpected Host header");
  return route(jail, url);
}

/**
 * Builds the dashboard's request handler for a runs root. It only answers GET/HEAD, only
 * reads inside the root, and can be mounted on any `node:http` server or called with
 * `app.handle()` without one.
 *
 * @param root a folder of run folders, or an offline root containing `runs/`
 * @example
 * const app = createDashboardApp("./plx");
 * const res = await app.handle("GET", "/api/runs");
 */
export function createDashboardApp(root: string, opts: DashboardAppOptions = {}): DashboardApp {
  const jail = new RootJail(opts.literalRoot ? root : resolveRunsRoot(root));
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    answer(jail, opts, req.method ?? "GET", req.url ?? "/", req.headers.host).then(
      (reply) => {
        const headers = { ...COMMON_HEADERS, ...reply.headers };
        if ("file" in reply) {
          if (req.method === "HEAD") {
            res.writeHead(reply.status, { ...headers, "content-length": String(reply.size) });
            return void res.end();
          }
          // Opened without blocking: a file swapped for a FIFO since the route checked it is refused.
          return openRegular(reply.file, "r", "serving a file").then((fh) => {
            res.writeHead(reply.status, { ...headers, "content-length": String(reply.size) });
            const stream = fh.createReadStream();
            stream.on("error", () => res.destroy());
            res.on("close", () => stream.destroy());
            stream.pipe(res);
          });
        } else {
          const body = typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
          res.writeHead(reply.status, { ...headers, "content-length": String(body.length) });
          res.end(req.method === "HEAD" ? undefined : body);
        }
      },
    ).catch(() => {
      if (!res.headersSent) res.writeHead(500, COMMON_HEADERS);
      res.end();
    });
  };
  const handle = async (method: string, url: string, headers: Record<string, string | undefined> = {}): Promise<DashboardResponse> => {
    const reply = await answer(jail, opts, method, url, headers.host);
    const body = "file" in reply ? await readRegularFile(reply.file, "serving a file") : typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
    return { status: reply.status, headers: { ...COMMON_HEADERS, ...reply.headers }, body };
  };
  return Object.assign(handler, { runsRoot: jail.realRoot, handle });
}

/** Options of {@link startDashboard}. */
export interface StartDashboardOptions {
  /** A folder of run folders, or an offline root containing `runs/`. */
  root: string;
  /** TCP port; 0 picks a free one. Default 5577. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`: the dashboard is local unless you say otherwise. */
  host?: string;
}

/** A running dashboard. */
export interface RunningDashboard {
  server: Server;
  /** `http://127.0.0.1:5577/` */
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Starts the read-only dashboard on `host:port` (127.0.0.1:5577 by default). When bound to a
 * loopback address, requests whose `Host` header names another host are refused.
 *
 * @example
 * const { url, close } = await startDashboard({ root: "./plx" });
 */
export async function startDashboard(opts: StartDashboardOptions): Promise<RunningDashboard> {
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port ?? 5577;
  const allowedHosts = LOOPBACK.has(host) ? ["127.0.0.1", "localhost", "[::1]"] : undefined;
  const app = createDashboardApp(opts.root, allowedHosts ? { allowedHosts } : {});
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${shownHost}:${addr.port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
