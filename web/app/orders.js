// Orders, both sides of the deal: accept or decline (provider), pay from the wallet (buyer; idempotent), deliver,
// confirm, dispute, cancel, and review once it is settled. Every change arrives live as order.updated.
import {keyed} from "./api.js";
import {titleOf} from "./titles.js";
import {action, cents, field, fill, h, money, notify, onSubmit, when} from "./ui.js";

const SETTLED = new Set(["released", "resolved"]);

/** The orders this person reviewed from this browser (the API answers 409 to a second review from elsewhere). */
function reviewedStore(ctx) {
  const key = `everywhere.reviewed.${ctx.auth.userId}`;
  const ids = new Set(JSON.parse(localStorage.getItem(key) || "[]"));
  return {
    has: (id) => ids.has(id),
    add: (id) => { ids.add(id); localStorage.setItem(key, JSON.stringify([...ids].slice(-200))); },
  };
}

/** What the caller may do to the order now, as (label, request) pairs; the API has the last word (409 otherwise). */
function nextSteps(order, role) {
  const steps = [];
  const s = order.status;
  if (role === "provider" && s === "requested") steps.push(["Accept", "accept"], ["Decline", "decline"]);
  if (role === "buyer" && (s === "accepted" || s === "payment_failed")) steps.push(["Pay from my wallet", "pay"]);
  if (role === "provider" && s === "funded") steps.push(["Mark delivered", "deliver"]);
  if (role === "buyer" && (s === "funded" || s === "delivered")) steps.push(["Confirm: release the money", "confirm"]);
  if (s === "funded" || s === "delivered") steps.push(["Dispute", "dispute"]);
  if (role === "buyer" && ["requested", "accepted", "payment_failed", "funded"].includes(s)) {
    steps.push([s === "funded" ? "Cancel for a refund" : "Cancel", "cancel"]);
  }
  return steps;
}

function orderCard(ctx, order, role, refresh, title) {
  const steps = nextSteps(order, role).map(([label, step]) => action(label, async () => {
    // One key per payment attempt: a double click pays once; a retry after payment_failed is a new attempt.
    const options = step === "pay" ? {idempotencyKey: `pay-${order.order_id}-${order.timeline.length}`} : {};
    try {
      await ctx.api.post(`/orders/${order.order_id}/${step}`, {}, options);
    } finally {
      refresh().catch(() => {}); // a refused step shows what the order is now
      ctx.refreshWallet().catch(() => {});
    }
  }, {class: step === "pay" || step === "confirm" || step === "accept" ? "primary" : null, dataset: {step}}));
  const reviewed = reviewedStore(ctx);
  const review = SETTLED.has(order.status) && reviewed.has(order.order_id)
    ? h("p", {class: "hint"}, "You reviewed this order.")
    : SETTLED.has(order.status) ? onSubmit(h("form", {class: "review-form row", "aria-label": "Review"},
    field(`Rate the ${role === "buyer" ? "provider" : "buyer"}`,
      h("select", {id: `rating-${order.order_id}`, name: "rating"}, [5, 4, 3, 2, 1].map((n) => h("option", {value: n}, `${n} ★`)))),
    field("Review",
      h("input", {id: `review-${order.order_id}`, name: "text", maxlength: 1000})),
    h("button", {type: "submit"}, "Send review")),
  async ({rating, text}, form) => {
    const sent = await ctx.api.post(`/orders/${order.order_id}/review`, {rating: Number(rating), ...(text.trim() ? {text: text.trim()} : {})});
    reviewed.add(order.order_id);
    fill(form, h("p", {class: "hint"}, sent.published_at ? "Review published." : "Review sent: it is published when the other side reviews too, or when the review window closes."));
  }) : null;
  return h("li", {class: "card order", dataset: {order: order.order_id, status: order.status}},
    h("div", {}, h("strong", {}, title), " ",
      h("span", {class: "status"}, order.status.replace("_", " "))),
    h("div", {class: "meta"}, money(order.price_cents, order.currency), ` · you are the ${role} · ${when(order.updated_at)}`),
    order.note ? h("div", {class: "meta"}, `Note: ${order.note}`) : null,
    order.failure_reason ? h("div", {class: "error"}, order.failure_reason) : null,
    order.resolution_note ? h("div", {class: "meta"}, `Resolved: ${order.resolution_note}`) : null,
    order.service_location ? h("div", {class: "meta"},
      `Service at ${order.service_location.lat.toFixed(5)}, ${order.service_location.lon.toFixed(5)}`) : null,
    h("div", {class: "actions"}, steps),
    review);
}

export async function ordersView(ctx, {highlight = null} = {}) {
  const hooks = ctx.current; // this view's, even if another view is shown before it is drawn
  const body = h("div", {id: "orders"});
  let latest = 0;
  const refresh = async () => {
    const mine = ++latest; // answers that return out of order never draw an older state
    const [asBuyer, asProvider] = await Promise.all([
      ctx.api.get("/orders", {role: "buyer", limit: 30}),
      ctx.api.get("/orders", {role: "provider", limit: 30}),
    ]);
    if (mine !== latest) return;
    const titles = await Promise.all([...asBuyer.items, ...asProvider.items].map((o) => titleOf(ctx, o)));
    const named = new Map([...asBuyer.items, ...asProvider.items].map((o, i) => [o.order_id, titles[i]]));
    const section = (title, id, orders, role) => h("section", {id, "aria-labelledby": `${id}-title`},
      h("h3", {id: `${id}-title`}, title),
      orders.length ? h("ul", {class: "list"}, orders.map((o) => orderCard(ctx, o, role, refresh, named.get(o.order_id))))
        : h("p", {class: "hint"}, "None yet."));
    if (mine !== latest) return;
    fill(body, section("What I ordered", "as-buyer", asBuyer.items, "buyer"),
      section("Orders for my services", "as-provider", asProvider.items, "provider"));
    if (highlight) body.querySelector(`[data-order="${highlight}"]`)?.scrollIntoView({block: "nearest"});
  };
  await refresh();
  hooks.onEvent = (event) => {
    if (event.kind === "order.updated" || event.kind === "review.published") { refresh(); return true; }
    return false;
  };
  hooks.onResync = refresh;
  return h("div", {}, h("h2", {}, "Orders"), body);
}

export async function walletView(ctx) {
  const wallet = await ctx.refreshWallet();
  const ledger = await ctx.api.get("/wallet/ledger", {limit: 20});
  const deposit = onSubmit(h("form", {id: "deposit", class: "row"},
    field("Add money (yuan)",
      h("input", {id: "deposit-amount", name: "amount", inputmode: "decimal", required: true, placeholder: "100"})),
    h("button", {type: "submit", class: "primary"}, "Add")),
  async ({amount}, form) => {
    await keyed(form, (key) => ctx.api.post("/wallet/deposits", {amount_cents: cents(amount)}, {idempotencyKey: key}));
    form.reset();
    ctx.show("wallet");
  });
  return h("div", {id: "wallet"}, h("h2", {}, "Wallet"),
    h("p", {}, "Available ", h("strong", {id: "wallet-available"}, money(wallet.available_cents, wallet.currency)),
      " · held in escrow ", h("strong", {id: "wallet-held"}, money(wallet.held_cents, wallet.currency))),
    deposit,
    h("h3", {}, "Journal"),
    ledger.items.length ? h("ul", {class: "list"}, ledger.items.map((e) => h("li", {class: "card"},
      h("strong", {}, money(e.amount_cents, wallet.currency)), ` ${e.kind.replaceAll("_", " ")}`,
      h("div", {class: "meta"}, when(e.at))))) : h("p", {class: "hint"}, "No entries yet."));
}

export function notifyOrder(event) {
  notify(`Order ${event.data.status.replace("_", " ")}: ${money(event.data.price_cents, event.data.currency)}`);
}
