// What the operations team does about a flag, one line per reason. A Record over OutlierReason:
// a reason added to compute/outlierReasons.ts does not compile until it is given its advice here.
import type { OutlierReason } from '../../compute/outlierReasons.js';

export const REASON_ADVICE: Readonly<Record<OutlierReason, string>> = Object.freeze({
  noise:
    'Far from every normal group of the day: open the trip (route, meter, taxi) and check it happened as recorded; a taxi with several is worth a call.',
  small_cluster:
    'A small group of similar odd rides: look at what they share (taxi, zone, hour); many from one taxi or one place point to a device or a fixed-fare practice.',
  invalid_duration:
    'Dropoff at or before pickup: a clock or feed error, not a real trip. Report the taxi\'s device to the fleet team; exclude the ride from pay and statistics.',
  invalid_distance: 'Negative distance: an odometer or feed error. Report the device; the ride\'s distance cannot be trusted.',
  non_finite: 'Distance or duration missing or infinite: the record is broken at the source. Ask the data feed owner to resend the day.',
  speed_limit:
    'Faster than any taxi drives: usually a GPS jump or a wrong distance. Check the route; repeated on one taxi, have its meter or GPS checked.',
  duration_limit:
    'A very long trip for its distance: a meter left running, or a waiting fare. Check with the driver before paying it out.',
  zero_distance: 'No distance but a long duration: the meter ran without moving. Ask the driver; refund the rider if it was charged.',
  kmeans_distance: 'Among the rides farthest from the day\'s typical trips: review like noise, the most extreme first.',
  no_trip: 'A near-zero trip of a few minutes: a cancelled or test ride. No action unless one taxi has many; then ask about it.',
  void_fare: 'Voided trip or negative fare: a reversed charge. Check with billing that it was refunded, and why it was voided.',
});

/** The advice for a reason; a reason this release does not know (a newer detector's) gets none. */
export function adviceFor(reason: string): string | null {
  return Object.hasOwn(REASON_ADVICE, reason) ? REASON_ADVICE[reason as OutlierReason] : null;
}
