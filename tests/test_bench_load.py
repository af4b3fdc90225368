"""bench/load.py against a small stand-in server: the figures it reports are the requests made."""
import asyncio
import json

from aiohttp import web

from bench import load


def test_message_mix_interleaves_the_categories_and_keeps_every_message():
    mix = load.message_mix(load.DEFAULT_MESSAGES)
    assert [category for category, _ in mix[:3]] == ["faq", "commune", "smalltalk"]
    assert len({text for _, text in mix}) == len(mix)


def test_percentile_interpolates_between_ranks():
    assert load.percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert load.percentile([10, 20], 0.95) == 19.5
    assert load.percentile([7], 0.99) == 7


async def _run_against_stand_in(long_turns: int, messages: int, fail_word: str = "") -> tuple[dict, list]:
    received = []

    async def webhook(request):
        body = await request.json()
        received.append(body)
        if fail_word and fail_word in body["message"]:
            return web.json_response({"error": "kaputt"}, status=500)
        return web.json_response([{"recipient_id": body["sender"], "text": "Antwort"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        report = await load.run(f"http://127.0.0.1:{port}", 4, messages, long_turns, 3,
                                load.message_mix(load.DEFAULT_MESSAGES), 10)
    finally:
        await runner.cleanup()
    return report, received


def test_fresh_run_spreads_the_messages_over_the_senders_and_counts_errors():
    report, received = asyncio.run(_run_against_stand_in(0, 30, fail_word="Hallo"))
    counted = received[3:]  # the first three were the warm-up
    assert len(received) == 33 and report["messages"] == 30
    assert len({body["sender"] for body in counted}) == 4
    failed = sum("Hallo" in body["message"] for body in counted)
    assert failed and report["errors"] == failed and report["error_kinds"] == {"HTTP 500": failed}
    assert report["ok"] == 30 - failed
    assert report["msg_per_s"] > 0 and report["p50_ms"] <= report["p95_ms"] <= report["p99_ms"]
    json.dumps(report)  # the --json output


def test_long_run_keeps_one_conversation_per_sender():
    report, received = asyncio.run(_run_against_stand_in(60, 0))
    counted = received[3:]
    assert report["messages"] == 240
    senders = {body["sender"] for body in counted}
    assert len(senders) == 4 and all(sum(b["sender"] == s for b in counted) == 60 for s in senders)
    assert report["first_turns_p50_ms"] > 0 and report["last_turns_p50_ms"] > 0
