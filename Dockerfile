# One image for every role: the role is the command (start, worker, scheduler, board, sim, replay).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY cli ./cli
RUN npm run build

FROM node:24-bookworm-slim AS runtime
# A young generation large enough for the jobs in flight to die young, and a capped old generation:
# a worker at concurrency 500 peaks near 240 MB RSS instead of 400 at the same throughput (npm run bench,
# which starts its workers with these options and the entrypoint's). Override NODE_OPTIONS to change them.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=32 --max-old-space-size=160" \
    HEALTH_HOST=127.0.0.1 \
    HEALTH_PORT=8081
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional too: TypeScript (31 MB) is a dev dependency and an optional peer of valibot
# (@bull-board/api), "devOptional", which --omit=dev alone keeps. The only other optional packages are
# msgpackr-extract and its helpers, which speed up msgpackr's unpack; BullMQ only packs in Node.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY deploy/healthcheck.sh /usr/local/bin/healthcheck
COPY --from=build /app/dist ./dist
# Where a volume keeps the simulator's state (SIM_DATA_FILE in docker-compose.yml): a new named
# volume takes the owner of the directory it is mounted on, so the app's user can write to it.
RUN mkdir /data && chown 1000:1000 /data
# The node user by number: Kubernetes' runAsNonRoot cannot verify a user name.
USER 1000:1000
# Workers' (and start's) health endpoints, the board, the simulator's Order and Stock APIs.
EXPOSE 8081 3000 5000 5001
# Probes the role's own endpoint (workers' /readyz on HEALTH_PORT, the board's /readyz on BOARD_PORT,
# the simulator's /health) with bash's /dev/tcp: no Node process per probe (see deploy/healthcheck.sh).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["bash", "/usr/local/bin/healthcheck"]
# With the old generation capped, V8 lets it grow little between full GCs: a worker at concurrency 500
# ran one every 0.3 s. Growing it by half its live size made that every 0.45 s, for +4.5 % orders/s
# and ~8 MB more RSS (npm run bench: faster in 8 of 8 paired figures). Node refuses this flag in
# NODE_OPTIONS, hence here (docker run --entrypoint to change it).
ENTRYPOINT ["node", "--heap-growing-percent=50", "dist/cli/ordermanagement.js"]
CMD ["start"]
