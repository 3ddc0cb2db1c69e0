// The Everywhere web client: boots from config.json, draws the map, signs the person in, and switches the panel
// between its views; live events refresh what is on screen and tell the person what happened.
import {createApi} from "./api.js";
import {createAuth} from "./auth.js";
import {chatView} from "./chat.js";
import {deskView} from "./desk.js";
import {EventFeed} from "./events.js";
import {exploreView, listingView} from "./explore.js";
import {createMap, createPins} from "./map.js";
import {needsView} from "./needs.js";
import {notifyOrder, ordersView, walletView} from "./orders.js";
import {servicesView} from "./services.js";
import {signInView} from "./signin.js";
import {fill, h, money, notify, showError} from "./ui.js";

const VIEWS = {explore: exploreView, needs: needsView, orders: ordersView, chat: chatView, wallet: walletView,
  services: servicesView, desk: deskView};

async function boot() {
  const config = await (await fetch("config.json", {cache: "no-store"})).json();
  const auth = createAuth(config);
  const api = createApi(config, auth);
  const [regions, categories] = await Promise.all([api.get("/regions"), api.get("/categories")]);
  const map = createMap(document.getElementById("map"), config, regions.items);
  const panel = document.getElementById("panel");
  const names = new Map(categories.items.map((c) => [c.id, c.name]));

  const ctx = {
    config, auth, api, map, panel,
    categories: categories.items,
    categoryName: (id) => names.get(id) || id,
    filters: {category: "", q: ""},
    current: {},
    chatUnread: new Set(),
    pins: null,
    feed: null,
    onResults: () => {},
  };

  ctx.updateUnread = () => {
    const badge = document.getElementById("unread");
    badge.textContent = String(ctx.chatUnread.size);
    badge.hidden = ctx.chatUnread.size === 0;
  };

  ctx.refreshWallet = async () => {
    const wallet = await api.get("/wallet");
    fill(document.getElementById("wallet-summary"),
      h("span", {id: "balance", title: "available in your wallet"}, money(wallet.available_cents, wallet.currency)),
      wallet.held_cents ? h("span", {class: "hint"}, ` (+${money(wallet.held_cents, wallet.currency)} held)`) : null);
    return wallet;
  };

  let showing = 0;
  ctx.show = async (name, options = {}) => {
    const mine = ++showing;
    ctx.current = {};
    ctx.view = name;
    for (const tab of document.querySelectorAll("#nav button")) {
      if (tab.dataset.view === name) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    try {
      const view = await VIEWS[name](ctx, options);
      if (mine === showing) fill(panel, view);
    } catch (error) {
      if (mine === showing) fill(panel, h("p", {class: "error", role: "alert"}, error.message));
    }
  };

  ctx.openListing = async (listingId) => {
    const mine = ++showing;
    ctx.current = {};
    try {
      const view = await listingView(ctx, listingId);
      if (mine === showing) fill(panel, view);
      panel.focus();
    } catch (error) {
      showError(error);
    }
  };
  ctx.openPin = (pin) => ctx.openListing(pin.listing_id);

  const liveDot = document.getElementById("live");
  const onEvent = (event) => {
    const handled = ctx.current.onEvent ? ctx.current.onEvent(event) : false;
    if (event.kind === "message.created" && !handled) {
      ctx.chatUnread.add(event.data.conversation_id);
      ctx.updateUnread();
      if (event.data.sender_id !== auth.userId) notify(`New message: ${event.data.text.slice(0, 80)}`);
    } else if (event.kind === "order.updated") {
      notifyOrder(event);
      ctx.refreshWallet().catch(() => {});
    } else if (event.kind === "task.nearby") {
      notify(`A need nearby: ${event.data.title} (${money(event.data.budget_cents, event.data.currency)})`);
    } else if (event.kind === "task.offer" && !handled) {
      notify(`An offer on your need: ${money(event.data.price_cents, event.data.currency)}`);
    } else if (event.kind === "task.updated" && !handled) {
      notify(`Need ${event.data.title}: ${event.data.status}`);
    } else if (event.kind === "review.published") {
      notify(`A review was published: ${"★".repeat(event.data.rating)}`);
    }
  };

  ctx.signedIn = async () => {
    const me = await api.get("/me");
    fill(document.getElementById("who"), h("span", {id: "me"}, me.display_name || auth.claims.email));
    document.getElementById("nav").hidden = false;
    document.getElementById("desk-tab").hidden = !auth.isOperator;
    document.getElementById("sign-out").hidden = false;
    ctx.refreshWallet().catch(showError);
    ctx.pins = createPins(map, api, {
      onOpen: ctx.openPin,
      onResults: (pins, info) => {
        ctx.lastResults = [pins, info];
        ctx.onResults(pins, info);
        if (!info.error) {
          document.getElementById("map-status").textContent = `${pins.length} services shown${info.more ? " (zoom in for all)" : ""}`;
        }
      },
      onError: (error) => document.getElementById("map-status").replaceChildren(error.message),
    });
    map.on("moveend", () => ctx.current.onMapMove && ctx.current.onMapMove());
    ctx.feed = new EventFeed(config, auth, api, {
      onEvent,
      onResync: () => ctx.current.onResync && ctx.current.onResync(),
      onState: (state) => { liveDot.dataset.state = state; liveDot.title = `live updates: ${state}`; },
    });
    ctx.feed.start();
    await ctx.show("explore");
    await ctx.pins.refresh();
  };

  for (const tab of document.querySelectorAll("#nav button")) {
    tab.addEventListener("click", () => ctx.show(tab.dataset.view));
  }
  document.getElementById("sign-out").addEventListener("click", () => {
    auth.signOut();
    window.location.reload();
  });
  window.everywhere = ctx; // for a developer's console (and the browser tests' reconnect check)

  if (auth.signedIn) {
    try {
      await ctx.signedIn();
      return;
    } catch (error) {
      auth.signOut();
      showError(error);
    }
  }
  document.getElementById("map-status").textContent = "Sign in to see the services on the map.";
  fill(panel, signInView(ctx));
}

boot().catch((error) => showError(error));
