// Commands added to an existing group (`tracker`, `incident`, `mail`) from their own modules, so each
// command keeps one module and the group's module stays untouched.
import type { Command } from 'commander';

/** The top-level group `name`, created when no module registered it yet. */
export function commandGroup(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}
