import { openPostgres } from '../src/db/database.js';
import { sql } from 'kysely';
const o = await openPostgres(process.env.TEST_DATABASE_URL!);
const t = () => performance.now();
for (let round = 0; round < 3; round++) {
  const seq: number[] = [];
  for (let i = 0; i < 20; i++) { const s = t(); await sql`select 1 as x where ${i} >= 0`.execute(o.db); seq.push(t() - s); }
  const par: string[] = [];
  for (let i = 0; i < 10; i++) {
    const s = t();
    const ds = await Promise.all([0, 1, 2, 3].map(async (k) => { const a = t(); await sql`select ${k}::int as x`.execute(o.db); return (t() - a).toFixed(2); }));
    par.push(`${(t() - s).toFixed(2)}[${ds.join(',')}]`);
    await new Promise((r) => setTimeout(r, 10));
  }
  console.log('seq', seq.map((x) => x.toFixed(2)).join(' '));
  console.log('par', par.join(' '));
}
await o.close();
