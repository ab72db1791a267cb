/** A server under test in its own Node process (tsx loader), talking to the parent over IPC. */
import { fork, type ChildProcess } from 'node:child_process';

export interface ChildServer<Ready> {
  ready: Ready;
  process: ChildProcess;
  /** Asks the child for one answer (`{ [kind]: true, ...extra }` → the first message with `kind`). */
  ask<T = any>(kind: string, extra?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

export async function forkServer<Ready>(script: URL, args: string[], env: Record<string, string | undefined> = {}, execArgv: string[] = []): Promise<ChildServer<Ready>> {
  const child = fork(script, args, {
    execArgv: ['--import', 'tsx', ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script.pathname} ${args.join(' ')}: not ready within 60 s`)), 60_000);
    child.once('message', (message: { ready?: Ready; failed?: string }) => {
      clearTimeout(timer);
      if (message.ready !== undefined) resolve(message.ready);
      else reject(new Error(`${args.join(' ')}: ${message.failed ?? JSON.stringify(message)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script.pathname} ${args.join(' ')} exited with ${code} before it was ready`));
    });
  });
  return {
    ready,
    process: child,
    ask<T>(kind: string, extra: Record<string, unknown> = {}) {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${kind} answer within 60 s`)), 60_000);
        const onMessage = (message: Record<string, unknown>) => {
          if (!(kind in message)) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(message as T);
        };
        child.on('message', onMessage);
        child.send({ [kind]: true, ...extra });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ exit: true });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
