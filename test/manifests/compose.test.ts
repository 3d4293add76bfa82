import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { instructions, parseDockerfile, stageEnv } from "./docker.js";
import {
  at,
  composeSeconds,
  configSchemaNames,
  envExampleNames,
  list,
  obj,
  REPO_ROOT,
  readRepoFile,
  readYaml,
  repoPath,
} from "./support.js";

const [compose] = readYaml("manifests/compose.yaml");
const services = obj(at(compose, "services"));
const bot = obj(services.bot);
const redis = obj(services.redis);
const botEnv = obj(bot.environment) as Record<string, string>;
const imageStage = parseDockerfile(readRepoFile("Dockerfile")).at(-1);
if (!imageStage) throw new Error("Dockerfile has no stage");

/** Compose's `${NAME:-default}` with NAME unset, as on a fresh machine. */
function interpolateDefaults(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, "$1");
}

/** What the container sees: the image's ENV, then the compose environment on top. */
function containerEnv(): Record<string, string> {
  const env: Record<string, string> = { ...stageEnv(imageStage as NonNullable<typeof imageStage>) };
  for (const [name, value] of Object.entries(botEnv)) env[name] = interpolateDefaults(String(value));
  return env;
}

describe("manifests/compose.yaml", () => {
  it("starts the bot on the Redis it waits for, through the compose network", () => {
    expect(at(bot, "depends_on", "redis", "condition")).toBe("service_healthy");
    expect(list(at(redis, "healthcheck", "test")).join(" ")).toContain("redis-cli ping");
    const url = new URL(interpolateDefaults(botEnv.REDIS_URL ?? ""));
    expect(url.protocol).toBe("redis:");
    expect(url.hostname).toBe("redis");
    expect(Number(url.port || 6379)).toBe(6379);
    // Redis is for the bot only: not published on the host.
    expect(redis.ports).toBeUndefined();
  });

  it("builds the bot from the repository's Dockerfile", () => {
    const context = join(repoPath("manifests"), String(at(bot, "build", "context")));
    expect(relative(REPO_ROOT, context)).toBe("");
    expect(existsSync(join(context, String(at(bot, "build", "dockerfile"))))).toBe(true);
  });

  it("gives the bot a configuration the service accepts, reachable only from this machine", () => {
    const config = loadConfig(containerEnv());
    expect(config.host).toBe("0.0.0.0");
    expect(config.env.REDIS_URL).toBe("redis://redis:6379");
    const [published] = list(bot.ports).map(String);
    const [hostIp, hostPort, containerPort] = (published ?? "").split(":");
    expect(hostIp).toBe("127.0.0.1");
    expect(Number(hostPort)).toBeGreaterThan(0);
    expect(Number(containerPort)).toBe(config.env.PORT);
    // A copy of .env.example (HOST= empty) must not move the server to 127.0.0.1.
    expect(botEnv.HOST).toBe("0.0.0.0");
  });

  it("checks the bot's health on /healthz at its container port", () => {
    const check = list(at(bot, "healthcheck", "test")).map(String);
    expect(check[0]).toBe("CMD");
    expect(check[1]).toBe("node");
    expect(check.join(" ")).toContain(`:${loadConfig(containerEnv()).env.PORT}/healthz`);
    expect(instructions(imageStage, "HEALTHCHECK").length).toBe(1);
  });

  it("lets answers in flight finish before the container is killed", () => {
    const deadlineS = loadConfig(containerEnv()).env.SHUTDOWN_DEADLINE_MS / 1000;
    expect(composeSeconds(bot.stop_grace_period)).toBeGreaterThan(deadlineS);
  });

  it("sets only variables the service knows", () => {
    const known = configSchemaNames();
    const documented = envExampleNames();
    for (const name of Object.keys(botEnv)) {
      expect(known.has(name), name).toBe(true);
      expect(documented.has(name), name).toBe(true);
    }
  });

  it("keeps the root filesystem read-only with a small /tmp", () => {
    expect(bot.read_only).toBe(true);
    expect(
      list(bot.tmpfs)
        .map(String)
        .some((t) => t.startsWith("/tmp")),
    ).toBe(true);
    expect(list(bot.cap_drop)).toContain("ALL");
  });
});
