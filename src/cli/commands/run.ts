// `nightshift run <role>`: one run, headless, until it finishes or pauses for a human.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { NightshiftError } from '../../errors.js';
import { cliDataDir } from '../../store/data-dir.js';
import {
  type CliContext,
  type CommonFlags,
  defaultActor,
  parseJsonFlag,
  withCommonFlags,
} from '../context.js';
import { exitCodeForStatus } from '../exit-codes.js';
import { loadRoleAndManagers } from '../role-and-managers.js';

/** What the run needs beyond its flags: imported when it runs, not when it is declared (bench/README.md). */
async function runModules() {
  const [capped, start, idempotency, openStore, sqlite, layout, modelCheck] = await Promise.all([
    import('../../config/capped-read.js'),
    import('../../engine/start.js'),
    import('../../runtime/idempotency-key.js'),
    import('../../runtime/open-store.js'),
    import('../../store/sqlite/open.js'),
    import('../../tools/store-layout.js'),
    import('../model-check.js'),
  ]);
  return {
    ...capped,
    checkRunInput: start.checkRunInput,
    checkIdempotencyKey: idempotency.checkIdempotencyKey,
    embeddedDataDir: openStore.embeddedDataDir,
    DATABASE_FILE: sqlite.DATABASE_FILE,
    assertStoreOutsideWorkspace: layout.assertStoreOutsideWorkspace,
    checkModel: modelCheck.checkModel,
  };
}

export function runCommand(program: Command, cli: CliContext): void {
  withCommonFlags(program.command('run <role>'))
    .description('run a role once, headless, until it finishes or pauses for a human')
    .option('--input <json>', 'the run input as JSON')
    .option('--input-file <path>', 'read the run input from a JSON file')
    .option(
      '--model <spec>',
      "use this model instead of the role's (e.g. script:./s.yaml, anthropic:claude-sonnet-4-5)",
    )
    .option(
      '--idempotency-key <key>',
      'a repeated run with the same key returns the first run (1-200 visible ASCII characters)',
    )
    .action(
      async (
        roleFile: string,
        flags: CommonFlags & { input?: string; inputFile?: string; model?: string; idempotencyKey?: string },
      ) => {
        const {
          MAX_CONFIG_FILE_BYTES,
          notUtf8Reason,
          readCappedText,
          tooLargeReason,
          checkRunInput,
          checkIdempotencyKey,
          embeddedDataDir,
          DATABASE_FILE,
          assertStoreOutsideWorkspace,
          checkModel,
        } = await runModules();
        checkIdempotencyKey(flags.idempotencyKey, '--idempotency-key');
        if (flags.input !== undefined && flags.inputFile !== undefined) {
          throw new NightshiftError('USAGE', 'give either --input or --input-file, not both');
        }
        let input: unknown = {};
        if (flags.input !== undefined) input = parseJsonFlag(flags.input, '--input');
        if (flags.inputFile !== undefined) {
          // Capped like a role file (and like an HTTP body, 1 MiB): a log or dump named by mistake is
          // refused before it is read whole and parsed.
          let read: ReturnType<typeof readCappedText>;
          try {
            read = readCappedText(flags.inputFile);
          } catch (err) {
            throw new NightshiftError('USAGE', `--input-file ${flags.inputFile}: ${(err as Error).message}`);
          }
          if (!read.ok) {
            throw new NightshiftError(
              'USAGE',
              `--input-file ${flags.inputFile} ${tooLargeReason(read.size, MAX_CONFIG_FILE_BYTES, 'run input files')}`,
              {
                details: { file: flags.inputFile, size: read.size ?? null, maxBytes: MAX_CONFIG_FILE_BYTES },
              },
            );
          }
          if (read.notUtf8)
            throw new NightshiftError(
              'USAGE',
              `--input-file ${flags.inputFile}: ${notUtf8Reason(read.notUtf8)}`,
            );
          input = parseJsonFlag(read.text, `--input-file ${flags.inputFile}`);
        }
        // Validate the role and its model before opening the store: a bad setting writes nothing.
        const role = await loadRoleAndManagers(cli, roleFile);
        const model = checkModel(flags.model ?? role.model, cli.projectConfig().models);
        if (model.error) throw model.error;
        for (const w of model.warnings) cli.io.err(w);
        // Before the store is opened (which creates its file): a data dir in the workspace is refused
        // with nothing written there.
        const dataDir = embeddedDataDir({ dataDir: cliDataDir(flags.dataDir, cli.projectConfig().dataDir) });
        if (dataDir !== undefined) assertStoreOutsideWorkspace(role, dataDir);
        // The input against the role's input schema, as the run would check it, so refused input makes no
        // store: only where the file is surely what runs (`versions.source: file`, or no store yet, so no
        // promoted version): else the run checks it against the active version's schema.
        if (
          cli.projectConfig().versions.source === 'file' ||
          (dataDir !== undefined && !existsSync(join(dataDir, DATABASE_FILE)))
        )
          checkRunInput(role, input);
        const rt = await cli.open(flags);
        const result = await rt.run(role, input, {
          model: flags.model,
          idempotencyKey: flags.idempotencyKey,
          actor: defaultActor(),
        });
        await cli.printRun(flags, rt, result);
        cli.io.code = exitCodeForStatus(result.status);
      },
    );
}
