// Test-only (imported by *.int-spec.ts): a private Postgres cluster a test owns, so it can stop,
// crash and promote servers without touching the shared one.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync,chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The directory holding initdb, pg_ctl and pg_basebackup (PG_BIN_DIR, else the newest /usr/lib/postgresql/<v>/bin). */
export function postgresBinDir(): string {
  const fromEnv = process.env['PG_BIN_DIR'];
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) {
    throw new Error(
      'initdb/pg_ctl/pg_basebackup not found (looked in PG_BIN_DIR and /usr/lib/postgresql/*/bin): ' +
        'the failover tests start private clusters. Install the PostgreSQL server package (Debian: postgresql; .ci/servers.sh does).',
    );
  }
  return join(root, versions[0], 'bin');
}

const isRoot = () => process.getuid?.() === 0;

/** initdb refuses to run as root: as root, run the server tools as the `postgres` OS user. */
function run(tool: string, args: string[], timeoutMs = 60_000): string {
  const bin = join(postgresBinDir(), tool);
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

function ownedTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cs-pg-'));
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  return dir;
}

export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get data(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private static settings(port: number, dir: string, extra: string[] = []): string {
    return [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${dir}'`,
      // Test speed: the tests crash the postmaster, never the OS.
      'fsync = off',
      'full_page_writes = off',
      'wal_level = replica',
      'max_wal_senders = 5',
      'hot_standby = on',
      'max_connections = 60',
      'shared_buffers = 32MB',
      ...extra,
      '',
    ].join('\n');
  }

  /** A fresh primary (trust auth, replication allowed from 127.0.0.1), started. */
  static primary(port: number, extra: string[] = []): PrivatePostgres {
    const dir = ownedTempDir();
    const pg = new PrivatePostgres(dir, port);
    run('initdb', ['-D', pg.data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    appendFileSync(join(pg.data, 'postgresql.conf'), PrivatePostgres.settings(port, dir, extra));
    pg.start();
    return pg;
  }

  /** A streaming replica of `primary` (`pg_basebackup -R`), started. */
  static replicaOf(primary: PrivatePostgres, port: number): PrivatePostgres {
    const dir = ownedTempDir();
    const pg = new PrivatePostgres(dir, port);
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', pg.data, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync']);
    // postgresql.auto.conf is read last: the replica's own port and socket directory win, and once
    // promoted it has no standby to wait for (the primary's synchronous_standby_names would hang every commit).
    appendFileSync(join(pg.data, 'postgresql.auto.conf'), `port = ${port}\nunix_socket_directories = '${dir}'\nsynchronous_standby_names = ''\nprimary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres application_name=replica${port}'\n`);
    pg.start();
    return pg;
  }

  start(): void {
    run('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
  }

  /** `immediate` is a crash (no checkpoint, clients cut); `fast` a clean shutdown. */
  stop(mode: 'immediate' | 'fast' = 'fast'): void {
    run('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  promote(): void {
    run('pg_ctl', ['-D', this.data, '-w', '-t', '60', 'promote']);
  }

  get running(): boolean {
    return spawnSync(join(postgresBinDir(), 'pg_ctl'), ['-D', this.data, 'status'], { encoding: 'utf8' }).status === 0;
  }

  /** Stops the server if it runs and deletes its files (afterAll). */
  destroy(): void {
    try {
      if (existsSync(join(this.data, 'postmaster.pid'))) this.stop('immediate');
    } catch {
      /* already stopped */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  writeFile(name: string, text: string): void {
    writeFileSync(join(this.data, name), text);
  }
}
