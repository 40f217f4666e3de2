// A valid policy whose unused declarations are reported (W001), in this file only.
import "lib/shared.sl";

const USED = 443;
const UNUSED = 80;

port p {
    mac 02:00:00:00:00:01;
    ip 10.0.0.1;
    vni 1;
    layers used_layer, shared_layer;
}

layer used_layer {
    out {
        group g priority 1 {
            rule r priority 1 match dst_port USED action allow;
        }
    }
}

layer lonely {
    default allow;
}

routes never {
    0.0.0.0/0 -> drop;
}

meter idle_meter {
    rate 1Gbps;
}
