import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unusedPort } from './ports.js';
import { sleep } from './wait.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Redis servers of a test's own, on loopback, removed again by `stop()`. */
export interface LocalRedisServers {
  /** Every server started, for `HERALD_REDIS_CLUSTER_NODES` / `HERALD_REDIS_SENTINELS`. */
  nodes: HostPort[];
  /** `127.0.0.1:p1,127.0.0.1:p2,…`: the env var's format. */
  nodeList: string;
  /** PIDs of exactly the processes this helper started. */
  pids: number[];
  /** Stops those processes (by PID) and deletes their directories. */
  stop(): Promise<void>;
}

export interface LocalRedisCluster extends LocalRedisServers {
  /** The cluster's masters (all nodes: there are no replicas). */
  masters: HostPort[];
}

export interface LocalRedisSentinel extends LocalRedisServers {
  /** The monitored master's name (`HERALD_REDIS_SENTINEL_NAME`). */
  name: string;
  master: HostPort;
  /** The sentinel's address. */
  sentinel: HostPort;
}

const HOST = '127.0.0.1';
const REDIS_SERVER = 'redis-server';
const REDIS_CLI = 'redis-cli';

interface Started {
  child: ChildProcess;
  exited: Promise<void>;
  output(): string;
}

function startServer(args: string[], cwd: string): Started {
  const child = spawn(REDIS_SERVER, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, output: () => output };
}

/** `redis-cli -p port args…` with a bound on time; resolves with stdout. */
function cli(port: number, args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(REDIS_CLI, ['-h', HOST, '-p', String(port), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`redis-cli ${args.join(' ')} exited ${code}: ${err || out}`));
    });
  });
}

async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  servers: readonly Started[],
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    const dead = servers.find((s) => s.child.exitCode !== null || s.child.signalCode !== null);
    if (dead) throw new Error(`redis-server exited while waiting for ${what}:\n${dead.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Builds the stop() shared by both helpers: SIGTERM by PID, SIGKILL after 5 s, then rm -rf the dir. */
function stopper(servers: Started[], dir: string): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      await Promise.all(
        servers.map(async ({ child, exited }) => {
          if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
          const pid = child.pid;
          const signal = (name: NodeJS.Signals) => {
            try {
              process.kill(pid, name);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
            }
          };
          signal('SIGTERM');
          const timer = setTimeout(() => signal('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        }),
      );
      await rm(dir, { recursive: true, force: true });
    })());
}

/** Two distinct free loopback ports per node: the client port and the cluster bus port. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await unusedPort());
  return [...ports];
}

const list = (nodes: readonly HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');

/**
 * A local Redis Cluster of `masters` masters (at least 3) and no replicas,
 * from Debian's `redis-server`, on free loopback ports, in a temporary
 * directory. Resolves once CLUSTER INFO says `cluster_state:ok` on every node.
 * No persistence: a test cluster holds nothing worth keeping.
 */
export async function startRedisCluster(options: { masters?: number } = {}): Promise<LocalRedisCluster> {
  const count = options.masters ?? 3;
  if (count < 3) throw new RangeError('a Redis Cluster needs at least 3 masters');
  const dir = await mkdtemp(join(tmpdir(), 'herald-redis-cluster-'));
  const servers: Started[] = [];
  const stop = stopper(servers, dir);
  try {
    const ports = await freePorts(count * 2);
    const masters: HostPort[] = [];
    for (let i = 0; i < count; i += 1) {
      const port = ports[i * 2]!;
      const busPort = ports[i * 2 + 1]!;
      const nodeDir = join(dir, String(port));
      await mkdir(nodeDir);
      const conf = join(nodeDir, 'redis.conf');
      await writeFile(
        conf,
        [
          `bind ${HOST}`,
          `port ${port}`,
          `cluster-port ${busPort}`,
          'cluster-enabled yes',
          `cluster-config-file ${join(nodeDir, 'nodes.conf')}`,
          'cluster-node-timeout 5000',
          `dir ${nodeDir}`,
          'appendonly no',
          'save ""',
          'daemonize no',
          'protected-mode yes',
          'maxmemory-policy noeviction',
          'loglevel warning',
          '',
        ].join('\n'),
      );
      servers.push(startServer([conf], nodeDir));
      masters.push({ host: HOST, port });
    }
    for (const m of masters) {
      await waitFor(
        `redis-server on ${m.port}`,
        async () => (await cli(m.port, ['ping'])).trim() === 'PONG',
        servers,
      );
    }
    await cli(
      masters[0]!.port,
      [
        '--cluster',
        'create',
        ...masters.map((m) => `${m.host}:${m.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      60_000,
    );
    for (const m of masters) {
      await waitFor(
        `cluster_state:ok on ${m.port}`,
        async () => /cluster_state:ok/.test(await cli(m.port, ['cluster', 'info'])),
        servers,
        30_000,
      );
    }
    return {
      masters,
      nodes: masters,
      nodeList: list(masters),
      pids: servers.map((s) => s.child.pid!),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * One Redis master and one Sentinel monitoring it (quorum 1), on free
 * loopback ports, from Debian's `redis-server` (`--sentinel` mode). Resolves
 * once the sentinel answers with the master's address.
 */
export async function startRedisSentinel(options: { name?: string } = {}): Promise<LocalRedisSentinel> {
  const name = options.name ?? 'herald-test';
  const dir = await mkdtemp(join(tmpdir(), 'herald-redis-sentinel-'));
  const servers: Started[] = [];
  const stop = stopper(servers, dir);
  try {
    const [masterPort, sentinelPort] = await freePorts(2);
    const master: HostPort = { host: HOST, port: masterPort! };
    const sentinel: HostPort = { host: HOST, port: sentinelPort! };
    servers.push(
      startServer(
        [
          '--bind',
          HOST,
          '--port',
          String(master.port),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'noeviction',
          '--loglevel',
          'warning',
        ],
        dir,
      ),
    );
    await waitFor('the master', async () => (await cli(master.port, ['ping'])).trim() === 'PONG', servers);
    // Sentinel rewrites its config file, so it gets one of its own.
    const conf = join(dir, 'sentinel.conf');
    await writeFile(
      conf,
      [
        `bind ${HOST}`,
        `port ${sentinel.port}`,
        `dir ${dir}`,
        `sentinel monitor ${name} ${master.host} ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} 5000`,
        'loglevel warning',
        '',
      ].join('\n'),
    );
    servers.push(startServer([conf, '--sentinel'], dir));
    await waitFor(
      'the sentinel',
      async () =>
        (await cli(sentinel.port, ['sentinel', 'get-master-addr-by-name', name])).includes(
          String(master.port),
        ),
      servers,
    );
    return {
      name,
      master,
      sentinel,
      nodes: [sentinel],
      nodeList: list([sentinel]),
      pids: servers.map((s) => s.child.pid!),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
