// Entry that bin/bundle.js bundles and runs once per build: the built-in plan, parsed and checked,
// as the JSON file that loadPlan() reads beside the bundle at run time.
import { parseBuiltInPlan, PREPARSED_PLAN_FILE } from './load-plan.js';

export const preparsedPlanFile = (): { name: string; json: string } => ({ name: PREPARSED_PLAN_FILE, json: JSON.stringify(parseBuiltInPlan()) });
