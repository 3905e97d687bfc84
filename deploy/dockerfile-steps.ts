// Runs the Dockerfile's steps without a container engine: every stage in a directory of its own
// standing for its root, COPY from the build context (the repository) or an earlier stage, RUN in
// the stage's WORKDIR with its ENV. System packages (apt-get) are the base image's business and
// must already be on this machine; they are skipped. What the last stage's directory holds is
// what the image would, and its ENTRYPOINT runs from its WORKDIR.
//   npx tsx deploy/dockerfile-steps.ts <out-dir>
import { execSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Stage {
  name: string;
  dir: string;
  workdir: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
}

/** Instructions, continuation lines joined, comments dropped. */
export function instructions(dockerfile: string): { op: string; args: string }[] {
  const joined = dockerfile.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l);
      return { op: (m?.[1] ?? l).toUpperCase(), args: m?.[2] ?? '' };
    });
}

/** `a=b c=d` (ENV's key=value form). */
function envPairs(args: string): Record<string, string> {
  return Object.fromEntries(
    [...args.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map((m) => [m[1], m[2]!.replace(/^"|"$/g, '')]),
  );
}

export function runDockerfile(out: string, log: (l: string) => void = () => {}): Stage {
  const stages: Stage[] = [];
  let st: Stage | undefined;
  const inStage = (s: Stage, p: string): string => path.join(s.dir, path.posix.resolve(s.workdir, p));
  for (const { op, args } of instructions(readFileSync(path.join(root, 'Dockerfile'), 'utf8'))) {
    if (op === 'FROM') {
      const name = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? `stage${stages.length}`;
      st = { name, dir: path.join(out, name), workdir: '/', env: {}, entrypoint: [], cmd: [] };
      mkdirSync(st.dir, { recursive: true });
      stages.push(st);
      continue;
    }
    if (!st) throw new Error(`${op} before FROM`);
    const s = st;
    switch (op) {
      case 'WORKDIR':
        s.workdir = path.posix.resolve(s.workdir, args);
        mkdirSync(inStage(s, '.'), { recursive: true });
        break;
      case 'ENV':
        Object.assign(s.env, envPairs(args));
        break;
      case 'COPY': {
        const parts = args.split(/\s+/);
        const from = parts[0]?.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
        const dest = parts.pop()!;
        const src = from ? stages.find((x) => x.name === from) : undefined;
        if (from && !src) throw new Error(`COPY --from=${from}: no such stage`);
        for (const p of parts) {
          const source = src ? inStage(src, p) : path.join(root, p);
          const target = dest.endsWith('/')
            ? path.join(inStage(s, dest), path.basename(p))
            : inStage(s, dest);
          cpSync(source, target, { recursive: true });
        }
        break;
      }
      case 'RUN':
        if (/\bapt-get\b/.test(args)) {
          log(`skipped (system packages): ${args}`);
          break;
        }
        log(`RUN ${args}`);
        execSync(args, {
          cwd: inStage(s, '.'),
          env: {
            ...process.env,
            ...s.env,
            // better-sqlite3 builds against the installed Node's headers here (as .ci/run does).
            ...(existsSync('/usr/include/node') ? { npm_config_nodedir: '/usr' } : {}),
          },
          stdio: ['ignore', 'ignore', 'inherit'],
          shell: '/bin/bash',
        });
        break;
      case 'ENTRYPOINT':
        s.entrypoint = JSON.parse(args) as string[];
        break;
      case 'CMD':
        s.cmd = JSON.parse(args) as string[];
        break;
      case 'USER':
      case 'EXPOSE':
      case 'LABEL':
        break;
      default:
        throw new Error(`Dockerfile instruction ${op} is not supported here`);
    }
  }
  if (!st) throw new Error('the Dockerfile has no stage');
  return st;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(
      "Usage: npx tsx deploy/dockerfile-steps.ts [out-dir]\n\nRuns the Dockerfile's stages without a container engine into out-dir (default dockerfile-out): COPY and RUN\nin a directory per stage; apt-get steps are skipped (the packages must be on this machine).",
    );
    process.exit(0);
  }
  const out = path.resolve(process.argv[2] ?? 'dockerfile-out');
  const last = runDockerfile(out, console.log);
  console.log(
    `image root: ${last.dir}; run: cd ${path.join(last.dir, last.workdir)} && ${[...last.entrypoint, ...last.cmd].join(' ')}`,
  );
}
