#!/usr/bin/env node
// The container image's HEALTHCHECK (plain JavaScript: it starts fast, without tsx).
// Exits 0 when the component of this container answers on loopback: the URL given as the
// argument, else KOUKAN_HEALTHCHECK_URL, else any of the router's and the gateway's /readyz and
// the console's /api/readyz (one image runs every component; only one of them listens here).
const env = process.env;
const explicit = process.argv[2] || env.KOUKAN_HEALTHCHECK_URL;
const urls = explicit
  ? [explicit]
  : [
      `http://127.0.0.1:${env.KOUKAN_ROUTER_PORT || 8000}/readyz`,
      `http://127.0.0.1:${env.KOUKAN_GATEWAY_PORT || 8001}/readyz`,
      `http://127.0.0.1:${env.KOUKAN_CONSOLE_PORT || 3000}/api/readyz`,
    ];

const healthy = (url) =>
  fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(4000) }).then(
    (res) => res.status >= 200 && res.status < 400,
    () => false,
  );

const results = await Promise.all(urls.map(healthy));
process.exitCode = results.some(Boolean) ? 0 : 1;
