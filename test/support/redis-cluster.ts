/**
 * A local three-master Redis Cluster for tests: three `redis-server --cluster-enabled yes` on free
 * loopback ports, joined with `redis-cli --cluster create`, ready once every node reports
 * cluster_state:ok.
 */
import { type ChildProcess, execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { requireRedisServerBinary, spawnRedisServer, stopProcess, waitForPong } from "./redis.js";

const run = promisify(execFile);

const MASTERS = 3;
/** Redis Cluster's bus listens on the client port + 10000, so both must be free. */
const BUS_PORT_OFFSET = 10_000;
/** Creating the cluster and gossiping it to cluster_state:ok takes a few seconds locally. */
const READY_TIMEOUT_MS = 20_000;

export interface TestRedisCluster {
  /** "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3", the REDIS_CLUSTER_NODES format. */
  nodes: string;
  ports: number[];
  stop(): Promise<void>;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Free ports whose bus port is free too, from a range below 55535 so port + 10000 is valid. */
async function clusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (ports.includes(port) || ports.includes(port + BUS_PORT_OFFSET)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + BUS_PORT_OFFSET))) ports.push(port);
  }
  return ports;
}

async function clusterReady(port: number): Promise<boolean> {
  try {
    const { stdout } = await run("redis-cli", ["-p", String(port), "cluster", "info"]);
    return stdout.includes("cluster_state:ok");
  } catch {
    return false;
  }
}

export async function startRedisCluster(): Promise<TestRedisCluster> {
  requireRedisServerBinary();
  const ports = await clusterPorts(MASTERS);
  const dir = mkdtempSync(join(tmpdir(), "chatbot-redis-cluster-"));
  const children: ChildProcess[] = ports.map((port) =>
    spawnRedisServer(port, dir, [
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      `nodes-${port}.conf`,
      "--cluster-node-timeout",
      "2000",
    ]),
  );
  const stop = async () => {
    await Promise.all(children.map(stopProcess));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(ports.map((port) => waitForPong(port)));
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const states = await Promise.all(ports.map(clusterReady));
      if (states.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error("the test Redis Cluster never reached cluster_state:ok");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((port) => `127.0.0.1:${port}`).join(","), ports, stop };
}
