import pytest

from gateway import create_app
from tests.conftest import settings_for


def test_healthy_with_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"database": "ok", "status": "ok"}


def test_unreachable_database_is_503(tmp_path) -> None:
    app = create_app(settings_for("postgresql://nobody@127.0.0.1:1/none"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"].startswith("error")


@pytest.mark.parametrize(
    ("redis_url", "status", "redis_state"),
    [("redis://127.0.0.1:6379/0", 200, "ok"), ("redis://127.0.0.1:1/0", 503, "error")],
)
def test_redis_is_checked_when_configured(tmp_path, redis_url, status, redis_state) -> None:
    app = create_app(settings_for(f"sqlite:///{tmp_path}/h.db", REDIS_URL=redis_url))
    response = app.test_client().get("/healthz")
    assert response.status_code == status
    assert response.json["redis"].startswith(redis_state)
