/** `dangjian member …`: the roster — add (or update), list, import, bind, edit, remove, sync with Feishu. */
import type { Command } from 'commander';
import { lazyAction, withCommonOptions } from '../define.js';

const ROLE_CHOICES = '组长、副组长、成员、党建办、牵头单位、书记（或 leader、deputy、member、office、lead_unit、secretary）';

const load = () => import('./members.actions.js');

export function registerMemberCommands(program: Command): void {
  const member = program.command('member').description('花名册：领导小组、党建办、牵头单位、书记，以及他们的飞书账号');

  withCommonOptions(
    member
      .command('add')
      .description('添加花名册成员；姓名已存在时更新此人（角色、单位按新填的，open_id、手机号、邮箱填了才改）')
      .requiredOption('--name <姓名>', '花名册姓名')
      .requiredOption('--role <角色>', ROLE_CHOICES)
      .option('--unit <单位>', '牵头单位成员填牵头单位，书记填所在社区（或其他单位）')
      .option('--open-id <open_id>', '飞书 open_id（ou_…；也可以之后用 member bind、member sync 或在群里「绑定」）')
      .option('--mobile <手机号>', '11 位手机号（member sync 用它找到飞书账号）')
      .option('--email <邮箱>', '邮箱（没有手机号时 member sync 用它）'),
  ).action(lazyAction(load, 'runMemberAdd'));

  withCommonOptions(member.command('list').description('列出花名册（已移除的不列出）')).action(lazyAction(load, 'runMemberList'));

  withCommonOptions(
    member
      .command('import')
      .description('从花名册表新增或更新成员（按姓名；.xlsx 或 CSV；全部导入或全部不导入）')
      .requiredOption('--file <文件>', '花名册表：姓名、角色、单位、手机号、邮箱、open_id（后三列可空）；模板见 dangjian template roster'),
  ).action(lazyAction(load, 'runMemberImport'));

  withCommonOptions(
    member
      .command('bind')
      .description('把花名册里的人绑定到飞书账号（绑定后即可在群里使用机器人）')
      .requiredOption('--name <姓名>', '花名册姓名')
      .requiredOption('--open-id <open_id>', '此人的飞书 open_id（ou_…）'),
  ).action(lazyAction(load, 'runMemberBind'));

  withCommonOptions(
    member
      .command('edit')
      .description('修改花名册成员（只改给出的项）')
      .requiredOption('--name <姓名>', '现在的姓名')
      .option('--rename <新姓名>', '改成这个姓名')
      .option('--role <角色>', ROLE_CHOICES)
      .option('--unit <单位>', '牵头单位或所在单位')
      .option('--open-id <open_id>', '飞书 open_id（ou_…）')
      .option('--mobile <手机号>', '11 位手机号')
      .option('--email <邮箱>', '邮箱'),
  ).action(lazyAction(load, 'runMemberEdit'));

  withCommonOptions(
    member
      .command('remove')
      .description('移除花名册成员：此人不能再使用机器人，审计记录中的姓名保留（再次 member add 同名可恢复）')
      .requiredOption('--name <姓名>', '花名册姓名'),
  ).action(lazyAction(load, 'runMemberRemove'));

  withCommonOptions(member.command('sync').description('按手机号（或邮箱）在飞书通讯录中查找未绑定的成员并绑定；列出找不到的人')).action(lazyAction(load, 'runMemberSync'));
}
