/**
 * Exit statuses of `rsr`, documented in the README: 0 success (alerts or not), 1 some input could not be read (the
 * rest was still processed), 2 usage or configuration error, 3 no records read at all (nothing was analysed, so "no
 * alerts" would mean nothing).
 */
export const EXIT = { ok: 0, input: 1, usage: 2, noRecords: 3 } as const;
