/** The path (and query) of an absolute URL the API answered, so calls stay on the console's own origin. */
export const pathOf = (url) => { const u = new URL(url, window.location.origin); return u.pathname + u.search; };
