/**
 * Deliberately broken business systems, for the go-live check's own tests: each breaks exactly
 * one thing Appendix B asks for, on top of the normal demo (`startDemo`), so the check's report
 * must mark exactly that row 异常.
 *
 * - `leaks-secret`: the home page carries the client secret in a `<meta>` tag (check 1).
 * - `no-binding`: the BFF gets no `verifyLocalAccount`, so binding is off (check 2).
 * - `logout-skips-platform`: `POST /auth/logout` answers a `logoutUrl` back on the site, so
 *   the browser never visits the platform logout and the platform session survives (check 3).
 *
 *   GD_CLIENT_SECRET=… npx tsx demo/variants/broken.ts leaks-secret   # on PORT / SANDBOX_PORT like npm start
 */
import type { RequestListener } from 'node:http';
import express from 'express';
import type { Bff } from '../../bff/index.ts';
import { startDemo, type DemoSettings } from '../start.ts';

export const VARIANTS = ['leaks-secret', 'no-binding', 'logout-skips-platform'] as const;
export type Variant = (typeof VARIANTS)[number];

/** The page a careless integration might ship: configuration rendered into the HTML. */
function leakSecret(site: RequestListener, bff: Bff): RequestListener {
  const app = express();
  app.get('/', (_req, res, next) => {
    const send = res.send.bind(res);
    res.send = (body?: unknown) =>
      send(typeof body === 'string' ? body.replace('</head>', `<meta name="gd-client-secret" content="${bff.config.clientSecret}">\n</head>`) : body);
    next();
  });
  app.use(site);
  return app;
}

/** A logout that ends only the local session and sends the browser home. */
function logoutSkipsPlatform(site: RequestListener): RequestListener {
  const app = express();
  app.post('/auth/logout', (_req, res, next) => {
    // The BFF still ends the local session; its answer is rewritten on the way out.
    const end = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => typeof res;
    res.end = ((chunk?: unknown, ...rest: unknown[]) =>
      end(typeof chunk === 'string' && chunk.includes('"logoutUrl"') ? JSON.stringify({ ...JSON.parse(chunk), logoutUrl: '/' }) : chunk, ...rest)) as typeof res.end;
    next();
  });
  app.use(site);
  return app;
}

export function startVariant(variant: Variant, settings: DemoSettings) {
  switch (variant) {
    case 'leaks-secret':
      return startDemo({ ...settings, wrapSite: leakSecret });
    case 'no-binding':
      return startDemo({ ...settings, bffOptions: { ...settings.bffOptions, verifyLocalAccount: undefined } });
    case 'logout-skips-platform':
      return startDemo({ ...settings, wrapSite: logoutSkipsPlatform });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const variant = process.argv[2] as Variant;
  if (!VARIANTS.includes(variant)) {
    console.error(`usage: tsx demo/variants/broken.ts <${VARIANTS.join('|')}>`);
    process.exit(2);
  }
  const env = process.env;
  const demo = await startVariant(variant, { port: Number(env.PORT ?? 3000), sandboxPort: Number(env.SANDBOX_PORT ?? 4100), env });
  // The secret is not printed: set GD_CLIENT_SECRET for both this process and the check.
  console.log(`broken variant "${variant}": ${demo.url} (platform sandbox ${demo.sandboxUrl})`);
}
