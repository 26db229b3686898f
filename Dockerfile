# One image for every role: the role is the command (start, worker, scheduler, board, sim, replay).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
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
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
# Probes the role's own /readyz: workers on HEALTH_PORT, the board on BOARD_PORT (see docker-compose.yml).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTHCHECK_PORT ?? process.env.HEALTH_PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# With the old generation capped, V8 lets it grow little between full GCs: a worker at concurrency 500
# ran one every 0.3 s. Growing it by half its live size made that every 0.45 s, for +4.5 % orders/s
# and ~8 MB more RSS (npm run bench: faster in 8 of 8 paired figures). Node refuses this flag in
# NODE_OPTIONS, hence here (docker run --entrypoint to change it).
ENTRYPOINT ["node", "--heap-growing-percent=50", "--import", "./dist/src/telemetry/preload.js", "dist/src/cli.js"]
CMD ["start"]
