/**
 * Runs the real `shadowgate` CLI in a child process, as users do, to check exit codes and output.
 *
 * Spawning through a TypeScript loader costs seconds per process, so compiled JavaScript is run:
 * dist/ when it is newer than every source file (`npm test` builds it first), else a private
 * transpile-only copy in .tap/sg-cli-build, refreshed file by file (ts.transpileModule, no type
 * check: that is tsc's job), so other engineers' edits cost milliseconds, not a full build.
 */
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const PRIVATE_BUILD = path.join(ROOT, '.tap', 'sg-cli-build');
const SOURCE_DIRS = ['src', 'plugins'];

function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(path.join(ROOT, d));
  return out;
}

function outputOf(outDir: string, source: string): string {
  return path.join(outDir, path.relative(ROOT, source)).replace(/\.ts$/, '.js');
}

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** Transpiles the sources whose output is missing or older; writes each output atomically. */
function refreshPrivateBuild(files: string[]): void {
  const options: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true };
  for (const src of files) {
    const out = outputOf(PRIVATE_BUILD, src);
    if (mtime(out) >= mtime(src)) continue;
    const js = ts.transpileModule(fs.readFileSync(src, 'utf8'), { fileName: src, compilerOptions: options }).outputText;
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, js);
    fs.renameSync(tmp, out);
  }
}

let cached: string | undefined;

/** Path of a compiled main.js at least as new as the sources. */
export function cliMain(): string {
  if (cached) return cached;
  const files = sources();
  const distFresh = files.every((f) => mtime(outputOf(path.join(ROOT, 'dist'), f)) >= mtime(f));
  if (distFresh) cached = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
  else {
    refreshPrivateBuild(files);
    cached = path.join(PRIVATE_BUILD, 'src', 'cli', 'main.js');
  }
  return cached;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `shadowgate ...args` to completion (bounded by timeoutMs). */
export async function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const main = cliMain();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: ROOT, env: { ...process.env, SHADOWGATE_TOKEN: '', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shadowgate ${args.join(' ')} did not exit within ${options.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running `shadowgate` command; resolves once `ready` matches its stdout. */
export async function startCli(args: string[], ready: RegExp, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string; stop: () => Promise<number | null> }> {
  const main = cliMain();
  const child = spawn(process.execPath, [main, ...args], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const stop = (): Promise<number | null> => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('close', (code) => resolve(code));
    child.kill('SIGTERM');
  });
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shadowgate ${args[0]} not ready within ${options.timeoutMs ?? 20_000} ms:\n${out}`)), options.timeoutMs ?? 20_000);
    const onData = (d: Buffer): void => {
      out += d;
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', (code) => reject(new Error(`shadowgate ${args[0]} exited with ${code}:\n${out}`)));
  });
  return { child, match, output: () => out, stop };
}
