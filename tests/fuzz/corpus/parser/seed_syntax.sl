// Several syntax errors: all are reported in one run.
const A = 80, 443
const B = 1;

layer acl {
    default maybe;
    out {
        group g priority 10 {
            rule r1 priority 1 match dst_port 80 action allow
            rule r2 priority 2 match dst_port 81 action allow;
        }
    }
}

port p1 { mac 02:00:00:00:00:01 @ ; }
routes rt { 10.0.0.0/8 -> nowhere; }
