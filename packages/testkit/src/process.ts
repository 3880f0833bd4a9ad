import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeArgsFor } from '@herald/core';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningProcess {
  child: ChildProcess;
  pid: number;
  output(): { stdout: string; stderr: string };
  /** Resolves when stdout or stderr has matched `pattern`; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<ProcessResult>;
  /** Sends `signal` to this process only (by PID) and waits for it to exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ProcessResult>;
}

/**
 * Starts a TypeScript entry point of this repo (`apps/worker/src/main.ts`) the way
 * the root scripts do, with exactly the given environment added to PATH/HOME.
 */
export function startProcess(
  entry: string,
  options: { env?: Record<string, string>; args?: string[]; stdin?: string } = {},
): RunningProcess {
  const child = spawn(process.execPath, [...nodeArgsFor(entry), ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      NODE_ENV: 'test',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const l of listeners) l();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    for (const l of listeners) l();
  });
  if (options.stdin !== undefined) child.stdin.end(options.stdin);
  else child.stdin.end();
  const exited = new Promise<ProcessResult>((resolve) => {
    child.once('exit', (code, signal) => {
      // Let the pipes drain before reporting.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const l of listeners) l();
  });
  if (child.pid === undefined) throw new Error(`could not start ${entry}`);
  const pid = child.pid;
  return {
    child,
    pid,
    exited,
    output: () => ({ stdout, stderr }),
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(stdout) || pattern.test(stderr)) {
            cleanup();
            resolve();
          } else if (hasExited) {
            cleanup();
            reject(new Error(`${entry} exited before ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern} from ${entry}:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (!hasExited) process.kill(pid, signal);
      const timer = setTimeout(() => {
        if (!hasExited) process.kill(pid, 'SIGKILL');
      }, timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Runs an entry point to completion. */
export async function runProcess(
  entry: string,
  options: { env?: Record<string, string>; args?: string[]; stdin?: string; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  const running = startProcess(entry, options);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const result = await running.exited;
  clearTimeout(timer);
  return result;
}
