# syntax=docker/dockerfile:1
# The router of the AWS stack (docs/architecture.md#on-aws, docs/operations.md#flags): the CLI on DynamoDB and SQS in
# --router-only mode. It serves the events API on 4000 and only /v1/status and /v1/metrics on 4001 (the load
# balancer's health check); the config API and async delivery run on Lambda. Deployment-specific settings come from
# EVENT_GATEWAY_* variables set by the ECS task (table prefix, queue URL, allowed target ranges).
ARG NODE_VERSION=24

# Production dependencies, built where a toolchain exists (better-sqlite3 is native, though the router never loads it).
FROM node:${NODE_VERSION}-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The runtime: slim, owned by root, run as the unprivileged `node` user. TypeScript runs through tsx (no build step).
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin/event-gateway.js ./bin/
COPY lib ./lib
USER node
EXPOSE 4000 4001
ENTRYPOINT ["node", "bin/event-gateway.js"]
CMD ["--router-only", "--store", "dynamodb", "--queue", "sqs"]
