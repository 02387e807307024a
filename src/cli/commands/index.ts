import type { Command } from 'commander';
import { registerAdminCommands } from './admin.js';
import { registerExportCommand } from './export.js';
import { registerReviewCommands } from './review.js';
import { registerSchedulerCommands } from './scheduler.js';
import { registerScoringCommands } from './scoring.js';
import { registerTaskCommands } from './tasks.js';
import { registerTemplateCommands } from './template.js';

/** Every subcommand module registers here (one line each). */
export function registerCommands(program: Command): void {
  registerAdminCommands(program);
  registerScoringCommands(program);
  registerTaskCommands(program);
  registerSchedulerCommands(program);
  registerTemplateCommands(program);
  registerExportCommand(program);
  registerReviewCommands(program);
}
