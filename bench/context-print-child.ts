// One timed print loop for bench/context.ts: 100,000 console.log lines, with or without a run
// capturing them. argv: <on|off> <offlineRoot> <result.json>. stdout is wherever the parent sent it.
import { writeFileSync } from "node:fs";
import { init } from "../src/index.js";

const [mode, root, out] = process.argv.slice(2) as [string, string, string];
const LINES = 100_000;
const run = await init({ offlineRoot: root, collectLogs: mode === "on", collectResources: false, trackCode: false, trackEnv: false, handleExit: false });
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let i = 0; i < LINES; i++) console.log(`epoch 3 batch ${i} loss=${(1 / (i + 1)).toFixed(6)} acc=${(i / LINES).toFixed(4)}`);
await run.flush();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const c = process.cpuUsage(c0);
await run.end();
writeFileSync(out, JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000 }));
