import { Prisma } from "../../generated/prisma/client.js";

/** True for Prisma's P2002: the write would have duplicated a unique column's value. */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002";
}
