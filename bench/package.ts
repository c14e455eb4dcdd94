// The package as a user installs it: `npm pack` (the prepack build, no source maps), then
// `npm install <tarball>` into an empty folder, against `npm install pm2@<the version we use>`
// alone in another: packed and unpacked size, and the size on disk and count of what each
// install puts in node_modules. Needs the npm registry (for pm2 and its dependencies).
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../test/helpers/harness.js';
import { log, MiB, removeDir, round, tempDir, type BenchResult } from './common.js';

const run = promisify(execFile);
const NPM_TIMEOUT_MS = 300_000;
/** Close to pm2's own footprint: pm2-mcp itself, and at most this much more on disk. */
const MAX_EXTRA_PACKAGES = 1;
const MAX_EXTRA_MIB = 2;

interface Installed {
  packages: number;
  diskBytes: number;
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, timeout: NPM_TIMEOUT_MS, maxBuffer: 16 << 20 });
  return stdout;
}

/** What `du -s` counts: the blocks of every file and folder under `dir`, links not followed. */
async function diskBytes(dir: string): Promise<number> {
  const self = await lstat(dir);
  let total = self.blocks * 512;
  if (!self.isDirectory()) return total;
  for (const entry of await readdir(dir)) total += await diskBytes(join(dir, entry));
  return total;
}

/** `npm install <spec>` into an empty folder of `base`: the packages (npm's own record of them) and their size. */
async function install(base: string, name: string, spec: string): Promise<Installed> {
  const dir = join(base, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: `bench-${name}`, private: true })}\n`);
  await npm(['install', spec], dir);
  const lock = JSON.parse(await readFile(join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  return { packages: Object.keys(lock.packages).filter((k) => k.startsWith('node_modules/')).length, diskBytes: await diskBytes(join(dir, 'node_modules')) };
}

export async function benchPackage(): Promise<BenchResult> {
  const dir = await tempDir();
  try {
    log('package: npm pack (runs the prepack build)');
    const [packed] = JSON.parse(await npm(['pack', '--json', '--pack-destination', dir], ROOT)) as Array<{ filename: string; size: number; unpackedSize: number; entryCount: number; files: Array<{ path: string }> }>;
    const pm2Version = (JSON.parse(await readFile(join(ROOT, 'node_modules', 'pm2', 'package.json'), 'utf8')) as { version: string }).version;
    log('package: npm install of the tarball');
    const ours = await install(dir, 'ours', join(dir, packed!.filename));
    log(`package: npm install pm2@${pm2Version}`);
    const pm2 = await install(dir, 'pm2', `pm2@${pm2Version}`);
    const extraPackages = ours.packages - pm2.packages;
    const extraMiB = (ours.diskBytes - pm2.diskBytes) / MiB;
    return {
      name: 'package',
      unit: 'MiB',
      packed_kb: round(packed!.size / 1000, 1),
      unpacked_kb: round(packed!.unpackedSize / 1000, 1),
      files: packed!.entryCount,
      source_maps: packed!.files.filter((f) => f.path.endsWith('.map')).length,
      installed_mib: round(ours.diskBytes / MiB, 1),
      installed_packages: ours.packages,
      pm2_version: pm2Version,
      pm2_alone_installed_mib: round(pm2.diskBytes / MiB, 1),
      pm2_alone_packages: pm2.packages,
      extra_packages: extraPackages,
      extra_mib: round(extraMiB, 1),
      target: `an install of the tarball holds at most ${MAX_EXTRA_PACKAGES} package and ${MAX_EXTRA_MIB} MiB more than pm2 alone, and no source map`,
      met: extraPackages <= MAX_EXTRA_PACKAGES && extraMiB <= MAX_EXTRA_MIB && packed!.files.every((f) => !f.path.endsWith('.map')),
    };
  } finally {
    await removeDir(dir);
  }
}
