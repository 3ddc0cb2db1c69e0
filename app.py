"""The Chalice app: wiring only. Every route lives in a blueprint under chalicelib/api/, every scheduled job and
stream consumer under chalicelib/jobs/, the WebSocket handlers in chalicelib/api/websocket.py; every function logs
through chalicelib/observability.py."""
from chalice.app import Chalice, Response, WebsocketEvent

from chalicelib.api import websocket
from chalicelib.api.access_log import log_request
from chalicelib.api.admin import admin_bp
from chalicelib.api.alerts import alerts_bp
from chalicelib.api.authorizer import auth_bp
from chalicelib.api.conversations import conversations_bp
from chalicelib.api.cors import web_cors
from chalicelib.api.events import events_bp
from chalicelib.api.listings import listings_bp
from chalicelib.api.moderation import moderation_bp
from chalicelib.api.orders import orders_bp
from chalicelib.api.profiles import profiles_bp
from chalicelib.api.public import public_bp
from chalicelib.api.reviews import reviews_bp
from chalicelib.api.search import search_bp
from chalicelib.api.tasks import tasks_bp
from chalicelib.api.tasks_nearby import tasks_nearby_bp
from chalicelib.api.wallet import wallet_bp
from chalicelib.jobs.escrow_sweep import escrow_sweep_bp
from chalicelib.jobs.escrow_tokens import escrow_tokens_bp
from chalicelib.jobs.event_streams import event_streams_bp
from chalicelib.jobs.schedules import jobs_bp
from chalicelib.observability import log_invocation
from chalicelib.settings import check_at_cold_start

check_at_cold_start()
app = Chalice(app_name="everywhere", configure_logs=False)  # app.log is observability's JSON logger
app.experimental_feature_flags.update(["WEBSOCKETS"])  # Chalice's WebSocket support is behind this flag
app.api.cors = web_cors()  # before the blueprints: every route takes it (the web client's origin only)
app.register_middleware(log_request, "http")
app.register_middleware(log_invocation, "scheduled")
app.register_middleware(log_invocation, "sqs")
app.register_middleware(log_invocation, "dynamodb")
app.register_middleware(log_invocation, "websocket")
app.register_blueprint(auth_bp)
app.register_blueprint(public_bp)
app.register_blueprint(profiles_bp)
app.register_blueprint(listings_bp)
app.register_blueprint(search_bp)
app.register_blueprint(tasks_nearby_bp)
app.register_blueprint(conversations_bp)
app.register_blueprint(orders_bp)
app.register_blueprint(tasks_bp)
app.register_blueprint(reviews_bp)
app.register_blueprint(wallet_bp)
app.register_blueprint(admin_bp)
app.register_blueprint(moderation_bp)
app.register_blueprint(jobs_bp)
app.register_blueprint(escrow_tokens_bp)
app.register_blueprint(escrow_sweep_bp)
app.register_blueprint(events_bp)
app.register_blueprint(event_streams_bp)
app.register_blueprint(alerts_bp)


# WebSocket functions: on the app, not a blueprint (chalicelib/api/websocket.py says why).
@app.on_ws_connect()
def websocket_connect(event: WebsocketEvent) -> Response | None:
    return websocket.connect(event)


@app.on_ws_message()
def websocket_message(event: WebsocketEvent) -> None:
    websocket.message(event)


@app.on_ws_disconnect()
def websocket_disconnect(event: WebsocketEvent) -> None:
    websocket.disconnect(event)
