/**
 * `/__sandbox/*`: switch faults and move the clock while the sandbox runs. Answers only to the
 * machine itself (the socket's peer address must be loopback), whatever address it listens on.
 */
import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';
import type { SandboxContext } from '../context.ts';
import { FaultError, SANDBOX_INTERFACES, isLoopbackAddress, parseFaultBody, type SandboxInterface } from '../faults.ts';
import { sendOAuthError } from './token.ts';

export function requireLoopback(req: Request, res: Response, next: NextFunction): void {
  if (isLoopbackAddress(req.socket.remoteAddress)) return next();
  sendOAuthError(res, 403, 'forbidden', 'The sandbox admin interface answers only to loopback addresses');
}

export function adminRouter(ctx: SandboxContext, clock: { advance(ms: number): void; offsetMs(): number }): Router {
  const router = express.Router();
  router.use('/__sandbox', requireLoopback, express.json({ limit: '16kb' }));

  router.get('/__sandbox/health', (_req, res) => {
    res.json({ ok: true });
  });

  router.get('/__sandbox/faults', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ faults: ctx.faults.list() });
  });

  const setMany = (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new FaultError('send a JSON object: { "interface": "token", "fault": { "kind": "latency", "ms": 5000 } } or { "token": { ... } }');
    }
    const record = body as Record<string, unknown>;
    const specs =
      'interface' in record
        ? [parseFaultBody(record['interface'], record['fault'])]
        : Object.entries(record).map(([iface, fault]) => parseFaultBody(iface, fault));
    for (const spec of specs) ctx.faults.set(spec.interface, spec.fault);
    res.json({ faults: ctx.faults.list() });
  };
  router.put('/__sandbox/faults', setMany);
  router.post('/__sandbox/faults', setMany);

  const setOne = (req: Request, res: Response) => {
    const spec = parseFaultBody(req.params['interface'], req.body);
    ctx.faults.set(spec.interface, spec.fault);
    res.json({ faults: ctx.faults.list() });
  };
  router.put('/__sandbox/faults/:interface', setOne);
  router.post('/__sandbox/faults/:interface', setOne);

  router.delete('/__sandbox/faults', (_req, res) => {
    ctx.faults.clear();
    res.json({ faults: ctx.faults.list() });
  });
  router.delete('/__sandbox/faults/:interface', (req, res) => {
    const iface = req.params['interface'];
    if (!SANDBOX_INTERFACES.includes(iface as SandboxInterface)) throw new FaultError(`interface "${iface}": must be one of ${SANDBOX_INTERFACES.join(', ')}`);
    ctx.faults.clear(iface as SandboxInterface);
    res.json({ faults: ctx.faults.list() });
  });

  const clockState = () => ({ now: new Date(ctx.now()).toISOString(), nowMs: ctx.now(), offsetMs: clock.offsetMs() });
  router.get('/__sandbox/clock', (_req, res) => {
    res.json(clockState());
  });
  // Move the sandbox clock forward, e.g. { "advanceSeconds": 301 } to expire a code.
  router.post('/__sandbox/clock', (req, res) => {
    const seconds = (req.body as { advanceSeconds?: unknown } | undefined)?.advanceSeconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw new FaultError('send { "advanceSeconds": N } with N ≥ 0');
    }
    clock.advance(seconds * 1000);
    res.json(clockState());
  });

  router.use('/__sandbox', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof FaultError) {
      sendOAuthError(res, 400, 'invalid_request', error.message);
      return;
    }
    next(error);
  });
  return router;
}
