import { MongoClient as MongoClient7 } from "mongodb";
import { MongoClient as MongoClient6 } from "mongodb6";

/** The server under test and how to restart it, when this run controls it. */
export interface MongoUnderTest {
  url: string;
  flavor: "mongodb" | "ferretdb";
  restart?: () => Promise<void>;
}

/** Resolves the test server, or the reason there is none. */
export async function mongoUnderTest(): Promise<MongoUnderTest | string> {
  const url = process.env.LOCKS_MONGO_URL;
  if (!url) return "no MongoDB-compatible server: set LOCKS_MONGO_URL";
  const client = new MongoClient7(url, { serverSelectionTimeoutMS: 5_000 });
  try {
    const info = await client.db().admin().command({ buildInfo: 1 });
    return { url, flavor: info.ferretdbVersion === undefined ? "mongodb" : "ferretdb" };
  } finally {
    await client.close();
  }
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
