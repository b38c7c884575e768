# One image for every orderflow piece in production; the compose `command:` (or your
# orchestrator) picks which one a container runs:
#   node --import tsx src/cli/api.ts               HTTP API            (:3000)
#   node --import tsx workers/orders.ts            `orders` worker
#   node --import tsx workers/carriers.ts          `carriers` worker
#   node --import tsx src/cli/carrier-sandbox.ts   carrier sandbox     (:3001)
# TypeScript runs through tsx (a runtime dependency), so there is no build step. The
# orders worker bundles workflows/ itself when it starts (webpack + swc, both runtime
# dependencies of @temporalio/worker).
FROM node:20-bookworm-slim

WORKDIR /app

# Production dependencies only. drizzle-kit is dev-only: it generates migrations/, which
# are plain SQL that drizzle-orm applies at start. No install scripts are needed: the
# native parts (Temporal core bridge, esbuild, swc) ship prebuilt in their packages.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY migrations ./migrations

# The code stays owned by root and read-only for the process; the only thing written at
# run time is tsx's transform cache under /tmp.
ENV NODE_ENV=production \
    HOST=0.0.0.0
USER node

EXPOSE 3000 3001
# No default piece: a container that names none says how to pick one and stops.
CMD ["node", "-e", "console.error('orderflow: name the piece to run, e.g. `node --import tsx src/cli/api.ts` (see the Dockerfile header)'); process.exit(2)"]
