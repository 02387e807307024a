/** The roster sheet: Chinese role words, contacts, duplicates; parsed rows and grouped errors, no database. */
import { describe, expect, it } from 'vitest';
import { ImportRowsError } from '../../src/io/row-errors.js';
import { normalizePhone, readRosterSheet } from '../../src/io/roster-sheet.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import { csv, encodeGbk, tempDir, writeTemp, writeWorkbook } from './helpers.js';

const plan = loadPlan();
const dir = tempDir();
const context = { leadUnits: plan.leadUnits, unitNames: new Set(['城东社区', '城西社区']) };

describe('normalizePhone', () => {
  it('drops spaces, dashes and +86', () => {
    expect(normalizePhone('138 0013 8000')).toEqual({ phone: '13800138000' });
    expect(normalizePhone('+86 138-0013-8000')).toEqual({ phone: '13800138000' });
  });

  it('explains a number Excel showed in scientific notation', () => {
    expect(normalizePhone('1.38001E+10')).toEqual({ error: expect.stringContaining('科学计数法') });
    expect(normalizePhone('0571-8888888')).toEqual({ error: '手机号「0571-8888888」不是 11 位手机号' });
  });
});

describe('readRosterSheet', () => {
  it('reads a GBK CSV roster with Chinese roles, lead units and contacts', async () => {
    const file = writeTemp(
      dir,
      'roster.csv',
      encodeGbk(
        csv([
          ['姓名', '角色', '牵头单位', '手机号', '邮箱', 'open_id'],
          ['张建虹', '组长', '', '13800138000', '', ''],
          ['王博文', '党建办', '', '', 'wang@example.cn', 'ou_abc123'],
          ['李社管', '牵头单位', '社管中心', '139-0000-0001', '', ''],
          ['周党建', '牵头单位', '党建办（组织）', '13900000002', '', ''],
          ['陈书记', '书记', '城东社区', '', '', ''],
        ]),
      ),
    );
    const { rows, errors } = await readRosterSheet(file, context);
    expect(errors.size).toBe(0);
    expect(rows.map((r) => [r.row, r.name, r.role, r.leadUnit, r.unit, r.phone, r.email, r.openId])).toEqual([
      [2, '张建虹', 'leader', null, null, '13800138000', null, null],
      [3, '王博文', 'office', null, null, null, 'wang@example.cn', 'ou_abc123'],
      [4, '李社管', 'lead_unit', '社管中心', null, '13900000001', null, null],
      [5, '周党建', 'lead_unit', '党建办(组织)', null, '13900000002', null, null],
      [6, '陈书记', 'secretary', null, '城东社区', null, null, null],
    ]);
  });

  it('reports every bad row, grouped, and returns no rows', async () => {
    const file = await writeWorkbook(dir, 'roster-bad.xlsx', (wb) => {
      wb.addWorksheet('填表说明').addRow(['说明']);
      const ws = wb.addWorksheet('花名册');
      ws.addRow(['花名册']);
      ws.addRow(['姓名', '角色', '单位', '手机号', '邮箱', 'open_id']);
      ws.addRow(['甲', '老板', '', '', '', '']);
      ws.addRow(['乙', '牵头单位', '财政所', '', '', '']);
      ws.addRow(['丙', '书记', '不存在社区', '', '', '']);
      ws.addRow(['丁', '成员', '', 13800138000, '', '']);
      ws.addRow(['戊', '成员', '', '13800138000', '', '']);
      ws.addRow(['丁', '成员', '', '', 'bad-mail', 'on_union']);
      // Issue 16 #10: 党建办(组织) is a lead unit, never the office's role.
      ws.addRow(['己', '党建办(组织)', '', '', '', '']);
    });
    const { rows, errors } = await readRosterSheet(file, context);
    expect(rows).toEqual([]);
    let thrown: ImportRowsError | undefined;
    try {
      errors.throwIfAny(file);
    } catch (err) {
      thrown = err as ImportRowsError;
    }
    expect(thrown).toBeInstanceOf(ImportRowsError);
    const lines = thrown!.message.split('\n');
    expect(lines[0]).toBe(`${file}：7 行有错误，没有导入任何数据。`);
    expect(lines.slice(1)).toEqual([
      `  工作表「花名册」第 3 行：不认识的角色「老板」，可填：组长、副组长、领导小组成员、党建办、牵头单位、书记`,
      `  工作表「花名册」第 4 行：「财政所」不是牵头单位，可填：${plan.leadUnits.join('、')}`,
      '  工作表「花名册」第 5 行：单位「不存在社区」不存在',
      '  工作表「花名册」第 6、8 行：姓名「丁」在表中出现了 2 次（2 行）',
      '  工作表「花名册」第 6–7 行：手机号 13800138000 在表中出现了 2 次（2 行）',
      '  工作表「花名册」第 8 行：邮箱「bad-mail」格式不对',
      '  工作表「花名册」第 8 行：open_id「on_union」格式不对，应以 ou_ 开头（on_ 开头的是 union_id，不能用）',
      '  工作表「花名册」第 9 行：「党建办(组织)」是牵头单位，不是角色：角色填「牵头单位」，单位填「党建办(组织)」（领导小组办公室的人填「领导小组办公室」）',
    ]);
  });

  it('refuses a repeated name with both rows', async () => {
    const file = writeTemp(dir, 'roster-dup.csv', csv([['姓名', '角色'], ['张三', '成员'], ['李四', '成员'], ['张三', '副组长']]));
    const { errors } = await readRosterSheet(file, context);
    expect(errors.problems).toEqual([
      { sheet: null, row: 2, column: 'name', message: '姓名「张三」在表中出现了 2 次' },
      { sheet: null, row: 4, column: 'name', message: '姓名「张三」在表中出现了 2 次' },
    ]);
  });
});
