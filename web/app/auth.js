// Signing in with the Cognito user pool, as any app would: its public API called from the browser (InitiateAuth
// with USER_PASSWORD_AUTH, SignUp, ConfirmSignUp, and REFRESH_TOKEN_AUTH before the id token expires).
// Locally config.cognito_url is moto's endpoint; deployed, https://cognito-idp.<region>.amazonaws.com/.
import {ApiError} from "./api.js";

const STORE = "everywhere.session";
const REFRESH_BEFORE_S = 120;

function claimsOf(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = decodeURIComponent(atob(part).split("").map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""));
  return JSON.parse(json);
}

export function createAuth(config) {
  // sessionStorage: one person per tab, kept across a reload, gone when the tab closes.
  let session = JSON.parse(sessionStorage.getItem(STORE) || "null");

  async function cognito(target, body) {
    let response;
    try {
      response = await fetch(config.cognito_url, {
        method: "POST",
        headers: {"Content-Type": "application/x-amz-json-1.1",
                  "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`},
        body: JSON.stringify({ClientId: config.client_id, ...body}),
      });
    } catch {
      throw new ApiError(0, "NetworkError", "The sign-in service could not be reached.");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const code = String(data.__type || "Error").split("#").pop();
      throw new ApiError(response.status, code, data.message || data.Message || code);
    }
    return data;
  }

  function keep(result, email) {
    const claims = claimsOf(result.IdToken);
    session = {
      idToken: result.IdToken,
      refreshToken: result.RefreshToken || (session && session.refreshToken),
      expires: claims.exp,
      email,
    };
    sessionStorage.setItem(STORE, JSON.stringify(session));
    return claims;
  }

  return {
    get signedIn() { return session !== null; },
    get claims() { return session ? claimsOf(session.idToken) : null; },
    get userId() { return session ? claimsOf(session.idToken).sub : null; },
    get isOperator() {
      return Boolean(session && (claimsOf(session.idToken)["cognito:groups"] || []).includes("operators"));
    },
    async signIn(email, password) {
      const answer = await cognito("InitiateAuth", {
        AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: {USERNAME: email, PASSWORD: password},
      });
      if (!answer.AuthenticationResult) {
        throw new ApiError(400, "ChallengeNotSupported", `This account needs ${answer.ChallengeName}: not supported here.`);
      }
      return keep(answer.AuthenticationResult, email);
    },
    async signUp(email, password, name) {
      return cognito("SignUp", {
        Username: email, Password: password,
        UserAttributes: [{Name: "email", Value: email}, {Name: "name", Value: name}],
      });
    },
    async confirm(email, code) {
      return cognito("ConfirmSignUp", {Username: email, ConfirmationCode: code});
    },
    /** The id token, refreshed first when it is about to expire; null when signed out. */
    async idToken() {
      if (!session) return null;
      if (session.expires - Date.now() / 1000 < REFRESH_BEFORE_S && session.refreshToken) {
        const answer = await cognito("InitiateAuth", {
          AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: {REFRESH_TOKEN: session.refreshToken},
        });
        keep(answer.AuthenticationResult, session.email);
      }
      return session.idToken;
    },
    signOut() {
      session = null;
      sessionStorage.removeItem(STORE);
    },
  };
}
