import type { Command } from 'commander';
import { registerAdminCommands } from './admin.js';
import { registerChatCommands } from './chats.js';
import { registerDbCommands } from './db.js';
import { registerDoctorCommand } from './doctor.js';
import { registerExportCommand } from './export.js';
import { registerMemberCommands } from './members.js';
import { registerReviewCommands } from './review.js';
import { registerSchedulerCommands } from './scheduler.js';
import { registerScoringCommands } from './scoring.js';
import { registerTaskCommands } from './tasks.js';
import { registerTemplateCommands } from './template.js';
import { registerUnitCommands } from './units.js';

/** Every subcommand module registers here (one line each). */
export function registerCommands(program: Command): void {
  registerAdminCommands(program);
  registerUnitCommands(program);
  registerMemberCommands(program);
  registerChatCommands(program);
  registerScoringCommands(program);
  registerTaskCommands(program);
  registerSchedulerCommands(program);
  registerTemplateCommands(program);
  registerExportCommand(program);
  registerDoctorCommand(program);
  registerReviewCommands(program);
  registerDbCommands(program);
}
