import { AppError, notFound } from "../platform/errors.js";

export interface CartLine {
  productId: string;
  quantity: number;
}

export interface CatalogProduct {
  id: string;
  name: string;
  description: string;
  unitAmount: number;
  currency: string;
  active: boolean;
}

export interface PricedCart {
  currency: string;
  amountTotal: number;
  lines: { productId: string; name: string; description: string; quantity: number; unitAmount: number }[];
}

/** Stripe's largest amount for a Checkout Session: eight digits in the minor unit. */
export const MAX_AMOUNT = 99_999_999;

/** Stripe's minimum charge per currency (minor units); 50 for currencies not listed. */
const MIN_AMOUNT: Record<string, number> = {
  usd: 50, eur: 50, gbp: 30, cad: 50, aud: 50, nzd: 50, chf: 50, jpy: 50, sgd: 50, hkd: 400,
  dkk: 250, nok: 300, sek: 300, pln: 200, czk: 1500, huf: 17500, mxn: 1000, brl: 50, inr: 50, aed: 200, thb: 1000, ron: 200, bgn: 100,
};

export const minimumAmount = (currency: string) => MIN_AMOUNT[currency] ?? 50;

/**
 * Prices a cart from OUR catalogue (never from the client): duplicate lines are merged,
 * unknown or inactive products are 404, and carts Stripe would refuse (several currencies,
 * a total outside Stripe's limits) are refused here, before anything is written.
 */
export function priceCart(lines: CartLine[], products: CatalogProduct[]): PricedCart {
  const merged = new Map<string, number>();
  for (const line of lines) merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);

  const byId = new Map(products.map((p) => [p.id, p]));
  const priced = [...merged].map(([productId, quantity]) => {
    const product = byId.get(productId);
    if (!product || !product.active) throw notFound(`Product ${productId} does not exist or is not for sale.`);
    return { productId, name: product.name, description: product.description, quantity, unitAmount: product.unitAmount };
  });

  const currencies = new Set(priced.map((l) => byId.get(l.productId)!.currency));
  if (currencies.size > 1) {
    throw new AppError("MIXED_CURRENCIES", "All products of one checkout must share a currency.");
  }
  const currency = [...currencies][0]!;
  const amountTotal = priced.reduce((sum, l) => sum + l.unitAmount * l.quantity, 0);
  if (amountTotal < minimumAmount(currency) || amountTotal > MAX_AMOUNT) {
    throw new AppError(
      "AMOUNT_OUT_OF_RANGE",
      `The total must be between ${minimumAmount(currency)} and ${MAX_AMOUNT} ${currency} minor units.`,
    );
  }
  return { currency, amountTotal, lines: priced };
}
