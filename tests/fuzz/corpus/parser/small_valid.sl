port p { mac 02:00:00:00:00:01; ip 10.0.0.1, fd00::1; vni 1; layers l; }
layer l { default allow; out { group g priority 1 lpm dst_ip { rule r priority 1 match dst_ip 10.0.0.0/8 action allow, set dscp 3; } } }
