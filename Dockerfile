# syntax=docker/dockerfile:1
#
# One image for every Herald process: admin, worker, migrate and the CLI
# (docker-compose.yml picks the process with `command:`; see docs/docker.md).
#
# There is no build step: the TypeScript sources run through tsx, so the image
# is the workspace plus its installed dependencies. devDependencies are kept
# because tsx (a root devDependency) is needed at runtime.
#
# Needs BuildKit (the default builder since Docker 23): the syntax line above
# pulls the current Dockerfile 1.x frontend, which has `COPY --parents` and
# `RUN --mount=type=cache`.

# ---------------------------------------------------------------------------
# base: Node 24, tini, and exactly the pnpm that package.json pins.
# ---------------------------------------------------------------------------
FROM node:24-bookworm-slim AS base

# tini runs as PID 1, forwards SIGTERM/SIGINT to node and reaps zombies, so a
# `docker stop` gives the worker its graceful drain (stop_grace_period).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

# pnpm 10 through npm (not corepack). The exact version comes from the
# "packageManager" field: pnpm 10 switches itself to that version when they
# differ (manage-package-manager-versions), which would mean a download at
# run time as the unprivileged user. Reading the field keeps the two in step.
COPY package.json /tmp/herald-package.json
RUN set -eu; \
    pm="$(node -p "require('/tmp/herald-package.json').packageManager || 'pnpm@10'")"; \
    case "$pm" in \
      pnpm@*) ;; \
      *) echo "package.json packageManager must be pnpm@<version>, got: $pm" >&2; exit 1 ;; \
    esac; \
    version="${pm#pnpm@}"; version="${version%%+*}"; \
    npm install -g "pnpm@${version}"; \
    npm cache clean --force; \
    rm /tmp/herald-package.json; \
    pnpm --version

WORKDIR /app

# ---------------------------------------------------------------------------
# deps: install the workspace from the manifests only, so this (slow) layer is
# reused until a package.json or the lockfile changes.
# ---------------------------------------------------------------------------
FROM base AS deps

# Compilers for a native module that has no prebuilt binary for this platform.
# They stay in this stage and never reach the runtime image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# --parents keeps apps/<name>/package.json in place (a plain COPY of a glob
# would flatten them into one file). New workspace packages are picked up
# by the globs without editing this file; bench/ is named, and so are the two
# bin files, because pnpm links a bin (node_modules/.bin/herald, bench) only
# when its file exists at install time.
COPY --parents package.json pnpm-lock.yaml pnpm-workspace.yaml apps/*/package.json packages/*/package.json examples/*/package.json bench/package.json apps/cli/bin/herald.mjs bench/bin.mjs ./

# NODE_ENV is deliberately unset here: with NODE_ENV=production pnpm would
# skip devDependencies, and tsx is one.
RUN --mount=type=cache,id=herald-pnpm-store,target=/pnpm/store \
    CI=true pnpm install --frozen-lockfile --store-dir=/pnpm/store

# ---------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------
FROM base AS runtime

ENV NODE_ENV=production \
    npm_config_update_notifier=false

# node_modules of the root and of every workspace package (pnpm's symlinks are
# relative, so they survive the copy), then the sources. .dockerignore keeps
# any local node_modules out of the second COPY.
COPY --from=deps /app /app
COPY . .

# Only written when NODE_ENV is not production (generated secret key); in
# production HERALD_SECRET_KEY is required and nothing is written.
RUN mkdir -p /app/.herald && chown node:node /app/.herald

USER node

# 3000: admin (PORT). 9464: worker health and metrics (HERALD_WORKER_PORT).
EXPOSE 3000 9464

ENTRYPOINT ["/usr/bin/tini", "--"]

# Same as `pnpm start` (migrate, then admin + one worker), but with node as
# tini's direct child: `pnpm` and the `tsx` CLI each add a parent process in
# between. Other processes in this image:
#   node --import tsx apps/admin/src/main.ts    (pnpm admin)
#   node scripts/run-compiled.mjs apps/worker/src/main.ts   (pnpm worker)
#   pnpm migrate
#   pnpm herald <command>
CMD ["node", "--import", "tsx", "apps/cli/src/start.ts"]
