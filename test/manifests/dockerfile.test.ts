import { dirname, join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { COMMANDS_MANIFEST_URL } from "../../src/platforms/discord/commands.js";
import { copyArgs, dockerignore, execForm, instructions, parseDockerfile, stageEnv } from "./docker.js";
import { REPO_ROOT, readRepoFile, repoFiles } from "./support.js";

const stages = parseDockerfile(readRepoFile("Dockerfile"));
const runtime = stages.at(-1);
const build = stages[0];
if (!runtime || !build) throw new Error("Dockerfile has no stage");
const workdir = instructions(runtime, "WORKDIR").at(-1) ?? "/";
const ignored = dockerignore(readRepoFile(".dockerignore"));

describe("Dockerfile", () => {
  it("builds on the current LTS Node in a build stage and a separate runtime stage", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:24(\b|[-.@])/);
    expect(instructions(build, "RUN").join("\n")).toMatch(/npm run build|tsc -p tsconfig\.build\.json/);
    const fromBuild = instructions(runtime, "COPY")
      .map(copyArgs)
      .filter((c) => c.from === build.name);
    expect(fromBuild.flatMap((c) => c.sources)).toContain("/app/dist");
  });

  it("installs only production dependencies in the image it ships", () => {
    const runs = instructions(runtime, "RUN").join("\n");
    expect(runs).toMatch(/npm ci\b[^\n]*--omit=dev/);
    // No second install that would bring dev dependencies back.
    expect(runs).not.toMatch(/npm (install|i)\b/);
    for (const line of runs.split("\n").filter((l) => /npm ci\b/.test(l)))
      expect(line).toContain("--omit=dev");
    // Nothing from the build stage but dist/: its node_modules hold the dev dependencies.
    const copied = instructions(runtime, "COPY").map(copyArgs);
    for (const c of copied.filter((c) => c.from !== undefined)) {
      for (const source of c.sources) expect(source).not.toMatch(/node_modules/);
    }
  });

  it("runs the service as a non-root user", () => {
    const user = instructions(runtime, "USER").at(-1);
    expect(user).toBeDefined();
    const name = (user ?? "").split(":")[0];
    expect(["root", "0", ""]).not.toContain(name);
  });

  it("checks its own health on /healthz with node, at the port the service listens on", () => {
    const [check] = instructions(runtime, "HEALTHCHECK");
    expect(check).toBeDefined();
    const command = execForm(check ?? "");
    expect(command[0]).toBe("node");
    const script = command.join(" ");
    expect(script).toContain("/healthz");
    expect(script).toContain("process.env.PORT");
    expect(script).toMatch(/process\.exit\(1\)/);
  });

  it("exposes the port the service listens on by default", () => {
    const env = stageEnv(runtime);
    const defaultPort = loadConfig({}).env.PORT;
    expect(instructions(runtime, "EXPOSE")).toEqual([String(defaultPort)]);
    expect(Number(env.PORT ?? defaultPort)).toBe(defaultPort);
  });

  it("starts dist/main.js with node itself (signals reach the service, no rebuild at start)", () => {
    const cmd = execForm(instructions(runtime, "CMD").at(-1) ?? "");
    expect(cmd).toEqual(["node", "dist/main.js"]);
    expect(instructions(runtime, "ENTRYPOINT")).toEqual([]);
    const pkg = JSON.parse(readRepoFile("package.json")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe("node dist/main.js");
  });

  it("defaults to a reachable server with the unauthenticated web chat off and JSON logs", () => {
    const config = loadConfig({ ...stageEnv(runtime), SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" });
    expect(config.host).toBe("0.0.0.0");
    expect(config.webChat).toBe(false);
    expect(config.env.NODE_ENV).toBe("production");
    expect(config.env.LOG_FORMAT).toBe("json");
  });

  it("refuses to start on its defaults alone, naming the variables to set", () => {
    expect(() => loadConfig(stageEnv(runtime))).toThrow(/nothing to serve.*SLACK_BOT_TOKEN.*DISCORD_TOKEN/s);
  });

  it("needs nothing from Docker Hub but its base image (no `# syntax=` frontend to fetch)", () => {
    const directives = readRepoFile("Dockerfile").split("\n");
    const header = directives.slice(
      0,
      directives.findIndex((l) => !/^#\s*\w+\s*=/.test(l)),
    );
    expect(header.filter((l) => /^#\s*syntax\s*=/i.test(l))).toEqual([]);
  });

  it("leaves no Node compile cache in the image's /tmp from its npm install", () => {
    for (const line of instructions(runtime, "RUN").filter((l) => /\bnpm\b/.test(l)))
      expect(line).toMatch(/NODE_DISABLE_COMPILE_CACHE=1 npm\b|rm -rf \/tmp\/node-compile-cache/);
  });

  it("ships the Discord command manifest where the compiled code looks for it", () => {
    // src/ and dist/ sit at the same depth, so the path relative to the repository holds in the image.
    const relativeToRepo = posix.relative(REPO_ROOT.replaceAll("\\", "/"), COMMANDS_MANIFEST_URL.pathname);
    const destinations = instructions(runtime, "COPY")
      .map(copyArgs)
      .map((c) => posix.resolve(workdir, c.dest));
    expect(destinations).toContain(posix.join(workdir, relativeToRepo));
  });
});

describe(".dockerignore", () => {
  const copiedFromContext = stages.flatMap((stage) =>
    instructions(stage, "COPY")
      .map(copyArgs)
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources),
  );

  it("sends every file the image build copies", () => {
    expect(copiedFromContext.length).toBeGreaterThan(0);
    for (const source of copiedFromContext) {
      const files = repoFiles().filter((f) => f === source || f.startsWith(`${source}/`));
      expect(files.length, source).toBeGreaterThan(0);
      for (const file of files) expect(ignored(file), file).toBe(false);
    }
    // The compiler configuration it extends is copied too.
    const extended = (JSON.parse(readRepoFile("tsconfig.build.json")) as { extends?: string }).extends;
    if (extended) expect(copiedFromContext).toContain(join(dirname("tsconfig.build.json"), extended));
  });

  it("keeps secrets, dependencies, build output, git and tests out of the build context", () => {
    for (const path of [
      ".env",
      ".env.local",
      "src/.env",
      "node_modules/pino/package.json",
      "dist/main.js",
      ".git/HEAD",
      "test/config.test.ts",
      "bench/run.ts",
      "coverage/index.html",
      ".tmp/vitest-report.json",
      "npm-debug.log",
      "manifests/compose.yaml",
    ]) {
      expect(ignored(path), path).toBe(true);
    }
  });
});
