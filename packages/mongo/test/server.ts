import { type MongoTestServer, mongoServer, unavailableReason } from "@locks/testing";
import { MongoClient as MongoClient7 } from "mongodb";
import { MongoClient as MongoClient6 } from "mongodb6";

/** The test server from `@locks/testing`, or the reason there is none. */
export async function mongoUnderTest(): Promise<MongoTestServer | string> {
  const server = await mongoServer();
  return server ?? `no MongoDB-compatible server: ${unavailableReason("mongo") ?? "unknown"}`;
}

/** The two driver majors the package supports, to run the same tests through each. */
export const drivers = [
  { name: "mongodb 7", Client: MongoClient7 },
  { name: "mongodb 6", Client: MongoClient6 },
] as const;

/** A database name unique to this test file and run, so parallel runs do not collide. */
export function uniqueDatabase(label: string): string {
  return `locks_test_${label}_${process.pid}_${Date.now().toString(36)}`;
}
