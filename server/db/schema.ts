/**
 * The database schema as TypeScript types: one interface per table, composed into `Database`.
 * Keep in step with ./migrations (which never import this file).
 */
export interface AppSettingTable {
	key: string;
	value: string;
	updated_at: string;
}

export interface Database {
	app_setting: AppSettingTable;
}
