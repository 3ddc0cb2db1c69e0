// The operator's desk: disputed orders (decide how the held money splits) and open reports (take down, suspend,
// or close with no action), oldest first. Only members of the Cognito group `operators` see it; the API checks.
import {cents, field, fill, h, money, notify, onSubmit, when} from "./ui.js";

export async function deskView(ctx) {
  const hooks = ctx.current;
  const disputes = h("ul", {class: "list", id: "disputes"});
  const reports = h("ul", {class: "list", id: "reports"});
  const refresh = async () => {
    const [orders, open] = await Promise.all([
      ctx.api.get("/admin/orders", {status: "disputed", limit: 20}),
      ctx.api.get("/admin/reports", {status: "open", limit: 20}),
    ]);
    fill(disputes, orders.items.length ? orders.items.map((o) => h("li", {class: "card dispute", dataset: {order: o.order_id}},
      h("strong", {}, o.note || "Order"), " ", money(o.price_cents, o.currency),
      h("div", {class: "meta"}, `buyer ${o.buyer_id.slice(0, 8)} · provider ${o.provider_id.slice(0, 8)} · disputed ${when(o.updated_at)}`),
      onSubmit(h("form", {class: "resolve-form", "aria-label": "Resolve"},
        h("div", {class: "row"},
          field(`To the provider (yuan, of ${money(o.price_cents, o.currency)})`,
            h("input", {id: `release-${o.order_id}`, name: "release", inputmode: "decimal", required: true})),
          field("Note",
            h("input", {id: `note-${o.order_id}`, name: "note", maxlength: 500}))),
        h("button", {type: "submit", class: "primary"}, "Resolve")),
      async ({release, note}) => {
        await ctx.api.post(`/admin/orders/${o.order_id}/resolve`, {release_cents: cents(release, "release"), ...(note.trim() ? {note: note.trim()} : {})});
        notify("Dispute resolved: the held money is split.");
        await refresh();
      }))) : h("li", {class: "hint"}, "No disputes waiting."));
    fill(reports, open.items.length ? open.items.map((r) => h("li", {class: "card report", dataset: {report: r.report_id}},
      h("strong", {}, `${r.subject} ${r.subject_id.slice(0, 10)}`), h("p", {}, r.reason),
      h("div", {class: "meta"}, `reported ${when(r.created_at)}`),
      onSubmit(h("form", {class: "row close-form", "aria-label": "Close report"},
        field("Action",
          h("select", {id: `action-${r.report_id}`, name: "action"}, h("option", {value: "none"}, "none"),
            h("option", {value: "takedown"}, "take it down"), h("option", {value: "suspend"}, "suspend its owner"))),
        field("Note",
          h("input", {id: `rnote-${r.report_id}`, name: "note", maxlength: 1000})),
        h("button", {type: "submit"}, "Close")),
      async ({action, note}) => {
        await ctx.api.post(`/admin/reports/${r.report_id}/close`, {action, ...(note.trim() ? {note: note.trim()} : {})});
        await refresh();
      }))) : h("li", {class: "hint"}, "No open reports."));
  };
  await refresh();
  hooks.onResync = refresh;
  return h("div", {}, h("h2", {}, "Operator's desk"),
    h("h3", {}, "Disputed orders"), disputes, h("h3", {}, "Open reports"), reports);
}
