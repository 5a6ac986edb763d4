/**
 * LookupEvents' documented limits, apart from the adapter so that the CLI can name them without loading the SDK.
 */

/** The API's page-size maximum. */
export const PAGE_SIZE = 50;
/** 2 requests per second per account per Region. */
export const MIN_INTERVAL_MS = 500;
/** How far back event history goes. */
export const HISTORY_DAYS = 90;
