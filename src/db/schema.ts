/**
 * Kysely's typed view of the database (see migrations/ for the DDL). Enum-like columns carry
 * their domain type (Level, Role, Cadence, …): a repository's rows need no casts. SQLite
 * stores them as TEXT; nothing checks them there, so only repositories write these tables.
 */
import type { Generated, Insertable, Selectable, Transaction as KyselyTransaction } from 'kysely';
import type { Role } from '../domain/roles.js';
import type { RoundKind } from '../domain/round-kind.js';
import type { Cadence, Grade, Level } from '../plan/schema.js';

export interface SettingTable { key: string; value: string }

export interface UnitTable {
  id: Generated<number>;
  name: string;
  level: Level;
  parent_id: number | null;
  created_at: number;
}

export interface MemberTable {
  id: Generated<number>;
  name: string;
  open_id: string | null;
  role: Role;
  lead_unit: string | null;
  unit_id: number | null;
  created_at: number;
}

/** `target` is a ChatTarget key (src/domain/chat-target.ts), parsed by chat.repository.ts. */
export interface ChatTable { chat_id: string; target: string; bound_by: string; bound_at: number }

export interface ScoreEntryTable {
  id: Generated<number>;
  unit_id: number;
  year: number;
  item_code: string;
  points: number;
  entered_by: string;
  entered_at: number;
  note: string | null;
  /** The assessment round open for this year when the entry was made (null: none was open). */
  round_id: number | null;
}

export interface VetoTable {
  id: Generated<number>;
  unit_id: number;
  year: number;
  reason: string;
  set_by: string;
  set_at: number;
  cleared_by: string | null;
  cleared_at: number | null;
  clear_reason: string | null;
}

export interface TaskTable {
  id: Generated<number>;
  year: number;
  seq: number;
  category: string;
  content: string;
  deadline_text: string;
  /** JSON array of lead-unit names. */
  lead_units: string;
  cadence: Cadence | null;
  /** JSON TaskTarget or null. */
  target: string | null;
  source: TaskSource;
  created_at: number;
  updated_at: number;
  retired_at: number | null;
}

export interface TaskCompletionTable {
  id: Generated<number>;
  task_id: number;
  period: string;
  done_at: number;
  done_by: string;
  note: string | null;
  /** JSON object of metric key → number, or null. */
  progress: string | null;
  late: Generated<number>;
  undone_at: number | null;
  undone_by: string | null;
}

/** A task from the plan's list, or one the office added. */
export type TaskSource = 'plan' | 'office';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

export interface OutboxTable {
  id: Generated<number>;
  key: string;
  kind: string;
  chat_id: string;
  task_seq: number | null;
  period: string | null;
  /** JSON: what to send (a card's data: the items it carries and its sections). */
  payload: string;
  due_at: number;
  not_before: number;
  status: OutboxStatus;
  attempts: Generated<number>;
  claimed_by: string | null;
  claim_expires_at: number | null;
  sent_at: number | null;
  message_id: string | null;
  last_error: string | null;
  created_at: number;
}

export type OutboxItemStatus = 'pending' | 'carried' | 'skipped';

/** One reminder item (a rule intent, or a 「明天再提醒」 re-send): recorded once by its key, carried by one card. */
export interface OutboxItemTable {
  id: Generated<number>;
  key: string;
  kind: string;
  /** '' when no chat receives it (recorded as skipped). */
  chat_id: string;
  task_year: number | null;
  task_seq: number | null;
  period: string | null;
  /** The local date (YYYY-MM-DD) the item belongs to: the day of the card that should carry it. */
  date: string;
  due_at: number;
  not_before: number;
  status: OutboxItemStatus;
  /** The card (outbox row) that carries it. */
  outbox_id: number | null;
  /** Why it was skipped (or held). */
  reason: string | null;
  /** JSON: the item as the card shows it. */
  payload: string;
  created_at: number;
}

export interface AssessmentRoundTable {
  id: Generated<number>;
  year: number;
  kind: RoundKind;
  opened_at: number;
  opened_by: string;
  /** Null while the round is open. */
  closed_at: number | null;
  closed_by: string | null;
}

export type RoundAction = 'open' | 'close' | 'reopen';

export interface AssessmentRoundEventTable {
  id: Generated<number>;
  round_id: number;
  action: RoundAction;
  at: number;
  by: string;
  reason: string | null;
}

/** A unit's grade frozen when its round closed. */
export interface AssessmentRoundGradeTable {
  round_id: number;
  unit_id: number;
  grade: Grade;
  total: number;
  veto: number;
  /** Sub-items with an entry (0: not assessed in this round). */
  assessed: number;
  /** JSON UnitGrade (src/scoring/types.ts): the grade explained as it stood. */
  detail: string;
}

/** 整改: an item the office issued to a unit a closed round named. */
export interface RectificationItemTable {
  id: Generated<number>;
  round_id: number;
  unit_id: number;
  title: string;
  /** The sub-item it was pre-filled from. */
  item_code: string | null;
  /** Roster name of the responsible secretary. */
  responsible: string;
  due_date: string;
  created_by: string;
  created_at: number;
}

export interface RectificationCompletionTable {
  id: Generated<number>;
  item_id: number;
  done_at: number;
  done_by: string;
  note: string | null;
  undone_at: number | null;
  undone_by: string | null;
}

/** A unit chosen from a round's candidates for 市县级验收. */
export interface RoundCandidateTable {
  round_id: number;
  unit_id: number;
  chosen_by: string;
  chosen_at: number;
}

export interface ProcessedEventTable { event_id: string; received_at: number }

export type AuditSource = 'cli' | 'chat' | 'card' | 'scheduler' | 'system';
export type AuditOutcome = 'ok' | 'denied' | 'error';

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  source: AuditSource;
  action: string;
  subject: string | null;
  outcome: AuditOutcome;
  /** JSON detail. */
  detail: string | null;
}

export interface Database {
  setting: SettingTable;
  unit: UnitTable;
  member: MemberTable;
  chat: ChatTable;
  score_entry: ScoreEntryTable;
  veto: VetoTable;
  task: TaskTable;
  task_completion: TaskCompletionTable;
  outbox: OutboxTable;
  outbox_item: OutboxItemTable;
  processed_event: ProcessedEventTable;
  assessment_round: AssessmentRoundTable;
  assessment_round_event: AssessmentRoundEventTable;
  assessment_round_grade: AssessmentRoundGradeTable;
  rectification_item: RectificationItemTable;
  rectification_completion: RectificationCompletionTable;
  round_candidate: RoundCandidateTable;
  audit_log: AuditLogTable;
}

/** A database handle that is inside a transaction: functions that must run atomically take this. */
export type Transaction = KyselyTransaction<Database>;

export type UnitRow = Selectable<UnitTable>;
export type MemberRow = Selectable<MemberTable>;
export type ChatRow = Selectable<ChatTable>;
export type ScoreEntryRow = Selectable<ScoreEntryTable>;
export type VetoRow = Selectable<VetoTable>;
export type TaskRow = Selectable<TaskTable>;
export type TaskCompletionRow = Selectable<TaskCompletionTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type NewOutbox = Insertable<OutboxTable>;
export type OutboxItemRow = Selectable<OutboxItemTable>;
export type NewOutboxItem = Insertable<OutboxItemTable>;
export type AssessmentRoundRow = Selectable<AssessmentRoundTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
