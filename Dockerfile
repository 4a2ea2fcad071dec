# syntax=docker/dockerfile:1
# The Highlander operator image: Node LTS, production dependencies only, non-root, and no
# writes outside /tmp (runs with a read-only root filesystem; the chart mounts an emptyDir
# on /tmp for the TypeScript loader's compile cache).
#   docker build -t highlander:dev .
# The operator runs from its TypeScript sources through tsx (a runtime dependency): there is
# no build step, so the image holds the sources, not compiled output.
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. Production dependencies from the lockfile, nothing else.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# 2. The runtime: what `node bin/highlander.js run` loads, owned by root and read-only to
#    the user that runs it.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY bin ./bin
COPY api ./api
COPY runtime ./runtime
COPY locks ./locks
COPY election ./election
COPY config ./config
COPY controllers ./controllers
COPY validate ./validate
COPY server ./server
COPY operator ./operator
COPY cli ./cli
COPY crds ./crds
# uid 1000 is the base image's `node` user; numeric, so that Kubernetes' runAsNonRoot can
# verify it without a runAsUser.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "bin/highlander.js"]
CMD ["run"]
