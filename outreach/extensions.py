"""Flask extensions, created once here and bound to the app in `create_app`."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from outreach.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (memory by default; a shared store such as Redis
# when several server processes must count login attempts together).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
