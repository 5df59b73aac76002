import { respOk } from "./resp.js";
import { retryUntil } from "./wire-probe.js";

/** Host, client port and cluster-bus port of one cluster node. */
export interface ClusterNodeAddress {
  readonly host: string;
  readonly port: number;
  readonly busPort: number;
}

const SLOTS = 16384;

/**
 * Forms a cluster of masters without replicas from empty cluster-enabled nodes: each node
 * takes an even share of the slots, gets a distinct config epoch, and meets the first node.
 * Resolves once every node reports `cluster_state:ok` and sees all of them.
 */
export async function createCluster(
  nodes: readonly ClusterNodeAddress[],
  timeoutMs = 30_000,
): Promise<void> {
  const first = nodes[0];
  if (!first) throw new Error("a cluster needs at least one node");
  const share = Math.floor(SLOTS / nodes.length);
  await Promise.all(
    nodes.map(async (node, i) => {
      const from = i * share;
      const to = i === nodes.length - 1 ? SLOTS - 1 : from + share - 1;
      const slots: string[] = [];
      for (let s = from; s <= to; s++) slots.push(String(s));
      await respOk(node.host, node.port, ["CLUSTER", "ADDSLOTS", ...slots]);
      await respOk(node.host, node.port, ["CLUSTER", "SET-CONFIG-EPOCH", String(i + 1)]);
    }),
  );
  for (const node of nodes.slice(1)) {
    await respOk(first.host, first.port, [
      "CLUSTER",
      "MEET",
      node.host,
      String(node.port),
      String(node.busPort),
    ]);
  }
  await waitClusterOk(nodes, timeoutMs);
}

/** Resolves when every node reports `cluster_state:ok` and knows all nodes. */
export async function waitClusterOk(
  nodes: readonly ClusterNodeAddress[],
  timeoutMs = 30_000,
): Promise<void> {
  return retryUntil(
    async () => {
      // Every node is asked each round; the last one not ready names the reason.
      let problem: string | undefined;
      for (const node of nodes) {
        try {
          const info = String(await respOk(node.host, node.port, ["CLUSTER", "INFO"], 2_000));
          const state = /cluster_state:(\w+)/.exec(info)?.[1];
          const known = Number(/cluster_known_nodes:(\d+)/.exec(info)?.[1] ?? 0);
          const assigned = Number(/cluster_slots_ok:(\d+)/.exec(info)?.[1] ?? 0);
          if (state !== "ok" || known !== nodes.length || assigned !== SLOTS) {
            problem = `${node.host}:${node.port} state=${state} known=${known} slots_ok=${assigned}`;
          }
        } catch (error) {
          problem = (error as Error).message;
        }
      }
      if (problem !== undefined) throw new Error(problem);
    },
    timeoutMs,
    100,
    (last) => `redis cluster not ready after ${timeoutMs} ms (${(last as Error).message})`,
  );
}
