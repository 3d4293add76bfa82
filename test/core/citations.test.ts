/** The "Sources:" line the core puts under an answer that cites help articles. */
import { describe, expect, it } from "vitest";
import { withSources } from "../../src/core/citations.js";

const RETURNS = { title: "Returns and refunds", url: "https://help.example.com/returns" };
const REFUNDS = { title: "Refund times", url: "https://help.example.com/returns/refund-times" };
const SHIPPING = { title: "Shipping", url: "https://help.example.com/shipping" };

describe("the Sources line", () => {
  it("lists each linked article once, in result order, at the end", () => {
    const answer = `Return within 30 days ([policy](${REFUNDS.url})). See [Returns](${RETURNS.url}) and [again](${RETURNS.url}#holiday).`;
    expect(withSources(answer, [RETURNS, REFUNDS, RETURNS, SHIPPING])).toBe(
      `${answer}\n\nSources: [Returns and refunds](${RETURNS.url}), [Refund times](${REFUNDS.url})`,
    );
  });

  it("does not count a longer URL as a link to its parent page", () => {
    const answer = `See [Refund times](${REFUNDS.url}).`;
    expect(withSources(answer, [RETURNS, REFUNDS])).toBe(
      `${answer}\n\nSources: [Refund times](${REFUNDS.url})`,
    );
  });

  it("replaces a sources list the model wrote itself", () => {
    const answer = `Return within 30 days, see [Returns](${RETURNS.url}).\n\n**Sources:**\n- [Returns and refunds](${RETURNS.url})\n- ${SHIPPING.url}`;
    expect(withSources(answer, [RETURNS])).toBe(
      `Return within 30 days, see [Returns](${RETURNS.url}).\n\nSources: [Returns and refunds](${RETURNS.url})`,
    );
  });

  it.each([
    ["a sign-off after it", `Sources: [Returns](${RETURNS.url})\n\nLet me know if you need anything else!`],
    ["an italic heading", `*Sources:* [Returns](${RETURNS.url})`],
    ["an italic line", `_Source: [Returns](${RETURNS.url}#window)_`],
  ])("replaces a sources list the model wrote with %s, so the answer has one Sources line", (_, list) => {
    const out = withSources(`Return within 30 days.\n\n${list}`, [RETURNS]);
    expect(out.match(/sources?:/gi)).toHaveLength(1);
    expect(out.endsWith(`\n\nSources: [Returns and refunds](${RETURNS.url})`)).toBe(true);
    expect(out.startsWith("Return within 30 days.\n\n")).toBe(true);
  });

  it("keeps the sign-off the model wrote after its own sources list", () => {
    const answer = `Return within 30 days.\n\n**Sources:**\n- [Returns](${RETURNS.url})\n\nAnything else?`;
    expect(withSources(answer, [RETURNS])).toBe(
      `Return within 30 days.\n\nAnything else?\n\nSources: [Returns and refunds](${RETURNS.url})`,
    );
  });

  it("handles an answer with a very long line of spaces under its sources heading", () => {
    // The former link-line pattern backtracked cubically: 4,000 spaces took 24 s of event loop.
    const filler = `${" ".repeat(20_000)}x`;
    const answer = `See [Returns](${RETURNS.url}).\n\nSources:\n${filler}`;
    expect(withSources(answer, [RETURNS])).toBe(
      `${answer}\n\nSources: [Returns and refunds](${RETURNS.url})`,
    );
  });

  it("adds nothing when the answer links none of the articles (the help center did not cover it)", () => {
    const answer = "I don't have information about student discounts. Please contact our support team.";
    expect(withSources(answer, [RETURNS, SHIPPING])).toBe(answer);
  });

  it("keeps a paragraph that merely starts with the word sources", () => {
    const answer = `Sources of delay are weather and holidays, see [Shipping](${SHIPPING.url}).`;
    expect(withSources(answer, [SHIPPING])).toBe(`${answer}\n\nSources: [Shipping](${SHIPPING.url})`);
  });
});
