"""Alerts end to end, counted at real receivers: an SMTP server and an HTTP webhook.

Changes come from the local publisher through `palimpsest check`; alerts go out through
`palimpsest alerts deliver` or the daemon. Each test counts what the receivers accepted.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from db.engine import make_engine, session_factory
from db.models import AlertAttempt
from palimpsest.alerting.messages import HEADLINES
from tests.articles import PARAGRAPHS, story_page
from tests.conftest import cli_env, wait_for
from tests.receivers import SmtpReceiver, WebhookReceiver, as_json, change_ids
from tests.scenarios import ROUNDS, STORY, TITLE, full, gated, publish_round

ROOT = Path(__file__).resolve().parent.parent


def test_every_change_kind_reaches_email_and_webhook_once_with_its_content(cli, site):
    prefix = f"a{uuid.uuid4().hex[:6]}"

    def path(name: str) -> str:
        return f"{prefix}-{name}"

    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        cli("alerts", "add", smtp.url())
        cli("alerts", "add", hook.url())
        for number in range(ROUNDS):
            publish_round(site, path, number)
            if number == 0:
                for name in ("paywall-lifted", "paywall-added", "rewritten-and-corrected"):
                    cli("add", site.url(path(name)))
                for name in ("headline-changed", "removed-404", "moved-permanently"):
                    cli("add", site.url(path(name)))
            cli("check", "--all")
            cli("alerts", "deliver")
        changes = json.loads(cli("changes", "--json").stdout)
        emails, posts = smtp.texts(), hook.messages()

    by_kind = {c["kinds"][0]: c for c in changes}
    assert set(by_kind) == set(HEADLINES), changes
    assert sorted(change_ids(emails)) == sorted(c["id"] for c in changes), as_json(emails)
    assert sorted(change_ids(posts)) == sorted(c["id"] for c in changes), as_json(posts)

    def email_of(kind: str) -> str:
        wanted = f"change {by_kind[kind]['id']} "
        return next(text for text in emails if wanted in text)

    for kind, change in by_kind.items():
        assert email_of(kind).startswith(f"{HEADLINES[kind]}: "), email_of(kind)
        assert change["url"] in email_of(kind)
    lifted = email_of("paywall_lifted")
    assert re.search(r"Paywall: gated \S+ free", lifted), lifted
    assert "Now readable:" in lifted and STORY[1][:60] in lifted
    assert re.search(r"Paywall: free \S+ gated", email_of("paywall_added"))
    retitled = email_of("title_changed")
    assert re.search(f"Headline was: {TITLE}\\s+Headline now: Harbour bridge closes", retitled)
    assert f"Moved to: {site.url(path('moved-permanently-new'))}" in email_of("moved")
    rewritten = email_of("text_changed")
    assert "{+" in rewritten and "[-" in rewritten, rewritten
    html = next(h for h in smtp.htmls() if f"change {by_kind['text_changed']['id']}" in h)
    assert '<ins style="color:#070">{+' in html and '<del style="color:#b00">[-' in html, html
    listed = json.loads(cli("alerts", "list", "--json").stdout)
    assert [c["alerts"] for c in listed] == [{"pending": 0, "sent": len(changes), "failed": 0}] * 2


def edit_once(cli, site, paragraphs=None, title="Springfield mayor resigns") -> str:
    """A watched story whose text changes once; returns its URL."""
    path = f"edit-{uuid.uuid4().hex[:8]}"
    url = site.publish(path, story_page())
    cli("add", url)
    cli("check", url)
    edited = paragraphs or [PARAGRAPHS[0] + " She did not take questions.", *PARAGRAPHS[1:]]
    site.publish(path, story_page(title, paragraphs=edited))
    cli("check", url)
    return url


def alert_attempts(db_url: str) -> list[AlertAttempt]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(AlertAttempt).order_by(AlertAttempt.id)))
    finally:
        engine.dispose()


def test_a_channel_failing_three_times_then_recovering_gets_exactly_one_copy(cli, site, db_url):
    retry = {"PALIMPSEST_ALERT_RETRY_FIRST": "0.5s", "PALIMPSEST_ALERT_RETRY_MAX": "1.5s"}
    waits = []
    with WebhookReceiver(fail_next=3) as hook:
        cli("alerts", "add", hook.url())
        edit_once(cli, site)
        for _ in range(8):
            cli("alerts", "deliver", **retry)
            if hook.received:
                break
            [alert] = json.loads(cli("alerts", "log", "--json").stdout)
            again = datetime.fromisoformat(alert["next_attempt_at"])
            waits.append((again - alert_attempts(db_url)[-1].at).total_seconds())
            time.sleep(max(0.0, (again - datetime.now(UTC)).total_seconds()) + 0.05)
        for _ in range(2):  # and nothing more comes, however often the outbox is delivered
            cli("alerts", "deliver", **retry)
        received, refused = list(hook.received), hook.refused

    assert (len(received), refused) == (1, 3)
    assert waits == [0.5, 1.0, 1.5], "retries wait twice as long each time, up to the cap"
    [alert] = json.loads(cli("alerts", "log", "--json").stdout)
    assert (alert["status"], alert["attempts"], alert["last_error"]) == ("sent", 4, None)
    tries = alert_attempts(db_url)
    assert [t.ok for t in tries] == [False, False, False, True]
    assert all("error=500" in t.error for t in tries[:3]), [t.error for t in tries]


def test_a_channel_that_never_answers_gives_up_after_the_last_attempt(cli, site):
    cli("alerts", "add", "json://127.0.0.1:9/nobody-listens")
    edit_once(cli, site)
    env = {"PALIMPSEST_ALERT_RETRY_FIRST": "0.1s", "PALIMPSEST_ALERT_MAX_ATTEMPTS": "2"}
    first = cli("alerts", "deliver", **env)
    assert "1 pending" in first.stdout
    time.sleep(0.2)
    second = cli("alerts", "deliver", ok=False, **env)
    assert second.returncode == 1 and "1 failed" in second.stdout
    [alert] = json.loads(cli("alerts", "log", "--json").stdout)
    assert alert["status"] == "failed" and "Connection error" in alert["last_error"]


def test_rules_filter_by_kind_tag_watch_and_significance(cli, site):
    prefix = f"r{uuid.uuid4().hex[:6]}"
    small = site.publish(f"{prefix}-small", full())
    lifted = site.publish(f"{prefix}-lifted", gated())
    rewritten = site.publish(f"{prefix}-rewritten", full())
    cli("add", small, "--tag", "politics")
    lifted_id = cli("add", lifted).stdout.strip()
    cli("add", rewritten)
    with WebhookReceiver() as hook:
        cli("alerts", "add", hook.url("paywall"), "--on", "paywall_lifted")
        cli("alerts", "add", hook.url("politics"), "--tag", "politics")
        cli("alerts", "add", hook.url("one-watch"), "--watch", lifted_id)
        cli("alerts", "add", hook.url("big"), "--min-significance", "0.3")
        cli("alerts", "add", hook.url("everything"))
        cli("check", "--all")
        one_word = [STORY[0].replace("Tuesday", "Wednesday"), *STORY[1:]]
        assert one_word != STORY
        site.publish(f"{prefix}-small", full(paragraphs=one_word))
        site.publish(f"{prefix}-lifted", full())
        site.publish(f"{prefix}-rewritten", full(paragraphs=[p.upper() for p in STORY[::-1]]))
        cli("check", "--all")
        cli("alerts", "deliver")
        got: dict[str, list[str]] = {}
        for payload in hook.received:
            got.setdefault(payload["path"].strip("/"), []).append(payload["message"])

    changes = {c["url"]: c for c in json.loads(cli("changes", "--json").stdout)}
    assert changes[small]["significance"] < 0.3 <= changes[rewritten]["significance"], changes
    ids = {url: [changes[url]["id"]] for url in (small, lifted, rewritten)}
    assert change_ids(got.get("paywall", [])) == ids[lifted]
    assert change_ids(got.get("politics", [])) == ids[small]
    assert change_ids(got.get("one-watch", [])) == ids[lifted]
    assert sorted(change_ids(got.get("big", []))) == sorted(ids[lifted] + ids[rewritten])
    assert sorted(change_ids(got["everything"])) == sorted(
        i for found in ids.values() for i in found
    )


def test_a_digest_channel_sends_one_message_per_period(cli, site):
    with WebhookReceiver() as hook:
        cli("alerts", "add", hook.url("often"), "--digest", "2s")
        cli("alerts", "add", hook.url("weekly"), "--digest", "weekly")
        urls = [edit_once(cli, site), edit_once(cli, site), edit_once(cli, site)]
        time.sleep(2.1)  # the 2s period is over
        cli("alerts", "deliver")
        cli("alerts", "deliver")
        received = list(hook.received)

    changes = {c["url"]: c["id"] for c in json.loads(cli("changes", "--json").stdout)}
    assert [p["path"] for p in received] == ["/often"], "one digest; the weekly one waits"
    assert sorted(change_ids([received[0]["message"]])) == sorted(changes[u] for u in urls)
    assert received[0]["title"] == "3 article changes (every 2s digest)"
    log = json.loads(cli("alerts", "log", "--json").stdout)
    assert sorted(a["status"] for a in log) == ["pending"] * 3 + ["sent"] * 3


def test_channels_are_listed_masked_and_bad_ones_refused(cli):
    url = "mailto://editor:hunter2secret@127.0.0.1:9?to=desk@example.com&from=bot@example.com"
    channel = cli("alerts", "add", url, "--on", "removed,moved").stdout.split()[0]
    shown = cli("alerts", "list").stdout + cli("alerts", "list", "--json").stdout
    assert "hunter2secret" not in shown and "editor:****@127.0.0.1" in shown
    failed = cli("alerts", "test", channel, ok=False)
    assert failed.returncode == 1 and "hunter2secret" not in failed.stderr
    assert failed.stderr.startswith(f"error: channel {channel} (mailto://editor:****@")
    for args, code, message in [
        (["nope://x"], 2, "not a channel URL Apprise understands: nope://…"),
        (["json://h/x", "--on", "typo"], 2, "unknown change kind typo"),
        (["json://h/x", "--min-significance", "2"], 2, "between 0 and 1"),
        (["json://h/x", "--digest", "often"], 2, "bad duration 'often'"),
        (["json://h/x", "--watch", "404"], 1, "no watch '404'"),
    ]:
        result = cli("alerts", "add", *args, ok=False)
        assert result.returncode == code, result.stderr
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "no alert channel '77'" in cli("alerts", "remove", "77", ok=False).stderr
    assert cli("alerts", "remove", channel).stdout.startswith(f"removed alert channel {channel}")


def test_a_channel_template_is_sandboxed_and_html_escapes_the_article(cli, site, tmp_path):
    template = tmp_path / "alert.html.j2"
    template.write_text("<h1>{{ title }}</h1>{% for l in excerpt %}<p>{{ l.text }}</p>{% endfor %}")
    with SmtpReceiver() as smtp:
        cli("alerts", "add", smtp.url(), "--template", str(template))
        marked_up = [PARAGRAPHS[0] + " <script>alert(1)</script> & <b>more</b>.", *PARAGRAPHS[1:]]
        edit_once(cli, site, paragraphs=marked_up, title="Mayor <i>resigns</i>")
        cli("alerts", "deliver")
        [html] = smtp.htmls()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<h1>Mayor &lt;i&gt;resigns&lt;/i&gt;</h1>" in html
    evil = tmp_path / "evil.txt"
    evil.write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    result = cli("alerts", "add", "json://h/x", "--template", str(evil), ok=False)
    assert result.returncode == 2 and "bad alert template" in result.stderr
    typo = tmp_path / "typo.md"
    typo.write_text("{{ titel }}")
    result = cli("alerts", "add", "json://h/x", "--template", str(typo), ok=False)
    assert "'titel' is undefined" in result.stderr


def test_killing_the_daemon_during_delivery_loses_and_repeats_nothing(cli, site, db_url):
    prefix = f"k{uuid.uuid4().hex[:6]}"
    pages = [f"{prefix}-{n}" for n in range(8)]
    for page in pages:
        cli("add", site.publish(page, story_page()))
    cli("check", "--all")
    with WebhookReceiver(delay=0.4) as hook:
        cli("alerts", "add", hook.url())
        for page in pages:
            site.publish(page, story_page(paragraphs=[*PARAGRAPHS, f"Update for {page}."]))
        cli("check", "--all")
        expected = sorted(c["id"] for c in json.loads(cli("changes", "--json").stdout))
        assert len(expected) == len(pages)
        env = cli_env(
            PALIMPSEST_ALERT_TICK_SECONDS="0.2",
            PALIMPSEST_ALERT_LEASE_SECONDS="2",
            PALIMPSEST_TICK_SECONDS="60",
        )

        def start() -> subprocess.Popen:
            return subprocess.Popen(
                [sys.executable, str(ROOT / "scheduler.py"), "--db", db_url],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        kills = 0
        for target in (2, 5):
            daemon = start()
            # Kill while the next alert is at the receiver, not yet accepted.
            wait_for(
                lambda t=target: len(hook.received) >= t and hook.in_flight == 1,
                60,
                f"{target} alerts delivered and one in flight",
            )
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(10)
            kills += 1
        daemon = start()
        try:
            wait_for(lambda: len(hook.received) >= len(expected), 60, "every alert")
            time.sleep(2.5)  # one more lease: nothing else may come
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(20)
        delivered = change_ids(hook.messages())

    assert kills == 2 and daemon.returncode == 0
    assert sorted(delivered) == expected, f"lost or repeated: {delivered} vs {expected}"
    log = json.loads(cli("alerts", "log", "--json").stdout)
    assert {a["status"] for a in log} == {"sent"}
    assert sum(a["attempts"] for a in log) >= len(expected) + kills, "the killed sends were retried"
