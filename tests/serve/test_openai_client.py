#!/usr/bin/env python3
"""The official `openai` Python client against `chatrec serve`'s OpenAI-compatible API.

    CHATREC_URL=http://127.0.0.1:8080 python3 tests/serve/test_openai_client.py

(or tests/serve/run_openai_client.sh, which makes the virtualenv first). The client talks to
$CHATREC_URL/v1 exactly as it would talk to OpenAI, so this checks that the wire format is
the one real clients parse, not just the one our own tests expect.

Environment:
  CHATREC_URL                     base URL of the server (required; "/v1" is appended)
  CHATREC_KEY                     API key the client sends (default "none": the server runs
                                  with no read keys, so read-scope endpoints are open)
  CHATREC_READ_KEYS_CONFIGURED=1  the server has read keys configured (and CHATREC_KEY is one
                                  of them or an admin key): also check that a wrong key is
                                  refused with 401, which the client raises as
                                  openai.AuthenticationError
  CHATREC_TIMEOUT                 seconds per request (default 120)

What it checks (see docs/serving.md, "OpenAI-compatible chat"):
  - GET /v1/models lists the model "chatrec";
  - a non-streaming completion has content, finish_reason "stop" and the extension field
    "chatrec" with recommended items (item_id, title, evidence);
  - a multi-turn request ("not the first one") no longer recommends the first item of the
    previous answer (the conversation is replayed from the messages: stateless);
  - a streaming completion's deltas concatenate to the reply of the same non-streaming
    request (replies are deterministic) and its last chunk carries the "chatrec" items;
  - with read keys configured, a wrong key raises openai.AuthenticationError.

Exit status 0 when every test passed, 1 otherwise, 2 when it cannot run at all.
"""
from __future__ import annotations

import os
import sys
import unittest
import urllib.error
import urllib.request

try:
    import openai
    from openai import OpenAI
except ImportError:  # pragma: no cover - depends on the environment
    print(
        "the `openai` package is missing: run tests/serve/run_openai_client.sh, or\n"
        "  pip install -r tests/serve/requirements.txt",
        file=sys.stderr,
    )
    sys.exit(2)

MODEL = "chatrec"
FIRST_TEXT = "something like star wars"
FOLLOW_UP = "not the first one"


def base_url() -> str:
    url = os.environ.get("CHATREC_URL", "").strip().rstrip("/")
    if not url:
        print("set CHATREC_URL to the server's base URL, e.g. http://127.0.0.1:8080", file=sys.stderr)
        sys.exit(2)
    return url if url.endswith("/v1") else url + "/v1"


BASE_URL = base_url()
KEY = os.environ.get("CHATREC_KEY", "none") or "none"
READ_KEYS_CONFIGURED = os.environ.get("CHATREC_READ_KEYS_CONFIGURED") == "1"
TIMEOUT = float(os.environ.get("CHATREC_TIMEOUT", "120"))


def client(key: str = KEY) -> OpenAI:
    # max_retries=0: a retried request would hide a 5xx or a dropped connection.
    return OpenAI(base_url=BASE_URL, api_key=key, timeout=TIMEOUT, max_retries=0)


def extension(obj) -> dict | None:
    """The non-standard "chatrec" field of a response or chunk object.

    The SDK's models keep unknown fields: pydantic's `model_extra` holds them, and
    `to_dict()` includes them too (read both, in case one SDK version drops one path)."""
    extra = getattr(obj, "model_extra", None) or {}
    if "chatrec" in extra:
        return extra["chatrec"]
    return obj.to_dict().get("chatrec")


def user(text: str) -> dict:
    return {"role": "user", "content": text}


class OpenAIClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = client()

    def complete(self, messages, **kw):
        return self.client.chat.completions.create(model=MODEL, messages=messages, **kw)

    def assert_items(self, ext, what: str) -> list:
        """The extension's items: a non-empty list of explained recommendations."""
        self.assertIsInstance(ext, dict, f"{what}: no `chatrec` extension object, got {ext!r}")
        items = ext.get("items")
        self.assertIsInstance(items, list, f"{what}: chatrec.items is not a list: {ext!r}")
        self.assertTrue(items, f"{what}: chatrec.items is empty")
        for item in items:
            self.assertIsInstance(item, dict, f"{what}: item is not an object: {item!r}")
            for field in ("item_id", "title", "evidence"):
                self.assertIn(field, item, f"{what}: item without `{field}`: {item!r}")
            self.assertIsInstance(item["item_id"], str, f"{what}: item_id is not a string: {item!r}")
            self.assertTrue(item["item_id"], f"{what}: empty item_id: {item!r}")
            self.assertIsInstance(item["title"], str, f"{what}: title is not a string: {item!r}")
            self.assertTrue(item["title"], f"{what}: empty title: {item!r}")
            self.assertIsInstance(item["evidence"], list, f"{what}: evidence is not a list: {item!r}")
            self.assertTrue(item["evidence"], f"{what}: item without evidence: {item!r}")
        if "question" in ext:
            self.assertIsInstance(ext["question"], bool, f"{what}: chatrec.question: {ext!r}")
        return items

    def assert_reply(self, response, what: str) -> str:
        self.assertEqual(response.object, "chat.completion", what)
        self.assertTrue(response.choices, f"{what}: no choices")
        choice = response.choices[0]
        self.assertEqual(choice.finish_reason, "stop", what)
        self.assertEqual(choice.message.role, "assistant", what)
        content = choice.message.content
        self.assertIsInstance(content, str, f"{what}: content is {content!r}")
        self.assertTrue(content.strip(), f"{what}: empty content")
        return content

    def test_models_list(self):
        ids = [model.id for model in self.client.models.list()]
        self.assertIn(MODEL, ids)

    def test_chat_completion(self):
        response = self.complete([user(FIRST_TEXT)])
        self.assert_reply(response, "non-streaming completion")
        self.assert_items(extension(response), "non-streaming completion")

    def test_multi_turn_not_the_first_one(self):
        first = self.complete([user(FIRST_TEXT)])
        first_reply = self.assert_reply(first, "first turn")
        first_item = self.assert_items(extension(first), "first turn")[0]
        second = self.complete(
            [user(FIRST_TEXT), {"role": "assistant", "content": first_reply}, user(FOLLOW_UP)]
        )
        self.assert_reply(second, "second turn")
        ext = extension(second)
        ids = [item["item_id"] for item in self.assert_items(ext, "second turn")]
        self.assertNotIn(
            first_item["item_id"],
            ids,
            f"{FOLLOW_UP!r} still recommends the first item of the previous answer "
            f"({first_item['item_id']} {first_item['title']!r})",
        )

    def test_streaming(self):
        messages = [user(FIRST_TEXT)]
        chunks = list(self.complete(messages, stream=True))
        self.assertTrue(chunks, "the stream had no chunks")
        text = []
        finish = []
        for chunk in chunks:
            self.assertEqual(chunk.object, "chat.completion.chunk")
            for choice in chunk.choices:
                if choice.delta is not None and choice.delta.content:
                    text.append(choice.delta.content)
                if choice.finish_reason is not None:
                    finish.append(choice.finish_reason)
        streamed = "".join(text)
        self.assertTrue(streamed.strip(), "the streamed deltas are empty")
        self.assertEqual(finish, ["stop"], "expected one finish_reason, 'stop', in the last chunk")
        last = chunks[-1]
        self.assertTrue(last.choices and last.choices[0].finish_reason == "stop",
                        "the last chunk does not carry finish_reason 'stop'")
        stream_items = self.assert_items(extension(last), "last stream chunk")
        # Replies are deterministic (no sampling): the stream spells out the same reply and
        # items as the non-streaming answer to the same messages.
        plain = self.complete(messages)
        self.assertEqual(streamed, self.assert_reply(plain, "non-streaming twin"))
        self.assertEqual(
            [item["item_id"] for item in stream_items],
            [item["item_id"] for item in self.assert_items(extension(plain), "non-streaming twin")],
        )

    def test_wrong_key_is_refused(self):
        if KEY == "none" or not READ_KEYS_CONFIGURED:
            self.skipTest("needs CHATREC_KEY and CHATREC_READ_KEYS_CONFIGURED=1")
        wrong = client(KEY + "-wrong")
        with self.assertRaises(openai.AuthenticationError) as caught:
            wrong.chat.completions.create(model=MODEL, messages=[user(FIRST_TEXT)])
        self.assertEqual(caught.exception.status_code, 401)
        with self.assertRaises(openai.AuthenticationError):
            wrong.models.list()
        # No key at all is refused the same way. The SDK insists on a key (3.x refuses an
        # empty one), so this request is a plain one without any Authorization header.
        request = urllib.request.Request(BASE_URL + "/models")
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=TIMEOUT).close()
        self.assertEqual(caught.exception.code, 401)


def main() -> int:
    print(f"openai {openai.__version__} against {BASE_URL}", flush=True)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(OpenAIClientTest)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
