/** Every backend the chaos run can drive, by `--backend` name. */
import { memory } from "./memory.js";
import { mongo } from "./mongo.js";
import { mongoJava } from "./mongo-java.js";
import { mysql } from "./mysql.js";
import { postgres } from "./postgres.js";
import { redis } from "./redis.js";
import { redlock } from "./redlock.js";
import type { ChaosBackend } from "./types.js";

export const BACKENDS: Readonly<Record<string, ChaosBackend>> = {
  memory,
  redis,
  redlock,
  mysql,
  mongo,
  "mongo-java": mongoJava,
  postgres,
};
