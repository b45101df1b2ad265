/**
 * The `psa-connector` bin runs the compiled CLI from dist/ when it is current (fast start), and
 * the TypeScript sources through tsx when dist/ is missing or older than a source (never stale
 * code). scripts/build.sh builds dist/ and skips the work when nothing changed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Loaded with `node -r` before the bin: reports on exit whether tsx (the source path) was loaded. */
function tsxProbe(dir: string): string {
  const file = join(dir, 'tsx-probe.js');
  writeFileSync(file, "process.on('exit', () => process.stderr.write(Object.keys(require.cache).some((k) => k.includes('/node_modules/tsx/')) ? '[ran sources]' : '[ran dist]'));\n");
  return file;
}

function runBin(root: string, probe: string, args: string[]) {
  const r = spawnSync(process.execPath, ['-r', probe, join(root, 'client/bin/psa-connector.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the compiled CLI', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'psa-bin-'));
  const probe = tsxProbe(tmp);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('scripts/build.sh compiles dist/, the bin then runs it (not tsx) with the same output; a second build is skipped', () => {
    const first = execFileSync('bash', ['scripts/build.sh'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    expect(first).toMatch(/✓ build: dist\//);
    expect(execFileSync('bash', ['scripts/build.sh'], { cwd: ROOT, encoding: 'utf8' })).toBe('✓ build: dist/ (up to date)\n');

    const compiled = runBin(ROOT, probe, ['--help']);
    expect(compiled).toMatchObject({ code: 0, stderr: '[ran dist]' });
    const fromSources = spawnSync(process.execPath, ['--import', 'tsx', 'client/cli/main.ts', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(compiled.stdout).toBe(fromSources.stdout);

    const bad = runBin(ROOT, probe, ['customers', 'map', 'c-1', '-c', 'cw', '--company', 'x']);
    expect(bad).toEqual({ code: 2, stdout: '', stderr: '--company: must be a positive whole number (got x)\n[ran dist]' });
  }, 200_000);

  it('falls back to the sources when dist/ is missing or older than a source file, and says why', () => {
    // A miniature project: the real bin files, a source CLI and a "compiled" one that say which ran.
    const root = join(tmp, 'project');
    mkdirSync(join(root, 'client/bin'), { recursive: true });
    mkdirSync(join(root, 'client/cli'), { recursive: true });
    mkdirSync(join(root, 'dist/client/cli'), { recursive: true });
    for (const f of ['psa-connector.js', 'build-state.js']) copyFileSync(join(ROOT, 'client/bin', f), join(root, 'client/bin', f));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    writeFileSync(join(root, 'tsconfig.json'), '{}');
    writeFileSync(join(root, 'tsconfig.build.json'), '{ "include": ["client"] }');
    writeFileSync(join(root, 'client/cli/main.ts'), "export async function main(): Promise<number> { process.stdout.write('sources\\n'); return 0; }\n");
    writeFileSync(join(root, 'dist/client/cli/main.js'), "exports.main = async () => { process.stdout.write('compiled\\n'); return 0; };\n");
    const past = new Date(Date.now() - 60_000);
    for (const f of ['tsconfig.json', 'tsconfig.build.json', 'client/cli/main.ts']) utimesSync(join(root, f), past, past);

    const check = () => spawnSync(process.execPath, [join(root, 'client/bin/build-state.js'), 'check'], { encoding: 'utf8' });
    expect(runBin(root, probe, [])).toMatchObject({ code: 0, stdout: 'sources\n', stderr: '[ran sources]' }); // no stamp: not built by build.sh
    expect(check()).toMatchObject({ status: 1, stdout: 'dist/.build-stamp is missing (dist/ was not built by scripts/build.sh)\n' });

    writeFileSync(join(root, 'dist/.build-stamp'), '');
    expect(runBin(root, probe, [])).toEqual({ code: 0, stdout: 'compiled\n', stderr: '[ran dist]' });
    expect(check()).toMatchObject({ status: 0, stdout: '' });

    utimesSync(join(root, 'client/cli/main.ts'), new Date(), new Date(Date.now() + 5_000)); // edited after the build
    expect(runBin(root, probe, [])).toMatchObject({ code: 0, stdout: 'sources\n', stderr: '[ran sources]' });
    expect(check()).toMatchObject({ status: 1, stdout: 'client/cli/main.ts changed since the last build\n' });

    rmSync(join(root, 'dist'), { recursive: true });
    expect(runBin(root, probe, [])).toMatchObject({ code: 0, stdout: 'sources\n', stderr: '[ran sources]' });
    expect(check()).toMatchObject({ status: 1, stdout: 'no build at dist/client/cli/main.js\n' });
  });
});
