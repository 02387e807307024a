/** The one parser of option words: each value by the Chinese word the office uses, or its key; unknown words named with the choices. */
import { describe, expect, it } from 'vitest';
import { findRoleWord, parseCadenceWord, parseChatTargetWord, parseLevel, parseOutboxStatusWord, parseRoleWord, parseTaskStatusWord } from '../../src/domain/option-words.js';
import { UserError } from '../../src/errors.js';
import { loadPlan } from '../../src/plan/load-plan.js';

const plan = loadPlan();

function refusal(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected a UserError');
}

describe('roles', () => {
  it.each([
    ['组长', 'leader'],
    ['领导小组组长', 'leader'],
    ['副组长', 'deputy'],
    ['成员', 'member'],
    ['领导小组', 'member'],
    ['领导小组成员', 'member'],
    ['党建办', 'office'],
    ['办公室', 'office'],
    ['领导小组办公室', 'office'],
    ['领导小组办公室（党建办）', 'office'],
    ['牵头单位', 'lead_unit'],
    ['书记', 'secretary'],
    ['社区书记', 'secretary'],
    ['小区党支部书记', 'secretary'],
    ['office', 'office'],
    ['LEAD_UNIT', 'lead_unit'],
    [' 副 组 长 ', 'deputy'],
  ])('%s → %s', (word, role) => {
    expect(parseRoleWord(word)).toBe(role);
    expect(findRoleWord(word)).toBe(role);
  });

  it('an unknown word is refused with the choices in Chinese, naming the option', () => {
    const err = refusal(() => parseRoleWord('老板'));
    expect(err.message).toBe('不认识的角色「老板」，可填：组长、副组长、领导小组成员、党建办、牵头单位、书记');
    expect(err.field).toBe('--role');
    expect(findRoleWord('老板')).toBeUndefined();
  });
});

describe('cadences, task lights, card states, levels', () => {
  it.each([
    ['每月', 'monthly'],
    ['月度', 'monthly'],
    ['每半月', 'twice_monthly'],
    ['每月两次', 'twice_monthly'],
    ['每季度', 'quarterly'],
    ['季度', 'quarterly'],
    ['每两月', 'bimonthly'],
    ['每年', 'yearly'],
    ['定期', 'periodic'],
    ['quarterly', 'quarterly'],
  ])('cadence %s → %s', (word, cadence) => {
    expect(parseCadenceWord(word)).toBe(cadence);
  });

  it.each([
    ['红', 'red'],
    ['红灯', 'red'],
    ['逾期', 'red'],
    ['黄', 'yellow'],
    ['绿', 'green'],
    ['完成', 'done'],
    ['已完成', 'done'],
    ['Red', 'red'],
  ])('task status %s → %s', (word, status) => {
    expect(parseTaskStatusWord(word)).toBe(status);
  });

  it.each([
    ['待发', 'pending'],
    ['发送中', 'sending'],
    ['已发', 'sent'],
    ['失败', 'failed'],
    ['未发', 'skipped'],
    ['sent', 'sent'],
  ])('card state %s → %s', (word, status) => {
    expect(parseOutboxStatusWord(word)).toBe(status);
  });

  it.each([
    ['街道', 'street'],
    ['社区', 'community'],
    ['小区', 'compound'],
    ['楼宇', 'building'],
    ['商圈', 'district'],
    ['社会组织', 'social_org'],
    ['社区层面', 'community'],
    ['community', 'community'],
  ])('level %s → %s', (word, level) => {
    expect(parseLevel(word)).toBe(level);
  });

  it('unknown words are refused in Chinese with the choices', () => {
    expect(refusal(() => parseCadenceWord('每周')).message).toBe('不认识的周期「每周」，可填：每月、每半月、每季度、每两月、每年、定期');
    expect(refusal(() => parseTaskStatusWord('紫')).message).toBe('不认识的状态「紫」，可填：红、黄、绿、完成');
    expect(refusal(() => parseOutboxStatusWord('done')).message).toBe('不认识的状态「done」，可填：待发、发送中、已发、失败、未发');
    expect(refusal(() => parseLevel('村')).message).toBe('不认识的层级「村」，可填：街道、社区、小区、楼宇、商圈、社会组织');
    expect(refusal(() => parseLevel('村', '[层级]')).field).toBe('[层级]');
  });
});

describe('chat targets', () => {
  const leads = plan.leadUnits;
  it('领导小组 and leadership name the leadership group', () => {
    expect(parseChatTargetWord('领导小组', leads)).toEqual({ kind: 'leadership' });
    expect(parseChatTargetWord('leadership', leads)).toEqual({ kind: 'leadership' });
  });

  it("a lead unit by its name, a part that names one alone, or its stored key", () => {
    expect(parseChatTargetWord('社管中心', leads)).toEqual({ kind: 'lead', leadUnit: '社管中心' });
    expect(parseChatTargetWord('社管', leads)).toEqual({ kind: 'lead', leadUnit: '社管中心' });
    expect(parseChatTargetWord('党建办（组织）', leads)).toEqual({ kind: 'lead', leadUnit: '党建办(组织)' });
    expect(parseChatTargetWord('lead:环卫中心', leads)).toEqual({ kind: 'lead', leadUnit: '环卫中心' });
  });

  it('anything else is a unit name for the caller to look up', () => {
    expect(parseChatTargetWord('城东社区', leads)).toEqual({ kind: 'unit', unitName: '城东社区' });
    expect(parseChatTargetWord('unit:城东社区', leads)).toEqual({ kind: 'unit', unitName: '城东社区' });
  });

  it('an unknown lead key and an empty target are refused', () => {
    expect(refusal(() => parseChatTargetWord('lead:财政所', leads)).message).toBe(`没有牵头单位「财政所」，可填：${leads.join('、')}`);
    expect(refusal(() => parseChatTargetWord('  ', leads)).field).toBe('--to');
  });
});
