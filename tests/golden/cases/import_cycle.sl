import "lib/cycle_a.sl";
port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers a_layer; }
