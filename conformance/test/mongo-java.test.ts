/**
 * The conformance suite against mongo-java-server from `@locks/testing`: the server here that
 * runs the document protocol (atomic upserts) and change-stream wake-ups, with the mongodb 6
 * driver. Its variants: what detection picks (the document protocol on the clock offset with
 * change-stream wake-ups), the document protocol with polling, and the ledger (see
 * `providers/mongo-suite.ts`).
 */
import { mongoJavaServer, unavailableReason } from "@locks/testing";
import { describe, it } from "vitest";
import { describeMongoSuite } from "../providers/mongo-suite.js";

const server = await mongoJavaServer();

if (!server) {
  describe("mongo-java", () => {
    it("has a server to run against", (context) =>
      context.skip(`no mongo-java-server: ${unavailableReason("mongo-java")}`));
  });
} else {
  await describeMongoSuite(server);
}
