/** A successful interaction updates the user's last activity and streak (community/scores.ts rule). */
import type { Db } from '../env.js';
import { streakOnActivity } from '../community/scores.js';

/** Update `last_activity_date` and the streak after a successful interaction. */
export async function recordActivity(db: Db, userId: string, now: Date): Promise<void> {
	const user = await db.selectFrom('user').select(['last_activity_date', 'streak_last_day_date', 'streak_days']).where('id', '=', userId).executeTakeFirst();
	if (!user) return;
	const next = streakOnActivity(
		{
			lastActivity: user.last_activity_date ? new Date(user.last_activity_date) : null,
			streakStart: user.streak_last_day_date ? new Date(user.streak_last_day_date) : null,
			streakDays: user.streak_days
		},
		now
	);
	await db
		.updateTable('user')
		.set({
			last_activity_date: now.toISOString(),
			streak_last_day_date: next.streakStart?.toISOString() ?? null,
			streak_days: next.streakDays
		})
		.where('id', '=', userId)
		.execute();
}
