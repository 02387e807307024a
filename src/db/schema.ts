/**
 * Kysely's typed view of the database (see migrations/ for the DDL). Enum-like columns carry
 * their domain type (Level, Role, Cadence, …): a repository's rows need no casts. SQLite
 * stores them as TEXT; nothing checks them there, so only repositories write these tables.
 */
import type { Generated, Insertable, Selectable, Transaction as KyselyTransaction } from 'kysely';
import type { Role } from '../domain/roles.js';
import type { RoundKind } from '../domain/round-kind.js';
import type { Cadence, Grade, Level, TargetOverride } from '../plan/schema.js';

export interface SettingTable { key: string; value: string }

export interface UnitTable {
  id: Generated<number>;
  name: string;
  level: Level;
  parent_id: number | null;
  created_at: number;
  /** Set by `unit remove --archive`: hidden from grades, ranks and lists; history kept. */
  archived_at: number | null;
}

export interface MemberTable {
  id: Generated<number>;
  name: string;
  open_id: string | null;
  role: Role;
  lead_unit: string | null;
  unit_id: number | null;
  created_at: number;
  /** 11-digit mobile (for `member sync`). */
  mobile: string | null;
  email: string | null;
  /** Set by `member remove`: the row stays (the audit names the member), the member can no longer act. */
  removed_at: number | null;
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

/** The street's own number for one of section 二's targets (src/plan/target-overrides.ts). */
export interface TargetOverrideTable {
  id: Generated<number>;
  milestone: string;
  level: Level;
  grade: NonNullable<TargetOverride['grade']> | null;
  count: number;
  set_by: string;
  set_at: number;
}

export type SelfCheckStatus = 'draft' | 'submitted';

/** A unit's 自查清单 for a year (issue 13); apart from the official assessment. */
export interface SelfCheckTable {
  id: Generated<number>;
  unit_id: number;
  year: number;
  status: SelfCheckStatus;
  created_at: number;
  updated_at: number;
  submitted_at: number | null;
  submitted_by: string | null;
}

/** One self-assessed sub-item; history kept, the newest id per (self_check, item) wins. */
export interface SelfCheckEntryTable {
  id: Generated<number>;
  self_check_id: number;
  item_code: string;
  half_points: number;
  shortfall: string | null;
  measure: string | null;
  /** YYYY-MM-DD. */
  target_date: string | null;
  entered_by: string;
  entered_at: number;
}

export type UnitItemSource = 'self_check' | 'application';

/** A unit's own tracked item: a self-check measure or an application's 任务节点. */
export interface UnitItemTable {
  id: Generated<number>;
  unit_id: number;
  year: number;
  source: UnitItemSource;
  /** Where it comes from (`self_check:<year>:<code>`, `application:<id>:node:<n>`): one open item per ref. */
  source_ref: string;
  title: string;
  /** YYYY-MM-DD. */
  due_date: string;
  created_at: number;
  updated_at: number;
  /** Set when its source no longer asks for it (a measure removed, a new application approved). */
  retired_at: number | null;
}

export interface UnitItemCompletionTable {
  id: Generated<number>;
  unit_item_id: number;
  done_at: number;
  done_by: string;
  undone_at: number | null;
  undone_by: string | null;
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

export type ApplicationStatus = 'draft' | 'submitted' | 'returned' | 'approved';

/** A unit's 申报 (Annex 4) for a year; `fields` is JSON validated by the application service. */
export interface ApplicationTable {
  id: Generated<number>;
  unit_id: number;
  year: number;
  status: ApplicationStatus;
  fields: string;
  office_opinion: string | null;
  opinion_date: string | null;
  created_at: number;
  updated_at: number;
  submitted_at: number | null;
  submitted_by: string | null;
  decided_at: number | null;
  decided_by: string | null;
}

export type ApplicationAction = 'save' | 'submit' | 'return' | 'approve';

export interface ApplicationEventTable {
  id: Generated<number>;
  application_id: number;
  action: ApplicationAction;
  actor: string;
  at: number;
  comment: string | null;
}

/** A unit chosen from a round's candidates for 市县级验收. */
export interface RoundCandidateTable {
  round_id: number;
  unit_id: number;
  chosen_by: string;
  chosen_at: number;
}

export interface ProcessedEventTable { event_id: string; received_at: number }

export type InboxKind = 'message' | 'card';
export type InboxStatus = 'pending' | 'done';

/** A verified event recorded before it was acknowledged (the durable inbox). */
export interface InboxTable {
  id: Generated<number>;
  event_id: string;
  kind: InboxKind;
  /** '' when the event names no chat. */
  chat_id: string;
  /** JSON: the ChatMessage or CardAction. */
  payload: string;
  status: InboxStatus;
  received_at: number;
  done_at: number | null;
}

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

/** The shared Lark rate limiter's state per key (issue 17; PostgreSQL only, empty on SQLite). */
export interface RateBucketTable {
  key: string;
  /** Next slot on the key's smooth schedule (database clock, epoch ms). */
  tat: number;
  /** The latest requests' stamps (completion, or in-flight: far ahead), ascending (PostgreSQL double precision[]). */
  log: number[];
  updated_at: number;
}

/** The unit table's change counter (one row, id 1): bumped by a trigger on every write to unit. */
export interface UnitVersionTable {
  id: number;
  n: number;
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
  target_override: TargetOverrideTable;
  self_check: SelfCheckTable;
  self_check_entry: SelfCheckEntryTable;
  unit_item: UnitItemTable;
  unit_item_completion: UnitItemCompletionTable;
  application: ApplicationTable;
  application_event: ApplicationEventTable;
  processed_event: ProcessedEventTable;
  inbox: InboxTable;
  assessment_round: AssessmentRoundTable;
  assessment_round_event: AssessmentRoundEventTable;
  assessment_round_grade: AssessmentRoundGradeTable;
  rectification_item: RectificationItemTable;
  rectification_completion: RectificationCompletionTable;
  round_candidate: RoundCandidateTable;
  audit_log: AuditLogTable;
  rate_bucket: RateBucketTable;
  unit_version: UnitVersionTable;
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
export type SelfCheckRow = Selectable<SelfCheckTable>;
export type SelfCheckEntryRow = Selectable<SelfCheckEntryTable>;
export type ApplicationRow = Selectable<ApplicationTable>;
export type ApplicationEventRow = Selectable<ApplicationEventTable>;
export type AssessmentRoundRow = Selectable<AssessmentRoundTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
