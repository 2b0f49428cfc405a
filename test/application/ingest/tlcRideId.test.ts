// TLC ride ids are stored in every database that loaded a TLC file, and a reload finds its rides
// by them: the format and the hash must not change. The expected ids below were computed by the
// implementation before issue 13's rewrite of the stamp (commit d09c9ab), which loaded existing
// databases; each call in a row also checks that the cached day text follows day and format.
import { describe, expect, it } from 'vitest';
import { tlcRideId } from '../../../src/application/ingest/tlcRideId.js';
import type { LoadedRide } from '../../../src/application/ingest/types.js';

const ride: LoadedRide = {
  rideId: '', taxiId: null, pickupAtMs: 0, dropoffAtMs: 0, serviceDay: 0, distanceKm: 0,
  tripDistanceMi: 2.1, vendorId: 2, passengerCount: 1, ratecodeId: 1, storeAndFwdFlag: 'N', pickupZoneId: 142, dropoffZoneId: 43,
  paymentType: 2, tripType: null, fareAmount: 8, extra: 0.5, mtaTax: 0.5, tipAmount: 0, tollsAmount: 0, ehailFee: null,
  improvementSurcharge: 0.3, congestionSurcharge: 2.5, airportFee: null, totalAmount: 11.8,
};

describe('tlcRideId', () => {
  it('gives the ids existing databases hold', () => {
    expect(tlcRideId('tlc-yellow', ride, Date.UTC(2021, 0, 1, 0, 30, 10), Date.UTC(2021, 0, 1, 0, 41, 2))).toBe('tlc-y-20210101T003010-fdde3fd7b7a2ff11');
    expect(tlcRideId('tlc-green', { ...ride, tripType: 1 }, Date.UTC(2019, 11, 31, 23, 59, 59), Date.UTC(2020, 0, 1, 0, 5))).toBe('tlc-g-20191231T235959-d9de47207365d6ce');
    expect(tlcRideId('tlc-yellow', { ...ride, storeAndFwdFlag: null, vendorId: null }, Date.UTC(2021, 0, 2, 9, 5, 7), Date.UTC(2021, 0, 2, 9, 30))).toBe('tlc-y-20210102T090507-de0ea29832a9c869');
    // back to the first: the same id again
    expect(tlcRideId('tlc-yellow', ride, Date.UTC(2021, 0, 1, 0, 30, 10), Date.UTC(2021, 0, 1, 0, 41, 2))).toBe('tlc-y-20210101T003010-fdde3fd7b7a2ff11');
  });
});
