// Signing in, and signing up (then the confirmation code Cognito sends by email; the local pool takes any code).
import {field, h, onSubmit} from "./ui.js";

export function signInView(ctx) {
  const demo = ctx.config.stage === "local"
    ? h("p", {class: "hint"}, "Local stack: alice@everywhere.local, bob@everywhere.local or olga@everywhere.local (an operator); password Everywhere-demo-1.")
    : null;
  const signIn = onSubmit(h("form", {id: "sign-in", "aria-labelledby": "sign-in-title"},
    h("h2", {id: "sign-in-title"}, "Sign in"),
    demo,
    field("Email", h("input", {name: "email", type: "email", autocomplete: "username", required: true})),
    field("Password", h("input", {name: "password", type: "password", autocomplete: "current-password", required: true})),
    h("button", {type: "submit", class: "primary"}, "Sign in")),
  async ({email, password}) => {
    await ctx.auth.signIn(email.trim(), password);
    await ctx.signedIn();
  });

  const confirm = onSubmit(h("form", {id: "confirm", hidden: true, "aria-labelledby": "confirm-title"},
    h("h3", {id: "confirm-title"}, "Enter the code we emailed you"),
    ctx.config.stage === "local" ? h("p", {class: "hint"}, "Locally no email is sent: any code is accepted.") : null,
    field("Code", h("input", {name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true})),
    h("button", {type: "submit", class: "primary"}, "Confirm and sign in")),
  async ({code}) => {
    const {email, password} = pending;
    await ctx.auth.confirm(email, code.trim());
    await ctx.auth.signIn(email, password);
    await ctx.signedIn();
  });

  let pending = null;
  const signUp = onSubmit(h("form", {id: "sign-up", "aria-labelledby": "sign-up-title"},
    h("h2", {id: "sign-up-title"}, "New here? Sign up"),
    field("Your name", h("input", {name: "name", autocomplete: "name", required: true, maxlength: 80})),
    field("Email", h("input", {name: "email", type: "email", autocomplete: "email", required: true})),
    field("Password", h("input", {name: "password", type: "password", autocomplete: "new-password", required: true, minlength: 10}),
      "At least 10 characters, with upper and lower case letters and a digit."),
    h("button", {type: "submit"}, "Sign up")),
  async ({name, email, password}) => {
    await ctx.auth.signUp(email.trim(), password, name.trim());
    pending = {email: email.trim(), password};
    confirm.hidden = false;
    confirm.querySelector("input").focus();
  });
  return h("div", {}, signIn, signUp, confirm);
}
