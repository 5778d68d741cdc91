//! Reads Prometheus' protobuf scrape (`io.prometheus.client.MetricFamily`,
//! length-delimited) without prometheus-client: the messages are written
//! out here from `metrics.proto`, field numbers and wire types included,
//! and native buckets are predicted with a slow index computation of its
//! own, so a test checks the encoder and the bucketing against a second
//! reading of the format rather than against themselves.
#![allow(dead_code, reason = "each test binary uses a subset")]

use std::collections::BTreeMap;

use prost::Message as _;

/// `MetricType::HISTOGRAM` in `metrics.proto`.
pub const HISTOGRAM: i32 = 4;

#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricFamily {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub help: String,
    #[prost(int32, tag = "3")]
    pub r#type: i32,
    #[prost(message, repeated, tag = "4")]
    pub metric: Vec<Metric>,
    #[prost(string, tag = "5")]
    pub unit: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    #[prost(message, optional, tag = "7")]
    pub histogram: Option<Histogram>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelPair {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    #[prost(uint64, tag = "1")]
    pub sample_count: u64,
    #[prost(double, tag = "2")]
    pub sample_sum: f64,
    #[prost(message, repeated, tag = "3")]
    pub bucket: Vec<Bucket>,
    #[prost(sint32, tag = "5")]
    pub schema: i32,
    #[prost(double, tag = "6")]
    pub zero_threshold: f64,
    #[prost(uint64, tag = "7")]
    pub zero_count: u64,
    #[prost(message, repeated, tag = "9")]
    pub negative_span: Vec<BucketSpan>,
    #[prost(sint64, repeated, tag = "10")]
    pub negative_delta: Vec<i64>,
    #[prost(message, repeated, tag = "12")]
    pub positive_span: Vec<BucketSpan>,
    #[prost(sint64, repeated, tag = "13")]
    pub positive_delta: Vec<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Bucket {
    #[prost(uint64, tag = "1")]
    pub cumulative_count: u64,
    #[prost(double, tag = "2")]
    pub upper_bound: f64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct BucketSpan {
    #[prost(sint32, tag = "1")]
    pub offset: i32,
    #[prost(uint32, tag = "2")]
    pub length: u32,
}

/// Every `MetricFamily` of a delimited body, in order. Panics on bytes
/// that are not one.
pub fn decode(mut body: &[u8]) -> Vec<MetricFamily> {
    let mut families = Vec::new();
    while !body.is_empty() {
        let family = MetricFamily::decode_length_delimited(&mut body)
            .unwrap_or_else(|err| panic!("not a delimited MetricFamily: {err}"));
        families.push(family);
    }
    families
}

impl Metric {
    /// The value of label `name`, if the metric has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.label
            .iter()
            .find(|pair| pair.name == name)
            .map(|pair| pair.value.as_str())
    }
}

impl Histogram {
    /// Whether Prometheus 2.42 reads this as a native histogram: it looks
    /// for deltas, a zero count or a zero threshold.
    pub fn is_native(&self) -> bool {
        !self.positive_delta.is_empty()
            || !self.negative_delta.is_empty()
            || self.zero_count > 0
            || self.zero_threshold > 0.0
    }

    /// The native buckets the message carries (the zero bucket apart),
    /// empty ones between spans' buckets included: what Prometheus stores.
    pub fn native_bucket_count(&self) -> u32 {
        self.positive_span
            .iter()
            .chain(&self.negative_span)
            .map(|span| span.length)
            .sum()
    }

    /// The positive native buckets, absolute index to count, empty ones
    /// left out. Panics on spans and deltas that do not describe counts:
    /// as many deltas as buckets, and no count below zero.
    pub fn positive_buckets(&self) -> BTreeMap<i32, u64> {
        let buckets: u32 = self.positive_span.iter().map(|span| span.length).sum();
        assert_eq!(
            buckets as usize,
            self.positive_delta.len(),
            "one delta per bucket of the spans {:?}",
            self.positive_span
        );
        let mut deltas = self.positive_delta.iter();
        let mut counts = BTreeMap::new();
        let mut count: i64 = 0;
        let mut index: Option<i32> = None;
        for span in &self.positive_span {
            // The first offset is an index, each later one a gap.
            let mut at = match index {
                None => span.offset,
                Some(next) => next + span.offset,
            };
            for _ in 0..span.length {
                count += deltas.next().expect("counted above");
                assert!(count >= 0, "bucket {at} counts {count}");
                if count > 0 {
                    counts.insert(at, count as u64);
                }
                at += 1;
            }
            index = Some(at);
        }
        counts
    }
}

/// The upper bound of native bucket `index` at `schema`: base^index, base
/// = 2^(2^-schema). Exact at powers of two.
pub fn upper_bound(schema: i32, index: i32) -> f64 {
    let exponent = f64::from(index) * (-f64::from(schema)).exp2();
    if exponent.fract() == 0.0 {
        2f64.powi(exponent as i32)
    } else {
        exponent.exp2()
    }
}

/// The native bucket holding `value` (> 0, finite) at `schema`: the `i`
/// with `upper_bound(i - 1) < value <= upper_bound(i)`, found by a guess
/// from the logarithm and corrected against the bounds.
pub fn index_of(schema: i32, value: f64) -> i32 {
    assert!(value > 0.0 && value.is_finite(), "no bucket for {value}");
    let mut index = (value.log2() * f64::from(schema).exp2()).ceil() as i32;
    while upper_bound(schema, index) < value {
        index += 1;
    }
    while upper_bound(schema, index - 1) >= value {
        index -= 1;
    }
    index
}
