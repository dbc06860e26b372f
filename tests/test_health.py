import threading

import pytest

from gateway import create_app
from tests.conftest import settings_for, translated
from tests.fakes.silent_server import refused_port, silent_server


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


def _answer_within(seconds: float, ask):  # type: ignore[no-untyped-def]
    """What ``ask()`` returns, failing (instead of hanging the suite) if it never does."""
    answers = []
    asking = threading.Thread(target=lambda: answers.append(ask()), daemon=True)
    asking.start()
    asking.join(timeout=seconds)
    assert answers, f"no answer within {seconds} s"
    return answers[0]


def test_a_database_that_never_answers_is_reported_not_waited_for() -> None:
    # The server accepts the connection and never speaks: the check gives up on it and the
    # load balancer hears that the database is what failed, instead of a hung health check.
    with silent_server() as port:
        app = create_app(settings_for(f"postgresql://nobody@127.0.0.1:{port}/none"))
        response = _answer_within(10, lambda: app.test_client().get("/healthz"))
    assert response.status_code == 503
    assert response.json == {"database": "error: no answer in time", "status": "unavailable"}


def test_a_refused_database_is_named_as_the_part_that_failed() -> None:
    app = create_app(settings_for(f"postgresql://nobody@127.0.0.1:{refused_port()}/none"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"database": "error: OperationalError", "status": "unavailable"}


def test_a_page_whose_database_is_down_says_so_with_a_503() -> None:
    app = create_app(settings_for(f"postgresql://nobody@127.0.0.1:{refused_port()}/none"))
    response = app.test_client().get("/", headers={"Accept-Language": "fr"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_data(as_text=True) == translated(
        "The service is busy. Please try again in a few minutes."
    )
