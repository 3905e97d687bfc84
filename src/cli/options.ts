import { Option, type Command } from 'commander';
import type { ConfigOption } from '../config/serve-config.js';

/** Adds config options to a command: flag, environment variable and default from one table. */
export function addConfigOptions(cmd: Command, options: ConfigOption[]): Command {
  for (const o of options) {
    const opt = new Option(o.flag, o.description).env(o.env);
    // commander stores the value under the flag's camel-cased name: a key that differs is never set.
    if (opt.attributeName() !== o.key)
      throw new Error(`option ${o.flag}: key ${o.key} is not ${opt.attributeName()}`);
    if (o.default !== undefined) opt.default(o.parse ? o.parse(o.default) : o.default, o.default);
    if (o.parse) opt.argParser(o.parse as (v: string) => unknown);
    cmd.addOption(opt);
  }
  return cmd;
}
