/** The main process's side of agent.ts: a forked child with bounded request/response calls. */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { AgentReply, AgentRequest } from "./agent.js";

export class Agent {
  private readonly child: ChildProcess;
  private pending: { resolve: (r: AgentReply) => void; reject: (e: Error) => void } | undefined;
  private exited: Error | undefined;

  constructor() {
    this.child = fork(fileURLToPath(new URL("./agent.ts", import.meta.url)), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (reply: AgentReply) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve(reply);
    });
    this.child.on("exit", (code, signal) => {
      this.exited = new Error(`agent process exited (${code ?? signal})`);
      this.pending?.reject(this.exited);
      this.pending = undefined;
    });
    this.child.on("error", () => {});
  }

  /** Sends one request and waits for its reply, at most `timeoutMs`. */
  async call(request: AgentRequest, timeoutMs: number): Promise<AgentReply> {
    if (this.exited) throw this.exited;
    if (this.pending) throw new Error("agent busy");
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<AgentReply>((resolve, reject) => {
        this.pending = { resolve, reject };
        timer = setTimeout(() => {
          this.pending = undefined;
          reject(new Error(`agent did not answer ${request.type} within ${timeoutMs} ms`));
          this.kill();
        }, timeoutMs);
        this.child.send(request);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asks the agent to close its connections and exit; kills it if it does not. */
  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    await this.call({ type: "close" }, 10_000).catch(() => this.kill());
    const timer = setTimeout(() => this.kill(), 5_000);
    await gone;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}
