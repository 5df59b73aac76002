/** The coordinator's side of one worker process: start, ping, pause, fault, stop. */
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { now } from "./clock.js";
import type { FaultEvent, Section } from "./history.js";
import type { ErrorCounts, FromWorker, ToWorker, WorkerConfig } from "./protocol.js";
import { stackFile } from "./watchdog.js";

const entry = fileURLToPath(new URL("./worker.ts", import.meta.url));

/** Where a worker process's records go as they arrive. */
export interface Sink {
  sections(sections: readonly Section[]): void;
  faults(faults: readonly FaultEvent[]): void;
  faultFailed(kind: string, message: string): void;
}

export class WorkerProcess {
  private readonly child: ChildProcess;
  private pongs: Array<(at: bigint) => void> = [];
  /** Set while the process is SIGSTOPped. */
  paused = false;
  /** Why the process ended abnormally, if it did. */
  crash: string | undefined;
  /** Where the workers were stuck when the process was slow to stop. */
  private stuck: string | undefined;
  /** The worker's error counts, once it has stopped. */
  errors: ErrorCounts = {};
  private readonly ready: Promise<void>;
  private readonly exited: Promise<void>;
  private doneReceived = false;

  constructor(
    readonly proc: number,
    private readonly config: WorkerConfig,
    sink: Sink,
  ) {
    this.child = fork(entry, [], {
      // A process that does not stop is asked for a diagnostic report (JS stack included).
      execArgv: [
        "--import",
        "tsx",
        "--report-on-signal",
        "--report-signal=SIGUSR2",
        `--report-directory=${tmpdir()}`,
      ],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let markReady: () => void = () => {};
    let failReady: (error: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    this.child.on("message", (message: FromWorker) => {
      if (message.type === "ready") markReady();
      else if (message.type === "pong") this.pongs.shift()?.(message.at);
      else if (message.type === "batch") {
        sink.sections(message.sections);
        sink.faults(message.faults);
      } else if (message.type === "fault-failed") sink.faultFailed(message.kind, message.message);
      else if (message.type === "stuck") this.stuck = message.message;
      else if (message.type === "done") {
        this.doneReceived = true;
        this.errors = message.errors;
      } else if (message.type === "fatal") {
        this.crash = message.message;
        failReady(new Error(`worker process ${proc}: ${message.message}`));
      }
    });
    // start() awaits it; a process that dies before then must not leave it unhandled.
    this.ready.catch(() => {});
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        if (!this.doneReceived) this.crash ??= `exited (code ${code}, signal ${signal})`;
        failReady(new Error(`worker process ${proc} ${this.crash ?? "exited"}`));
        resolve();
      });
    });
  }

  private send(message: ToWorker): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Starts the workers; resolves once their providers are open. */
  async start(): Promise<void> {
    this.send({ type: "start", config: this.config });
    await this.ready;
  }

  /** One clock comparison: the coordinator's reading before, the worker's, and after. */
  async ping(): Promise<[bigint, bigint, bigint]> {
    const sent = now();
    const at = await new Promise<bigint>((resolve) => {
      this.pongs.push(resolve);
      this.send({ type: "ping" });
    });
    return [sent, at, now()];
  }

  /** Asks the worker to inject a fault into itself. */
  fault(kind: Extract<ToWorker, { type: "fault" }>["kind"], duration: number): void {
    this.send({ type: "fault", kind, duration });
  }

  /** SIGSTOP: the whole process freezes, holders and waiters alike. */
  stop(): void {
    if (this.child.kill("SIGSTOP")) this.paused = true;
  }

  /** SIGCONT. */
  resume(): void {
    this.child.kill("SIGCONT");
    this.paused = false;
  }

  /** Asks the workers to finish; kills the process if it has not ended after `grace` ms. */
  async finish(grace: number): Promise<void> {
    if (this.paused) this.resume();
    this.send({ type: "stop" });
    const timer = setTimeout(() => {
      this.crash ??= `did not stop within ${grace} ms (${this.stuck ?? "no report"}; ${this.osState()}; diagnostic report of pid ${this.child.pid} in ${tmpdir()})${this.stuckStack()}`;
      this.child.kill("SIGUSR2");
      setTimeout(() => this.child.kill("SIGKILL"), 3_000);
    }, grace);
    await this.exited;
    clearTimeout(timer);
  }

  /** The main thread's stack, when the worker's watchdog took one (a loop that never yields). */
  private stuckStack(): string {
    try {
      return `; ${readFileSync(stackFile(this.child.pid ?? 0), "utf8").trim()}`;
    } catch {
      return "";
    }
  }

  /** The kernel's view of the process: state (R running, S sleeping, T stopped) and CPU time. */
  private osState(): string {
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return `state ${fields[0]}, cpu ${(Number(fields[11]) + Number(fields[12])) / 100} s`;
    } catch {
      return "state unknown";
    }
  }

  /** Ends the process at once (on SIGINT or a failed start). */
  kill(): void {
    this.child.kill("SIGCONT");
    this.child.kill("SIGKILL");
  }
}
