/**
 * What `form` and `check` share as commands: argument errors, output files, streams.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';

/** A refusal the user can fix: printed as one line, exit status 1 (`code` says which refusal). */
export class GoLiveError extends Error {
  override name = 'GoLiveError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface CommandIo {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  cwd?: string;
}

export function defaultIo(): CommandIo {
  return { env: process.env, stdout: process.stdout, stderr: process.stderr };
}

/** Writes the named files into `dir` (created if missing); returns their absolute paths. */
export async function writeOutputs(dir: string, files: Record<string, string>, cwd = process.cwd()): Promise<string[]> {
  const out = resolve(cwd, dir);
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = join(out, name);
    await writeFile(path, content, 'utf8');
    written.push(path);
  }
  return written;
}

/** `parseArgs` failures (unknown flag, missing value) in the command's own words. */
export function usageError(error: unknown, usage: string): GoLiveError {
  const message = error instanceof Error ? error.message : String(error);
  return new GoLiveError('usage', `${message}\n\n${usage}`);
}
