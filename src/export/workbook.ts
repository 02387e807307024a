/**
 * The workbook of an export, written from the data the export service loaded
 * (src/services/export.service.ts passes it in): one writer per kind, the shared styles in
 * ./style.ts. The CLI and the chat command hand `writeWorkbook` to `exportWorkbook`.
 */
import type { WorkbookRequest } from '../services/export.service.js';
import { writeBulletinSheets } from './bulletin-sheet.js';
import { writeApplicationSheets } from './application-sheet.js';
import { writeCandidatesSheet } from './candidates-sheet.js';
import { writeRankingSheets } from './ranking-sheet.js';
import { writeScoreSheet } from './score-sheet.js';
import { newWorkbook, workbookBytes } from './style.js';
import { writeTargetsSheet } from './targets-sheet.js';
import { writeTaskLedger } from './task-ledger.js';

export async function writeWorkbook(request: WorkbookRequest): Promise<{ bytes: Buffer; sheets: string[] }> {
  const wb = await newWorkbook(request.title, request.at);
  const { data } = request;
  switch (data.kind) {
    case 'scores':
      writeScoreSheet(wb, data.report);
      break;
    case 'ranking':
      writeRankingSheets(wb, data.ranking);
      break;
    case 'tasks':
      writeTaskLedger(wb, data.ledger);
      break;
    case 'targets':
      writeTargetsSheet(wb, data.report);
      break;
    case 'bulletin':
      writeBulletinSheets(wb, data.report);
      break;
    case 'applications':
      writeApplicationSheets(wb, data);
      break;
    case 'candidates':
      writeCandidatesSheet(wb, data.list);
      break;
  }
  return { bytes: await workbookBytes(wb), sheets: wb.worksheets.map((w) => w.name) };
}
