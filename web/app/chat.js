// Chat: my conversations, most recent first, and one conversation's messages, live (message.created events).
import {titleOf} from "./titles.js";
import {field, fill, h, onSubmit, when} from "./ui.js";

export async function chatView(ctx, {conversation = null} = {}) {
  if (conversation) return threadView(ctx, conversation);
  const page = await ctx.api.get("/conversations", {limit: 20});
  const items = await Promise.all(page.items.map(async (c) => h("li", {},
    h("button", {type: "button", class: "result", onclick: () => ctx.show("chat", {conversation: c.conversation_id})},
      h("span", {}, await titleOf(ctx, c)),
      h("span", {class: "meta"}, c.buyer_id === ctx.auth.userId ? "you asked" : "asked of you", " · ",
        when(c.last_message_at || c.created_at))))));
  ctx.chatUnread.clear();
  ctx.updateUnread();
  return h("div", {}, h("h2", {}, "Chat"),
    items.length ? h("ul", {class: "list results", id: "conversations"}, items)
      : h("p", {class: "hint"}, "No conversations yet: open a pin on the map and chat with its provider."));
}

async function threadView(ctx, conversationId) {
  const hooks = ctx.current; // this view's, even if another view is shown before it is drawn
  const conversation = await ctx.api.get(`/conversations/${conversationId}`);
  const list = h("ul", {class: "messages", id: "messages", "aria-label": "Messages", "aria-live": "polite"});
  const seen = new Set();
  const append = (m) => {
    if (seen.has(m.message_id)) return;
    seen.add(m.message_id);
    list.append(h("li", {class: m.sender_id === ctx.auth.userId ? "mine" : "theirs", dataset: {message: m.message_id}},
      h("div", {}, m.text), h("div", {class: "meta"}, m.sender_id === ctx.auth.userId ? "you" : "them", " · ", when(m.sent_at))));
    list.scrollTop = list.scrollHeight;
  };
  const load = async () => {
    let after = null;
    for (let page = 0; page < 10; page += 1) {
      const answer = await ctx.api.get(`/conversations/${conversationId}/messages`, {after, limit: 100});
      answer.items.forEach(append);
      if (!answer.next_cursor || !answer.items.length) break;
      after = answer.items[answer.items.length - 1].message_id;
    }
  };
  await load();
  ctx.chatUnread.delete(conversationId);
  ctx.updateUnread();
  // Live: a message.created for this conversation appends; a resync (a long absence) reads it again.
  hooks.onEvent = (event) => {
    if (event.kind === "message.created" && event.data.conversation_id === conversationId) {
      append(event.data);
      ctx.chatUnread.delete(conversationId);
      ctx.updateUnread();
      return true;
    }
    return false;
  };
  hooks.onResync = load;
  const form = onSubmit(h("form", {id: "send-message", class: "row"},
    field("Message",
      h("input", {id: "message-text", name: "text", required: true, maxlength: 2000, autocomplete: "off"})),
    h("button", {type: "submit", class: "primary"}, "Send")),
  async ({text}, f) => {
    append(await ctx.api.post(`/conversations/${conversationId}/messages`, {text}));
    f.reset();
    f.querySelector("input").focus();
  });
  const title = await titleOf(ctx, conversation);
  const iAmBuyer = conversation.buyer_id === ctx.auth.userId;
  return h("div", {id: "thread"},
    h("button", {type: "button", onclick: () => ctx.show("chat")}, "← All conversations"),
    h("h2", {}, `About “${title}”`),
    h("p", {class: "hint"}, iAmBuyer ? "You are asking the provider." : "A buyer is asking about your service."),
    iAmBuyer ? h("button", {type: "button", onclick: () => ctx.openListing(conversation.listing_id)}, "See the listing, or order it") : null,
    list, form);
}
