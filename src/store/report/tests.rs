//! Tests of `report`.

use super::*;

#[test]
fn quantiles_use_the_nearest_rank() {
    let mut d = Durations::default();
    for v in [5, 1, 4, 2, 3, 10, 9, 8, 7, 6] {
        d.push(v, Some(5));
    }
    d.sort();
    assert_eq!(d.median(), Some(5));
    assert_eq!(d.p90(), Some(9));
    assert_eq!(d.quantile(1.0), Some(10));
    assert_eq!(d.within_share(), Some(0.5));
    assert_eq!(Durations::default().median(), None);
}
