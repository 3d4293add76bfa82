import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import {
  at,
  configSchemaNames,
  type Doc,
  envExampleNames,
  isSecretName,
  list,
  mebibytes,
  millicores,
  NODE_RUNTIME_NAMES,
  obj,
  readRepoFile,
  readYaml,
  repoPath,
} from "./support.js";

const DIR = "manifests/kubernetes";
const yamlFiles = readdirSync(repoPath(DIR)).filter((f) => f.endsWith(".yaml"));
const docsByFile = new Map(yamlFiles.map((file) => [file, readYaml(`${DIR}/${file}`)]));

function find(kind: string, name: string, file?: string): Doc {
  const files = file ? [file] : yamlFiles;
  const doc = files
    .flatMap((f) => docsByFile.get(f) ?? [])
    .find((d) => d.kind === kind && at(d, "metadata", "name") === name);
  if (!doc) throw new Error(`no ${kind} ${name} in ${DIR}`);
  return doc;
}

const deployment = find("Deployment", "chatbot", "deployment.yaml");
const configMap = obj(at(find("ConfigMap", "chatbot-config", "configmap.yaml"), "data")) as Record<
  string,
  string
>;
const secret = obj(at(find("Secret", "chatbot-secrets", "secret.example.yaml"), "stringData")) as Record<
  string,
  string
>;
const discord = find("StatefulSet", "chatbot-discord", "discord-statefulset.example.yaml");
const shutdownDeadlineS = Number(configMap.SHUTDOWN_DEADLINE_MS) / 1000;

function container(workload: Doc): Doc {
  return obj(at(workload, "spec", "template", "spec", "containers", 0));
}

function portNamed(workload: Doc, name: string): number {
  const port = list(container(workload).ports)
    .map(obj)
    .find((p) => p.name === name);
  return Number(port?.containerPort);
}

function preStopSleepS(workload: Doc): number {
  const command = at(container(workload), "lifecycle", "preStop", "exec", "command");
  return Array.isArray(command) && command[0] === "sleep" ? Number(command[1]) : 0;
}

/** Every variable name a workload sets, from `env` (envFrom is checked through the ConfigMap). */
function envNames(workload: Doc): string[] {
  const env = at(container(workload), "env");
  return Array.isArray(env) ? env.map((e) => String(obj(e).name)) : [];
}

/** The pod's security settings that make a compromised process least useful. */
function expectRestricted(workload: Doc): void {
  const pod = obj(at(workload, "spec", "template", "spec"));
  const c = container(workload);
  expect(at(pod, "securityContext", "runAsNonRoot")).toBe(true);
  expect(Number(at(pod, "securityContext", "runAsUser"))).toBeGreaterThan(0);
  expect(at(c, "securityContext", "allowPrivilegeEscalation")).toBe(false);
  expect(at(c, "securityContext", "readOnlyRootFilesystem")).toBe(true);
  expect(at(c, "securityContext", "capabilities", "drop")).toEqual(["ALL"]);
}

function expectProbes(workload: Doc): void {
  const c = container(workload);
  const port = portNamed(workload, "http");
  expect(port).toBe(Number(configMap.PORT));
  for (const [probe, path] of [
    ["livenessProbe", "/healthz"],
    ["readinessProbe", "/readyz"],
    ["startupProbe", "/healthz"],
  ] as const) {
    expect(at(c, probe, "httpGet", "path"), probe).toBe(path);
    expect(at(c, probe, "httpGet", "port"), probe).toBe("http");
  }
  // /readyz caps its Redis ping at 800 ms; the probe must wait longer than that.
  expect(Number(at(c, "readinessProbe", "timeoutSeconds") ?? 1)).toBeGreaterThanOrEqual(1);
}

function expectResources(workload: Doc): void {
  const resources = obj(container(workload).resources);
  const requests = obj(resources.requests);
  const limits = obj(resources.limits);
  expect(millicores(requests.cpu)).toBeGreaterThan(0);
  expect(millicores(limits.cpu)).toBeGreaterThanOrEqual(millicores(requests.cpu));
  expect(mebibytes(limits.memory)).toBeGreaterThanOrEqual(mebibytes(requests.memory));
  // V8's heap cap sits below the memory limit, leaving room for everything outside the heap.
  const nodeOptions = list(container(workload).env)
    .map(obj)
    .find((e) => e.name === "NODE_OPTIONS");
  const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(String(nodeOptions?.value))?.[1]);
  expect(heapMiB).toBeGreaterThanOrEqual(mebibytes(limits.memory) * 0.5);
  expect(heapMiB).toBeLessThanOrEqual(mebibytes(limits.memory) * 0.8);
}

function expectTmpWritable(workload: Doc): void {
  const mounts = list(container(workload).volumeMounts).map(obj);
  const tmp = mounts.find((m) => m.mountPath === "/tmp");
  expect(tmp).toBeDefined();
  const volume = list(at(workload, "spec", "template", "spec", "volumes"))
    .map(obj)
    .find((v) => v.name === tmp?.name);
  expect(volume?.emptyDir).toBeDefined();
}

describe("manifests/kubernetes", () => {
  it("holds only well-formed Kubernetes objects", () => {
    expect(yamlFiles.length).toBeGreaterThanOrEqual(5);
    for (const [file, docs] of docsByFile) {
      expect(docs.length, file).toBeGreaterThan(0);
      for (const doc of docs) {
        expect(typeof doc.apiVersion, file).toBe("string");
        expect(typeof doc.kind, file).toBe("string");
        if (doc.kind !== "Kustomization") expect(typeof at(doc, "metadata", "name"), file).toBe("string");
      }
    }
  });

  it("applies as one kustomization with the image the Deployment names", () => {
    const [kustomization] = docsByFile.get("kustomization.yaml") ?? [];
    const resources = list(at(kustomization, "resources")).map(String);
    for (const resource of resources) expect(yamlFiles, resource).toContain(resource);
    for (const file of ["deployment.yaml", "service.yaml", "configmap.yaml"])
      expect(resources).toContain(file);
    // The Secret holds real values that stay out of git: created by hand, never applied from here.
    expect(resources).not.toContain("secret.example.yaml");
    const imageName = String(container(deployment).image).split(":")[0];
    expect(list(at(kustomization, "images")).map((i) => obj(i).name)).toContain(imageName);
  });

  it("runs two replicas that roll over without dropping below two ready", () => {
    expect(Number(at(deployment, "spec", "replicas"))).toBeGreaterThanOrEqual(2);
    expect(at(deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable")).toBe(0);
    const podLabels = obj(at(deployment, "spec", "template", "metadata", "labels"));
    expect(podLabels).toMatchObject(obj(at(deployment, "spec", "selector", "matchLabels")));
    const pdb = find("PodDisruptionBudget", "chatbot", "pdb.yaml");
    expect(podLabels).toMatchObject(obj(at(pdb, "spec", "selector", "matchLabels")));
  });

  it("probes /healthz for liveness and /readyz for readiness on the container port", () => {
    expectProbes(deployment);
  });

  it("gives shutdown longer than the preStop sleep plus the answer deadline before SIGKILL", () => {
    expect(shutdownDeadlineS).toBeGreaterThan(0);
    const grace = Number(at(deployment, "spec", "template", "spec", "terminationGracePeriodSeconds"));
    const preStop = preStopSleepS(deployment);
    expect(preStop).toBeGreaterThan(0);
    // A few seconds beyond the deadline to finalize unfinished messages and close connections.
    expect(grace).toBeGreaterThanOrEqual(preStop + shutdownDeadlineS + 5);
  });

  it("sets requests, limits and a heap cap that fits the memory limit", () => {
    expectResources(deployment);
  });

  it("runs as non-root with a read-only root filesystem and no capabilities", () => {
    expectRestricted(deployment);
    expectTmpWritable(deployment);
  });

  it("routes Service port 80 to the pods' named container port", () => {
    const service = find("Service", "chatbot", "service.yaml");
    expect(at(service, "spec", "type") ?? "ClusterIP").toBe("ClusterIP");
    const [port] = list(at(service, "spec", "ports")).map(obj);
    expect(port?.port).toBe(80);
    expect(portNamed(deployment, String(port?.targetPort))).toBe(Number(configMap.PORT));
    const podLabels = obj(at(deployment, "spec", "template", "metadata", "labels"));
    expect(podLabels).toMatchObject(obj(at(service, "spec", "selector")));
  });

  it("tells Prometheus where the metrics are", () => {
    const annotations = obj(at(deployment, "spec", "template", "metadata", "annotations"));
    expect(annotations["prometheus.io/scrape"]).toBe("true");
    expect(Number(annotations["prometheus.io/port"])).toBe(portNamed(deployment, "http"));
    expect(annotations["prometheus.io/path"]).toBe("/metrics");
  });

  it("loads its settings from the ConfigMap and its secrets from the Secret", () => {
    const envFrom = list(container(deployment).envFrom).map(obj);
    expect(envFrom.map((e) => at(e, "configMapRef", "name"))).toContain("chatbot-config");
    expect(envFrom.map((e) => at(e, "secretRef", "name"))).toContain("chatbot-secrets");
  });

  it("keeps every secret in the Secret and none in the ConfigMap", () => {
    for (const name of ["OPENAI_API_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "REDIS_URL"]) {
      expect(Object.keys(secret), name).toContain(name);
    }
    for (const name of Object.keys(secret)) expect(isSecretName(name), name).toBe(true);
    // The ones not switched on by default are there as comments, ready to fill in.
    const template = readRepoFile(`${DIR}/secret.example.yaml`);
    const secrets = [...configSchemaNames()].filter(isSecretName);
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const name of secrets) expect(template, name).toContain(`${name}:`);
    for (const name of Object.keys(configMap)) expect(isSecretName(name), name).toBe(false);
    // The Redis URL carries the password, which is why it is a secret.
    expect(new URL(secret.REDIS_URL ?? "").password).not.toBe("");
  });

  it("uses only variables the service knows", () => {
    const known = configSchemaNames();
    const documented = envExampleNames();
    const names = [
      ...Object.keys(configMap),
      ...Object.keys(secret),
      ...envNames(deployment),
      ...envNames(discord),
    ].filter((name) => !NODE_RUNTIME_NAMES.has(name));
    for (const name of names) {
      expect(known.has(name), `${name} in src/config.ts`).toBe(true);
      expect(documented.has(name), `${name} in .env.example`).toBe(true);
    }
  });

  it("forms, with the example Secret, a configuration the service accepts", () => {
    const config = loadConfig({ ...configMap, ...secret });
    expect(config.host).toBe("0.0.0.0");
    expect(config.webChat).toBe(false);
    expect(config.slack).toEqual({ mode: "http", workspaces: "single" });
    expect(config.env.REDIS_URL).toBeDefined();
    expect(config.env.PORT).toBe(portNamed(deployment, "http"));
  });

  it("points REDIS_URL at the Redis example's Service and its password Secret", () => {
    const url = new URL(secret.REDIS_URL ?? "");
    const redisService = find("Service", url.hostname.split(".")[0] ?? "", "redis-statefulset.example.yaml");
    expect(list(at(redisService, "spec", "ports")).map((p) => obj(p).port)).toContain(
      Number(url.port || 6379),
    );
    const redis = find("StatefulSet", "chatbot-redis", "redis-statefulset.example.yaml");
    const args = list(container(redis).args).map(String);
    expect(args[args.indexOf("--requirepass") + 1]).toBe("$(REDIS_PASSWORD)");
    expect(args[args.indexOf("--appendonly") + 1]).toBe("yes");
    expect(list(at(redis, "spec", "volumeClaimTemplates")).length).toBe(1);
    find("Secret", "chatbot-redis", "redis-statefulset.example.yaml");
  });
});

describe("manifests/kubernetes/discord-statefulset.example.yaml", () => {
  const replicas = Number(at(discord, "spec", "replicas"));
  const env = list(container(discord).env).map(obj);
  const envEntry = (name: string) => env.find((e) => e.name === name);

  it("gives each pod its own shard: its StatefulSet index out of as many shards as pods", () => {
    expect(at(envEntry("DISCORD_SHARD_IDS"), "valueFrom", "fieldRef", "fieldPath")).toBe(
      "metadata.labels['apps.kubernetes.io/pod-index']",
    );
    expect(Number(envEntry("DISCORD_SHARD_COUNT")?.value)).toBe(replicas);
    for (let index = 0; index < replicas; index++) {
      const config = loadConfig({
        ...configMap,
        DISCORD_TOKEN: "token",
        DISCORD_APPLICATION_ID: String(envEntry("DISCORD_APPLICATION_ID")?.value),
        DISCORD_SHARD_IDS: String(index),
        DISCORD_SHARD_COUNT: String(envEntry("DISCORD_SHARD_COUNT")?.value),
        REDIS_URL: secret.REDIS_URL,
      });
      expect(config.discord).toEqual({ shardIds: [index] });
      expect(config.slack).toBeNull();
    }
  });

  it("takes only the keys it needs from the shared Secret, so it never starts Slack", () => {
    // envFrom of chatbot-secrets would bring the Slack tokens (and a DISCORD_TOKEN meant for a
    // single-replica Deployment) into every shard pod.
    const envFrom = list(container(discord).envFrom).map(obj);
    expect(envFrom.some((e) => e.secretRef !== undefined)).toBe(false);
    const fromShared = env
      .filter((e) => at(e, "valueFrom", "secretKeyRef", "name") === "chatbot-secrets")
      .map((e) => e.name);
    expect(fromShared.sort()).toEqual(["OPENAI_API_KEY", "REDIS_URL"]);
    expect(at(envEntry("DISCORD_TOKEN"), "valueFrom", "secretKeyRef", "name")).toBe("chatbot-discord");
    // And the Deployment's Secret does not carry a live Discord token.
    expect(Object.keys(secret)).not.toContain("DISCORD_TOKEN");
  });

  it("is probed, bounded and locked down like the Deployment", () => {
    expectProbes(discord);
    expectResources(discord);
    expectRestricted(discord);
    expectTmpWritable(discord);
    const grace = Number(at(discord, "spec", "template", "spec", "terminationGracePeriodSeconds"));
    expect(grace).toBeGreaterThanOrEqual(preStopSleepS(discord) + shutdownDeadlineS + 5);
  });
});
