import { describe, expect, it } from "vitest";
import { waitAtMost } from "../../src/docker/wait.js";

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("waitAtMost", () => {
  it("returns when the promise settles and leaves no timer behind", async () => {
    const before = timers();
    const started = performance.now();
    await waitAtMost(Promise.resolve(), 60_000);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(timers()).toBe(before);
  });

  it("gives up after the limit when the promise never settles; a rejection is passed on, timer cleared", async () => {
    const before = timers();
    const started = performance.now();
    await waitAtMost(new Promise(() => {}), 50);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    await expect(waitAtMost(Promise.reject(new Error("attach failed")), 50)).rejects.toThrow("attach failed");
    expect(timers()).toBe(before);
  });
});
