// Name errors: duplicates, unknown references with suggestions, wrong kinds, cycles.
const WEB = 80, 443;
const WEB = 8080;
const LOOP_A = LOOP_B;
const LOOP_B = LOOP_A;

port web1 {
    mac 02:00:00:00:00:01;
    ip 10.1.0.5;
    vni 100;
    layers acll, web1;
    credit gold;
}

layer acl {
    out {
        group g priority 10 {
            rule r1 priority 1 match dst_prot WEB action allow;
            rule r1 priority 2 match dst_port WEBS action allow;
            rule r3 priority 3 match dst_port LOOP_A action route acl;
        }
    }
}

layer acl { default allow; }
