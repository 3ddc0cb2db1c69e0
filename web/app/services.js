// My services: the pins I offer. Publish one at the map's centre (the first 10,000 providers are privileged), or
// delete it. (No pause here: the API lists a provider's active listings only, so a paused one could not be found.)
import {action, categorySelect, cents, field, fill, h, money, notify, onSubmit, precisionSelect} from "./ui.js";

export async function servicesView(ctx) {
  const list = h("ul", {class: "list", id: "my-listings"});
  const refresh = async () => {
    const page = await ctx.api.get(`/users/${ctx.auth.userId}/listings`, {limit: 50});
    fill(list, page.items.length ? page.items.map((l) => h("li", {class: "card", dataset: {listing: l.listing_id}},
      h("strong", {}, l.title), " ", h("span", {class: "status"}, l.status),
      h("div", {class: "meta"}, `${money(l.price_cents, l.currency)} · ${ctx.categoryName(l.category)}${l.privileged ? " · ★ privileged" : ""}`),
      h("div", {class: "actions"},
        action("Delete", async () => { await ctx.api.del(`/listings/${l.listing_id}`); await refresh(); }))))
      : h("li", {class: "hint"}, "You offer nothing yet."));
  };
  const form = onSubmit(h("form", {id: "new-listing", "aria-labelledby": "new-listing-title"},
    h("h3", {id: "new-listing-title"}, "Offer a service at the map's centre"),
    field("Title",
      h("input", {id: "listing-title-in", name: "title", required: true, maxlength: 120})),
    field("Description",
      h("textarea", {id: "listing-description", name: "description", rows: 2, maxlength: 2000})),
    h("div", {class: "row"},
      field("Category",
        categorySelect(ctx.categories, {id: "listing-category"})),
      field("Price (yuan)",
        h("input", {id: "listing-price", name: "price", inputmode: "decimal", required: true})),
      field("Show where",
        precisionSelect("listing-precision"))),
    h("button", {type: "submit", class: "primary"}, "Publish")),
  async (values, f) => {
    const here = ctx.map.getCenter();
    const listing = await ctx.api.post("/listings", {title: values.title.trim(), description: values.description.trim(),
      category: values.category, price_cents: cents(values.price, "price"), lat: here.lat, lon: here.lng,
      location_precision: values.precision});
    f.reset();
    notify(listing.privileged ? "Published: you are a privileged provider, your pins rank first." : "Published.");
    await refresh();
    ctx.pins.refresh();
  });
  await refresh();
  return h("div", {}, h("h2", {}, "My services"), form, list);
}
