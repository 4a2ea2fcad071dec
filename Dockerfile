# syntax=docker/dockerfile:1
# The Highlander operator image: Node 22, the compiled dist/ with production dependencies only,
# non-root (uid 1000), and no writes outside /tmp: it runs with a read-only root filesystem (the
# chart mounts an emptyDir on /tmp for whatever a library puts there).
#   docker build -t highlander:dev .
#   podman build --build-arg NODE_IMAGE=localhost/highlander-base:<tag> -t highlander:dev .
# NODE_IMAGE is any Node 22 image of Debian bookworm with npm: the official one by default;
# `make image` (scripts/image/build.sh) passes a base it makes from Debian packages and the
# npm registry's Node release, for machines that reach no container registry.
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. The build: every dependency (TypeScript among them) from the lockfile, then `npm run build`
#    into /src/dist. Install scripts stay off, as in the stages below: no dependency needs one.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY api ./api
COPY runtime ./runtime
COPY locks ./locks
COPY election ./election
COPY config ./config
COPY app-election ./app-election
COPY controllers ./controllers
COPY validate ./validate
COPY server ./server
COPY operator ./operator
COPY cli ./cli
COPY crds ./crds
RUN npm run build

# 2. Production dependencies from the lockfile, nothing else (no tsx, no TypeScript).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# 3. The runtime: bin/highlander.js runs dist/cli/main.js (dist/ holds the CRDs, the config
#    schema and the dashboard it reads). Everything is owned by root, read-only to the user.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY --from=build /src/dist ./dist
# `highlander` on the PATH, so a Deployment's `command: [highlander, await, --]` runs as written
# in this image and in images built FROM it.
RUN ln -s /app/bin/highlander.js /usr/local/bin/highlander
# uid 1000 is the base image's `node` user; numeric, so that Kubernetes' runAsNonRoot can
# verify it without a runAsUser.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "bin/highlander.js"]
CMD ["run"]
