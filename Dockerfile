# syntax=docker/dockerfile:1
#
# One image for every Koukan component; the command names the component:
#   docker run … koukan init        migrations, configuration, seed keys (run once per rollout)
#   docker run … koukan router      REST API and delivery engine      (port 8000)
#   docker run … koukan gateway     SMTP MX 2525, MSA 2587, SMTPS 2465, outbound API 8001
#   docker run … koukan console     the operator console              (port 3000)
#   docker run … koukan migrate     migrations only
# Each component reads its own environment (apps/*/src/env.ts). No secret is baked in: they all
# come from the environment at run time. The container runs as uid 1000 and needs no
# capability: the SMTP listeners use ports above 1024 (publish them as 25/587/465).

ARG NODE_IMAGE=node:20-bookworm-slim

# Only the package manifests, the lock and patches/ (applied by the root postinstall), so the dependency layers below are rebuilt only when
# one of them changes, not on every source change.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \; \
 && cp package-lock.json /manifests/ \
 && cp -r patches /manifests/

# Everything, dev dependencies included, to build what needs building (the console).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /manifests ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN mkdir -p /out \
 && if [ -f apps/console/package.json ]; then \
      npm run build --workspace apps/console \
      && mkdir -p /out/apps/console && cp -a apps/console/.next /out/apps/console/ \
      && rm -rf /out/apps/console/.next/cache; \
    fi

# Production dependencies only (TypeScript runs through tsx, a dependency of @koukan/cli).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /manifests ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    KOUKAN_ROUTER_HOST=0.0.0.0 \
    KOUKAN_GATEWAY_HOST=0.0.0.0 \
    KOUKAN_SMTP_MX_PORT=2525 \
    KOUKAN_SMTP_MSA_PORT=2587 \
    KOUKAN_SMTPS_PORT=2465
WORKDIR /app
# Files stay owned by root and read-only for the process (uid 1000).
COPY --from=deps /app ./
COPY package.json tsconfig.base.json ./
COPY packages ./packages
COPY apps ./apps
COPY examples ./examples
COPY --from=build /out/ ./
USER 1000:1000
EXPOSE 8000 8001 3000 2525 2587 2465 8080
# Whichever component runs here answers on loopback (apps/cli/bin/healthcheck.js; compose and
# Kubernetes name the exact endpoint per service).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "apps/cli/bin/healthcheck.js"]
ENTRYPOINT ["node", "--import", "tsx", "apps/cli/src/main.ts"]
CMD ["router"]
