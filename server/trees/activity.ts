/** A successful interaction updates the user's last activity and streak (community/scores.ts rule). */
import type { Db } from '../env.js';
import { streakOnActivity } from '../community/scores.js';
import { prepared } from '../db/prepared.js';

const selectActivity = prepared(1, (db, userId: string) => db.selectFrom('user').select(['last_activity_date', 'streak_last_day_date', 'streak_days']).where('id', '=', userId));
const updateActivity = prepared(4, (db, userId: string, last: string, streakStart: string | null, streakDays: number) =>
	db.updateTable('user').set({ last_activity_date: last, streak_last_day_date: streakStart, streak_days: streakDays }).where('id', '=', userId)
);

/** Update `last_activity_date` and the streak after a successful interaction. */
export async function recordActivity(db: Db, userId: string, now: Date): Promise<void> {
	const [user] = await selectActivity(db, userId);
	if (!user) return;
	const next = streakOnActivity(
		{
			lastActivity: user.last_activity_date ? new Date(user.last_activity_date) : null,
			streakStart: user.streak_last_day_date ? new Date(user.streak_last_day_date) : null,
			streakDays: user.streak_days
		},
		now
	);
	await updateActivity(db, userId, now.toISOString(), next.streakStart?.toISOString() ?? null, next.streakDays);
}
