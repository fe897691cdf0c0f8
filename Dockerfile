# syntax=docker/dockerfile:1
# The router of the AWS stack (docs/architecture.md#on-aws, docs/operations.md#flags): the CLI on DynamoDB and SQS
# in --router-only mode. It serves the events API on 4000 and only /v1/status and /v1/metrics on 4001 (the load
# balancer's health check); the config API and async delivery run on Lambda. Deployment-specific settings come from
# EVENT_GATEWAY_* variables set by the ECS task (table prefix, queue URL, allowed target ranges).
#
# The image runs built JavaScript: the build stage bundles the CLI and every dependency the router loads into
# dist/router (bin/build.mjs --image), so the runtime stage has no node_modules, no npm install and no tsx. Only
# local mode's native SQLite driver (better-sqlite3) is left out; the router never loads it.
# `npm run local-stack` applies these same steps on this machine (docs: README, "Try the AWS shape locally").
#
# Base images are pinned by digest (node 24 on Debian bookworm); bump tag and digest together.

FROM node:24-bookworm@sha256:3a09aa6354567619221ef6c45a5051b671f953f0a1924d1f819ffb236e520e6b AS build
WORKDIR /src
# Install scripts are not needed to bundle: better-sqlite3's native build is skipped, esbuild ships its binary.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY bin/build.mjs ./bin/
COPY lib ./lib
RUN node bin/build.mjs --image dist/router

FROM node:24-bookworm-slim@sha256:e8e2e91b1378f83c5b2dd15f0247f34110e2fe895f6ca7719dbb780f929368eb AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The CLI reads its version from package.json.
COPY package.json ./
COPY --from=build /src/dist/router ./dist/router
USER node
EXPOSE 4000 4001
ENTRYPOINT ["node", "--enable-source-maps", "dist/router/index.js"]
CMD ["--router-only", "--store", "dynamodb", "--queue", "sqs"]
