/**
 * The platform misbehaves while people use the site: for each fault of the sandbox's switch
 * (latency past the BFF's timeout, 5xx, malformed JSON, connection reset) on each server-side
 * interface (token, getuserinfodetail), and for a refused connection, users who log in meanwhile
 * get a clear error through /me within the timeout budget, users already logged in keep being
 * served, and logins work again as soon as the fault is off.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Fault, type SandboxInterface } from '../../demo/sandbox/app.ts';
import { loadClients, DEFAULT_CLIENTS_FILE } from '../../demo/sandbox/data.ts';
import { pool, registerHost, startHost, timedLogin, getMe, type Host, type RunningSandbox } from '../bench/lib/harness.ts';
import { makeAccounts } from '../bench/lib/accounts.ts';
import { PlatformRelay, RoutedBrowser } from './lib.ts';

/** Small, so that a fault is felt quickly, but above what a login's platform call takes on a busy 2-core CI machine. */
const TIMEOUT_MS = 500;
/** A failed login is answered within the per-call platform timeout (two calls at most) plus slack for a busy machine. */
const BUDGET_MS = 2 * TIMEOUT_MS + 1500;
const LOGGED_IN = 20;
const LOGGING_IN = 8;
const accounts = makeAccounts(LOGGED_IN + LOGGING_IN, 'fault');
const active = accounts.slice(0, LOGGED_IN);
const newcomers = accounts.slice(LOGGED_IN);

describe('platform faults while other users are served', () => {
  let sandbox: RunningSandbox;
  let relay: PlatformRelay;
  let host: Host;
  const browser = () => new RoutedBrowser(() => relay.url, sandbox.url);
  let sessions: { browser: RoutedBrowser; account: string }[] = [];

  before(async () => {
    sandbox = await startSandbox({ clients: await loadClients(DEFAULT_CLIENTS_FILE), accounts, host: '127.0.0.1' });
    relay = new PlatformRelay(Number(new URL(sandbox.url).port));
    await relay.up();
    host = await startHost({ platformUrl: relay.url, bffOptions: { platformTimeoutMs: TIMEOUT_MS } });
    await registerHost(sandbox, host);
    await pool(active.length, 5, async (i) => {
      const b = browser();
      await timedLogin(b, host.url, active[i]!);
      const me = await getMe(b, host.url);
      assert.equal(me.status, 200, `${active[i]!.account} logged in: ${JSON.stringify(me.body)}`);
      sessions.push({ browser: b, account: active[i]!.account });
    });
  });

  after(async () => {
    await host?.close();
    await relay?.down();
    await sandbox?.close();
  });

  /** Logged-in users poll /me until `stop` resolves; every answer must be 200 with their own account. */
  async function keepServing(stop: Promise<void>): Promise<{ answers: number; worstMs: number }> {
    let done = false;
    void stop.then(() => (done = true));
    let answers = 0;
    let worstMs = 0;
    const deadline = Date.now() + 30_000;
    await Promise.all(
      sessions.map(async ({ browser: b, account }) => {
        while (!done && Date.now() < deadline) {
          const me = await getMe(b, host.url);
          assert.equal(me.status, 200, `${account} is still served during the fault: ${JSON.stringify(me.body)}`);
          assert.equal(me.body.user.account, account);
          answers++;
          worstMs = Math.max(worstMs, me.ms);
          // About 20 requests/s per user: steady traffic without starving the shared event loop.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }),
    );
    return { answers, worstMs };
  }

  /** Newcomers log in during the fault: each returns to the site and /me reports `code` once. */
  async function failingLogins(code: string): Promise<void> {
    await Promise.all(
      newcomers.map(async (account) => {
        const b = browser();
        const login = await timedLogin(b, host.url, account);
        assert.ok(login.url.startsWith(host.url), `${account.account} is sent back to the site (ended at ${login.url})`);
        const callback = login.hops.find((h) => h.url.includes('/auth/callback'));
        assert.ok(callback, 'the flow reached the callback');
        assert.ok(callback.ms < BUDGET_MS, `the callback answered in ${callback.ms.toFixed(0)} ms (budget ${BUDGET_MS} ms)`);
        const me = await getMe(b, host.url);
        assert.equal(me.status, 401);
        assert.equal(me.body.loginError?.code, code, `${account.account}: ${JSON.stringify(me.body)}`);
        assert.equal(typeof me.body.loginError.error_description, 'string');
      }),
    );
  }

  async function loginsWork(): Promise<void> {
    await pool(newcomers.length, 5, async (i) => {
      {
        const account = newcomers[i]!;
        const b = browser();
        const login = await timedLogin(b, host.url, account);
        assert.ok(login.url.startsWith(host.url));
        const me = await getMe(b, host.url);
        assert.equal(me.status, 200, `${account.account} logs in after the fault: ${JSON.stringify(me.body)}`);
        assert.equal(me.body.user.account, account.account);
      }
    });
  }

  async function underFault(code: string, switchOn: () => Promise<void> | void, switchOff: () => Promise<void> | void): Promise<void> {
    await switchOn();
    let finish!: () => void;
    const stop = new Promise<void>((resolve) => (finish = resolve));
    const served = keepServing(stop);
    try {
      await failingLogins(code);
    } finally {
      finish();
      await served.catch(() => undefined);
      await switchOff();
    }
    const { answers, worstMs } = await served;
    assert.ok(answers >= sessions.length, `logged-in users were answered ${answers} times during the fault`);
    assert.ok(worstMs < BUDGET_MS, `slowest /me during the fault: ${worstMs.toFixed(0)} ms`);
    await loginsWork();
  }

  const cases: { iface: SandboxInterface; fault: Fault; code: string }[] = [
    { iface: 'token', fault: { kind: 'latency', ms: TIMEOUT_MS * 4 }, code: 'platform_timeout' },
    { iface: 'userinfo', fault: { kind: 'latency', ms: TIMEOUT_MS * 4 }, code: 'platform_timeout' },
    { iface: 'token', fault: { kind: 'status', status: 503 }, code: 'platform_unavailable' },
    { iface: 'userinfo', fault: { kind: 'status', status: 500 }, code: 'platform_unavailable' },
    { iface: 'token', fault: { kind: 'malformed' }, code: 'platform_bad_response' },
    { iface: 'userinfo', fault: { kind: 'malformed' }, code: 'platform_bad_response' },
    { iface: 'token', fault: { kind: 'reset' }, code: 'platform_unreachable' },
    { iface: 'userinfo', fault: { kind: 'reset' }, code: 'platform_unreachable' },
  ];
  for (const { iface, fault, code } of cases) {
    it(`${iface} ${fault.kind}${'ms' in fault ? ` ${fault.ms} ms` : ''}${'status' in fault ? ` ${fault.status}` : ''}: ${code} for newcomers, others served, recovery`, async () => {
      await underFault(
        code,
        () => sandbox.sandbox.faults.set(iface, fault),
        () => sandbox.sandbox.faults.clear(iface),
      );
    });
  }

  it('platform refuses connections: platform_unreachable for newcomers, others served, recovery', async () => {
    await underFault(
      'platform_unreachable',
      () => relay.down(),
      () => relay.up(),
    );
  });
});
