/** A worker's connection to the fenced register (see register.ts). */
import { connect, type Socket } from "node:net";
import type { WriteOutcome } from "./history.js";

/** Writes tokens to the register, one request at a time per worker. */
export class RegisterClient {
  private socket: Socket | undefined;
  private buffer = "";
  private waiting: Array<(line: string | Error) => void> = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly proc: number,
  ) {}

  private opening: Promise<Socket> | undefined;

  /**
   * The connection, opened once: concurrent writers all wait on the same promise and resume in
   * the order they called, so requests go out in the order their answers are expected.
   */
  private open(): Promise<Socket> {
    if (this.opening && !this.socket?.destroyed) return this.opening;
    this.opening = new Promise((resolve, reject) => {
      const socket = connect(this.port, this.host, () => {
        socket.off("error", reject);
        resolve(socket);
      });
      socket.once("error", reject);
      socket.setNoDelay(true);
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        this.buffer += chunk;
        let end = this.buffer.indexOf("\n");
        while (end >= 0) {
          const line = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 1);
          this.waiting.shift()?.(line);
          end = this.buffer.indexOf("\n");
        }
      });
      socket.on("error", () => socket.destroy());
      socket.on("close", () => {
        this.buffer = "";
        for (const waiter of this.waiting.splice(0)) waiter(new Error("register closed"));
      });
      this.socket = socket;
    });
    return this.opening;
  }

  /** Writes `token` for `key`: `accepted` when it was the newest, `stale` when it was not. */
  async write(key: string, token: bigint): Promise<WriteOutcome> {
    try {
      const socket = await this.open();
      const line = await new Promise<string | Error>((resolve) => {
        this.waiting.push(resolve);
        socket.write(`${this.proc} ${token} ${key}\n`);
      });
      if (line instanceof Error) return "error";
      return line === "ok" ? "accepted" : line.startsWith("stale") ? "stale" : "error";
    } catch {
      return "error";
    }
  }

  close(): void {
    this.socket?.destroy();
  }
}
