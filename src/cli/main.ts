// The `nightshift` command. Each command parses its flags, opens a runtime through the public API
// (cli/context.ts), prints human text or --json, and sets the exit code (cli/exit-codes.ts); the commands
// live in cli/commands/. Errors go to stderr, mapped to exit codes here, in one place.
// Every command and option is declared up front (for --help, usage errors and repeated-options.ts), but
// what a command does, and the runtime with it, is imported only when its action runs: `--version` or a
// usage error loads commander and these declarations, not the runtime (bench/README.md, "CLI start-up").
import { Command, CommanderError } from 'commander';
import { isNightshiftError } from '../errors.js';
import { auditCommand } from './commands/audit.js';
import { consoleCommand } from './commands/console.js';
import { decisionCommands } from './commands/decisions.js';
import { emitCommand } from './commands/emit.js';
import { evalCommand } from './commands/eval.js';
import { improveCommand } from './commands/improve.js';
import { inboxCommand, inspectCommands } from './commands/inspect.js';
import { mcpCommand } from './commands/mcp.js';
import { notifyCommand } from './commands/notify.js';
import { runCommand } from './commands/run.js';
import { exitIfStopped, serveCommand } from './commands/serve.js';
import { statsCommand } from './commands/stats.js';
import { tokenCommand } from './commands/token.js';
import { validateCommand } from './commands/validate.js';
import { versionCommands } from './commands/versions.js';
import { cliContext, loadConfigReader, Output } from './context.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { commandName, packageVersion } from './invocation.js';
import { refuseRepeatedOptions } from './repeated-options.js';
import { printable } from './terminal-text.js';

export async function main(
  argv: string[],
  io = new Output(
    (s) => process.stdout.write(`${s}\n`),
    (s) => process.stderr.write(`${s}\n`),
  ),
): Promise<number> {
  // The hints we print name the command the way the user ran it (`npx nightshift …` under npx).
  const cmd = commandName();
  const cli = cliContext(io, cmd);
  const program = new Command('nightshift')
    .description('Run background agents with bounded authority')
    .version(packageVersion(), '-v, --version', 'print the nightshift version')
    // The program's own options (-v/--version) only before a command, so a command may have a
    // --version of its own (`stats --version <role version>`).
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      // commander's own refusals (an unknown command, option or argument, a missing one) carry the code
      // every other usage error carries, `error [USAGE]: …`, so a script can tell them by it (exit 2).
      outputError: (s, write) => write(s.replace(/^error: /, 'error [USAGE]: ')),
    })
    .showHelpAfterError(`(run ${cmd} --help for usage)`);
  // In the order `--help` lists them.
  runCommand(program, cli);
  inboxCommand(program, cli);
  decisionCommands(program, cli);
  inspectCommands(program, cli);
  statsCommand(program, cli);
  serveCommand(program, cli);
  mcpCommand(program, cli);
  consoleCommand(program, cli);
  notifyCommand(program, cli);
  emitCommand(program, cli);
  validateCommand(program, cli);
  evalCommand(program, cli);
  improveCommand(program, cli);
  auditCommand(program, cli);
  versionCommands(program, cli);
  tokenCommand(program, cli);
  refuseRepeatedOptions(program);
  // Before any command's action (and only then): cli.projectConfig() is synchronous, its reader is not
  // imported at start. A failure here rejects parseAsync, so it is mapped below like any other.
  program.hook('preAction', loadConfigReader);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return io.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    if (isNightshiftError(err)) {
      // A message may quote a model's or an event's text (a run's error): escaped for the terminal.
      io.err(printable(`error [${err.code}]: ${err.message}`));
      return exitCodeForError(err.code);
    }
    io.err(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    return EXIT.failed;
  } finally {
    await cli.runtime()?.close();
    exitIfStopped();
  }
}
