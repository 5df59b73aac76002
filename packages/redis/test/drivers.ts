import * as ioredis5 from "ioredis";
import * as ioredis6 from "ioredis6";
import type { IoredisModule } from "../src/index.js";

/** The ioredis major versions the package supports; ioredis 6 speaks RESP3 by default. */
export const drivers: Array<{ name: string; module: IoredisModule; resp: 2 | 3 }> = [
  { name: "ioredis 5 (RESP2)", module: ioredis5 as unknown as IoredisModule, resp: 2 },
  { name: "ioredis 6 (RESP3)", module: ioredis6 as unknown as IoredisModule, resp: 3 },
];
