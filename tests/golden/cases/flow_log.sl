// Flow-log flag and audit mode: misuse.
port p {
    mac 02:00:00:00:00:01;
    ip 10.0.0.1;
    vni 1;
    layers sg, open, twice;
}

// Fine: a logged deny, a logged stateful allow, an audit layer that denies by default.
layer sg {
    audit;
    default deny;
    out {
        group g priority 1 {
            rule ssh priority 1 match proto tcp dst_port 22 action deny log terminating;
            rule web priority 2 match proto tcp dst_port 443 action allow stateful log;
            rule metered priority 3 match proto tcp dst_port log action allow, meter audit log;
        }
    }
}

// W003: nothing here ever denies, so audit changes nothing.
layer open {
    default allow;
    audit;
    in {
        group g priority 1 {
            rule any priority 1 action allow log log;
        }
    }
}

// E306: audit twice.
layer twice {
    audit;
    audit;
}

// `log` and `audit` stay usable as names (soft keywords).
const log = 80;
meter audit { rate 1Mpps; }
