// The list of migrations, in order. Each migration stays a plain, frozen file; this index
// only names them so that every runtime (tsx, vitest, the compiled dist/ and the bundled
// bin) loads the same set without dynamic file imports. Add one line per new migration.
import type { Migration } from 'kysely';
import * as initialSchema from './2026_11_28_00_00_00_initial_schema.js';
import * as oneActiveCompletion from './2026_11_28_01_00_00_one_active_completion.js';
import * as outboxItems from './2026_12_01_00_00_00_outbox_items.js';
import * as targetOverrides from './2026_12_02_20_00_00_target_overrides.js';
import * as inbox from './2026_12_02_30_00_00_inbox.js';
import * as masterData from './2026_12_02_40_00_00_master_data.js';
import * as selfCheck from './2026_12_02_10_00_00_self_check.js';
import * as unitItems from './2026_12_02_10_10_00_unit_items.js';
import * as applications from './2026_12_02_10_20_00_applications.js';
import * as assessmentRounds from './2026_12_02_50_00_00_assessment_rounds.js';
import * as rectification from './2026_12_02_50_01_00_rectification.js';
import * as rateBucket from './2026_12_03_10_00_00_rate_bucket.js';
import * as changeWindowIndexes from './2026_12_03_20_00_00_change_window_indexes.js';
import * as unitVersion from './2026_12_03_30_00_00_unit_version.js';

export const migrations: Record<string, Migration> = {
  '2026_11_28_00_00_00_initial_schema': initialSchema,
  '2026_11_28_01_00_00_one_active_completion': oneActiveCompletion,
  '2026_12_01_00_00_00_outbox_items': outboxItems,
  '2026_12_02_20_00_00_target_overrides': targetOverrides,
  '2026_12_02_30_00_00_inbox': inbox,
  '2026_12_02_40_00_00_master_data': masterData,
  '2026_12_02_10_00_00_self_check': selfCheck,
  '2026_12_02_10_10_00_unit_items': unitItems,
  '2026_12_02_10_20_00_applications': applications,
  '2026_12_02_50_00_00_assessment_rounds': assessmentRounds,
  '2026_12_02_50_01_00_rectification': rectification,
  '2026_12_03_10_00_00_rate_bucket': rateBucket,
  '2026_12_03_20_00_00_change_window_indexes': changeWindowIndexes,
  '2026_12_03_30_00_00_unit_version': unitVersion,
};
