//! Two fields whose number of values is known only at run time, directly or
//! through a flattened label set: as both grow, the label sets could not
//! keep their indexes. The second such field is reported, naming the first.
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use route_labels::{ClosedLabelSet, ClosedLabelValue};

/// Counted at run time, as the mounts of an app are.
#[derive(Clone, Copy, Debug)]
struct Tenant(usize);

impl EncodeLabelValue for Tenant {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }
}

impl ClosedLabelValue for Tenant {
    const CARDINALITY: Option<usize> = None;

    fn cardinality() -> usize {
        3
    }

    fn index(&self) -> usize {
        self.0
    }

    fn from_index(index: usize) -> Option<Self> {
        (index < 3).then_some(Self(index))
    }
}

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct Transfers {
    from: Tenant,
    ok: bool,
    to: Tenant,
}

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct ByTenant {
    tenant: Tenant,
}

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct Invites {
    #[prometheus(flatten)]
    host: ByTenant,
    guest: Tenant,
}

fn main() {}
