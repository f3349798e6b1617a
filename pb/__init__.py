"""The application factory: wiring only — extensions, blueprints, errors, CLI.

Flask and the configuration are imported inside `create_app`, not at the top: importing any
`pb` subpackage runs this file first, and the pure tally engine (`pb.tally`, the `pb-tally`
command) must start without loading the web framework.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from flask import Flask

    from config import INSTANCE_DIR, Config, check_production_safety

    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    if test_config:
        app.config.update(test_config)
    check_production_safety(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from pb import schema  # noqa: F401  (registers every table on the metadata)
    from pb.core.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from pb.core import i18n, security, unit_of_work, web_errors
    from pb.web import form_support, labels, navigation
    from pb.web import forms as web_forms

    i18n.init_app(app)
    navigation.init_app(app)
    labels.init_app(app)
    form_support.init_app(app)
    security.init_app(app)
    web_errors.init_app(app)
    unit_of_work.init_app(app)
    web_forms.init_app(app)

    from pb.accounts import sessions  # noqa: F401  (Flask-Login's user loader)
    from pb.accounts.routes import bp as auth_bp
    from pb.api import implementation as _api_implementation  # noqa: F401  (adds its routes)
    from pb.api.routes import bp as api_bp
    from pb.audit.routes import bp as audit_bp
    from pb.proposals.public_routes import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(audit_bp)

    from pb.editions.routes import bp as admin_bp
    from pb.proposals.routes import bp as proposals_bp
    from pb.review.appeal_routes import bp as commission_bp
    from pb.review.routes import bp as review_bp

    app.register_blueprint(proposals_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(commission_bp)
    app.register_blueprint(admin_bp)

    from pb.voting.ballot_box_routes import bp as ballot_box_bp
    from pb.voting.paper_routes import bp as paper_bp
    from pb.voting.registry_routes import bp as registry_bp
    from pb.voting.routes import bp as vote_bp

    app.register_blueprint(vote_bp)
    app.register_blueprint(paper_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(ballot_box_bp)

    from pb.results.counting_routes import bp as counting_bp
    from pb.results.routes import bp as results_bp

    app.register_blueprint(results_bp)
    app.register_blueprint(counting_bp)

    from pb.messaging import dev_mailbox

    dev_mailbox.init_app(app)

    from pb.voting import eid

    eid.init_app(app)

    from pb.following import notices  # noqa: F401  (followers hear of audited events)
    from pb.following.routes import bp as following_bp
    from pb.implementation.public_routes import bp as implementation_bp
    from pb.implementation.routes import bp as works_bp
    from pb.implementation.routes import proposal_photos_bp
    from pb.paperkit.routes import bp as paperkit_bp

    app.register_blueprint(implementation_bp)
    app.register_blueprint(works_bp)
    app.register_blueprint(proposal_photos_bp)
    app.register_blueprint(following_bp)
    app.register_blueprint(paperkit_bp)

    from pb.cli import pb_cli

    app.cli.add_command(pb_cli)
    return app
