"""The FastAPI application: wires settings, database, job worker and every domain's routes."""

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from itsdangerous import URLSafeTimedSerializer
from starlette.exceptions import HTTPException as StarletteHTTPException

from radhus import __version__
from radhus.catalog import (
    ROUTER_MODULES,
    all_ai_functions,
    installed,
    job_handlers,
    load_all_models,
    nav_sections,
    periodic_jobs,
)
from radhus.core.bootstrap import sync_all_registers
from radhus.core.db import make_engine, make_session_factory, migrate
from radhus.core.errors import RadhusError
from radhus.core.jobs import Worker
from radhus.settings import Settings, load_settings
from radhus.web import i18n
from radhus.web.deps import LANG_COOKIE, AppContext, render

STATIC_DIR = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings | None = None, *, run_migrations: bool = True, start_worker: bool = True) -> FastAPI:
    """Build the app for one installation; tests pass their own settings."""
    settings = settings or load_settings()
    load_all_models()
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine)
    if run_migrations:
        migrate(engine)
        with factory() as session:
            sync_all_registers(session, specs=all_ai_functions())
            session.commit()
    ctx = AppContext(settings=settings, session_factory=factory)
    ctx.job_handlers = job_handlers(ctx)
    if start_worker and settings.embedded_worker:
        ctx.worker = Worker(
            factory, ctx.job_handlers, backoff_seconds=settings.job_backoff_seconds, periodic=periodic_jobs()
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
        if ctx.worker:
            ctx.worker.start()
        yield
        if ctx.worker:
            ctx.worker.stop()
        engine.dispose()

    app = FastAPI(
        title="Rådhus API",
        version=__version__,
        description="Öppen AI-plattform för kommuner. Autentisering: sessionskaka eller `Authorization: Bearer`.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.signer = URLSafeTimedSerializer(settings.signing_key(), salt="radhus-oidc")
    app.state.nav_sections = nav_sections()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in installed(ROUTER_MODULES):
        app.include_router(module.router)
        if hasattr(module, "api"):
            app.include_router(module.api)
    _install_middleware(app, settings)
    _install_error_handlers(app)
    return app


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    @app.middleware("http")
    async def language_and_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        language = i18n.pick_language(
            query=request.query_params.get("lang"),
            cookie=request.cookies.get(LANG_COOKIE),
            accept=request.headers.get("accept-language"),
            default=settings.default_language,
        )
        token = i18n.current_language.set(language)
        try:
            response = await call_next(request)
        finally:
            i18n.current_language.reset(token)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/widget"):
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RadhusError)
    async def domain_error(request: Request, exc: RadhusError):  # type: ignore[no-untyped-def]
        if exc.status_code == 401 and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if _wants_html(request):
            return render(request, "core/error.html", status_code=exc.status_code, message=exc.message)
        return JSONResponse({"detail": exc.message, **exc.detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):  # type: ignore[no-untyped-def]
        problems = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "problem": e["msg"]} for e in exc.errors()
        ]
        message = "Ogiltiga uppgifter: " + "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        if _wants_html(request):
            return render(request, "core/error.html", status_code=422, message=message)
        return JSONResponse({"detail": message, "problems": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # type: ignore[no-untyped-def]
        message = {404: "Sidan finns inte.", 405: "Metoden stöds inte här."}.get(exc.status_code, str(exc.detail))
        if _wants_html(request):
            return render(request, "core/error.html", status_code=exc.status_code, message=message)
        return JSONResponse({"detail": message}, status_code=exc.status_code)


def registered_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, included routers flattened (used by the docs and isolation tests)."""
    found: list[tuple[str, str]] = []

    def walk(routes: list) -> None:  # type: ignore[type-arg]
        for route in routes:
            nested = getattr(route, "original_router", None)
            if nested is not None:
                walk(nested.routes)
            elif hasattr(route, "methods") and route.methods:
                found.extend((method, route.path) for method in sorted(route.methods - {"HEAD"}))

    walk(app.routes)
    return sorted(set(found))
