"""create_app(): settings, database, extensions, blueprints, errors - in that order."""

from __future__ import annotations

import logging

from flask import Flask

from . import db, metrics
from .api import auth, http, ratelimit
from .api.endpoint import check_routes_declared
from .config import load_settings
from .errors import register_error_handlers
from .logs import configure_logging


def create_app(config: dict | None = None) -> Flask:
    """Build the WSGI app. `config` overrides settings read from the environment."""
    settings = load_settings(config)
    app = Flask(__name__, instance_path=settings.instance_path)
    app.config.update(
        PLATFORM=settings,
        SECRET_KEY=settings.secret_key,
        DEBUG=False,
        PROPAGATE_EXCEPTIONS=False,
        SESSION_COOKIE_NAME="platform_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.issuer.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=3600,
        JSON_SORT_KEYS=False,
    )
    # /v1/things//x must be a 404, not a redirect to another resource.
    app.url_map.merge_slashes = False
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    metrics.init_app(app, settings)  # first after_request hook: runs after every other one
    configure_logging(app, settings)

    db.init_app(app, settings)
    http.init_app(app, settings)
    ratelimit.init_app(app, settings)
    register_error_handlers(app)
    from .oauth import bearer, credential_cache
    from .oauth.server import create_server

    create_server(app)
    credential_cache.init_app(app, settings)
    auth.set_authenticator(app, bearer.authenticate)
    from .technologies import catalogue_cache

    catalogue_cache.init_app(app)
    _connect_reactions()
    _register_blueprints(app)
    check_routes_declared(app)
    logging.getLogger("platform_api").debug("app created")
    return app


def _connect_reactions() -> None:
    """What features above members do when a member or a person loses standing (members/signals.py)."""
    from .accounts import services as accounts
    from .members import signals
    from .oauth import services as oauth

    # Connected strongly and once (blinker ignores a receiver it already has); order = report order.
    signals.member_status_changed.connect(oauth.on_member_status_changed, weak=False)
    signals.member_status_changed.connect(accounts.on_member_status_changed, weak=False)
    signals.user_disabled.connect(oauth.on_user_disabled, weak=False)


def _register_blueprints(app: Flask) -> None:
    from .events.views import bp as events_bp
    from .investors.views import bp as investors_bp
    from .matching.views import bp as matching_bp
    from .members.views import bp as members_bp
    from .oauth.views import bp as oauth_bp
    from .referrals.views import bp as referrals_bp
    from .site.views import bp as site_bp
    from .stats.views import bp as stats_bp
    from .technologies.views import bp as technologies_bp
    from .webhooks.views import bp as webhooks_bp

    app.register_blueprint(site_bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(oauth_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(technologies_bp)
    app.register_blueprint(investors_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(webhooks_bp)
