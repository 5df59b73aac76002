/**
 * The conformance suite against MongoDB (or FerretDB, on machines without mongod) from
 * `@locks/testing`, in every variant that server runs (see `providers/mongo-suite.ts`).
 */
import { mongoServer, unavailableReason } from "@locks/testing";
import { describe, it } from "vitest";
import { describeMongoSuite } from "../providers/mongo-suite.js";

const server = await mongoServer();

if (!server) {
  describe("mongo", () => {
    it("has a server to run against", (context) =>
      context.skip(`no MongoDB-compatible server: ${unavailableReason("mongo")}`));
  });
} else {
  await describeMongoSuite(server);
}
