/**
 * A file sent to the bot (im.message.receive_v1, message_type 'file'): downloaded through the
 * sender (size cap, retries), read by the same import as every sheet, answered with what was
 * accepted or each refused row: a 自查表, or an Annex 4 申报表.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isDatabaseUnavailable } from '../db/database.js';
import { escapeMarkdown } from '../cards/card.js';
import type { Logger } from '../log.js';
import { importChatFile } from '../services/chat-file.service.js';
import { resolveActor, UNBOUND_HINT } from './access.js';
import { noticeCard } from './cards.js';
import { replyForError } from './errors.js';
import { cardReply, type BotDeps, type ChatMessage, type Reply } from './types.js';

/** Largest file read from a message (the import's own cap, MAX_IMPORT_BYTES). */
export const MAX_CHAT_FILE_BYTES = 10 * 1024 * 1024;

export async function fileMessageReply(msg: ChatMessage & { file: { key: string; name: string } }, deps: BotDeps, log: Logger): Promise<Reply> {
  const actor = await resolveActor(deps, msg.senderOpenId, 'chat');
  if (!actor) return cardReply(noticeCard('需要先绑定', 'orange', [UNBOUND_HINT]));
  const download = deps.outbound.downloadMessageFile;
  if (!download) return cardReply(noticeCard('这里不能读文件', 'grey', ['本地控制台收不到文件；请在飞书里把表格发给我。']));
  const name = escapeMarkdown(msg.file.name);
  let got: Awaited<ReturnType<typeof download>>;
  try {
    got = await download.call(deps.outbound, { messageId: msg.messageId, fileKey: msg.file.key, maxBytes: MAX_CHAT_FILE_BYTES });
  } catch (err) {
    log.error({ err, fileKey: msg.file.key }, 'file download failed');
    return cardReply(noticeCard('文件没有收到', 'orange', [`❌ 从飞书下载「${name}」失败，没有导入。请稍后再发一次。`]));
  }
  if ('tooLarge' in got) return cardReply(noticeCard('文件太大', 'orange', [`❌「${name}」超过 ${MAX_CHAT_FILE_BYTES / 1024 / 1024} MB，没有导入。自查表通常只有几十 KB：请发送「自查表」下载的那份表格。`]));
  const dir = await mkdtemp(join(tmpdir(), 'dangjian-upload-'));
  try {
    // The sent name keeps its extension (how the import tells a workbook from a text table).
    const path = join(dir, basename(msg.file.name).replace(/[\\/:*?"<>|\x00-\x1f]/g, '_') || 'file');
    await writeFile(path, got.bytes);
    const imported = await importChatFile(deps, actor, { path, label: msg.file.name });
    if (imported.kind === 'application') {
      const a = imported.report;
      const lines = [`✅ 「${escapeMarkdown(a.unit)}」的申报已按表格保存为${a.status === 'returned' ? '修改稿（仍为退回状态）' : '草稿'}。`];
      lines.push(a.missing.length > 0 ? `提交前还需填写：${a.missing.join('、')}` : `发送「申报 提交 ${escapeMarkdown(a.unit)}」提交。`);
      return cardReply(noticeCard('申报表已导入', 'green', lines));
    }
    const r = imported.result;
    const lines = r.saved.map((s) => `✅ ${escapeMarkdown(s.unit)}：已导入 ${s.items.length} 项（${s.items.join('、')}）`);
    if (r.blank > 0) lines.push(`另有 ${r.blank} 行自评分为空，保持原样。`);
    lines.push('发送「自查」查看自查清单，确认无误后「自查 提交」。');
    return cardReply(noticeCard('自查表已导入', 'green', lines));
  } catch (err) {
    // The database could not take the import now (locked, full): no answer; the message is tried again.
    if (isDatabaseUnavailable(err)) throw err;
    return replyForError(err, undefined, log);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
