/** Which upstream a request goes to: least outstanding, prefix affinity by rendezvous hashing, affinity giving way under load. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { affinityImbalance, affinityKey, chooseUpstream, type RoutingCandidate } from "../../src/server/upstreams/upstreamRouting.ts";

const upstream = (name: string, inFlight = 0, maxInFlight = 8): RoutingCandidate => ({ baseUrl: `http://${name}/v1`, inFlight, maxInFlight });
const prefix = "And God said, Let there be light: and there was light. ".repeat(6);

test("without a key, the least busy upstream with room, relative to what each accepts", () => {
  assert.equal(chooseUpstream([upstream("a", 3), upstream("b", 1), upstream("c", 2)], undefined)?.baseUrl, "http://b/v1");
  assert.equal(chooseUpstream([upstream("a", 3, 4), upstream("b", 5, 16)], undefined)?.baseUrl, "http://b/v1");
  assert.equal(chooseUpstream([upstream("a", 4, 4), upstream("b", 2, 2)], undefined), undefined, "none has room");
  const idle = [upstream("a"), upstream("b", 1), upstream("c")];
  assert.deepEqual([0, 1, 2, 3].map((turn) => chooseUpstream(idle, undefined, turn)?.baseUrl), ["http://a/v1", "http://c/v1", "http://a/v1", "http://c/v1"], "equally idle ones take turns");
});

test("requests sharing a long prefix land on one upstream, and different prefixes spread", () => {
  const fleet = ["a", "b", "c"].map((name) => upstream(name));
  const homes = new Set(["first question", "second question", "third"].map((tail) => chooseUpstream(fleet, affinityKey({ prompt: prefix + tail }, 256))?.baseUrl));
  assert.equal(homes.size, 1);
  const spread = new Set(Array.from({ length: 40 }, (_, index) => chooseUpstream(fleet, affinityKey({ prompt: `${index} `.padEnd(300, "x") }, 256))?.baseUrl));
  assert.equal(spread.size, 3, "forty distinct prefixes use every upstream");
});

test("rendezvous hashing: removing an upstream moves only the prefixes that lived on it", () => {
  const fleet = ["a", "b", "c", "d"].map((name) => upstream(name));
  const keys = Array.from({ length: 60 }, (_, index) => affinityKey({ prompt: `${index}:`.padEnd(300, "y") }, 256));
  const before = keys.map((key) => chooseUpstream(fleet, key)!.baseUrl);
  const after = keys.map((key) => chooseUpstream(fleet.filter((each) => each.baseUrl !== "http://b/v1"), key)!.baseUrl);
  keys.forEach((_, index) => {
    if (before[index] !== "http://b/v1") assert.equal(after[index], before[index]);
  });
});

test("affinity gives way when its upstream is full or much busier than the least busy", () => {
  const key = affinityKey({ prompt: prefix }, 256);
  const idle = ["a", "b"].map((name) => upstream(name));
  const home = chooseUpstream(idle, key)!.baseUrl;
  const other = idle.find((each) => each.baseUrl !== home)!.baseUrl;
  const load = (homeInFlight: number, homeMax = 8) => idle.map((each) => (each.baseUrl === home ? { ...each, inFlight: homeInFlight, maxInFlight: homeMax } : each));
  assert.equal(chooseUpstream(load(affinityImbalance - 1), key)?.baseUrl, home, "a little busier keeps the prefix home");
  assert.equal(chooseUpstream(load(affinityImbalance), key)?.baseUrl, other, "much busier: least outstanding");
  assert.equal(chooseUpstream(load(2, 2), key)?.baseUrl, other, "full: least outstanding");
});

test("the key: text or token ids of the prompt's start, a chat's messages with their roles; none for a short prompt or with affinity off", () => {
  assert.equal(affinityKey({ prompt: "short" }, 256), undefined);
  assert.equal(affinityKey({ prompt: prefix }, 0), undefined);
  assert.equal(affinityKey({ prompt: prefix + "one" }, 256), affinityKey({ prompt: prefix + "two" }, 256));
  assert.equal(affinityKey({ prompt: [1, 2, 3, 4] }, 3), affinityKey({ prompt: [1, 2, 3, 9] }, 3));
  assert.notEqual(affinityKey({ prompt: [1, 2, 3, 4] }, 3), affinityKey({ prompt: [1, 2, 4, 4] }, 3));
  const chat = (role: string, last: string) => ({ messages: [{ role, content: prefix }, { role: "user", content: last }] });
  assert.equal(affinityKey(chat("system", "a"), 256), affinityKey(chat("system", "b"), 256));
  assert.notEqual(affinityKey(chat("system", "a"), 256), affinityKey(chat("user", "a"), 256));
});
