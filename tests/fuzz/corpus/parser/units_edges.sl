meter m { rate 99999999999999999999999999999999Tbps; burst 0.000000000000000000001B; }
credit c { bandwidth base 1bps max 1bps host 1bps cap 0.5us consume 100.0000001%; }
ecmp e { member a ::1 weight 4294967296; probe interval 1h timeout 1us down_after 0; }
