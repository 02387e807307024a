// Imported first by the service entry, so that it runs before the other modules are compiled.
// The service spends most of its life idle between chat messages and scheduler passes; V8's
// defaults trade memory for peak throughput it never needs. `--optimize-for-size` keeps the
// heap and the compiled code smaller. With the young generation capped as below (2 MB semi-
// spaces), the service's peak RSS at city scale (bench/postgres) fell from 322 MB to 144–149
// (PostgreSQL) / 185–194 (SQLite); 4 MB semi-spaces gave 153–155 / 182–198. (SQLite reads
// collecting rows one by one, src/db/database.ts, took SQLite to 153–155.)
// The young generation's size cannot change once the heap exists: `npm start` and the image
// pass `--max-semi-space-size` on node's command line instead (SERVICE_NODE_FLAGS).
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--optimize-for-size');
