"""Extension singletons. Imports nothing from app/."""
from flask_appbuilder import AppBuilder, Model
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# FAB's Model.metadata, so that Alembic autogenerate sees app tables and FAB's ab_* tables alike.
db = get_sqla_class()(metadata=Model.metadata)
migrate = Migrate()
appbuilder = AppBuilder()
limiter = Limiter(key_func=get_remote_address)
# Every POST/PUT/PATCH/DELETE needs a CSRF token (docs/security.md); FAB exempts its JWT-only REST APIs itself.
csrf = CSRFProtect()
