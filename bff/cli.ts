/**
 * `gd-staff-login <command>`: the package's command line (bff/bin.js runs this file).
 *
 *   serve     the BFF alone, for sites that are not Node (bff/server.ts)
 *   sandbox   the platform sandbox (demo/sandbox/cli.ts)
 *   form      the Appendix A access application form (bff/golive/form.ts)
 *   check     the Appendix B go-live checks and report (bff/golive/check.ts)
 *
 * New commands are one entry in COMMANDS.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Command {
  summary: string;
  run(args: string[]): Promise<void>;
}

const SERVE_USAGE = `Usage: gd-staff-login serve [--port N] [--host H]

Runs the BFF alone, configured by environment variables (GD_PLATFORM_URL, GD_CLIENT_ID,
GD_CLIENT_SECRET, GD_REDIRECT_URI, REDIS_URL, GD_TRUST_PROXY, …; see the README).
  --port N   port to listen on (default $GD_PORT or 3001)
  --host H   address to listen on (default $GD_HOST or 127.0.0.1)`;

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'run the BFF alone (for Java/PHP sites behind nginx)',
    async run(args) {
      const env = { ...process.env };
      for (let i = 0; i < args.length; i++) {
        const arg = args[i]!;
        const value = args[i + 1];
        if (arg === '-h' || arg === '--help') return void console.log(SERVE_USAGE);
        if ((arg === '--port' || arg === '--host') && value !== undefined) {
          env[arg === '--port' ? 'GD_PORT' : 'GD_HOST'] = value;
          i++;
          continue;
        }
        console.error(`gd-staff-login serve: unknown option ${arg}\n\n${SERVE_USAGE}`);
        process.exitCode = 2;
        return;
      }
      const { runServer } = await import('./server.ts');
      await runServer(env);
    },
  },
  sandbox: {
    summary: 'run the platform sandbox (a local stand-in of the provincial platform)',
    async run(args) {
      const { main } = await import('../demo/sandbox/cli.ts');
      const running = await main(args);
      if (running === undefined) return;
      const stop = () => void running.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
  },
  form: {
    summary: 'print the Appendix A access application form (表A.1) from the configuration',
    async run(args) {
      const { main } = await import('./golive/form.ts');
      process.exitCode = await main(args);
    },
  },
  check: {
    summary: 'run the Appendix B go-live checks in Chromium and write the report (表B.1)',
    async run(args) {
      const { main } = await import('./golive/check.ts');
      process.exitCode = await main(args);
    },
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: gd-staff-login <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun gd-staff-login <command> --help for a command's options.`;
}

/** Runs one command line. Unknown commands print the usage and set exit code 2. */
export async function run(argv: readonly string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    console.log(usage());
    if (name === undefined) process.exitCode = 2;
    return;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`gd-staff-login: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  await command.run(args);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) await run(process.argv.slice(2));
