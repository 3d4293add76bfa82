# The production image: `docker build -t chatbot-service .` then
# `docker run --rm -p 127.0.0.1:3000:3000 --env-file .env chatbot-service`.
# docs/deploy.md explains every choice made here. No `# syntax=` line: Docker's built-in
# Dockerfile frontend already knows everything used here (RUN --mount, --platform), and the line
# would make `docker build` fetch a frontend image from Docker Hub, which fails on air-gapped
# builders and behind registry mirrors. Podman: build with `--format docker`, or the OCI image
# format drops the HEALTHCHECK.
#
# Base: node:24-slim (Debian, glibc). Node 24 is the current LTS line. slim rather than alpine:
# the official Node builds for musl are "experimental" tier, musl's DNS resolver behaves
# differently from glibc's inside Kubernetes (search domains, TCP fallback), and the runtime
# dependencies have no native code, so alpine would save only ~25 MB. slim also has `sleep` and
# `sh`, which the Kubernetes preStop hook and the Discord StatefulSet example use. Pin a digest
# (node:24-slim@sha256:...) in your own registry for reproducible builds.

# --- build: dev dependencies + TypeScript -> dist/ ---------------------------------------------
# dist/ is plain JavaScript, so the build runs on the builder's own platform even when the image
# is built for another one (docker buildx --platform linux/arm64): no emulated compiler.
FROM --platform=$BUILDPLATFORM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script in the tree is esbuild's (used by tsx in development,
# not by the build).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc also emits the bundled data files (src/tools/data/*.json, imported with `type: "json"`)
# into dist/tools/data/; the build script copies the bundled help center (Markdown and HTML,
# which tsc does not see) to dist/tools/knowledge/help-center/.
RUN npm run build

# --- runtime: production dependencies + dist/ only ---------------------------------------------
FROM node:24-slim AS runtime
# Safe defaults for a container: listen on every interface (HOST would otherwise be 127.0.0.1
# while the web chat is on), web chat off (it has no sign-in), JSON logs for the log collector.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    WEB_CHAT=off \
    LOG_FORMAT=json
WORKDIR /app
COPY package.json package-lock.json ./
# Exactly the lockfile's production dependencies (no pino-pretty, TypeScript, tsx or vitest).
# None of them has an install script or native code. NODE_DISABLE_COMPILE_CACHE: npm 11 turns on
# Node's module compile cache, which would leave ~2.6 MB in /tmp/node-compile-cache in the image;
# read-only deployments mount a small tmpfs over /tmp and it would take part of it.
RUN --mount=type=cache,target=/root/.npm \
    NODE_DISABLE_COMPILE_CACHE=1 npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
# Read at run time by `node dist/platforms/discord/register.js` (the slash-command registration;
# `npm run discord:register` needs tsx, a dev dependency, so it is not available in the image).
COPY manifests/discord-commands.json ./manifests/discord-commands.json
# Everything above is owned by root and read-only for the service: it writes nothing to disk.
# The node image's `node` user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
# Docker and compose use this; Kubernetes ignores it and uses the Deployment's probes. No curl in
# slim images, so node itself asks /healthz (global fetch). The start period covers Discord's
# ready wait (up to 60 s) before the HTTP server listens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly, not `npm start` (npm would rebuild, and does not pass signals on). As PID 1 node
# gets SIGTERM because the service installs its own SIGTERM/SIGINT handlers (the kernel drops
# only signals PID 1 has no handler for), and it starts no child processes, so there are no
# zombies to reap: no tini needed (`docker run --init` is harmless if you prefer one).
CMD ["node", "dist/main.js"]
