import type { CatalogEntry } from "./schema.js";

/**
 * The demo catalogue `npm run db:seed` creates outside production. One
 * currency, so any cart of them is a valid Checkout Session; SKUs start with `demo-`.
 */
export const DEMO_PRODUCTS: readonly CatalogEntry[] = [
  {
    sku: "demo-coffee-beans",
    name: "House blend coffee beans, 1 kg",
    description: "Medium roast, whole beans from the roastery next door.",
    unitAmount: 2490,
    currency: "eur",
    active: true,
  },
  {
    sku: "demo-pour-over",
    name: "Ceramic pour-over dripper",
    description: "Hand-glazed dripper for one to two cups.",
    unitAmount: 3200,
    currency: "eur",
    active: true,
  },
  {
    sku: "demo-mug",
    name: "Stoneware mug",
    description: "300 ml, dishwasher safe.",
    unitAmount: 1450,
    currency: "eur",
    active: true,
  },
  {
    sku: "demo-filters",
    name: "Paper filters (100)",
    description: "Unbleached filters that fit the dripper.",
    unitAmount: 590,
    currency: "eur",
    active: true,
  },
];
