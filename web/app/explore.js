// Explore: filter the map's pins by category and keyword, list what the visible area holds, and open a pin:
// the listing, its provider's profile and reviews, and what a buyer can do next (chat, order, report).
import {keyed} from "./api.js";
import {action, categorySelect, cents, distance, field, fill, h, money, notify, onSubmit, when} from "./ui.js";

export function stars(score) {
  return score === null || score === undefined ? "no reviews yet" : `★ ${Number(score).toFixed(2)}`;
}

export function exploreView(ctx) {
  const results = h("ul", {class: "list results", id: "results", "aria-label": "Services in this area"});
  const summary = h("p", {id: "results-summary", class: "hint", "aria-live": "polite"}, "Searching…");
  const filters = h("form", {id: "filters", role: "search"},
    h("div", {class: "row"},
      field("Category", categorySelect(ctx.categories, {any: true, value: ctx.filters.category})),
      field("Keyword", h("input", {name: "q", type: "search", value: ctx.filters.q, maxlength: 100}))),
    h("button", {type: "submit", class: "primary"}, "Search this area"));
  onSubmit(filters, async ({category, q}) => {
    ctx.filters = {category, q: q.trim()};
    await ctx.pins.setFilters(ctx.filters);
  });
  ctx.onResults = (pins, {more, error}) => {
    if (error) {
      fill(summary, error.message);
      fill(results);
      return;
    }
    const privileged = pins.filter((p) => p.privileged).length;
    const text = `${pins.length} services in this area (${privileged} privileged)` +
      (more ? "; more beyond these: zoom in to see them all." : ".");
    fill(summary, text);
    fill(results, pins.slice(0, 60).map((pin) => h("li", {},
      h("button", {type: "button", class: "result", dataset: {listing: pin.listing_id, category: pin.category},
        onclick: () => ctx.openPin(pin)},
        h("span", {}, pin.privileged ? h("span", {class: "badge", title: "privileged provider"}, "★ ") : null, pin.title),
        h("span", {class: "meta"}, `${money(pin.price_cents, pin.currency)} · ${distance(pin.distance_m)}`)))));
  };
  if (ctx.lastResults) ctx.onResults(...ctx.lastResults);
  return h("div", {}, h("h2", {}, "Services near you"), filters, summary, results);
}

export async function listingView(ctx, listingId) {
  const listing = await ctx.api.get(`/listings/${listingId}`);
  const [profile, reviews] = await Promise.all([
    ctx.api.get(`/users/${listing.provider_id}`),
    ctx.api.get(`/users/${listing.provider_id}/reviews`, {limit: 5}),
  ]);
  const mine = listing.provider_id === ctx.auth.userId;
  const order = onSubmit(h("form", {id: "order-form", "aria-labelledby": "order-title"},
    h("h3", {id: "order-title"}, "Request this service"),
    field("Note for the provider", h("textarea", {name: "note", rows: 2, maxlength: 500})),
    h("button", {type: "submit", class: "primary"}, `Request for ${money(listing.price_cents, listing.currency)}`)),
  async ({note}, form) => { // one key per form (keyed): a retried submit cannot order twice
    const created = await keyed(form, (key) => ctx.api.post("/orders",
      {listing_id: listing.listing_id, ...(note.trim() ? {note: note.trim()} : {})}, {idempotencyKey: key}));
    notify("Order requested: the provider is asked to accept it.");
    ctx.show("orders", {highlight: created.order_id});
  });
  const report = onSubmit(h("form", {id: "report-form", class: "hint"},
    field("Report this listing", h("input", {name: "reason", maxlength: 1000, required: true, placeholder: "What is wrong?"})),
    h("button", {type: "submit"}, "Send report")),
  async ({reason}, form) => {
    await ctx.api.post("/reports", {subject: "listing", subject_id: listing.listing_id, reason});
    form.reset();
    notify("Thank you: an operator will look at it.");
  });
  return h("article", {id: "listing", "aria-labelledby": "listing-title"},
    h("button", {type: "button", onclick: () => ctx.show("explore")}, "← Back to the list"),
    h("h2", {id: "listing-title"}, listing.privileged ? h("span", {class: "badge", title: "privileged provider"}, "★ ") : null,
      listing.title),
    h("p", {class: "price"}, money(listing.price_cents, listing.currency), " · ", ctx.categoryName(listing.category)),
    h("p", {}, listing.description),
    h("section", {class: "card", id: "provider"},
      h("h3", {}, profile.display_name, profile.privileged ? " (privileged provider)" : ""),
      h("p", {class: "meta"}, h("span", {class: "stars"}, stars(profile.rating_score)),
        ` · ${profile.rating_count || 0} reviews`, profile.provider_since ? ` · provider since ${when(profile.provider_since)}` : ""),
      profile.bio ? h("p", {}, profile.bio) : null,
      h("h3", {}, "Reviews"),
      reviews.items.length ? h("ul", {class: "list"}, reviews.items.map((r) =>
        h("li", {class: "card"}, h("span", {class: "stars"}, "★".repeat(r.rating)), ` ${r.text || ""}`,
          h("div", {class: "meta"}, `by a ${r.role} · ${when(r.published_at)}`)))) : h("p", {class: "hint"}, "No reviews yet.")),
    mine ? h("p", {class: "hint"}, "This is your own listing.") : h("div", {},
      h("div", {class: "actions"}, action("Chat with the provider", async () => {
        const conversation = await ctx.api.post("/conversations", {listing_id: listing.listing_id});
        ctx.show("chat", {conversation: conversation.conversation_id});
      }, {class: "primary", id: "start-chat"})),
      order, report));
}
