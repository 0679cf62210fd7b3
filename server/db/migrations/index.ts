import type { Migration } from 'kysely';
import * as m0001 from './2026_11_27_0001_settings.js';
import * as m0002 from './2026_11_27_0002_trees.js';
import * as m0003 from './2026_11_27_0003_exchange.js';
import * as m0004 from './2026_11_27_0004_training.js';
import * as m0005 from './2026_11_27_0005_accounts.js';
import * as m0006 from './2026_11_28_0001_rate_limits.js';
import * as m0007 from './2026_11_28_0002_work_stamps.js';

/** Every migration, by name; names sort in the order they run. Add new ones at the end. */
export const migrations: Record<string, Migration> = {
	'2026_11_27_0001_settings': m0001,
	'2026_11_27_0002_trees': m0002,
	'2026_11_27_0003_exchange': m0003,
	'2026_11_27_0004_training': m0004,
	'2026_11_27_0005_accounts': m0005,
	'2026_11_28_0001_rate_limits': m0006,
	'2026_11_28_0002_work_stamps': m0007
};
