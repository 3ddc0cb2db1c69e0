// Live events: one WebSocket per signed-in tab (?token=<id token>), kept alive with pings, reconnected with
// backoff; after every (re)connect the gap is filled from GET /events?after=<last seen>, frames arriving meanwhile
// held back, so each event is handled once and in order. The last seen id is kept per user across reloads.

const PING_EVERY_MS = 4 * 60 * 1000; // API Gateway closes a WebSocket idle for 10 minutes
const CATCH_UP_PAGES = 10;

export class EventFeed {
  constructor(config, auth, api, {onEvent, onResync, onState}) {
    Object.assign(this, {config, auth, api, onEvent, onResync, onState});
    this.socket = null;
    this.stopped = true;
    this.backoffMs = 1000;
    this.held = null; // frames that arrive while catching up
    this.catchUps = 0; // only the latest connection's catch-up releases the held frames
    const stored = localStorage.getItem(this.storeKey);
    this.last = stored === null ? null : Number(stored); // this tab's own: another tab of the user has its own
  }

  get storeKey() { return `everywhere.lastEvent.${this.auth.userId}`; }

  get lastSeen() { return this.last; }

  set lastSeen(id) {
    this.last = id;
    const stored = Number(localStorage.getItem(this.storeKey) || 0);
    if (id > stored) localStorage.setItem(this.storeKey, String(id)); // where the next page load starts
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.pinger);
    clearTimeout(this.retry);
    if (this.socket) this.socket.close();
    this.socket = null;
  }

  /** Drop the connection as a network would (the catch-up after reconnecting is then visible). */
  drop() {
    if (this.socket) this.socket.close();
  }

  async connect() {
    if (this.stopped) return;
    this.onState("connecting");
    let token;
    try {
      token = await this.auth.idToken();
    } catch {
      this.scheduleReconnect();
      return;
    }
    const socket = new WebSocket(`${this.config.ws_url}/?token=${encodeURIComponent(token)}`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.backoffMs = 1000;
      this.pinger = setInterval(() => socket.readyState === 1 && socket.send(JSON.stringify({action: "ping"})), PING_EVERY_MS);
      this.catchUp();
    });
    socket.addEventListener("message", (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      if (typeof frame.event_id !== "number") return; // a pong, or an answer to what we sent
      if (this.held) this.held.push(frame);
      else this.deliver(frame);
    });
    socket.addEventListener("close", () => {
      clearInterval(this.pinger);
      if (this.socket === socket) this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    if (this.stopped) return;
    this.onState("offline");
    this.retry = setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 30000);
  }

  async catchUp() {
    const mine = ++this.catchUps;
    this.held = this.held || [];
    try {
      if (this.lastSeen === null) {
        this.onResync(); // nothing seen on this device yet: the views read afresh instead
      } else {
        let after = this.lastSeen;
        for (let page = 0; page < CATCH_UP_PAGES; page += 1) {
          const answer = await this.api.get("/events", {after, limit: 100});
          answer.items.forEach((event) => this.deliver(event));
          if (!answer.next_cursor) break;
          after = answer.next_cursor;
          if (page === CATCH_UP_PAGES - 1) this.onResync(); // a long absence: read the views afresh
        }
      }
    } catch {
      this.onResync();
    } finally {
      if (mine === this.catchUps) { // a newer connection's catch-up, if any, releases them instead
        const held = this.held || [];
        this.held = null;
        held.sort((a, b) => a.event_id - b.event_id).forEach((frame) => this.deliver(frame));
        this.onState("live");
      }
    }
  }

  deliver(event) {
    const last = this.lastSeen;
    if (last !== null && event.event_id <= last) return;
    this.lastSeen = event.event_id;
    this.onEvent(event);
  }
}
