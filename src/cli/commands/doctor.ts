/**
 * `dangjian doctor`: checks a deployment from the server and says, in Chinese, what is wrong and
 * which setting fixes it — the configuration, the database (present, writable, migrated,
 * initialised, an office member bound), then at Lark: the app's credentials (a tenant token), the
 * bot's identity, every subscribed chat (the bot is a member), the contact scope `member sync`
 * needs. Creates and migrates nothing; exits 2 when a check fails.
 */
import type { Command } from 'commander';
import { lazyAction, withCommonOptions } from '../define.js';

const load = () => import('./doctor.actions.js');

export function registerDoctorCommand(program: Command): void {
  withCommonOptions(program.command('doctor').description('检查部署：配置、数据库、飞书凭证、机器人、订阅的群、通讯录权限；说明哪里不对、在哪里改'))
    .action(lazyAction(load, 'runDoctor'));
}
