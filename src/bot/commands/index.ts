/** Every chat command, in the order the help card lists them. */
import { createRegistry } from '../registry.js';
import { application, applicationSheetCommand } from './application.js';
import { bind } from './bind.js';
import { bulletin } from './bulletin.js';
import { candidates } from './candidates.js';
import { digest } from './digest.js';
import { exportCommand } from './export.js';
import { help } from './help.js';
import { init } from './init.js';
import { rank } from './rank.js';
import { rectification } from './rectification.js';
import { review } from './review.js';
import { score } from './score.js';
import { selfCheck, selfCheckSheetCommand, selfScore } from './self-check.js';
import { setscore } from './setscore.js';
import { setTargetCommand } from './set-target.js';
import { subscribe } from './subscribe.js';
import { completeItem, undoItem, unitItems } from './unit-items.js';
import { targets } from './targets.js';
import { done, tasks, undo } from './tasks.js';
import { unsubscribe } from './unsubscribe.js';
import { veto } from './veto.js';

export const registry = createRegistry([help, score, rank, tasks, done, undo, digest, targets, selfCheck, selfScore, selfCheckSheetCommand, application, applicationSheetCommand, unitItems, completeItem, undoItem, exportCommand, review, bulletin, rectification, candidates, setscore, veto, setTargetCommand, subscribe, unsubscribe, bind, init]);
