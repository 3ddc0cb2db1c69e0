// Posted needs (求助 / 抢单): post what I need at the map's centre and watch offers arrive (task.offer); accept
// one and it becomes an order. As a provider: the open needs around the map, an offer on one, and my alert area
// (told of new needs live: task.nearby).
import {action, categorySelect, cents, distance, field, fill, h, money, notify, onSubmit, precisionSelect, when} from "./ui.js";
import {stars} from "./explore.js";
import {visibleCircle} from "./map.js";

const EXPIRIES = [["1 hour", 3600], ["6 hours", 21600], ["1 day", 86400], ["3 days", 259200], ["7 days", 604800]];

function offerCard(ctx, task, offer, refresh) {
  const who = offer.provider;
  return h("li", {class: "card offer", dataset: {offer: offer.offer_id, status: offer.status}},
    h("strong", {}, money(offer.price_cents, offer.currency)), " ", h("span", {class: "status"}, offer.status),
    h("div", {class: "meta"}, who ? `${who.display_name} · ${stars(who.rating_score)} (${who.rating_count || 0})` : offer.provider_id),
    offer.message ? h("p", {}, offer.message) : null,
    task.status === "open" && offer.status === "pending" && task.requester_id === ctx.auth.userId
      ? action("Accept this offer", async () => {
        await ctx.api.post(`/tasks/${task.task_id}/offers/${offer.offer_id}/accept`);
        notify("Offer accepted: the order is in Orders, ready to pay.");
        await refresh();
      }, {class: "primary"}) : null);
}

async function myNeeds(ctx, list) {
  const refresh = async () => {
    const page = await ctx.api.get("/tasks", {role: "requester", limit: 20});
    const cards = await Promise.all(page.items.map(async (task) => {
      const offers = task.status === "open" || task.status === "assigned"
        ? (await ctx.api.get(`/tasks/${task.task_id}/offers`)).items : [];
      return h("li", {class: "card task", dataset: {task: task.task_id, status: task.status}},
        h("strong", {}, task.title), " ", h("span", {class: "status"}, task.status),
        h("div", {class: "meta"}, `budget ${money(task.budget_cents, task.currency)} · ${ctx.categoryName(task.category)} · open until ${when(task.expires_at)}`),
        h("h4", {}, `Offers (${offers.length})`),
        offers.length ? h("ul", {class: "list offers"}, offers.map((o) => offerCard(ctx, task, o, refresh)))
          : h("p", {class: "hint"}, task.status === "open" ? "No offers yet: nearby providers are being told." : ""),
        task.status === "open" ? h("div", {class: "actions"}, action("Cancel this need", async () => {
          await ctx.api.post(`/tasks/${task.task_id}/cancel`);
          await refresh();
        })) : null);
    }));
    fill(list, cards.length ? cards : h("li", {class: "hint"}, "You have not posted a need yet."));
  };
  await refresh();
  return refresh;
}

async function nearbyNeeds(ctx, list) {
  const refresh = async () => {
    const {lat, lon, radius_m} = visibleCircle(ctx.map);
    let items;
    try { // a page may be short, even empty, while next_cursor is set: follow it, as the map does
      items = await ctx.api.all("/tasks/nearby", {lat, lon, radius_m, limit: 20}, 5);
    } catch (error) {
      fill(list, h("li", {class: "error"}, error.message));
      return;
    }
    fill(list, items.length ? items.map((task) => {
      const offer = onSubmit(h("form", {class: "row offer-form", "aria-label": `Offer on ${task.title}`},
        field("Your price (yuan)",
          h("input", {id: `offer-${task.task_id}`, name: "price", inputmode: "decimal", required: true,
            value: (task.budget_cents / 100).toFixed(2)})),
        field("Message",
          h("input", {id: `offer-msg-${task.task_id}`, name: "message", maxlength: 1000})),
        h("button", {type: "submit", class: "primary"}, "Offer")),
      async ({price, message}, form) => {
        await ctx.api.post(`/tasks/${task.task_id}/offers`, {price_cents: cents(price, "price"), message: message.trim()});
        fill(form, h("p", {class: "hint"}, "Offer sent: you hear when the requester chooses."));
      });
      return h("li", {class: "card nearby-task", dataset: {task: task.task_id}},
        h("strong", {}, task.title), h("div", {class: "meta"},
          `${money(task.budget_cents, task.currency)} · ${ctx.categoryName(task.category)} · ${distance(task.distance_m)} away`),
        task.description ? h("p", {}, task.description) : null, offer);
    }) : h("li", {class: "hint"}, "No open needs in the visible area."));
  };
  await refresh();
  return refresh;
}

async function alertArea(ctx, box) {
  const render = async () => {
    let area = null;
    try {
      area = await ctx.api.get("/me/alerts");
    } catch (error) {
      if (error.status !== 404) throw error;
    }
    const chosen = new Set(area ? area.categories : []);
    const form = onSubmit(h("form", {id: "alerts-form"},
      h("fieldset", {}, h("legend", {}, "Tell me of new needs in these categories"),
        h("div", {class: "row"}, ctx.categories.map((c) => h("label", {},
          h("input", {type: "checkbox", name: `c-${c.id}`, value: c.id, checked: chosen.has(c.id)}), ` ${c.name}`)))),
      h("button", {type: "submit", class: "primary"}, "Watch the visible area")),
    async (values) => {
      const categories = Object.keys(values).filter((k) => k.startsWith("c-")).map((k) => values[k]);
      if (!categories.length) throw new Error("Choose at least one category.");
      const {lat, lon, radius_m} = visibleCircle(ctx.map);
      await ctx.api.put("/me/alerts", {lat, lon, radius_m, categories});
      notify("Alert area saved: new needs there reach you live.");
      await render();
    });
    fill(box, area ? h("p", {class: "hint", id: "alert-area"},
      `Watching ${distance(area.radius_m)} around ${area.lat.toFixed(4)}, ${area.lon.toFixed(4)} for ${area.categories.map((c) => ctx.categoryName(c)).join(", ")}.`)
      : h("p", {class: "hint", id: "alert-area"}, "No alert area yet."),
    form, area ? action("Stop alerts", async () => { await ctx.api.del("/me/alerts"); await render(); }) : null);
  };
  await render();
}

export async function needsView(ctx) {
  const hooks = ctx.current; // this view's, even if another view is shown before it is drawn
  const centre = ctx.map.getCenter();
  const post = onSubmit(h("form", {id: "post-need", "aria-labelledby": "post-need-title"},
    h("h3", {id: "post-need-title"}, "Post a need"),
    h("p", {class: "hint"}, `At the map's centre (${centre.lat.toFixed(4)}, ${centre.lng.toFixed(4)}): move the map first to place it.`),
    field("What do you need?",
      h("input", {id: "need-title", name: "title", required: true, maxlength: 120})),
    field("Details",
      h("textarea", {id: "need-description", name: "description", rows: 2, maxlength: 2000})),
    h("div", {class: "row"},
      field("Category",
        categorySelect(ctx.categories, {id: "need-category"})),
      field("Budget (yuan)",
        h("input", {id: "need-budget", name: "budget", inputmode: "decimal", required: true})),
      field("Open for",
        h("select", {id: "need-expiry", name: "expires"}, EXPIRIES.map(([label, s]) => h("option", {value: s, selected: s === 86400 ? "selected" : false}, label)))),
      field("Show where",
        precisionSelect("need-precision"))),
    h("button", {type: "submit", class: "primary"}, "Post")),
  async (values, form) => {
    const here = ctx.map.getCenter();
    await ctx.api.post("/tasks", {title: values.title.trim(), description: values.description.trim(),
      category: values.category, budget_cents: cents(values.budget, "budget"), lat: here.lat, lon: here.lng,
      expires_in_s: Number(values.expires), location_precision: values.precision});
    form.reset();
    notify("Need posted: providers nearby are told.");
    await refreshMine();
  });
  const mine = h("ul", {class: "list", id: "my-needs"});
  const nearby = h("ul", {class: "list", id: "nearby-needs"});
  const alerts = h("div", {id: "alerts"});
  const refreshMine = await myNeeds(ctx, mine);
  const refreshNearby = await nearbyNeeds(ctx, nearby);
  await alertArea(ctx, alerts);
  hooks.onEvent = (event) => {
    if (event.kind === "task.offer") { refreshMine(); return true; }
    if (event.kind === "task.updated") { refreshMine(); refreshNearby(); return false; }
    if (event.kind === "task.nearby") { refreshNearby(); return false; }
    return false;
  };
  hooks.onResync = () => Promise.all([refreshMine(), refreshNearby()]);
  hooks.onMapMove = refreshNearby;
  return h("div", {}, h("h2", {}, "Needs"), post,
    h("h3", {}, "My needs"), mine,
    h("h3", {}, "Open needs in the visible area"), h("p", {class: "hint"}, "As a provider: offer your price."), nearby,
    h("h3", {}, "My alert area"), alerts);
}
