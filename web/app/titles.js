// What a person calls a conversation or an order: its listing's (or posted need's) title, read once per page load.
const cache = new Map();

export function titleOf(ctx, {listing_id: listingId = null, task_id: taskId = null}) {
  const path = listingId ? `/listings/${listingId}` : taskId ? `/tasks/${taskId}` : null;
  if (!path) return Promise.resolve("An order");
  if (!cache.has(path)) {
    cache.set(path, ctx.api.get(path).then((found) => found.title)
      .catch(() => (listingId ? "A listing no longer shown" : "A posted need")));
  }
  return cache.get(path);
}
