/** Row errors grouped by cause and capped for people, complete for --json. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { describeRows, flagDuplicates, groupRowProblems, ImportRowsError, MAX_ERROR_GROUPS_SHOWN, RowErrors, withRowErrorsAsJson } from '../../src/io/row-errors.js';

function thrown(errors: RowErrors): ImportRowsError {
  try {
    errors.throwIfAny('scores.csv');
  } catch (err) {
    if (err instanceof ImportRowsError) return err;
    throw err;
  }
  throw new Error('expected an ImportRowsError');
}

describe('RowErrors', () => {
  it('groups rows with the same cause into ranges: 「第 3–14 行：单位「城东街道2」不存在（12 行）」', () => {
    const errors = new RowErrors();
    for (let row = 3; row <= 14; row++) errors.add({ sheet: null, row }, '单位「城东街道2」不存在', 'unit');
    errors.add({ sheet: null, row: 20 }, '子项 6.1 的分值应在 0 到 10 之间（收到 12）', 'points');
    const err = thrown(errors);
    expect(err.message).toBe(['scores.csv：13 行有错误，没有导入任何数据。', '  第 3–14 行：单位「城东街道2」不存在（12 行）', '  第 20 行：子项 6.1 的分值应在 0 到 10 之间（收到 12）'].join('\n'));
    expect(err).toMatchObject({ code: 'bad_argument', field: '--file' });
  });

  it(`shows at most ${MAX_ERROR_GROUPS_SHOWN} causes, then how many more, and keeps every row for --json`, () => {
    const errors = new RowErrors();
    for (let i = 0; i < 14; i++) errors.add({ sheet: null, row: i + 2 }, `单位「单位${i}」不存在`, 'unit');
    errors.add({ sheet: null, row: 30 }, '单位「单位13」不存在', 'unit');
    const err = thrown(errors);
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(1 + MAX_ERROR_GROUPS_SHOWN + 1);
    expect(lines.at(-1)).toBe('  另有 4 类错误（5 行）未列出；加 --json 可查看每一行的错误。');
    const json = err.toJSON();
    expect(json.errorRows).toBe(15);
    expect(json.groups).toHaveLength(14);
    expect(json.problems).toHaveLength(15);
    expect(json.groups.at(-1)).toEqual({ message: '单位「单位13」不存在', rows: [{ sheet: null, row: 15 }, { sheet: null, row: 30 }], count: 2, where: '第 15、30 行' });
  });

  it('counts a row once per cause even when several of its cells share it (wide layout)', () => {
    const errors = new RowErrors();
    for (const column of ['6.1', '6.2', '7.1']) errors.add({ sheet: '社区', row: 5 }, '单位「无名社区」不存在', column);
    const [group] = groupRowProblems(errors.problems);
    expect(group).toMatchObject({ count: 1, where: '工作表「社区」第 5 行' });
    expect(thrown(errors).message).toContain('1 行有错误');
  });

  it('orders causes by their first row, sheet by sheet, whatever order they were found in', () => {
    const errors = new RowErrors();
    errors.add({ sheet: '小区', row: 3 }, 'B', null);
    errors.add({ sheet: '社区', row: 9 }, 'C', null);
    errors.add({ sheet: '社区', row: 2 }, 'A', null);
    expect(groupRowProblems(errors.problems).map((g) => g.message)).toEqual(['B', 'A', 'C']);
  });

  it('records UserErrors with their field as the column and rethrows anything else', () => {
    const errors = new RowErrors();
    errors.record({ sheet: null, row: 2 }, new UserError('not_found', '单位「X」不存在', 'unit'));
    errors.record({ sheet: null, row: 3 }, new UserError('bad_argument', '年份不对', '--year'));
    expect(errors.problems).toEqual([
      { sheet: null, row: 2, column: 'unit', message: '单位「X」不存在' },
      { sheet: null, row: 3, column: null, message: '年份不对' },
    ]);
    expect(() => errors.record({ sheet: null, row: 4 }, new TypeError('boom'))).toThrow(TypeError);
  });

  it('does nothing when no row failed', () => {
    const errors = new RowErrors();
    expect(() => errors.throwIfAny('x.csv')).not.toThrow();
    expect(errors.size).toBe(0);
  });
});

describe('describeRows', () => {
  it('compresses ranges and cuts long lists with 等', () => {
    expect(describeRows([9, 3, 4, 5, 7].map((row) => ({ sheet: null, row })))).toBe('第 3–5、7、9 行');
    const scattered = Array.from({ length: 12 }, (_, i) => ({ sheet: null, row: 2 + i * 2 }));
    expect(describeRows(scattered)).toBe('第 2、4、6、8、10、12、14、16 行等');
    expect(describeRows([{ sheet: '社区', row: 3 }, { sheet: '小区', row: 5 }, { sheet: '小区', row: 6 }])).toBe('工作表「社区」第 3 行，工作表「小区」第 5–6 行');
  });
});

describe('flagDuplicates', () => {
  it('gives every row of a repeated key one shared message and returns them', () => {
    const errors = new RowErrors();
    const rows = [
      { sheet: null, row: 2, name: '甲' },
      { sheet: null, row: 3, name: '乙' },
      { sheet: null, row: 7, name: '甲' },
      { sheet: null, row: 8, name: '' },
      { sheet: null, row: 9, name: '' },
    ];
    const repeated = flagDuplicates(errors, rows, (r) => r.name || undefined, (r, n) => `名称「${r.name}」出现了 ${n} 次`, 'name');
    expect([...repeated].map((r) => r.row)).toEqual([2, 7]);
    expect(groupRowProblems(errors.problems)).toEqual([{ message: '名称「甲」出现了 2 次', rows: [{ sheet: null, row: 2 }, { sheet: null, row: 7 }], count: 2, where: '第 2、7 行' }]);
  });
});

describe('withRowErrorsAsJson', () => {
  it('prints the full list as JSON with --json and still fails', async () => {
    const printed: unknown[] = [];
    const out = { json: true, print: (data: unknown) => void printed.push(data) };
    const errors = new RowErrors();
    errors.add({ sheet: null, row: 2 }, '缺少单位', 'unit');
    await expect(withRowErrorsAsJson(out, async () => errors.throwIfAny('a.csv'))).rejects.toBeInstanceOf(ImportRowsError);
    expect(printed).toEqual([expect.objectContaining({ file: 'a.csv', errorRows: 1, problems: [{ sheet: null, row: 2, column: 'unit', message: '缺少单位' }] })]);
    printed.length = 0;
    await expect(withRowErrorsAsJson({ ...out, json: false }, async () => errors.throwIfAny('a.csv'))).rejects.toBeInstanceOf(ImportRowsError);
    expect(printed).toEqual([]);
  });
});
