import { describe, expect, it } from "vitest";
import type { AppError } from "../../src/platform/errors.js";
import { MAX_AMOUNT, priceCart, type CatalogProduct } from "../../src/checkout/pricing.js";

const product = (id: string, over: Partial<CatalogProduct> = {}): CatalogProduct => ({
  id,
  name: `Product ${id}`,
  description: "",
  unitAmount: 1000,
  currency: "eur",
  active: true,
  ...over,
});

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as AppError).code;
  }
  return "no error";
};

describe("priceCart", () => {
  it("when lines name the same product twice, then they are merged and priced from the catalogue", () => {
    const cart = priceCart(
      [
        { productId: "a", quantity: 2 },
        { productId: "b", quantity: 1 },
        { productId: "a", quantity: 3 },
      ],
      [product("a", { unitAmount: 250 }), product("b", { unitAmount: 1999 })],
    );
    expect(cart).toEqual({
      currency: "eur",
      amountTotal: 5 * 250 + 1999,
      lines: [
        { productId: "a", name: "Product a", description: "", quantity: 5, unitAmount: 250 },
        { productId: "b", name: "Product b", description: "", quantity: 1, unitAmount: 1999 },
      ],
    });
  });

  it("when a product is unknown or inactive, then NOT_FOUND", () => {
    expect(codeOf(() => priceCart([{ productId: "x", quantity: 1 }], [product("a")]))).toBe("NOT_FOUND");
    expect(codeOf(() => priceCart([{ productId: "a", quantity: 1 }], [product("a", { active: false })]))).toBe("NOT_FOUND");
  });

  it("when currencies differ, then MIXED_CURRENCIES", () => {
    const lines = [
      { productId: "a", quantity: 1 },
      { productId: "b", quantity: 1 },
    ];
    expect(codeOf(() => priceCart(lines, [product("a"), product("b", { currency: "usd" })]))).toBe("MIXED_CURRENCIES");
  });

  it("when the total is under Stripe's minimum or over its maximum, then AMOUNT_OUT_OF_RANGE", () => {
    expect(codeOf(() => priceCart([{ productId: "a", quantity: 1 }], [product("a", { unitAmount: 49 })]))).toBe("AMOUNT_OUT_OF_RANGE");
    expect(codeOf(() => priceCart([{ productId: "a", quantity: 2 }], [product("a", { unitAmount: MAX_AMOUNT })]))).toBe("AMOUNT_OUT_OF_RANGE");
    expect(priceCart([{ productId: "a", quantity: 1 }], [product("a", { unitAmount: 50 })]).amountTotal).toBe(50);
  });
});
