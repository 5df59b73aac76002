/**
 * A worker process's watchdog: a thread that notices when the main thread has run no timer for a
 * long time (a synchronous or microtask loop keeps the process busy: it cannot even answer a
 * stop, and Node's signal-triggered diagnostic report needs the event loop too) and then records
 * the main thread's JavaScript stack, taken through the inspector, which interrupts running code.
 * The stack goes to stderr and to {@link stackFile}, where the coordinator picks it up for the
 * report of a worker that does not stop.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";

/** Where the watchdog of process `pid` writes the stack of its stuck main thread. */
export function stackFile(pid: number): string {
  return join(tmpdir(), `locks-chaos-stuck-${pid}.txt`);
}

/** How often the main thread shows it is alive, ms. */
const BEAT = 100;

// Plain JavaScript: a worker thread does not get the main thread's TypeScript loader.
const THREAD = `
const { workerData } = require("node:worker_threads");
const { Session } = require("node:inspector");
const { writeFileSync, writeSync } = require("node:fs");
const beats = new Int32Array(workerData.beats);
const { limit, file } = workerData;
let seen = Atomics.load(beats, 0);
let since = Date.now();
let last = since;
let reported = false;
setInterval(() => {
  const at = Date.now();
  // The whole process was stopped (SIGSTOP): that is not the main thread's doing.
  if (at - last > 1000) since = at;
  last = at;
  const beat = Atomics.load(beats, 0);
  if (beat !== seen) {
    seen = beat;
    since = at;
    reported = false;
    return;
  }
  if (reported || at - since < limit) return;
  reported = true;
  const session = new Session();
  session.connectToMainThread();
  const urls = new Map();
  session.on("Debugger.scriptParsed", ({ params }) => urls.set(params.scriptId, params.url));
  session.on("Debugger.paused", ({ params }) => {
    const where = (f) => (urls.get(f.location ? f.location.scriptId : f.scriptId) || f.url) + ":" + ((f.location || f).lineNumber + 1) + ":" + ((f.location || f).columnNumber + 1);
    const frames = params.callFrames.map((f) => "    at " + (f.functionName || "<anonymous>") + " (" + where(f) + ")");
    // Who awaited what (a microtask loop has only one synchronous frame).
    for (let trace = params.asyncStackTrace; trace; trace = trace.parent) {
      frames.push("    -- " + (trace.description || "async"));
      for (const f of trace.callFrames) frames.push("    at " + (f.functionName || "<anonymous>") + " (" + where(f) + ")");
    }
    const text = "main thread of worker process " + process.pid + " ran no timer for " + (at - since) + " ms (stack taken " + (Date.now() - at) + " ms later):\\n" + frames.join("\\n") + "\\n";
    try { writeFileSync(file, text); } catch {}
    writeSync(2, "[chaos] " + text);
    session.post("Debugger.resume", () => session.post("Debugger.disable", () => session.disconnect()));
  });
  session.post("Debugger.enable", () =>
    session.post("Debugger.setAsyncCallStackDepth", { maxDepth: 16 }, () => session.post("Debugger.pause")),
  );
}, 250);
`;

/**
 * Starts the watchdog: the stack is taken once the main thread has been silent for `limit` ms
 * (longer than any injected stall). Returns a function that stops it.
 */
export function startWatchdog(limit: number): () => void {
  // A file of an earlier process with the same pid would describe the wrong process.
  rmSync(stackFile(process.pid), { force: true });
  const beats = new SharedArrayBuffer(4);
  const view = new Int32Array(beats);
  const beat = setInterval(() => Atomics.add(view, 0, 1), BEAT);
  beat.unref();
  const thread = new Worker(THREAD, {
    eval: true,
    workerData: { beats, limit, file: stackFile(process.pid) },
  });
  thread.unref();
  thread.on("error", () => {});
  return () => {
    clearInterval(beat);
    void thread.terminate();
  };
}
