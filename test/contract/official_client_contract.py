#!/usr/bin/env python3
"""Contract test: drives the Tracker emulator with Yandex's official Python client.

Configured from the same YT_* variables that point DISPATCH at the sandbox (CONF-3/CONF-4), plus
CONTRACT_RUN_ID to make `unique` values distinct. Each step asserts its results and prints one JSON
line {"step", "ok", ...}; the last line is a summary. Exit code 0 only if every step passed.
"""
import json
import os
import sys
import traceback

from yandex_tracker_client import TrackerClient
from yandex_tracker_client.exceptions import Conflict

ENV = os.environ
QUEUE = ENV["YT_QUEUE"]
RUN = ENV.get("CONTRACT_RUN_ID", "run")
LOCAL_ID = ENV["YT_DATABASE_ID_GLOBAL_FIELD_ID"]
POLE = ENV["YT_POLE_NUMBER_GLOBAL_FIELD_ID"]
NEW_MESSAGE = ENV["YT_IS_NEW_MSG_GLOBAL_FIELD_ID"]
SLA_STATUS = ENV["YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID"]
EMAIL_DATETIME = ENV["YT_EMAIL_DATETIME_GLOBAL_FIELD_ID"]

client = TrackerClient(
    token=ENV["YT_ACCESS_TOKEN"],
    org_id=ENV["YT_ORGANIZATION_ID"],
    base_url=ENV["YT_API_BASE_URL"],
    retries=0,
)

results = []
ctx = {}


def step(name):
    def wrap(fn):
        try:
            details = fn() or {}
            line = {"step": name, "ok": True}
            line.update(details)
        except Exception as error:  # every failure becomes a reported step, the run goes on
            line = {
                "step": name,
                "ok": False,
                "error": "%s: %s" % (type(error).__name__, error),
                "trace": traceback.format_exc(limit=3),
            }
        results.append(line)
        print(json.dumps(line, ensure_ascii=False), flush=True)
        return fn

    return wrap


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


@step("myself")
def _():
    me = client.myself
    expect(isinstance(me.uid, int) and me.login, "myself has uid and login")
    return {"login": me.login, "uid": me.uid}


@step("create")
def _():
    issue = client.issues.create(
        queue=QUEUE,
        summary="Контракт: авария на опоре",
        description="Текст письма",
        type={"key": ENV["YT_ISSUE_TYPE"]},
        unique="contract:%s:1" % RUN,
        **{
            LOCAL_ID: 101,
            POLE: "12345-MSK-01",
            NEW_MESSAGE: "\u2714\ufe0f Да",
            SLA_STATUS: "\u2b1c\ufe0f Неизвестно",
            EMAIL_DATETIME: "2024-05-01T10:00:00+00:00",
        }
    )
    expect(issue.key.startswith(QUEUE + "-"), "key in queue")
    expect(issue.status.key == "open", "new issue is open")
    expect(issue.version == 1, "version 1")
    ctx["key"] = issue.key
    ctx["created"] = issue
    return {"key": issue.key, "status": issue.status.key, "version": issue.version}


@step("create_duplicate_unique")
def _():
    again = client.issues.create(queue=QUEUE, summary="Другое", unique="contract:%s:1" % RUN)
    expect(again.key == ctx["key"], "409 + _findByUnique returns the existing issue")
    expect(again.summary == "Контракт: авария на опоре", "existing issue unchanged")
    return {"key": again.key, "summary": again.summary}


@step("get")
def _():
    issue = client.issues[ctx["key"]]
    values = {
        "summary": issue.summary,
        "localId": getattr(issue, LOCAL_ID),
        "poleNumber": getattr(issue, POLE),
        "newMessage": getattr(issue, NEW_MESSAGE),
        "emailDatetime": getattr(issue, EMAIL_DATETIME),
        "type": issue.type.key,
        "createdBy": issue.createdBy.login,
    }
    expect(values["localId"] == 101, "integer field round-trips")
    expect(values["emailDatetime"] == "2024-05-01T10:00:00.000+0000", "datetime normalised to Tracker format")
    return values


@step("update")
def _():
    issue = client.issues[ctx["key"]]
    issue.update(summary="Контракт: авария (уточнено)", followers={"add": ["ivanov"]}, **{POLE: "54321-SPB-02"})
    expect(issue.version == 2, "version bumped")
    followers = [f.login for f in issue.followers]
    expect(followers == ["ivanov"], "follower added")
    return {"summary": issue.summary, "version": issue.version, "followers": followers, "poleNumber": getattr(issue, POLE)}


@step("update_stale_version")
def _():
    stale = ctx["created"]  # still at version 1
    try:
        stale.update(summary="Не должно примениться")
    except Conflict:
        current = client.issues[ctx["key"]]
        expect(current.summary == "Контракт: авария (уточнено)", "stale update not applied")
        return {"conflict": True, "version": current.version}
    raise AssertionError("stale If-Match was accepted")


@step("comments")
def _():
    issue = client.issues[ctx["key"]]
    created = [issue.comments.create(text="Комментарий %d" % n) for n in range(1, 4)]
    listed = list(issue.comments.get_all(perPage=2))
    texts = [c.text for c in listed]
    expect(texts == ["Комментарий 1", "Комментарий 2", "Комментарий 3"], "all pages in order")
    expect([c.id for c in listed] == [c.id for c in created], "same ids")
    return {"texts": texts, "ids": [c.id for c in listed]}


@step("transitions_list")
def _():
    issue = client.issues[ctx["key"]]
    transitions = list(issue.transitions.get_all())
    targets = [t.to.key for t in transitions]
    expect("inProgress" in targets, "open -> inProgress offered")
    ctx["to_in_progress"] = next(t.id for t in transitions if t.to.key == "inProgress")
    return {"targets": targets}


@step("transition_execute")
def _():
    issue = client.issues[ctx["key"]]
    transition = issue.transitions[ctx["to_in_progress"]]
    following = transition.execute(comment="Принято в работу")
    after = client.issues[ctx["key"]]
    expect(after.status.key == "inProgress", "status changed")
    next_targets = [t.to.key for t in following]
    return {"status": after.status.key, "next": next_targets, "version": after.version}


@step("find_filter_paging")
def _():
    for n in (2, 3):
        client.issues.create(queue=QUEUE, summary="Контракт %d" % n, unique="contract:%s:%d" % (RUN, n))
    found = client.issues.find(filter={"queue": QUEUE}, order=["+key"], per_page=1)
    keys = [i.key for i in found]
    expect(len(keys) == 3, "three issues over three pages")
    expect(len(found) == 3, "X-Total-Count via the seekable list")
    return {"keys": keys, "total": len(found)}


@step("find_query")
def _():
    found = list(client.issues.find(query="Queue: %s Status: inProgress" % QUEUE))
    keys = [i.key for i in found]
    expect(keys == [ctx["key"]], "only the transitioned issue")
    return {"keys": keys}


@step("count")
def _():
    by_filter = client.issues.find(filter={"queue": QUEUE}, count_only=True)
    by_query = client.issues.find(query="Queue: %s" % QUEUE, count_only=True)
    expect(by_filter == 3 and by_query == 3, "counts")
    return {"filter": by_filter, "query": by_query}


@step("changelog")
def _():
    issue = client.issues[ctx["key"]]
    workflow = list(issue.changelog.get_all(field="status", type="IssueWorkflow"))
    expect(len(workflow) == 1, "one status change")
    change = workflow[0].fields[0]
    status_change = {"field": change["field"].id, "from": change["from"].key, "to": change["to"].key}
    expect(status_change == {"field": "status", "from": "open", "to": "inProgress"}, "status change recorded")
    everything = list(issue.changelog.get_all(perPage=2))
    types = [e.type for e in everything]
    return {
        "statusChange": status_change,
        "updatedBy": workflow[0].updatedBy.login,
        "entryId": workflow[0].id,
        "types": types,
    }


failed = [r["step"] for r in results if not r["ok"]]
summary = {"step": "summary", "ok": not failed, "passed": len(results) - len(failed), "failed": failed}
print(json.dumps(summary, ensure_ascii=False), flush=True)
sys.exit(0 if not failed else 1)
