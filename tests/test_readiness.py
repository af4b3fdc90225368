"""Readiness (bot/deployment/readiness.py): `GET /ready` says "not ready" until a few messages
went through the real model, then "ok"; the warm-up stores no conversation."""
import asyncio
import uuid

import pytest
from sanic import Sanic

from bot.deployment.readiness import (
    READY_PATH,
    WARM_UP_MESSAGES,
    add_readiness,
    readiness_response,
    warm_up,
    warm_up_then_ready,
)


@pytest.fixture(scope="module")
def agent(trained_model):
    from rasa.core.agent import load_agent

    return asyncio.run(load_agent(model_path=str(trained_model)))


def new_app():
    app = Sanic(f"readiness_{uuid.uuid4().hex[:8]}")
    add_readiness(app)
    return app


def test_the_route_is_get_only():
    (route,) = [r for r in new_app().router.routes if "/" + r.path.strip("/") == READY_PATH]
    assert set(route.methods) == {"GET"}


def test_ready_only_after_the_warm_up_with_the_real_model(agent):
    app = new_app()
    before = readiness_response(app)
    assert (before.status, before.body) == (503, b"not ready")

    app.ctx.agent = agent
    asyncio.run(warm_up_then_ready(app))
    after = readiness_response(app)
    assert (after.status, after.body) == (200, b"ok")


def test_the_warm_up_parses_and_predicts_without_storing_a_conversation(agent):
    assert asyncio.run(warm_up(agent)) == len(WARM_UP_MESSAGES)
    assert list(asyncio.run(agent.tracker_store.keys())) == []


def test_without_a_model_the_server_never_says_ready():
    app = new_app()
    asyncio.run(warm_up_then_ready(app))  # no agent in app.ctx
    assert readiness_response(app).status == 503
