"""Flask extensions, created once here and bound to the app in `create_app`."""

import flask_login
from flask import current_app, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from outreach.models.base import Base


class LoginManager(flask_login.LoginManager):
    """Flask-Login, whose remember-me hook has nothing to do where no session is open (the
    provider's webhooks): it would otherwise write to that session and answer with cookies."""

    def _update_remember_cookie(self, response):
        if current_app.session_interface.is_null_session(session):
            return response
        return super()._update_remember_cookie(response)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (memory by default; a shared store such as Redis
# when several server processes must count login attempts together).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
