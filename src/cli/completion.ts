// `kplex completion bash|zsh`: a shell completion script generated from the command tree, so it
// names exactly the subcommands and options `kplex --help` shows.
import { Argument, Command } from 'commander';

interface Word {
  word: string;
  description: string;
}

/** One command of the tree: its path below `kplex` ('' for kplex itself) and what may follow it. */
interface Level {
  path: string;
  commands: Word[];
  options: Word[];
  /** Options whose next word is their value (completed as a file name). */
  valued: string[];
  /** The values of options that take one of a few. */
  choices: Record<string, string[]>;
}

// Only plain names go into the script: nothing in it is quoted from elsewhere.
const NAME = /^-{0,2}[A-Za-z0-9][A-Za-z0-9-]*$/;
const firstLine = (s: string): string => s.split('\n')[0]!.trim();

/** The command tree, depth first, as the completion scripts need it. */
export function commandLevels(root: Command): Level[] {
  const out: Level[] = [];
  const walk = (cmd: Command, path: string): void => {
    const help = cmd.createHelp();
    const level: Level = { path, commands: [], options: [], valued: [], choices: {} };
    for (const o of help.visibleOptions(cmd)) {
      const flags = [o.short, o.long].filter((f): f is string => f !== undefined && NAME.test(f));
      for (const f of flags) level.options.push({ word: f, description: firstLine(o.description) });
      if (o.required || o.optional) level.valued.push(...flags);
      for (const f of flags) if (o.argChoices) level.choices[f] = o.argChoices.filter((c) => NAME.test(c));
    }
    // a first argument of a few values (`completion <shell>`) completes as subcommands do
    for (const c of cmd.registeredArguments[0]?.argChoices ?? [])
      if (NAME.test(c)) level.commands.push({ word: c, description: '' });
    out.push(level);
    for (const sub of help.visibleCommands(cmd)) {
      for (const name of [sub.name(), ...sub.aliases()].filter((n) => NAME.test(n)))
        level.commands.push({ word: name, description: firstLine(sub.description()) });
      // commander's implicit `help [command]` has no subcommands or options of its own
      if (cmd.commands.includes(sub)) walk(sub, path ? `${path} ${sub.name()}` : sub.name());
    }
  };
  walk(root, '');
  return out;
}

/** A single-quoted shell word (the same in bash and zsh). */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const pathCases = (levels: Level[]): string =>
  levels
    .filter((l) => l.path)
    .map((l) => q(l.path))
    .join('|');

/** `case` branches, one per option with a few values, running `then` with $values set. */
const choiceCases = (levels: Level[], open: string, then: string): string =>
  levels
    .flatMap((l) =>
      Object.entries(l.choices).map(
        ([flag, values]) =>
          `      ${open}${q(`${l.path}|${flag}`)}) values=${q(values.join(' '))}; ${then} ;;`,
      ),
    )
    .join('\n');

const valuedCases = (levels: Level[]): string =>
  levels.flatMap((l) => l.valued.map((v) => q(`${l.path}|${v}`))).join('|');

export function bashCompletion(root: Command): string {
  const levels = commandLevels(root);
  const name = root.name();
  const words = (pick: (l: Level) => Word[]) =>
    levels
      .map(
        (l) =>
          `    ${q(l.path)}) words=${q(
            pick(l)
              .map((w) => w.word)
              .join(' '),
          )} ;;`,
      )
      .join('\n');
  return `# bash completion for ${name}: source <(${name} completion bash)
_${name}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd='' next words='' values i
  # the subcommand typed so far: the words that extend a known command path
  for ((i = 1; i < COMP_CWORD; i++)); do
    next="\${cmd:+$cmd }\${COMP_WORDS[i]}"
    case $next in
      ${pathCases(levels) || "''"}) cmd=$next ;;
    esac
  done
  # an option's value: the shell's own completion (file names)
  if [[ $cur != -* ]]; then
    case "$cmd|$prev" in
${choiceCases(levels, '', 'COMPREPLY=($(compgen -W "$values" -- "$cur")); return 0')}      ${valuedCases(levels) || "''"}) return 0 ;;
    esac
  fi
  if [[ $cur == -* ]]; then
    case $cmd in
${words((l) => l.options)}
    esac
  else
    case $cmd in
${words((l) => l.commands)}
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _${name} ${name}
`;
}

export function zshCompletion(root: Command): string {
  const levels = commandLevels(root);
  const name = root.name();
  const items = (pick: (l: Level) => Word[]) =>
    levels
      .map(
        (l) =>
          `      (${q(l.path)}) items=(${pick(l)
            .map((w) => q(`${w.word.replace(/:/g, '\\:')}:${w.description}`))
            .join(' ')}) ;;`,
      )
      .join('\n');
  return `#compdef ${name}
# zsh completion for ${name}: source <(${name} completion zsh) after compinit, or save as _${name} in $fpath
_${name}() {
  local cmd='' next values i cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  local -a items
  for ((i = 2; i < CURRENT; i++)); do
    next="\${cmd:+$cmd }\${words[i]}"
    case $next in
      (${pathCases(levels) || "''"}) cmd=$next ;;
    esac
  done
  if [[ $cur != -* ]]; then
    case "$cmd|$prev" in
${choiceCases(levels, '(', 'compadd -- ${=values}; return')}      (${valuedCases(levels) || "''"}) _files; return ;;
    esac
  fi
  if [[ $cur == -* ]]; then
    case $cmd in
${items((l) => l.options)}
    esac
  else
    case $cmd in
${items((l) => l.commands)}
    esac
  fi
  if (( \${#items} )); then _describe -t commands ${q(name)} items; else _files; fi
}
if [[ $funcstack[1] == _${name} ]]; then _${name} "$@"; else compdef _${name} ${name}; fi
`;
}

const SHELLS: Record<string, (root: Command) => string> = { bash: bashCompletion, zsh: zshCompletion };

export function completionCommand(program: () => Promise<Command>): Command {
  return new Command('completion')
    .description('print a shell completion script (bash or zsh)')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SHELLS)))
    .addHelpText(
      'after',
      `
Examples:
  source <(kplex completion bash)               # this shell; in ~/.bashrc for every one
  kplex completion zsh > "\${fpath[1]}/_kplex"   # zsh (compinit loads it)`,
    )
    .action(async (shell: string) => {
      process.stdout.write(SHELLS[shell]!(await program()));
    });
}
