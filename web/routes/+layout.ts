// The app renders in the browser (offline-first: data lives in IndexedDB and comes through tRPC),
// and its shell is prerendered so the service worker can precache it and serve every route offline.
export const ssr = false;
export const prerender = true;
export const trailingSlash = 'never';
