/**
 * Faults on demand: make one of the five interfaces (Table 1) slow, fail, lie or hang up, so a
 * business system can be tested against a platform that misbehaves.
 */
import type { NextFunction, Request, Response } from 'express';
import { isIP } from 'node:net';
import { z } from 'zod';

export const SANDBOX_INTERFACES = ['authorize', 'token', 'userinfo', 'manage', 'logout'] as const;
export type SandboxInterface = (typeof SANDBOX_INTERFACES)[number];

const interfaceSchema = z.enum(SANDBOX_INTERFACES, {
  error: `must be one of ${SANDBOX_INTERFACES.join(', ')}`,
});

export const faultSchema = z.discriminatedUnion(
  'kind',
  [
    /** Wait `ms` before answering normally. */
    z.strictObject({
      kind: z.literal('latency'),
      ms: z.number({ error: 'must be a number of milliseconds' }).int().min(0).max(600_000, { error: 'must be at most 600000' }),
      times: z.number().int().min(1).optional(),
    }),
    /** Answer with this HTTP status instead of doing the work. */
    z.strictObject({
      kind: z.literal('status'),
      status: z.union([z.literal(500), z.literal(502), z.literal(503)], { error: 'status must be 500, 502 or 503' }),
      times: z.number().int().min(1).optional(),
    }),
    /** HTTP 200 with a body that claims to be JSON but does not parse. */
    z.strictObject({ kind: z.literal('malformed'), times: z.number().int().min(1).optional() }),
    /** Destroy the TCP connection without any answer. */
    z.strictObject({ kind: z.literal('reset'), times: z.number().int().min(1).optional() }),
    /** token only: do the grant, then answer 200 JSON without `access_token`. */
    z.strictObject({ kind: z.literal('no_access_token'), times: z.number().int().min(1).optional() }),
  ],
  { error: 'kind must be one of latency, status, malformed, reset, no_access_token' },
);

/** `times`: apply to the next N requests only, then clear itself (default: until cleared). */
export type Fault = z.output<typeof faultSchema>;
export interface FaultSpec {
  interface: SandboxInterface;
  fault: Fault;
}

export class FaultError extends Error {
  override name = 'FaultError';
}

function validate(iface: unknown, fault: unknown): FaultSpec {
  const i = interfaceSchema.safeParse(iface);
  if (!i.success) throw new FaultError(`interface ${JSON.stringify(iface)}: ${i.error.issues[0]?.message}`);
  const f = faultSchema.safeParse(fault);
  if (!f.success) {
    const issue = f.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new FaultError(`fault for ${i.data}: ${where}${issue?.message ?? 'invalid'}`);
  }
  if (f.data.kind === 'no_access_token' && i.data !== 'token') {
    throw new FaultError(`fault for ${i.data}: no_access_token applies to the token interface only`);
  }
  return { interface: i.data, fault: f.data };
}

/**
 * Parse the CLI form `interface=kind[:arg]`: `token=latency:5000`, `userinfo=status:503`,
 * `token=malformed`, `authorize=reset`, `token=no_access_token`; append `x3` to limit to three
 * requests (`token=status:503x3`).
 */
export function parseFaultSpec(text: string): FaultSpec {
  const match = /^([a-z]+)=([a-z_]+)(?::(\d+))?(?:x(\d+))?$/.exec(text.trim());
  if (!match) {
    throw new FaultError(`--fault ${JSON.stringify(text)}: expected interface=kind[:value], e.g. token=latency:5000 or userinfo=status:503`);
  }
  const [, iface, kind, value, times] = match;
  const fault: Record<string, unknown> = { kind };
  if ((kind === 'latency' || kind === 'status') && value === undefined) {
    throw new FaultError(`--fault ${JSON.stringify(text)}: ${kind} needs a value, e.g. ${iface}=${kind === 'latency' ? 'latency:5000' : 'status:503'}`);
  }
  if (kind === 'latency') fault['ms'] = Number(value);
  else if (kind === 'status') fault['status'] = Number(value);
  else if (value !== undefined) throw new FaultError(`--fault ${JSON.stringify(text)}: ${kind} takes no value`);
  if (times !== undefined) fault['times'] = Number(times);
  try {
    return validate(iface, fault);
  } catch (error) {
    throw new FaultError(`--fault ${JSON.stringify(text)}: ${(error as Error).message}`);
  }
}

/** The switchboard: at most one fault per interface. */
export class FaultSwitch {
  readonly #faults = new Map<SandboxInterface, Fault>();
  readonly #onChange: ((iface: SandboxInterface, fault: Fault | undefined) => void) | undefined;

  constructor(initial: readonly FaultSpec[] = [], onChange?: (iface: SandboxInterface, fault: Fault | undefined) => void) {
    for (const spec of initial) this.set(spec.interface, spec.fault);
    this.#onChange = onChange;
  }

  /** Validates and sets; throws `FaultError` with a clear message on a bad fault. */
  set(iface: SandboxInterface, fault: Fault): void {
    const spec = validate(iface, fault);
    this.#faults.set(spec.interface, spec.fault);
    this.#onChange?.(spec.interface, spec.fault);
  }

  /** Clear one interface's fault, or all of them. */
  clear(iface?: SandboxInterface): void {
    if (iface === undefined) {
      for (const key of [...this.#faults.keys()]) this.clear(key);
      return;
    }
    if (this.#faults.delete(iface)) this.#onChange?.(iface, undefined);
  }

  get(iface: SandboxInterface): Fault | undefined {
    return this.#faults.get(iface);
  }

  list(): Partial<Record<SandboxInterface, Fault>> {
    return Object.fromEntries(this.#faults) as Partial<Record<SandboxInterface, Fault>>;
  }

  /** The fault to apply to one request, counting down `times`. */
  take(iface: SandboxInterface): Fault | undefined {
    const fault = this.#faults.get(iface);
    if (fault?.times !== undefined) {
      if (fault.times <= 1) this.clear(iface);
      else this.#faults.set(iface, { ...fault, times: fault.times - 1 });
    }
    return fault;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Middleware placed first on an interface's route. `json` selects the body of a status fault
 * (JSON `{error, error_description}` for token/userinfo, an HTML page for browser interfaces).
 */
export function faultMiddleware(faults: FaultSwitch, iface: SandboxInterface, json: boolean) {
  return async function applyFault(req: Request, res: Response, next: NextFunction): Promise<void> {
    const fault = faults.take(iface);
    if (fault === undefined) return next();
    res.setHeader('X-Sandbox-Fault', fault.kind);
    switch (fault.kind) {
      case 'latency':
        await sleep(fault.ms);
        return next();
      case 'status':
        res.status(fault.status).setHeader('Cache-Control', 'no-store');
        if (json) {
          res.json({ error: 'server_error', error_description: `Sandbox fault: HTTP ${fault.status} on ${iface}` });
        } else {
          res.type('html').send(`<!doctype html><meta charset="utf-8"><title>${fault.status}</title><p>Sandbox fault: HTTP ${fault.status} on ${iface}</p>`);
        }
        return;
      case 'malformed':
        res.status(200).type('application/json').send('{"access_token": "sandbox-malformed, "token_type": Bearer');
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'no_access_token': {
        // Let the grant really happen (the code is spent), then drop access_token from the answer.
        const send = res.json.bind(res);
        res.json = (body: unknown) => {
          if (res.statusCode === 200 && body !== null && typeof body === 'object') {
            const rest: Record<string, unknown> = { ...(body as Record<string, unknown>) };
            delete rest['access_token'];
            return send(rest);
          }
          return send(body);
        };
        return next();
      }
    }
  };
}

/**
 * The admin interface may only be used from the machine itself. The socket's peer address is
 * used, never X-Forwarded-For, which any client can write.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1' || address === '0:0:0:0:0:0:0:1';
}

export function parseFaultBody(iface: unknown, body: unknown): FaultSpec {
  return validate(iface, body);
}
